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
export function safeDetail(text: string, redactions: readonly Redaction[]): string {
  return lastBytes(redact(printable(text), redactions), MAX_DETAIL_BYTES).trim();
}

/**
 * Replaces every occurrence of each path, longest first. Even inside a longer name (`/srv/data` in
 * `/srv/data-old`): a mangled name is harmless, a revealed prefix is not.
 */
export function redact(text: string, redactions: readonly Redaction[]): string {
  const placeholders = new Map<string, string>();
  for (const [path, placeholder] of redactions) {
    if (!path || !isAbsolute(path)) continue;
    const normalised = resolve(path);
    // The root directory is a prefix of every path: replacing it would only mangle the text.
    if (normalised !== '/' && !placeholders.has(normalised)) placeholders.set(normalised, placeholder);
  }
  if (placeholders.size === 0) return text;
  const alternatives = [...placeholders.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp);
  const pattern = new RegExp(alternatives.join('|'), 'g');
  return text.replace(pattern, (path) => placeholders.get(path) ?? path);
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
