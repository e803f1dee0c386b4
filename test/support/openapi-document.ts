import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import { join, resolve } from 'node:path';
import type { TestApp } from './test-app';

const ROOT = resolve(__dirname, '..', '..');

/** The committed OpenAPI document and the Postman collection made from it. */
export const OPENAPI_FILE = join(ROOT, 'docs', 'openapi.json');
export const POSTMAN_FILE = join(ROOT, 'docs', 'postman_collection.json');
/** Regenerates both files from the running app (scripts/write-openapi.ts). */
export const REGENERATE_COMMAND = 'npm run openapi:write';

/** The linter `npm run lint:openapi` runs, and its configuration (Redocly's recommended rules). */
const REDOCLY_CLI = join(ROOT, 'node_modules', '@redocly', 'cli', 'bin', 'cli.js');
const REDOCLY_CONFIG = join(ROOT, 'redocly.yaml');

/** One problem the linter found: its rule, `error` or `warn`, and where (a JSON pointer). */
export interface LintProblem {
  ruleId: string;
  severity: string;
  message: string;
  pointer: string;
}

interface RedoclyReport {
  problems: { ruleId: string; severity: string; message: string; location: { pointer: string }[] }[];
}

/** What `redocly lint` with the repository's redocly.yaml reports on `document`, as `npm run lint:openapi` does. */
export async function lintOpenApiDocument(document: object): Promise<LintProblem[]> {
  const directory = await mkdtemp(join(tmpdir(), 'openapi-lint-'));
  try {
    const file = join(directory, 'openapi.json');
    await writeFile(file, JSON.stringify(document));
    // It exits 1 when it finds errors; the JSON report on stdout says which either way.
    const stdout = await new Promise<string>((resolveOutput, reject) =>
      execFile(
        process.execPath,
        [REDOCLY_CLI, 'lint', file, '--config', REDOCLY_CONFIG, '--format', 'json'],
        (error, output, stderr) => (output ? resolveOutput(output) : reject(error ?? new Error(stderr))),
      ),
    );
    const report = JSON.parse(stdout) as RedoclyReport;
    return report.problems.map(({ ruleId, severity, message, location }) => ({
      ruleId,
      severity,
      message,
      pointer: location[0]?.pointer ?? '',
    }));
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/** The document the app serves at `GET /docs-json`, as a caller (or Swagger UI) gets it. */
export async function servedOpenApiDocument(t: TestApp): Promise<Record<string, unknown>> {
  const response = await t.app.inject({ method: 'GET', url: '/docs-json' });
  if (response.statusCode !== 200) throw new Error(`GET /docs-json answered ${response.statusCode}: ${response.body}`);
  return response.json<Record<string, unknown>>();
}

/**
 * Where two JSON values differ, as paths (`paths./v1/projects.get.responses.404`), at most `limit`
 * of them: what is missing from or added to `actual`, or changed in it.
 */
export function jsonDifferences(expected: unknown, actual: unknown, limit = 20): string[] {
  const found: string[] = [];
  const walk = (a: unknown, b: unknown, path: string): void => {
    if (found.length >= limit || isDeepStrictEqual(a, b)) return;
    const bothObjects = typeof a === 'object' && a !== null && typeof b === 'object' && b !== null;
    if (!bothObjects || Array.isArray(a) !== Array.isArray(b)) {
      found.push(`${path || '(the root)'}: ${describe(a)} → ${describe(b)}`);
      return;
    }
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) {
      walk((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], path ? `${path}.${key}` : key);
    }
  };
  walk(expected, actual, '');
  return found;
}

function describe(value: unknown): string {
  if (value === undefined) return '(absent)';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
