import { convertV2 } from 'openapi-to-postmanv2';

/**
 * docs/postman_collection.json from the OpenAPI document: Postman's own converter
 * (openapi-to-postmanv2), then what makes the collection run as it is, e.g. with
 * `newman run docs/postman_collection.json --env-var baseUrl=… --env-var secret=… --env-var userId=…`:
 *
 * - a collection pre-request script that signs every /v1 request (v2, which covers the Idempotency-Key; ADR 030)
 *   with `{{secret}}`, over the resolved path, query and body; the converter's API key (Swagger UI's
 *   pseudo-header) is dropped;
 * - the variables `baseUrl`, `secret`, `userId`, and `projectId`, `buildId`, `versionId`, which the
 *   create (and update) requests set from their answers for the requests after them;
 * - the requests in the order of a caller's flow (create → follow → read → set the current version →
 *   update → cancel → balance and grant → webhook deliveries → delete), so a run of the whole
 *   collection succeeds; every operation of the document must be placed in FLOW;
 * - a fresh `Idempotency-Key` (`{{$guid}}`) on every create and update, as the typed client sends;
 * - a test on every request that fails on 401 and on any 5xx;
 * - no generated ids, so the file changes only when the document does.
 */

/** Every operation of the document, in the order a run sends them. */
const FLOW = [
  'POST /v1/create-preview-for-new-project',
  'GET /v1/builds/{buildId}/events',
  'GET /v1/builds/{buildId}',
  'GET /v1/builds/{buildId}/logs',
  'GET /v1/projects/{projectId}',
  'GET /v1/projects/{projectId}/versions',
  'GET /preview/{projectId}/{versionId}/{path}',
  'GET /preview/{projectId}/{path}',
  'GET /v1/projects',
  'POST /v1/projects/{projectId}/current-version',
  'POST /v1/update-project',
  'POST /v1/builds/{buildId}/cancel',
  'GET /v1/billing/{userId}/balance',
  'POST /v1/billing/{userId}/grants',
  'GET /v1/webhooks/deliveries',
  'POST /v1/webhooks/deliveries/{deliveryId}/redeliver',
  'DELETE /v1/projects/{projectId}',
  'GET /health/live',
  'GET /health/ready',
  'GET /metrics',
] as const;

/** Values the requests take from variables rather than from the document's examples. */
const ID_VARIABLES = ['userId', 'projectId', 'buildId', 'versionId'] as const;

/** Postman matches a re-imported collection to the one imported before by this id. */
const COLLECTION_ID = '5e3c1f0a-8b2d-4c6e-9f1a-2b3c4d5e6f70';

const SIGN_REQUEST = `// Signs every /v1 request as the worker service requires (X-Sheen-Timestamp, X-Sheen-Signature), v2:
// HMAC-SHA256, keyed with {{secret}}, of \`\${idempotencyKey}\\n\${timestamp}.\${METHOD}.\${pathWithQuery}.\${rawBody}\`,
// over the request as it will be sent (variables resolved; the key empty when none is sent), so the
// Idempotency-Key cannot be changed on the way. baseUrl must be an origin (no path).
const cryptoJs = require('crypto-js');
const secret = pm.variables.get('secret');
const pathWithQuery = pm.variables.replaceIn(pm.request.url.getPathWithQuery());
if (pathWithQuery.startsWith('/v1/') || pathWithQuery.startsWith('/v1?')) {
  if (!secret) throw new Error('Set the variable "secret" to a WORKER_SHARED_SECRET of the service.');
  const body = pm.request.body && pm.request.body.mode === 'raw' ? pm.variables.replaceIn(pm.request.body.raw) : '';
  // Resolved once and sent as resolved: {{$guid}} gives a new value each time it is read.
  // Only a header that is sent counts: an unticked one is signed as no key.
  const keyHeader = pm.request.headers.find((h) => !h.disabled && h.key.toLowerCase() === 'idempotency-key');
  const idempotencyKey = keyHeader ? pm.variables.replaceIn(keyHeader.value) : '';
  if (keyHeader) keyHeader.value = idempotencyKey;
  const timestamp = String(Math.floor(Date.now() / 1000));
  const message = idempotencyKey + '\\n' + timestamp + '.' + pm.request.method.toUpperCase() + '.' + pathWithQuery + '.' + body;
  pm.request.headers.upsert({ key: 'X-Sheen-Timestamp', value: timestamp });
  pm.request.headers.upsert({ key: 'X-Sheen-Signature', value: 'v2=' + cryptoJs.HmacSHA256(message, secret).toString(cryptoJs.enc.Hex) });
}`;

const NO_401_OR_5XX = `pm.test('signature accepted (not 401)', () => pm.expect(pm.response.code).to.not.equal(401));
pm.test('no server error (not 5xx)', () => pm.expect(pm.response.code).to.be.below(500));`;

/** For the requests that queue a build: keep its ids for the requests after it. */
const KEEP_BUILD_IDS = `if (pm.response.code === 200 || pm.response.code === 201 || pm.response.code === 202) {
  const answer = pm.response.json();
  pm.collectionVariables.set('projectId', answer.projectId);
  pm.collectionVariables.set('buildId', answer.buildId);
  pm.collectionVariables.set('versionId', answer.versionId);
}`;

const DESCRIPTION =
  'The worker service (docs/API_REFERENCE_FOR_NEXTJS.md). Set `baseUrl` (the service origin), `secret` (a ' +
  'WORKER_SHARED_SECRET) and `userId` (any UUID) as collection or environment variables: the collection ' +
  'pre-request script signs every /v1 request with `secret`. Run in order: the create keeps `projectId`, ' +
  '`buildId` and `versionId` for the requests after it; following the events waits for the build to end. ' +
  'Generated from docs/openapi.json by `npm run postman:write`; do not edit by hand.';

interface Item {
  name: string;
  item?: Item[];
  request?: Request;
  response?: Record<string, unknown>[];
  event?: Event[];
  [other: string]: unknown;
}
interface Request {
  method: string;
  url: {
    path: string[];
    query?: KeyValue[];
    variable?: KeyValue[];
    [other: string]: unknown;
  };
  header?: KeyValue[];
  body?: { mode?: string; raw?: string; [other: string]: unknown };
  auth?: unknown;
  [other: string]: unknown;
}
interface KeyValue {
  key: string;
  value?: string;
  disabled?: boolean;
  [other: string]: unknown;
}
interface Event {
  listen: 'prerequest' | 'test';
  script: { type: 'text/javascript'; exec: string[] };
}

export async function postmanCollection(document: object): Promise<Record<string, unknown>> {
  const converted = await convert(document);
  const requests = new Map<string, Item>();
  for (const item of flatten(converted.item as Item[])) {
    const operation = `${item.request!.method} /${item.request!.url.path.map(toOpenApiSegment).join('/')}`;
    requests.set(operation, item);
  }
  const unplaced = [...requests.keys()].filter((operation) => !(FLOW as readonly string[]).includes(operation));
  const missing = FLOW.filter((operation) => !requests.has(operation));
  if (unplaced.length > 0 || missing.length > 0) {
    throw new Error(
      `scripts/postman-collection.ts FLOW is out of date: place ${JSON.stringify(unplaced)}, remove ${JSON.stringify(missing)}`,
    );
  }
  const info = converted.info as Record<string, unknown>;
  return {
    info: { _postman_id: COLLECTION_ID, name: info.name, description: DESCRIPTION, schema: info.schema },
    item: FLOW.map((operation) => prepare(operation, requests.get(operation)!)),
    auth: { type: 'noauth' },
    event: [script('prerequest', SIGN_REQUEST), script('test', NO_401_OR_5XX)],
    variable: [
      { key: 'baseUrl', value: 'http://127.0.0.1:3000', type: 'string' },
      { key: 'secret', value: '', type: 'string' },
      { key: 'userId', value: '7d8f4f0e-2a51-4c8e-9b8e-1f2d3c4b5a69', type: 'string' },
      ...['projectId', 'buildId', 'versionId'].map((key) => ({ key, value: '', type: 'string' })),
    ],
  };
}

function convert(document: object): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    convertV2(
      { type: 'json', data: document },
      {
        folderStrategy: 'Tags',
        parametersResolution: 'Example',
        // Optional query parameters (limit, cursor) are listed but off; the legacy projectId is left out.
        enableOptionalParameters: false,
        includeDeprecated: false,
        includeAuthInfoInExample: false,
        alwaysInheritAuthentication: true,
      },
      (error, result) => {
        if (error) reject(new Error(`openapi-to-postmanv2: ${error.message}`));
        else if (!result?.result || !result.output?.[0]) reject(new Error(`openapi-to-postmanv2: ${result?.reason}`));
        else resolve(result.output[0].data as Record<string, unknown>);
      },
    );
  });
}

function prepare(operation: string, item: Item): Item {
  const request = item.request!;
  delete request.auth;
  for (const parameter of [...(request.url.query ?? []), ...(request.url.variable ?? [])]) {
    if ((ID_VARIABLES as readonly string[]).includes(parameter.key)) parameter.value = `{{${parameter.key}}}`;
  }
  for (const header of request.header ?? []) {
    if (header.key === 'Idempotency-Key') {
      header.value = '{{$guid}}';
      delete header.disabled;
    }
  }
  if (request.body?.mode === 'raw' && request.body.raw) request.body.raw = withIdVariables(request.body.raw);
  const queuesBuild =
    operation === 'POST /v1/create-preview-for-new-project' || operation === 'POST /v1/update-project';
  const prepared: Item = {
    name: item.name,
    request,
    response: (item.response ?? []).map(withoutId),
    ...(queuesBuild && { event: [script('test', KEEP_BUILD_IDS)] }),
    ...(item.protocolProfileBehavior !== undefined && { protocolProfileBehavior: item.protocolProfileBehavior }),
  };
  return prepared;
}

/** The example body with each id field a variable: `"userId": "{{userId}}"`. */
function withIdVariables(raw: string): string {
  const body = JSON.parse(raw) as Record<string, unknown>;
  for (const key of ID_VARIABLES) if (key in body) body[key] = `{{${key}}}`;
  return JSON.stringify(body, null, 2);
}

/** Examples keep no generated id: Postman makes its own on import. */
function withoutId(response: Record<string, unknown>): Record<string, unknown> {
  const copy = { ...response };
  delete copy.id;
  return copy;
}

function flatten(items: Item[]): Item[] {
  return items.flatMap((item) => (item.item ? flatten(item.item) : [item]));
}

/** `:projectId` (Postman) as `{projectId}` (OpenAPI). */
function toOpenApiSegment(segment: string): string {
  return segment.startsWith(':') ? `{${segment.slice(1)}}` : segment;
}

function script(listen: Event['listen'], source: string): Event {
  return { listen, script: { type: 'text/javascript', exec: source.split('\n') } };
}
