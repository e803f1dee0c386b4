import { LogLineSplitter } from './log-line-splitter';

/** The lines a splitter emits, as text, with how many bytes each had cut. */
function splitting(keep: number) {
  const lines: { text: string; cut: number }[] = [];
  const splitter = new LogLineSplitter(keep, (head, cut) => lines.push({ text: head.toString('utf8'), cut }));
  return { splitter, lines };
}

describe('LogLineSplitter', () => {
  it('ends lines at LF, CR and CRLF, also when a chunk ends between CR and LF', () => {
    const { splitter, lines } = splitting(100);

    for (const chunk of ['one\ntw', 'o\r', '\nthree\r\rfour\n\n', 'last']) splitter.push(Buffer.from(chunk));
    splitter.end();

    expect(lines.map((line) => line.text)).toEqual(['one', 'two', 'three', '', 'four', '', 'last']);
    expect(lines.every((line) => line.cut === 0)).toBe(true);
  });

  it('holds at most `keep` bytes of a 5 MiB line without a line break, and counts the rest', () => {
    const { splitter, lines } = splitting(8192);
    const chunk = Buffer.alloc(64 * 1024, 'x');
    let mostHeld = 0;

    for (let sent = 0; sent < 5 * 1024 * 1024; sent += chunk.length) {
      splitter.push(chunk);
      mostHeld = Math.max(mostHeld, splitter.bufferedBytes);
    }
    splitter.end();

    expect(mostHeld).toBe(8192);
    expect(lines).toEqual([{ text: 'x'.repeat(8192), cut: 5 * 1024 * 1024 - 8192 }]);
    expect(splitter.bufferedBytes).toBe(0);
  });

  it('emits nothing at the end when the last line was ended', () => {
    const { splitter, lines } = splitting(10);

    splitter.push(Buffer.from('a\n'));
    splitter.end();

    expect(lines).toEqual([{ text: 'a', cut: 0 }]);
  });
});
