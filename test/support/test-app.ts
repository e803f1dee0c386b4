import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test, TestingModule, TestingModuleBuilder } from '@nestjs/testing';
import request from 'supertest';
import { AppModule } from '../../src/app.module';
import { ProcessRole, WorkerConfig } from '../../src/build-worker/worker.config';
import { loadAppConfig } from '../../src/app-config';
import { Environment } from '../../src/config/config-from-env';
import { APP_OPTIONS, configureApp, createFastifyAdapter } from '../../src/http/configure-app';
import { signOnSend, SigningOptions, TEST_SECRET } from './signing';
import type { TestDatabase } from './test-database';
import { openTestGround, TestGround } from './test-ground';

export interface TestAppOptions {
  /**
   * Variables as the process would read them; PROJECTS_ROOT defaults to a fresh temp dir (one given
   * is left in place on close) and WORKER_SHARED_SECRET to TEST_SECRET (set it, even to '', to
   * choose otherwise).
   */
  env?: Environment;
  /** The one place a test may swap a collaborator (failure injection). */
  override?: (builder: TestingModuleBuilder) => TestingModuleBuilder;
  /** Boot against this database instead of a fresh clone (e.g. through a proxy). */
  databaseUrl?: string;
  /** What this app plays: HTTP only by default, so suites about the API see their jobs stay queued. */
  roles?: ProcessRole[];
  database?: TestDatabase;
}

export interface TestApp {
  readonly app: NestFastifyApplication;
  readonly db: TestDatabase;
  readonly projectsRoot: string;
  /** The secret `http()` signs with: the first of WORKER_SHARED_SECRET, or TEST_SECRET when it is unset. */
  readonly secret: string;
  /** Requests signed just before they are sent, as the NextJS app signs them (v1, now, unless told). */
  http(signing?: SigningOptions): ReturnType<typeof request>;
  /** Requests sent as written, for tests of the signature check itself. */
  unsigned(): ReturnType<typeof request>;
  close(): Promise<void>;
}

/**
 * The real AppModule on Fastify, against a real PostgreSQL database of the test file's own. If it
 * fails to start, whatever it had opened is closed and the original error is rethrown.
 */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  let ground: TestGround | undefined;
  let moduleRef: TestingModule | undefined;
  let app: NestFastifyApplication | undefined;
  try {
    ground = await openTestGround('app', { db: options.database, projectsRoot: options.env?.PROJECTS_ROOT });
    const config = loadAppConfig({
      PROJECTS_ROOT: ground.projectsRoot,
      WORKER_SHARED_SECRET: TEST_SECRET,
      // Quiet unless a test reads the logs (it then sets LOG_LEVEL and a LOG_DESTINATION).
      LOG_LEVEL: 'silent',
      ...options.env,
    });
    const builder = Test.createTestingModule({
      imports: [
        AppModule.forRoot(config, options.databaseUrl ?? ground.db.url, new WorkerConfig(options.roles ?? ['api'])),
      ],
    });
    moduleRef = await (options.override?.(builder) ?? builder).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(createFastifyAdapter(config.signature), {
      ...APP_OPTIONS,
      logger: false,
    });
    configureApp(app);
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    return started(app, ground, config.signature.secrets[0] ?? TEST_SECRET);
  } catch (error) {
    // Best effort, each step on its own: a cleanup failure must not hide why the start failed.
    await settle(() => (app ?? moduleRef)?.close());
    await settle(() => ground?.remove());
    throw error;
  }
}

function started(app: NestFastifyApplication, ground: TestGround, secret: string): TestApp {
  return {
    app,
    db: ground.db,
    projectsRoot: ground.projectsRoot,
    secret,
    http: (signing) => signingAgent(request(app.getHttpServer()), secret, signing),
    unsigned: () => request(app.getHttpServer()),
    close: async () => {
      await app.close();
      await ground.remove();
    },
  };
}

/** The same agent, whose every request (`get`, `post`, ...) signs itself when sent. */
function signingAgent(
  agent: ReturnType<typeof request>,
  secret: string,
  signing?: SigningOptions,
): ReturnType<typeof request> {
  return new Proxy(agent, {
    get(target, property, receiver): unknown {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]): unknown => {
        const made: unknown = value.apply(target, args);
        return made instanceof request.Test ? signOnSend(made, secret, signing) : made;
      };
    },
  });
}

async function settle(step: () => Promise<unknown> | undefined): Promise<void> {
  try {
    await step();
  } catch {
    // Ignored: the caller rethrows the error that made the start fail.
  }
}
