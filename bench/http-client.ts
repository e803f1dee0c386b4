import { Agent, request } from 'node:http';
import { CREATE_PATH, CreateBody, signedCreate } from './signed-create';

export interface Answer {
  status: number;
  body: string;
  milliseconds: number;
}

/** One signed create over `agent`'s keep-alive sockets; a connection error is status 0. */
export function postCreate(agent: Agent, baseUrl: string, signed: ReturnType<typeof signedCreate>): Promise<Answer> {
  const startedAt = performance.now();
  return new Promise((resolve) => {
    const call = request(
      new URL(CREATE_PATH, baseUrl),
      { method: 'POST', agent, headers: signed.headers },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body, milliseconds: performance.now() - startedAt }),
        );
      },
    );
    call.on('error', (error) =>
      resolve({ status: 0, body: error.message, milliseconds: performance.now() - startedAt }),
    );
    call.end(signed.body);
  });
}

export interface CreatedIds {
  jobId: string;
  buildId: string;
}

/** Creates one project and returns the answer's ids; throws unless the service answered 201. */
export async function createProject(agent: Agent, baseUrl: string, create: CreateBody): Promise<CreatedIds> {
  const answer = await postCreate(agent, baseUrl, signedCreate(create));
  if (answer.status !== 201) throw new Error(`create answered ${answer.status}: ${answer.body}`);
  return JSON.parse(answer.body) as CreatedIds;
}
