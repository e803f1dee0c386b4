// configFromEnv reads design-time types through reflect-metadata, which main.ts loads first.
import 'reflect-metadata';
import { configError } from '../../test/support/config-errors';
import { Environment } from '../config/config-from-env';
import { SignatureConfig } from './signature.config';

const load = (env: Environment): SignatureConfig => SignatureConfig.fromEnv(env);

const SECRET = 'a-secret-of-32-characters-length';
const NEXT_SECRET = 'the-next-secret-during-rotation!';

describe('SignatureConfig', () => {
  it('has no secret when WORKER_SHARED_SECRET is unset or blank: requests are not authenticated', () => {
    expect(SignatureConfig.fromEnv({}).secrets).toEqual([]);
    expect(SignatureConfig.fromEnv({ WORKER_SHARED_SECRET: '' }).secrets).toEqual([]);
    expect(SignatureConfig.fromEnv({ WORKER_SHARED_SECRET: '   ' }).secrets).toEqual([]);
  });

  it('reads one secret', () => {
    expect(SignatureConfig.fromEnv({ WORKER_SHARED_SECRET: SECRET }).secrets).toEqual([SECRET]);
  });

  it('reads comma-separated secrets for rotation, trimming each', () => {
    expect(SignatureConfig.fromEnv({ WORKER_SHARED_SECRET: ` ${SECRET} ,${NEXT_SECRET} ` }).secrets).toEqual([
      SECRET,
      NEXT_SECRET,
    ]);
  });

  it.each([
    ['an empty secret between commas', `${SECRET},,${NEXT_SECRET}`],
    ['a trailing comma', `${SECRET},`],
  ])('refuses %s, naming WORKER_SHARED_SECRET but never showing a secret', (_what, value) => {
    const error = configError(load, { WORKER_SHARED_SECRET: value });

    expect(error.problems).toEqual(['WORKER_SHARED_SECRET="***": no comma-separated secret may be empty']);
    expect(error.message).not.toContain(SECRET);
  });

  it('accepts a short secret (docs/contract.md sets no minimum; a warning is logged at start instead)', () => {
    expect(load({ WORKER_SHARED_SECRET: 'secret' }).secrets).toEqual(['secret']);
  });

  it.each([{}, { WORKER_SHARED_SECRET: '' }, { WORKER_SHARED_SECRET: ' ' }])(
    'refuses to run in production without a secret (%j)',
    (env) => {
      const error = configError(load, { NODE_ENV: 'production', ...env });

      expect(error.problems).toEqual(['WORKER_SHARED_SECRET="": must be set when NODE_ENV=production']);
    },
  );

  it('runs in production with a secret', () => {
    expect(SignatureConfig.fromEnv({ NODE_ENV: 'production', WORKER_SHARED_SECRET: SECRET })).toMatchObject({
      secrets: [SECRET],
      nodeEnv: 'production',
    });
  });

  it.each(['development', 'test', 'staging'])('runs without a secret when NODE_ENV=%s', (nodeEnv) => {
    expect(SignatureConfig.fromEnv({ NODE_ENV: nodeEnv }).secrets).toEqual([]);
  });
});
