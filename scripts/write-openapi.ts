import 'reflect-metadata';
import globalSetup from '../test/support/global-setup';
import globalTeardown from '../test/support/global-teardown';
import { OPENAPI_FILE, servedOpenApiDocument } from '../test/support/openapi-document';
import { startTestApp } from '../test/support/test-app';
import { writeJsonFile } from './json-file';
import { writePostmanCollection } from './write-postman';

/**
 * `npm run openapi:write`: boots the real app as the e2e suites do (a throwaway PostgreSQL, or
 * TEST_DATABASE_URL's server; nothing listens), writes what it serves at `GET /docs-json` to
 * docs/openapi.json, then the Postman collection made from it (docs/postman_collection.json).
 * test/e2e/openapi-snapshot.e2e-spec.ts fails while the committed document differs from the app's.
 */
async function main(): Promise<void> {
  await globalSetup();
  try {
    const t = await startTestApp();
    let document: Record<string, unknown>;
    try {
      document = await servedOpenApiDocument(t);
    } finally {
      await t.close();
    }
    await writeJsonFile(OPENAPI_FILE, document);
    console.log(`wrote ${OPENAPI_FILE}`);
    await writePostmanCollection(document);
  } finally {
    await globalTeardown();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `openapi:write failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
