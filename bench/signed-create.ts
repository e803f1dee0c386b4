import { randomUUID } from 'node:crypto';
import { signatureHeaders } from '../src/http/request-signature';

export const CREATE_PATH = '/v1/create-preview-for-new-project';
/** The service under test verifies with this; it never leaves the machine. */
export const BENCH_SECRET = 'sheen-benchmark-secret-7c1e0a9d4b';

export interface CreateBody {
  userId: string;
  prompt: string;
}

/** A create for a user never seen before, as the NextJS app would send it for a new visitor. */
export function newUserCreate(): CreateBody {
  return { userId: randomUUID(), prompt: 'A landing page for a bakery, with an order form' };
}

/** The exact bytes to send and the headers that sign them, signed now. */
export function signedCreate(create: CreateBody): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify(create);
  const signature = signatureHeaders(
    BENCH_SECRET,
    { method: 'POST', pathWithQuery: CREATE_PATH, body },
    Date.now() / 1000,
  );
  return { body, headers: { 'content-type': 'application/json', ...signature } };
}
