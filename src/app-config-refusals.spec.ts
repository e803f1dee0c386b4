// configFromEnv reads design-time types through reflect-metadata, which main.ts loads first.
import 'reflect-metadata';
import { configError, namedVariables } from '../test/support/config-errors';
import { AppConfig, loadAppConfig } from './app-config';
import { InvalidConfigError } from './config/config-from-env';

// What the app's config refuses at start, and how it says so without showing a secret.
describe('loadAppConfig refuses', () => {
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
    ['BUILDS_PER_USER', '0'],
    ['BUILDS_PER_USER', '-1'],
    ['BUILDS_PER_USER', '1.5'],
    ['BUILDS_PER_USER', 'one'],
    ['BUILDS_PER_USER', '65'],
    ['BUILDS_PER_USER', '99999999999999999999'],
    ['BUILD_SHUTDOWN_GRACE_MS', '-1'],
    ['SHUTDOWN_DRAIN_MS', '-1'],
    ['SHUTDOWN_DRAIN_MS', '300001'],
    ['LOG_LEVEL', 'verbose'],
    ['JANITOR_INTERVAL_MS', '-1'],
    ['VERSIONS_KEPT', '0'],
    ['VERSIONS_KEPT', '2.5'],
    ['FAILED_BUILDS_KEPT_DAYS', '0'],
    ['FAILED_BUILDS_KEPT_DAYS', 'a month'],
    ['BUILD_OUTPUT_MAX_BYTES', '0'],
    ['BUILD_OUTPUT_MAX_BYTES', '1e6'],
    ['BUILD_LOG_MAX_BYTES', '65535'],
    ['BUILD_LOG_MAX_BYTES', '1MiB'],
    ['BUILD_LOG_MAX_BYTES', '16777217'],
    ['BUILD_OUTPUT_MAX_FILES', '0'],
    ['BUILD_MEMORY_MAX_BYTES', '1048576'],
    ['PREVIEW_FRAME_ANCESTORS', "'self'; script-src *"],
    ['PREVIEW_FRAME_ANCESTORS', 'https://a.example, https://b.example'],
    ['DATABASE_URL', 'mysql://localhost/sheen'],
    ['DATABASE_URL', 'http://localhost:5432/sheen'],
    ['DATABASE_URL', 'localhost:5432/sheen'],
    ['DATABASE_URL', 'postgres://'],
    ['DATABASE_URL', 'postgres://host with space/db'],
    ['AI_TIME_LOW_SECONDS', '0'],
    ['AI_TIME_LOW_SECONDS', 'ten minutes'],
    ['WEBHOOK_POLL_INTERVAL_MS', '0'],
    ['WEBHOOK_TIMEOUT_MS', '100'],
    ['WEBHOOK_LEASE_MS', '15000'],
    ['WEBHOOK_EVENTS_KEPT_DAYS', '0'],
  ])('refuses %s=%j with an InvalidConfigError that names it', (variable, value) => {
    const error = configError(loadAppConfig, { [variable]: value });

    expect(namedVariables(error)).toEqual([variable]);
    expect(error.message).toContain(`${variable}=${JSON.stringify(value)}`);
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

  it.each(['app.example.com/hook', 'ftp://app.example.com/hook', 'https://app.example.com/hook,', '/api/webhooks'])(
    'refuses WEBHOOK_URL=%j, naming it',
    (url) => {
      const error = configError(loadAppConfig, {
        WEBHOOK_URL: url,
        WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      });
      expect(namedVariables(error)).toEqual(['WEBHOOK_URL']);
    },
  );

  it.each(['http://user:hunter2@app.example.com/hook', 'https://hunter2@app.example.com/hook'])(
    'refuses WEBHOOK_URL=%j with credentials, which fetch refuses and would log, without showing them',
    (url) => {
      const error = configError(loadAppConfig, {
        WEBHOOK_URL: `https://app.example.com/hook,${url}`,
        WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      });
      expect(namedVariables(error)).toEqual(['WEBHOOK_URL']);
      expect(error.message).toContain('without credentials');
      expect(error.message).not.toContain('hunter2');
    },
  );

  it.each([
    ["unpadded (Node decodes it, a receiver's atob may not)", 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS'],
    ['one character past a multiple of 4', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwx'],
    ['padded where no padding belongs', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw=='],
    ['padding in the middle', 'whsec_MfKQ9r8G=YqrTwjUPD8ILPZIo2LaLaSw'],
    ['shorter than 16 characters', 'whsec_MfKQ9r8GKYqrTw=='],
    ['not base64', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2La-_Sw'],
  ])('refuses a WEBHOOK_SECRET %s, without showing it', (_, secret) => {
    const error = configError(loadAppConfig, {
      WEBHOOK_URL: 'https://app.example.com/hook',
      WEBHOOK_SECRET: `whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD,${secret}`,
    });
    expect(namedVariables(error)).toEqual(['WEBHOOK_SECRET']);
    expect(error.message).toContain(
      'WEBHOOK_SECRET="***": each comma-separated secret must be whsec_ followed by padded',
    );
    expect(error.message).not.toContain(secret.slice('whsec_'.length, 'whsec_'.length + 8));
  });

  it('refuses WEBHOOK_URL without WEBHOOK_SECRET, and a secret not in whsec_ form without showing it', () => {
    const missing = configError(loadAppConfig, { WEBHOOK_URL: 'https://app.example.com/hook' });
    expect(namedVariables(missing)).toEqual(['WEBHOOK_SECRET']);
    expect(missing.message).toContain('must be set when WEBHOOK_URL is');

    const malformed = configError(loadAppConfig, {
      WEBHOOK_URL: 'https://app.example.com/hook',
      WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw,plain-secret-0123456789',
    });
    expect(namedVariables(malformed)).toEqual(['WEBHOOK_SECRET']);
    expect(malformed.message).toContain('WEBHOOK_SECRET="***"');
    expect(malformed.message).not.toContain('plain-secret');
    expect(malformed.message).not.toContain('MfKQ9r8');
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
});
