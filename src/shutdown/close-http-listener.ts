import type { FastifyInstance } from 'fastify';

/**
 * How long requests in flight at close may take to finish: more than any request that is not a
 * stream can take (a pool wait of 5 s, then a lock wait of 3 s).
 */
export const REQUEST_GRACE_MS = 10_000;

/**
 * Stops accepting connections and resolves once the requests in flight are answered. Meanwhile
 * Fastify answers a request arriving on an open connection with 503 and `Connection: close`, and
 * idle keep-alive connections are closed. Connections still open after `graceMs` (event streams,
 * which end only when the app closes) are cut, so they cannot hold the shutdown.
 */
export async function closeHttpListener(
  fastify: FastifyInstance,
  graceMs: number,
  warn: (message: string) => void,
): Promise<void> {
  const closed = Promise.resolve(fastify.close());
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<'grace over'>((resolve) => (timer = setTimeout(() => resolve('grace over'), graceMs)));
  const first = await Promise.race([closed, graceOver]);
  clearTimeout(timer);
  if (first !== 'grace over') return;
  warn(`HTTP connections still open after ${graceMs} ms (event streams): closing them`);
  fastify.server.closeAllConnections();
  await closed;
}
