import { freePort } from '../src/net/free-port';
import { ChildServer, THIS_CHECKOUT } from './child-server';
import { BENCH_SECRET } from './signed-create';

export interface ServiceOptions {
  databaseUrl: string;
  projectsRoot: string;
  /** As `npm run start:api` passes it; without it both roles run in one process, as `npm start`. */
  role?: 'api';
  /** More environment (the builder, say). */
  env?: Record<string, string>;
  /** The checkout whose build (`dist/`) runs, this one unless given (BENCH_AB_CHECKOUT). */
  checkout?: string;
  /** Node flags after the environment's (`--inspect=…` for bench/allocation-profile.ts). */
  nodeFlags?: string[];
}

/** AI time enough that no benchmark user ever runs out (402 is not what is measured). */
export const WELCOME_SECONDS = 1_000_000;
/** The default dedupe window, set explicitly: the baseline's look-up uses the same. */
export const DEDUPE_WINDOW_MS = 10_000;

/**
 * The real service from the build, started as `npm start` starts it (`node --import
 * ./dist/src/telemetry.js dist/src/main.js`), on a port of its own, with signing on, logs at `warn`
 * (one JSON line per request at `info` is not what is measured) and the per-user rate limit off
 * (every benchmark user would pass it anyway; its store is a second round trip outside the
 * transaction). BENCH_SERVICE_NODE_OPTIONS adds Node flags, e.g. `--cpu-prof --cpu-prof-dir=prof`;
 * BENCH_AB_NODE_OPTIONS adds them to BENCH_AB_CHECKOUT's service instead, so one build with and
 * without a flag can run side by side.
 */
export async function startService(options: ServiceOptions): Promise<ChildServer> {
  const port = await freePort();
  const inherited = { ...process.env };
  for (const variable of ['DATABASE_URL', 'PORT', 'HOST', 'NODE_ENV', 'WORKER_SHARED_SECRET', 'LOG_LEVEL']) {
    delete inherited[variable];
  }
  const flags = options.checkout ? process.env.BENCH_AB_NODE_OPTIONS : process.env.BENCH_SERVICE_NODE_OPTIONS;
  const nodeFlags = [...(flags ?? '').split(' ').filter(Boolean), ...(options.nodeFlags ?? [])];
  const entry = ['--import', './dist/src/telemetry.js', 'dist/src/main.js', ...(options.role ? [options.role] : [])];
  return ChildServer.start({
    name: options.checkout ? `the service of ${options.checkout}` : 'the service',
    args: [...nodeFlags, ...entry],
    cwd: options.checkout ?? THIS_CHECKOUT,
    env: {
      ...inherited,
      DATABASE_URL: options.databaseUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      WORKER_SHARED_SECRET: BENCH_SECRET,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_MINUTE: '0',
      AI_TIME_WELCOME_SECONDS: String(WELCOME_SECONDS),
      DEDUPE_WINDOW_MS: String(DEDUPE_WINDOW_MS),
      PROJECTS_ROOT: options.projectsRoot,
      ...options.env,
    },
    port,
    readyPath: '/health/ready',
  });
}
