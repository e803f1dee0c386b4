import { mkdir } from 'node:fs/promises';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { Pool } from 'pg';
import { POOL } from '../src/database/data-source-options';
import { newUlid } from '../src/ids/ids';
import { CREATE_PATH } from './signed-create';

/**
 * The product plan's own design of a create, written as an engineer would from the plan: a bare
 * `node:http` server and a `pg` pool of the service's size; per create, JSON.parse, one call of
 * create_complete_project() (plan-design-function.ts), then the project's directory. No framework,
 * no signature check, no validation, no job. Run by the benchmark as a process of its own
 * (plan-design-process.ts), with DATABASE_URL, PORT and PROJECTS_ROOT.
 */
// Connections kept as long as the service keeps its own, so neither pays a reconnect per slice of a level.
const pool = new Pool({
  connectionString: process.env.DATABASE_URL,
  max: POOL.max,
  idleTimeoutMillis: POOL.idleTimeoutMillis,
});
// An idle connection's error would otherwise end the process.
pool.on('error', () => undefined);
const projectsRoot = process.env.PROJECTS_ROOT!;

interface CreateRequest {
  userId: string;
  prompt: string;
  name?: string;
  framework?: string;
}

interface CreatedRow {
  project_id: string;
  build_id: string;
  version_id: string;
  build_metrics_id: number;
  session_id: string;
}

createServer((request, response) => {
  if (request.method === 'POST' && request.url === CREATE_PATH) {
    create(request).then(
      (created) => answer(response, 201, created),
      (error: Error) => {
        process.stderr.write(`create failed: ${error.message}\n`);
        answer(response, error instanceof SyntaxError ? 400 : 500, { error: error.message });
      },
    );
  } else if (request.url === '/health/ready') {
    // Only so the benchmark can wait for it as it waits for the service.
    answer(response, 200, { status: 'ok' });
  } else {
    answer(response, 404, { error: 'not found' });
  }
}).listen(Number(process.env.PORT), '127.0.0.1');

async function create(request: IncomingMessage): Promise<Record<string, unknown>> {
  const {
    userId,
    prompt,
    name = 'Untitled Project',
    framework = 'react',
  } = JSON.parse(await readBody(request)) as CreateRequest;
  const {
    rows: [created],
  } = await pool.query<CreatedRow>('SELECT * FROM create_complete_project($1, $2, $3, $4, $5, $6, $7)', [
    userId,
    name,
    framework,
    prompt,
    newUlid(),
    newUlid(),
    newUlid(),
  ]);
  await mkdir(join(projectsRoot, userId, created.project_id), { recursive: true });
  return {
    success: true,
    projectId: created.project_id,
    versionId: created.version_id,
    buildId: created.build_id,
    buildMetricsId: created.build_metrics_id,
    aiTimeSessionId: created.session_id,
    status: 'queued',
  };
}

async function readBody(request: IncomingMessage): Promise<string> {
  let body = '';
  request.setEncoding('utf8');
  for await (const chunk of request) body += chunk as string;
  return body;
}

function answer(response: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
  response.end(json);
}
