import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test, TestingModuleBuilder } from '@nestjs/testing';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { AppModule } from '../../src/app.module';
import { loadAppConfig } from '../../src/config/app-config';
import { Environment } from '../../src/config/config-from-env';
import { APP_OPTIONS, configureApp, createFastifyAdapter } from '../../src/http/configure-app';
import { createTestDatabase, TestDatabase } from './test-database';

export interface TestAppOptions {
  /** Variables as the process would read them; PROJECTS_ROOT defaults to a fresh temp dir. */
  env?: Environment;
  /** The one place a test may swap a collaborator (failure injection). */
  override?: (builder: TestingModuleBuilder) => TestingModuleBuilder;
  /** Boot against this database instead of a fresh clone (e.g. through a proxy). */
  databaseUrl?: string;
  database?: TestDatabase;
}

export interface TestApp {
  readonly app: NestFastifyApplication;
  readonly db: TestDatabase;
  readonly projectsRoot: string;
  http(): ReturnType<typeof request>;
  close(): Promise<void>;
}

/** The real AppModule on Fastify, against a real PostgreSQL database of the test file's own. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const db = options.database ?? (await createTestDatabase());
  const projectsRoot = options.env?.PROJECTS_ROOT ?? (await mkdtemp(join(tmpdir(), 'sheen-projects-')));
  const config = loadAppConfig({ PROJECTS_ROOT: projectsRoot, ...options.env });
  const builder = Test.createTestingModule({ imports: [AppModule.forRoot(config, options.databaseUrl ?? db.url)] });
  const moduleRef = await (options.override?.(builder) ?? builder).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(createFastifyAdapter(), {
    ...APP_OPTIONS,
    logger: false,
  });
  configureApp(app);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return {
    app,
    db,
    projectsRoot,
    http: () => request(app.getHttpServer()),
    close: async () => {
      await app.close();
      if (!options.database) await db.drop();
      await rm(projectsRoot, { recursive: true, force: true });
    },
  };
}
