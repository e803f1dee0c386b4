import type { BuildLogBatch } from '../build-logs/build-logs.service';
import { AttemptLog, MAX_LOG_LINE_BYTES } from './attempt-log';
import { TextRedactor } from './builders/build-failure-detail';

const SECRET = 'worker-shared-secret-0123456789';
const ROOT = '/srv/sheen/projects';

/** An attempt log whose batches are kept in memory; `store` may be replaced to fail or wait. */
function attemptLog(maxBytes = 1024 * 1024, store?: (batch: BuildLogBatch) => Promise<void>) {
  const batches: BuildLogBatch[] = [];
  const log = new AttemptLog({
    buildId: '01JDRZ8Q4XK8V1N9E6W3T2Y5B6',
    attempt: 2,
    maxBytes,
    redactor: new TextRedactor([[ROOT, '<projects-root>']], [SECRET]),
    store: store ?? ((batch) => Promise.resolve(void batches.push(batch))),
  });
  const lines = () => batches.flatMap((batch) => batch.lines.map(({ stream, line }) => `${stream}: ${line}`));
  return { log, batches, lines };
}

describe('AttemptLog', () => {
  it('stores every line by close, with its stream, attempt and time, in the order read', async () => {
    const { log, batches, lines } = attemptLog();
    const before = Date.now();

    log.note('attempt 2 started');
    log.output('stdout', Buffer.from('compiling\nhalf a '));
    log.output('stderr', Buffer.from('warning\n'));
    log.output('stdout', Buffer.from('line'));
    await log.close();

    expect(lines()).toEqual([
      'system: attempt 2 started',
      'stdout: compiling',
      'stderr: warning',
      'stdout: half a line',
    ]);
    expect(batches.every((batch) => batch.attempt === 2 && batch.droppedBefore === 0)).toBe(true);
    expect(batches[0].lines[0].at.getTime()).toBeGreaterThanOrEqual(before);
  });

  it("ends a stream's last line without a line break when the stream closes, before what comes after", async () => {
    const { log, lines } = attemptLog();

    log.output('stdout', Buffer.from('no line break'));
    log.ended('stdout');
    log.note('the build command exited with code 0');
    await log.close();

    expect(lines()).toEqual(['stdout: no line break', 'system: the build command exited with code 0']);
  });

  it('replaces secrets and server paths, and drops NUL bytes, control characters and invalid UTF-8', async () => {
    const { log, lines } = attemptLog();

    log.output('stdout', Buffer.from(`token=${SECRET} in ${ROOT}/u/p\n`));
    log.output(
      'stderr',
      Buffer.concat([Buffer.from('a\u0000b\u001b[31mred\u001b[0m '), Buffer.from([0xff, 0xfe]), Buffer.from('€\n')]),
    );
    await log.close();

    expect(lines()).toEqual(['stdout: token=*** in <projects-root>/u/p', 'stderr: abred €']);
  });

  it('cuts a 5 MiB line to its first 8 KiB, saying how much was cut, never holding it whole', async () => {
    const { log, lines } = attemptLog();
    const chunk = Buffer.alloc(64 * 1024, 'y');
    let mostHeld = 0;

    for (let sent = 0; sent < 5 * 1024 * 1024; sent += chunk.length) {
      log.output('stdout', chunk);
      mostHeld = Math.max(mostHeld, log.bufferedBytes);
    }
    await log.close();

    const [line] = lines();
    expect(line).toBe(
      `stdout: ${'y'.repeat(MAX_LOG_LINE_BYTES)} … [${5 * 1024 * 1024 - MAX_LOG_LINE_BYTES} more bytes cut]`,
    );
    expect(mostHeld).toBeLessThanOrEqual(MAX_LOG_LINE_BYTES + SECRET.length);
  });

  it('never cuts a line inside a secret', async () => {
    const { log, lines } = attemptLog();

    log.output('stdout', Buffer.from(`${'z'.repeat(MAX_LOG_LINE_BYTES - 5)}${SECRET} and more\n`));
    await log.close();

    expect(lines()[0]).toMatch(/^stdout: z{8187}\*\*\* a … \[\d+ more bytes cut\]$/);
    expect(lines()[0]).not.toContain(SECRET.slice(0, 5));
  });

  it('keeps what waits within the bound by dropping the oldest lines, and counts them for the marker', async () => {
    let release!: () => void;
    const stored: BuildLogBatch[] = [];
    // The first flush waits, so the lines printed meanwhile pile up.
    const { log } = attemptLog(64 * 1024, async (batch) => {
      stored.push(batch);
      if (stored.length === 1) await new Promise<void>((resolve) => (release = resolve));
    });
    log.output('stdout', Buffer.from('first\n'));
    log.output('stdout', Buffer.alloc(70 * 1024, 'w'));
    log.output('stdout', Buffer.from('\n'));
    await new Promise((resolve) => setTimeout(resolve, 300));

    for (let line = 0; line < 100_000; line++) log.output('stdout', Buffer.from(`line ${line}\n`));
    expect(log.bufferedBytes).toBeLessThanOrEqual(64 * 1024);
    release();
    await log.close();

    const last = stored.at(-1)!;
    const total = stored.slice(1).reduce((sum, batch) => sum + batch.droppedBefore + batch.lines.length, 0);
    expect(total).toBe(100_000);
    expect(last.lines.at(-1)!.line).toBe('line 99999');
    expect(stored.slice(1).some((batch) => batch.droppedBefore > 0)).toBe(true);
  });

  it('never throws when a batch cannot be stored', async () => {
    const { log } = attemptLog(1024 * 1024, () => Promise.reject(new Error('the build was deleted')));

    log.output('stdout', Buffer.from('lost\n'));

    await expect(log.close()).resolves.toBeUndefined();
  });
});
