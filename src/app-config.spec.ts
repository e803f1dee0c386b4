// configFromEnv reads design-time types through reflect-metadata, which main.ts loads first.
import 'reflect-metadata';
import { resolve } from 'node:path';
import { loadAppConfig } from './app-config';
import { Environment } from './config/config-from-env';

const ALL_VARIABLES = [
  'PORT',
  'HOST',
  'DATABASE_URL',
  'PROJECTS_ROOT',
  'AI_TIME_WELCOME_SECONDS',
  'BUILD_TIMEOUT_MS',
  'BUILD_MAX_ATTEMPTS',
  'BUILD_RETRY_DELAY_MS',
  'BUILD_HEARTBEAT_SECONDS',
  'BUILD_CONCURRENCY',
  'BUILDS_PER_USER',
  'BUILD_SHUTDOWN_GRACE_MS',
  'SHUTDOWN_DRAIN_MS',
  'WORKER_SHARED_SECRET',
  'NODE_ENV',
  'DEDUPE_WINDOW_MS',
  'RATE_LIMIT_PER_MINUTE',
  'BUILDER',
  'BUILD_COMMAND',
  'LOG_LEVEL',
  'JANITOR_INTERVAL_MS',
  'VERSIONS_KEPT',
  'FAILED_BUILDS_KEPT_DAYS',
  'PREVIEW_FRAME_ANCESTORS',
  'BUILD_OUTPUT_MAX_BYTES',
  'BUILD_OUTPUT_MAX_FILES',
  'BUILD_SANDBOX',
  'BUILD_NETWORK',
  'BUILD_READ_ONLY_PATHS',
  'BUILD_MEMORY_MAX_BYTES',
  'AI_TIME_RESERVE_SECONDS',
  'BUILD_LOG_MAX_BYTES',
  'WEBHOOK_EVENTS_KEPT_DAYS',
  'WEBHOOK_URL',
  'WEBHOOK_SECRET',
  'AI_TIME_LOW_SECONDS',
  'WEBHOOK_POLL_INTERVAL_MS',
  'WEBHOOK_TIMEOUT_MS',
  'WEBHOOK_LEASE_MS',
];

/** The plain values of the config, as docs/contract.md documents them. */
function values(env: Environment): unknown {
  return Object.fromEntries(Object.entries(loadAppConfig(env)).map(([concern, config]) => [concern, { ...config }]));
}

const DEFAULTS = {
  http: { port: 3000, host: '127.0.0.1' },
  signature: { secrets: [] },
  database: {},
  workspace: { projectsRoot: resolve('.data/projects') },
  previewFiles: { frameAncestors: '*' },
  billing: { welcomeSeconds: 3600, reserveSeconds: 1 },
  buildQueue: {
    timeoutMs: 600_000,
    maxAttempts: 3,
    retryDelayMs: 2000,
    heartbeatSeconds: 30,
    concurrency: 2,
    buildsPerUser: 1,
    shutdownGraceMs: 20_000,
  },
  builders: {
    builder: 'template',
    timeoutMs: 600_000,
    output: { maxBytes: 104_857_600, maxFiles: 10_000 },
    sandbox: { kind: 'bubblewrap', network: false, readOnlyPaths: [], memoryMaxBytes: 4 * 1024 ** 3 },
  },
  buildLogs: { maxBytes: 1024 * 1024 },
  idempotency: { dedupeWindowMs: 10_000 },
  rateLimits: { perMinute: 30 },
  shutdown: { drainMs: 0 },
  logging: { level: 'info' },
  janitor: { intervalMs: 60_000, versionsKept: 20, failedBuildsKeptDays: 30, webhookEventsKeptDays: 30 },
  webhooks: { urls: [], secrets: [], lowBalanceSeconds: 600, pollIntervalMs: 1000, timeoutMs: 15_000, leaseMs: 60_000 },
};

describe('loadAppConfig', () => {
  it('gives the documented defaults when nothing is set', () => {
    expect(values({})).toEqual(DEFAULTS);
    expect(loadAppConfig({}).database.url).toBeUndefined();
  });

  it('gives the documented defaults when every variable is set but empty', () => {
    expect(values(Object.fromEntries(ALL_VARIABLES.map((name) => [name, ''])))).toEqual(DEFAULTS);
  });

  it('reads every variable, converting the numbers', () => {
    const env: Environment = {
      PORT: '8080',
      HOST: '0.0.0.0',
      DATABASE_URL: 'postgres://sheen:secret@db.internal:5432/sheen',
      PROJECTS_ROOT: '/srv/projects',
      AI_TIME_WELCOME_SECONDS: '0',
      BUILD_TIMEOUT_MS: '30000',
      BUILD_MAX_ATTEMPTS: '5',
      BUILD_RETRY_DELAY_MS: '0',
      BUILD_HEARTBEAT_SECONDS: '12',
      BUILD_CONCURRENCY: '4',
      BUILDS_PER_USER: '3',
      BUILD_SHUTDOWN_GRACE_MS: '0',
      SHUTDOWN_DRAIN_MS: '5000',
      WORKER_SHARED_SECRET: 'old-secret-0123456789,new-secret-0123456789',
      NODE_ENV: 'production',
      DEDUPE_WINDOW_MS: '0',
      RATE_LIMIT_PER_MINUTE: '5',
      BUILDER: 'command',
      BUILD_COMMAND: 'make preview',
      LOG_LEVEL: 'warn',
      JANITOR_INTERVAL_MS: '0',
      VERSIONS_KEPT: '5',
      FAILED_BUILDS_KEPT_DAYS: '7',
      PREVIEW_FRAME_ANCESTORS: "'self' https://app.example.com",
      BUILD_OUTPUT_MAX_BYTES: '5000000',
      BUILD_OUTPUT_MAX_FILES: '500',
      BUILD_SANDBOX: 'bubblewrap',
      BUILD_NETWORK: 'on',
      BUILD_READ_ONLY_PATHS: '/opt/node,/srv/builder',
      AI_TIME_RESERVE_SECONDS: '1800',
      BUILD_LOG_MAX_BYTES: '262144',
      WEBHOOK_EVENTS_KEPT_DAYS: '3',
      WEBHOOK_URL:
        'https://app.example.com/api/webhooks, http://127.0.0.1:4000/hook,https://app.example.com/api/webhooks',
      WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw,whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD',
      AI_TIME_LOW_SECONDS: '120',
      WEBHOOK_POLL_INTERVAL_MS: '250',
      WEBHOOK_TIMEOUT_MS: '5000',
      WEBHOOK_LEASE_MS: '20000',
    };

    expect(values(env)).toEqual({
      http: { port: 8080, host: '0.0.0.0' },
      signature: { secrets: ['old-secret-0123456789', 'new-secret-0123456789'], nodeEnv: 'production' },
      database: { url: 'postgres://sheen:secret@db.internal:5432/sheen' },
      workspace: { projectsRoot: '/srv/projects' },
      previewFiles: { frameAncestors: "'self' https://app.example.com" },
      billing: { welcomeSeconds: 0, reserveSeconds: 1800 },
      buildQueue: {
        timeoutMs: 30_000,
        maxAttempts: 5,
        retryDelayMs: 0,
        heartbeatSeconds: 12,
        concurrency: 4,
        buildsPerUser: 3,
        shutdownGraceMs: 0,
      },
      builders: {
        builder: 'command',
        command: 'make preview',
        timeoutMs: 30_000,
        output: { maxBytes: 5_000_000, maxFiles: 500 },
        sandbox: {
          kind: 'bubblewrap',
          network: true,
          readOnlyPaths: ['/opt/node', '/srv/builder'],
          memoryMaxBytes: 4 * 1024 ** 3,
        },
      },
      buildLogs: { maxBytes: 262_144 },
      idempotency: { dedupeWindowMs: 0 },
      rateLimits: { perMinute: 5 },
      shutdown: { drainMs: 5000 },
      logging: { level: 'warn' },
      janitor: { intervalMs: 0, versionsKept: 5, failedBuildsKeptDays: 7, webhookEventsKeptDays: 3 },
      webhooks: {
        urls: ['https://app.example.com/api/webhooks', 'http://127.0.0.1:4000/hook'],
        secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD'],
        lowBalanceSeconds: 120,
        pollIntervalMs: 250,
        timeoutMs: 5000,
        leaseMs: 20_000,
      },
    });
  });

  it.each(['0', '1', '65535'])('accepts PORT=%s', (port) => {
    expect(loadAppConfig({ PORT: port }).http.port).toBe(Number(port));
  });

  it.each(['postgres://localhost/sheen', 'postgresql://u:p@127.0.0.1:5433/db?sslmode=require'])(
    'accepts DATABASE_URL=%s',
    (url) => {
      expect(loadAppConfig({ DATABASE_URL: url }).database.url).toBe(url);
    },
  );

  it.each(['0.0.0.0', '::1', 'localhost', 'api.internal.example'])('accepts HOST=%s', (host) => {
    expect(loadAppConfig({ HOST: host }).http.host).toBe(host);
  });

  it.each(['whsec_MfKQ9r8GKYqrTwjUPD8I', 'whsec_MfKQ9r8GKYqrTwjUPD8ILQ==', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZ='])(
    'accepts the canonical base64 WEBHOOK_SECRET %j',
    (secret) => {
      expect(
        loadAppConfig({ WEBHOOK_URL: 'https://app.example.com/hook', WEBHOOK_SECRET: secret }).webhooks.secrets,
      ).toEqual([secret]);
    },
  );
});
