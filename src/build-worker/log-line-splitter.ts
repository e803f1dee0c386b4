const LF = 0x0a;
const CR = 0x0d;

/**
 * Splits one stream's bytes into lines (ended by LF, CR or CRLF), holding at most `keep` bytes of
 * the line in progress: the rest of a longer line is only counted, so a 5 MiB line without a line
 * break costs `keep` bytes of memory. Held bytes are copied out of the chunk, so no chunk is kept
 * alive by a line that holds a slice of it.
 */
export class LogLineSplitter {
  private held: Buffer[] = [];
  private heldBytes = 0;
  private cutBytes = 0;
  /** The last line ended with CR: an LF right after it ends nothing more. */
  private afterCarriageReturn = false;

  constructor(
    private readonly keep: number,
    private readonly emit: (head: Buffer, cutBytes: number) => void,
  ) {}

  /** What this splitter holds now; never more than `keep`. */
  get bufferedBytes(): number {
    return this.heldBytes;
  }

  push(chunk: Buffer): void {
    let start = 0;
    for (let index = 0; index < chunk.length; index++) {
      const byte = chunk[index];
      if (byte === LF && this.afterCarriageReturn && index === start) {
        start = index + 1;
        this.afterCarriageReturn = false;
        continue;
      }
      this.afterCarriageReturn = false;
      if (byte !== LF && byte !== CR) continue;
      this.hold(chunk.subarray(start, index));
      this.endLine();
      start = index + 1;
      this.afterCarriageReturn = byte === CR;
    }
    this.hold(chunk.subarray(start));
  }

  /** The stream ended: a last line without a line break is a line too. */
  end(): void {
    if (this.heldBytes > 0 || this.cutBytes > 0) this.endLine();
  }

  private hold(part: Buffer): void {
    if (part.length === 0) return;
    const room = Math.max(0, this.keep - this.heldBytes);
    if (room > 0) {
      const kept = Buffer.from(part.subarray(0, room));
      this.held.push(kept);
      this.heldBytes += kept.length;
    }
    this.cutBytes += Math.max(0, part.length - room);
  }

  private endLine(): void {
    const head = Buffer.concat(this.held, this.heldBytes);
    const cut = this.cutBytes;
    this.held = [];
    this.heldBytes = 0;
    this.cutBytes = 0;
    this.emit(head, cut);
  }
}
