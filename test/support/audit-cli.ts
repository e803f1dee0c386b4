import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
/** The project's own Node 24 (a devDependency), whatever node runs npm. */
const NODE = join(ROOT, 'node_modules', '.bin', 'node');
/** `npm run audit:integrity` runs the build of this file; from source, the test needs no prior build. */
const ENTRY = ['-r', 'ts-node/register/transpile-only', 'src/integrity/audit-main.ts'];

export interface AuditRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the integrity audit CLI to its exit, with only the variables given (plus PATH and the like). */
export function runAuditCli(env: Record<string, string>, args: string[] = [], timeoutMs = 90_000): Promise<AuditRun> {
  const inherited = { ...process.env };
  for (const variable of ['DATABASE_URL', 'PROJECTS_ROOT', 'NODE_ENV', 'WORKER_SHARED_SECRET'])
    delete inherited[variable];
  const child = spawn(NODE, [...ENTRY, ...args], {
    cwd: ROOT,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run: AuditRun = { code: null, stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (run.stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (run.stderr += chunk));
  return new Promise((resolveRun, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`audit still running after ${timeoutMs} ms:\n${run.stdout}\n${run.stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolveRun({ ...run, code });
    });
  });
}
