import { realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';

/** A failure's detail keeps at most the last this many bytes (UTF-8) of what the build printed. */
export const MAX_DETAIL_BYTES = 2048;

/** A server path and what a caller sees instead. */
export type Redaction = readonly [path: string, placeholder: string];

/**
 * The server paths a build's messages may contain: the project's directory, PROJECTS_ROOT, the
 * service's working directory and the home directory, each also as its real path (a symlinked
 * root shows up resolved in `pwd -P` or a tool's messages).
 */
export function serverPaths(projectDir: string, projectsRoot: string): Redaction[] {
  const home = process.env.HOME ?? homedir();
  return [
    [projectDir, '<project>'],
    [projectsRoot, '<projects-root>'],
    [process.cwd(), '<service>'],
    [home, '~'],
  ].flatMap(([path, placeholder]): Redaction[] => [
    [path, placeholder],
    [realPath(path), placeholder],
  ]);
}

/**
 * What a caller may see of a build's output: terminal control sequences dropped, every server path
 * replaced by its placeholder, then only the last MAX_DETAIL_BYTES kept. Redacting before cutting
 * means a cut cannot split a path into a part that escapes the replacement.
 */
export function safeDetail(text: string, redactions: readonly Redaction[], secrets: readonly string[] = []): string {
  return lastBytes(new TextRedactor(redactions, secrets).apply(printable(text)), MAX_DETAIL_BYTES).trim();
}

/** What replaces a secret of the service's (see ServiceSecrets). */
export const SECRET_PLACEHOLDER = '***';

/** Secrets shorter than this are not looked for: replacing them would only mangle the text. */
const MIN_SECRET_LENGTH = 4;

/**
 * Replaces every occurrence of each server path by its placeholder and of each secret by
 * SECRET_PLACEHOLDER, longest first, with one pattern made once. Even inside a longer name
 * (`/srv/data` in `/srv/data-old`): a mangled name is harmless, a revealed prefix is not.
 */
export class TextRedactor {
  /** The longest text replaced, in UTF-8 bytes: what a cut must look past to never split one. */
  readonly longestBytes: number;
  private readonly placeholders = new Map<string, string>();
  private readonly pattern: RegExp | undefined;

  constructor(redactions: readonly Redaction[], secrets: readonly string[] = []) {
    for (const [path, placeholder] of redactions) {
      if (!path || !isAbsolute(path)) continue;
      const normalised = resolve(path);
      // The root directory is a prefix of every path: replacing it would only mangle the text.
      if (normalised !== '/' && !this.placeholders.has(normalised)) this.placeholders.set(normalised, placeholder);
    }
    for (const secret of secrets) {
      if (secret.length >= MIN_SECRET_LENGTH) this.placeholders.set(secret, SECRET_PLACEHOLDER);
    }
    const texts = [...this.placeholders.keys()].sort((a, b) => b.length - a.length);
    this.longestBytes = texts.length > 0 ? Buffer.byteLength(texts[0]) : 0;
    this.pattern = texts.length > 0 ? new RegExp(texts.map(escapeRegExp).join('|'), 'g') : undefined;
  }

  apply(text: string): string {
    if (!this.pattern) return text;
    return text.replace(this.pattern, (found) => this.placeholders.get(found) ?? found);
  }
}

/**
 * One line of a build's log as it may be stored and shown: what `printable` keeps (NUL bytes and
 * the replacement characters of invalid UTF-8 dropped too), redacted, then its first `maxBytes`,
 * saying how many bytes were cut (`cutBytes` more were cut before it got here). Redacting before
 * cutting means a cut cannot leave part of a secret.
 */
export function safeLogLine(text: string, redactor: TextRedactor, maxBytes: number, cutBytes = 0): string {
  const line = redactor.apply(printable(text).replace(/[\n\uFFFD]/g, ''));
  const bytes = Buffer.from(line, 'utf8');
  if (bytes.length <= maxBytes && cutBytes === 0) return line;
  let end = Math.min(maxBytes, bytes.length);
  // A continuation byte (10xxxxxx) cannot start a character: cut before the character it belongs to.
  while (end > 0 && end < bytes.length && (bytes[end] & 0xc0) === 0x80) end--;
  return `${bytes.subarray(0, end).toString('utf8')} … [${bytes.length - end + cutBytes} more bytes cut]`;
}

/** Drops ANSI escape sequences and control characters; carriage returns (progress bars) become newlines. */
function printable(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex
      .replace(/\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-_]/g, '')
      .replace(/\r\n?/g, '\n')
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '')
  );
}

/** The text's last `max` bytes of UTF-8, starting on a whole character, marked with `…` when cut. */
function lastBytes(text: string, max: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= max) return text;
  // Room for the marker (3 bytes); a continuation byte (10xxxxxx) cannot start a character.
  let start = bytes.length - (max - 3);
  while (start < bytes.length && (bytes[start] & 0xc0) === 0x80) start++;
  return `…${bytes.subarray(start).toString('utf8')}`;
}

function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
