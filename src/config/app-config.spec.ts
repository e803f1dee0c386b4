// configFromEnv reads design-time types through reflect-metadata, which main.ts loads first.
import 'reflect-metadata';
import { isAbsolute, join, resolve } from 'node:path';
import { configError } from '../../test/support/config-errors';
import { AppConfig, loadAppConfig } from './app-config';
import { Environment, InvalidConfigError } from './config-from-env';

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
  'PREVIEW_FRAME_ANCESTORS',
  'BUILD_OUTPUT_MAX_BYTES',
  'BUILD_OUTPUT_MAX_FILES',
  'BUILD_SANDBOX',
  'BUILD_NETWORK',
  'BUILD_READ_ONLY_PATHS',
  'BUILD_MEMORY_MAX_BYTES',
  'AI_TIME_RESERVE_SECONDS',
];

/** The plain values of the config, as docs/contract.md documents them. */
function values(env: Environment): unknown {
  const config = loadAppConfig(env);
  return {
    http: { ...config.http },
    signature: { ...config.signature },
    database: { ...config.database },
    workspace: { ...config.workspace },
    previewFiles: { ...config.previewFiles },
    billing: { ...config.billing },
    buildQueue: { ...config.buildQueue },
    builders: { ...config.builders },
    idempotency: { ...config.idempotency },
    rateLimits: { ...config.rateLimits },
    shutdown: { ...config.shutdown },
    logging: { ...config.logging },
    janitor: { ...config.janitor },
  };
}

/** The variables an InvalidConfigError names, one per problem. */
const namedVariables = (error: InvalidConfigError): string[] =>
  error.problems.map((problem) => problem.slice(0, problem.indexOf('='))).sort();

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
    shutdownGraceMs: 20_000,
  },
  builders: {
    builder: 'template',
    timeoutMs: 600_000,
    output: { maxBytes: 104_857_600, maxFiles: 10_000 },
    sandbox: { kind: 'bubblewrap', network: false, readOnlyPaths: [], memoryMaxBytes: 4 * 1024 ** 3 },
  },
  idempotency: { dedupeWindowMs: 10_000 },
  rateLimits: { perMinute: 30 },
  shutdown: { drainMs: 0 },
  logging: { level: 'info' },
  janitor: { intervalMs: 60_000 },
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
      PREVIEW_FRAME_ANCESTORS: "'self' https://app.example.com",
      BUILD_OUTPUT_MAX_BYTES: '5000000',
      BUILD_OUTPUT_MAX_FILES: '500',
      BUILD_SANDBOX: 'bubblewrap',
      BUILD_NETWORK: 'on',
      BUILD_READ_ONLY_PATHS: '/opt/node,/srv/builder',
      AI_TIME_RESERVE_SECONDS: '1800',
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
      idempotency: { dedupeWindowMs: 0 },
      rateLimits: { perMinute: 5 },
      shutdown: { drainMs: 5000 },
      logging: { level: 'warn' },
      janitor: { intervalMs: 0 },
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

  it.each([
    ['PORT', 'http'],
    ['PORT', '-1'],
    ['PORT', '65536'],
    ['PORT', '80.5'],
    ['PORT', '3000abc'],
    ['BUILD_MAX_ATTEMPTS', '0'],
    ['BUILD_MAX_ATTEMPTS', '21'],
    ['BUILD_MAX_ATTEMPTS', 'three'],
    ['BUILD_MAX_ATTEMPTS', '2.5'],
    ['AI_TIME_WELCOME_SECONDS', '-1'],
    ['AI_TIME_WELCOME_SECONDS', 'an hour'],
    ['AI_TIME_WELCOME_SECONDS', '1.5'],
    ['BUILD_TIMEOUT_MS', '999'],
    ['BUILD_TIMEOUT_MS', '86400000'],
    ['HOST', 'local host'],
    ['HOST', '127.0.0.1/8'],
    ['BUILD_RETRY_DELAY_MS', '-5'],
    ['BUILD_HEARTBEAT_SECONDS', '9'],
    ['BUILD_CONCURRENCY', '0'],
    ['BUILD_SHUTDOWN_GRACE_MS', '-1'],
    ['SHUTDOWN_DRAIN_MS', '-1'],
    ['SHUTDOWN_DRAIN_MS', '300001'],
    ['LOG_LEVEL', 'verbose'],
    ['JANITOR_INTERVAL_MS', '-1'],
    ['BUILD_OUTPUT_MAX_BYTES', '0'],
    ['BUILD_OUTPUT_MAX_BYTES', '1e6'],
    ['BUILD_OUTPUT_MAX_FILES', '0'],
    ['BUILD_MEMORY_MAX_BYTES', '1048576'],
    ['PREVIEW_FRAME_ANCESTORS', "'self'; script-src *"],
    ['PREVIEW_FRAME_ANCESTORS', 'https://a.example, https://b.example'],
    ['DATABASE_URL', 'mysql://localhost/sheen'],
    ['DATABASE_URL', 'http://localhost:5432/sheen'],
    ['DATABASE_URL', 'localhost:5432/sheen'],
    ['DATABASE_URL', 'postgres://'],
    ['DATABASE_URL', 'postgres://host with space/db'],
  ])('refuses %s=%j with an InvalidConfigError that names it', (variable, value) => {
    const error = configError(loadAppConfig, { [variable]: value });

    expect(namedVariables(error)).toEqual([variable]);
    expect(error.message).toContain(`${variable}=${JSON.stringify(value)}`);
  });

  it.each(['0.0.0.0', '::1', 'localhost', 'api.internal.example'])('accepts HOST=%s', (host) => {
    expect(loadAppConfig({ HOST: host }).http.host).toBe(host);
  });

  it('never shows the password of a bad DATABASE_URL, since the message reaches logs', () => {
    const error = configError(loadAppConfig, { DATABASE_URL: 'mysql://sheen:hunter2@db.internal/sheen' });

    expect(error.message).not.toContain('hunter2');
    expect(error.message).toContain('mysql://sheen:***@db.internal/sheen');
  });

  it('refuses NODE_ENV=production without WORKER_SHARED_SECRET, naming the variable', () => {
    const error = configError(loadAppConfig, { NODE_ENV: 'production' });

    expect(namedVariables(error)).toEqual(['WORKER_SHARED_SECRET']);
    expect(error.message).toContain('WORKER_SHARED_SECRET="": must be set when NODE_ENV=production');
  });

  it('never shows a bad WORKER_SHARED_SECRET, since the message reaches logs', () => {
    const error = configError(loadAppConfig, { WORKER_SHARED_SECRET: 'good-secret-0123456789,,tiny' });

    expect(namedVariables(error)).toEqual(['WORKER_SHARED_SECRET']);
    expect(error.message).toContain('WORKER_SHARED_SECRET="***"');
    expect(error.message).not.toContain('good-secret');
    expect(error.message).not.toContain('tiny');
  });

  it('ignores blanks around a value, as .env files and shells leave them', () => {
    expect(loadAppConfig({ DATABASE_URL: ' postgres://localhost/sheen ', PORT: ' 8080 ' })).toMatchObject({
      database: { url: 'postgres://localhost/sheen' },
      http: { port: 8080 },
    });
  });

  const NUMBERS: [string, (config: AppConfig) => number][] = [
    ['PORT', (config) => config.http.port],
    ['AI_TIME_WELCOME_SECONDS', (config) => config.billing.welcomeSeconds],
    ['BUILD_RETRY_DELAY_MS', (config) => config.buildQueue.retryDelayMs],
  ];

  it.each(NUMBERS)('never reads a blank %s (spaces only) as 0', (variable, read) => {
    // Number(' ') is 0: a stray space must not silently mean "any free port" or "no welcome seconds".
    let config: AppConfig;
    try {
      config = loadAppConfig({ [variable]: '  ' });
    } catch (error) {
      expect(namedVariables(error as InvalidConfigError)).toEqual([variable]);
      return;
    }
    expect(read(config)).not.toBe(0);
  });

  it('reports every bad variable at once, from every concern', () => {
    const error = configError(loadAppConfig, {
      PORT: 'http',
      DATABASE_URL: 'mysql://localhost/sheen',
      AI_TIME_WELCOME_SECONDS: '-1',
      BUILD_MAX_ATTEMPTS: '0',
      BUILD_TIMEOUT_MS: 'forever',
      HOST: 'localhost',
    });

    expect(namedVariables(error)).toEqual(
      ['AI_TIME_WELCOME_SECONDS', 'BUILD_MAX_ATTEMPTS', 'BUILD_TIMEOUT_MS', 'DATABASE_URL', 'PORT'].sort(),
    );
    for (const variable of [
      'PORT',
      'DATABASE_URL',
      'AI_TIME_WELCOME_SECONDS',
      'BUILD_MAX_ATTEMPTS',
      'BUILD_TIMEOUT_MS',
    ])
      expect(error.message).toContain(variable);
    expect(error.message).not.toContain('HOST');
  });

  describe('PROJECTS_ROOT', () => {
    it('resolves a relative path against the working directory', () => {
      const root = loadAppConfig({ PROJECTS_ROOT: 'data/projects' }).workspace.projectsRoot;

      expect(isAbsolute(root)).toBe(true);
      expect(root).toBe(join(process.cwd(), 'data/projects'));
    });

    it('normalises dot segments and trailing slashes', () => {
      expect(loadAppConfig({ PROJECTS_ROOT: './a/../b/./c/' }).workspace.projectsRoot).toBe(join(process.cwd(), 'b/c'));
      expect(loadAppConfig({ PROJECTS_ROOT: '/srv//projects/' }).workspace.projectsRoot).toBe('/srv/projects');
    });

    it('keeps an absolute path', () => {
      expect(loadAppConfig({ PROJECTS_ROOT: '/var/lib/sheen/projects' }).workspace.projectsRoot).toBe(
        '/var/lib/sheen/projects',
      );
    });

    it('defaults to an absolute .data/projects', () => {
      const root = loadAppConfig({}).workspace.projectsRoot;

      expect(isAbsolute(root)).toBe(true);
      expect(root).toBe(join(process.cwd(), '.data', 'projects'));
    });
  });
});
