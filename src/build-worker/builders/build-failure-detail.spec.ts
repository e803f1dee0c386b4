import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MAX_DETAIL_BYTES,
  Redaction,
  safeDetail,
  safeLogLine,
  serverPaths,
  TextRedactor,
} from './build-failure-detail';

const redact = (text: string, redactions: readonly Redaction[]) => new TextRedactor(redactions).apply(text);

describe('TextRedactor', () => {
  it('replaces whole paths, the longest first', () => {
    const redactions = [
      ['/srv/data', '<projects-root>'],
      ['/srv/data/u/p', '<project>'],
    ] as const;

    expect(redact('open /srv/data/u/p/source/x.js, root /srv/data.', redactions)).toBe(
      'open <project>/source/x.js, root <projects-root>.',
    );
  });

  it('replaces a path inside a longer name too, revealing no prefix', () => {
    const redactions = [['/srv/data', '<projects-root>']] as const;

    expect(redact('/srv/data-old /other/srv/data', redactions)).toBe('<projects-root>-old /other<projects-root>');
  });

  it('normalises trailing slashes, and ignores the root directory and relative paths', () => {
    const redactions = [
      ['/srv/data/', '<projects-root>'],
      ['/', '<root>'],
      ['relative', '<relative>'],
      ['', '<empty>'],
    ] as const;

    expect(redact("'/srv/data' / relative", redactions)).toBe("'<projects-root>' / relative");
  });

  it('escapes paths that contain regular-expression characters', () => {
    expect(redact('at /srv/a+b (1)/x and /srv/aab (1)', [['/srv/a+b (1)', '<p>']])).toBe('at <p>/x and /srv/aab (1)');
  });

  it('replaces secrets too, the longest first, and leaves ones too short to look for', () => {
    const redactor = new TextRedactor([['/srv/data', '<projects-root>']], ['s3cr', 's3cret+long', 'abc']);

    expect(redactor.apply('s3cret+long s3cr abc /srv/data')).toBe('*** *** abc <projects-root>');
    expect(redactor.longestBytes).toBe('s3cret+long'.length);
  });
});

describe('safeLogLine', () => {
  const none = new TextRedactor([]);

  it('keeps a short line as it is, without control characters', () => {
    expect(safeLogLine('\u001b[1mbold\u001b[0m\ttab\u0000', none, 100)).toBe('bold\ttab');
  });

  it('cuts on a whole character and says how many bytes were cut, counting those cut before', () => {
    expect(safeLogLine('€€€', none, 4, 10)).toBe('€ … [16 more bytes cut]');
  });
});

describe('serverPaths', () => {
  let sandbox: string;

  beforeEach(async () => {
    sandbox = await mkdtemp(join(tmpdir(), 'sheen-detail-spec-'));
  });
  afterEach(() => rm(sandbox, { recursive: true, force: true }));

  it('also replaces the real paths behind a symlinked root, and the working and home directories', async () => {
    const real = join(sandbox, 'real');
    await mkdir(join(real, 'u', 'p'), { recursive: true });
    const link = join(sandbox, 'link');
    await symlink(real, link);
    const paths = serverPaths(join(link, 'u', 'p'), link);

    const text = `${real}/u/p/source ${link}/u/p/builds ${real}/u/q ${process.cwd()}/x ${process.env.HOME}/.npm`;
    expect(redact(text, paths)).toBe('<project>/source <project>/builds <projects-root>/u/q <service>/x ~/.npm');
  });
});

describe('safeDetail', () => {
  it('drops colours and control characters and turns carriage returns into newlines', () => {
    expect(safeDetail('\u001b[31merror\u001b[0m\u0007 here\r\n50%\r100%\n', [])).toBe('error here\n50%\n100%');
  });

  it('keeps the last 2 KiB, starting on a whole character and marked as cut', () => {
    const detail = safeDetail(`${'€'.repeat(2000)}the end`, []);

    expect(Buffer.byteLength(detail)).toBeLessThanOrEqual(MAX_DETAIL_BYTES);
    expect(Buffer.byteLength(detail)).toBeGreaterThan(MAX_DETAIL_BYTES - 3);
    expect(detail).toMatch(/^…€+the end$/);
  });

  it('redacts before cutting, so a cut cannot leave part of a path behind', () => {
    const root = `/srv/${'long-directory-name/'.repeat(20)}projects`;
    const text = `${'x'.repeat(5000)} ${root}/u/p/source: failed`;
    const detail = safeDetail(text, [[root, '<projects-root>']]);

    expect(detail.endsWith(' <projects-root>/u/p/source: failed')).toBe(true);
    expect(detail).not.toContain('long-directory-name');
  });
});
