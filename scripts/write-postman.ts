import { readFile } from 'node:fs/promises';
import { OPENAPI_FILE, POSTMAN_FILE } from '../test/support/openapi-document';
import { writeJsonFile } from './json-file';
import { postmanCollection } from './postman-collection';

/** Writes docs/postman_collection.json from the OpenAPI document. */
export async function writePostmanCollection(document: Record<string, unknown>): Promise<void> {
  await writeJsonFile(POSTMAN_FILE, await postmanCollection(document));
  console.log(`wrote ${POSTMAN_FILE}`);
}

/** `npm run postman:write`: the collection from the committed docs/openapi.json. */
if (require.main === module) {
  readFile(OPENAPI_FILE, 'utf8')
    .then((text) => writePostmanCollection(JSON.parse(text) as Record<string, unknown>))
    .catch((error: unknown) => {
      process.stderr.write(`postman:write failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    });
}
