import type { BuildLogSink } from '../../src/build-worker/builders/builder';

/** A builder's log kept in memory, as it was handed over: what builder tests read back. */
export class RecordedBuildLog implements BuildLogSink {
  readonly chunks: { stream: 'stdout' | 'stderr'; text: string }[] = [];
  readonly notes: string[] = [];
  readonly closedStreams: ('stdout' | 'stderr')[] = [];

  output(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    this.chunks.push({ stream, text: chunk.toString('utf8') });
  }

  ended(stream: 'stdout' | 'stderr'): void {
    this.closedStreams.push(stream);
  }

  note(text: string): void {
    this.notes.push(text);
  }

  /** Everything one stream printed, joined. */
  printed(stream: 'stdout' | 'stderr'): string {
    return this.chunks
      .filter((chunk) => chunk.stream === stream)
      .map((chunk) => chunk.text)
      .join('');
  }
}
