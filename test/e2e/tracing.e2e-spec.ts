import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTracing, Tracing } from '../../src/telemetry/tracing';
import { eventually } from '../support/processes';
import { CREATE_PATH, createBody } from '../support/requests';
import { ServiceProcesses } from '../support/service-processes';
import { startTestApp, TestApp } from '../support/test-app';

/** A caller's W3C trace context, as the NextJS app would send it. */
const CALLER_TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN_ID = '00f067aa0ba902b7';
const TRACEPARENT = `00-${CALLER_TRACE_ID}-${CALLER_SPAN_ID}-01`;

/**
 * The spans a create of a fresh id makes inside its request span: the directory, then the one
 * statement (ADR 024); `lock.local_queue` only when it waited for the user's earlier request.
 */
const CREATE_CHILD_SPANS = ['workspace.create_directory', 'db.create_project'];

describe('tracing', () => {
  let exporter: InMemorySpanExporter;
  let tracing: Tracing;
  let t: TestApp;

  beforeAll(async () => {
    exporter = new InMemorySpanExporter();
    tracing = startTracing({ exporter });
    t = await startTestApp({ roles: ['api', 'worker'] });
  });
  afterAll(async () => {
    await t?.close();
    await tracing?.shutdown();
  });
  beforeEach(() => exporter.reset());

  const spans = (): ReadableSpan[] => exporter.getFinishedSpans();
  const named = (name: string): ReadableSpan[] => spans().filter((span) => span.name === name);

  /** Whether `span` is `ancestor` or lies below it. */
  function descendsFrom(span: ReadableSpan, ancestor: ReadableSpan): boolean {
    const byId = new Map(spans().map((s) => [s.spanContext().spanId, s]));
    for (let current: ReadableSpan | undefined = span; current;) {
      if (current.spanContext().spanId === ancestor.spanContext().spanId) return true;
      const parentId: string | undefined = current.parentSpanContext?.spanId;
      current = parentId === undefined ? undefined : byId.get(parentId);
    }
    return false;
  }

  it('a create: one server span, a child of the caller’s traceparent, carrying every id it created', async () => {
    const { body: created } = await t
      .http()
      .post(CREATE_PATH)
      .set('traceparent', TRACEPARENT)
      .set('Idempotency-Key', 'traced-create')
      .send(createBody({ userId: '5e8a1c2d-3b4f-4a6e-9c7d-1f2e3a4b5c6d' }))
      .expect(201);

    const [request] = named(`POST ${CREATE_PATH}`);
    expect(request.kind).toBe(SpanKind.SERVER);
    expect(request.spanContext().traceId).toBe(CALLER_TRACE_ID);
    expect(request.parentSpanContext?.spanId).toBe(CALLER_SPAN_ID);
    expect(request.attributes).toMatchObject({
      project_id: created.projectId,
      version_id: created.versionId,
      build_id: created.buildId,
      user_id: '5e8a1c2d-3b4f-4a6e-9c7d-1f2e3a4b5c6d',
      created_by: 'worker-service',
      build_metrics_id: created.buildMetricsId,
      ai_time_session: created.aiTimeSessionId,
      'http.response.status_code': 201,
    });
    for (const name of CREATE_CHILD_SPANS) {
      const [child] = named(name).filter((span) => span.spanContext().traceId === CALLER_TRACE_ID);
      expect({ name, found: child !== undefined && child !== request && descendsFrom(child, request) }).toEqual({
        name,
        found: true,
      });
    }
  });

  it('the build job carries the trace, and the worker’s attempt span joins it', async () => {
    const { body: created } = await t
      .http()
      .post(CREATE_PATH)
      .set('traceparent', TRACEPARENT)
      .send(createBody())
      .expect(201);
    const [job] = await t.db.query<{ data: { trace?: { traceparent?: string } } }>(
      `SELECT data FROM pgboss.job WHERE id = $1`,
      [created.jobId],
    );
    expect(job.data.trace?.traceparent).toMatch(new RegExp(`^00-${CALLER_TRACE_ID}-[0-9a-f]{16}-01$`));

    const attempt = await eventually(
      'the attempt span',
      () =>
        Promise.resolve(
          named('build.attempt').find((span) => span.attributes.build_id === created.buildId && span.ended),
        ),
      15_000,
    );
    expect(attempt.kind).toBe(SpanKind.CONSUMER);
    expect(attempt.spanContext().traceId).toBe(CALLER_TRACE_ID);
    expect(attempt.attributes).toMatchObject({
      project_id: created.projectId,
      build_id: created.buildId,
      'build.attempt': 1,
    });
    // The attempt's own steps (its transactions) are its children.
    const transactions = named('db.transaction').filter(
      (span) => span.parentSpanContext?.spanId === attempt.spanContext().spanId,
    );
    expect(transactions.length).toBeGreaterThanOrEqual(2);
  });

  it('an update carries the same ids on its span; a request without traceparent starts a trace of its own', async () => {
    const owner = createBody();
    const { body: created } = await t.http().post(CREATE_PATH).send(owner).expect(201);
    await eventually(
      'the first build finished',
      async () => {
        const [build] = await t.db.query<{ status: string }>(
          `SELECT status FROM project_build_metrics WHERE build_id = $1`,
          [created.buildId],
        );
        return build.status === 'succeeded' ? true : undefined;
      },
      15_000,
    );

    const { body: updated } = await t
      .http()
      .post('/v1/update-project')
      .send({ userId: owner.userId, projectId: created.projectId, prompt: 'Now with tags' })
      .expect(202);

    const [request] = named('POST /v1/update-project');
    expect(request.spanContext().traceId).not.toBe(CALLER_TRACE_ID);
    expect(request.parentSpanContext).toBeUndefined();
    expect(request.attributes).toMatchObject({
      project_id: created.projectId,
      build_id: updated.buildId,
      version_id: updated.versionId,
      user_id: owner.userId,
      build_metrics_id: updated.buildMetricsId,
      ai_time_session: updated.aiTimeSessionId,
    });
  });
});

describe('tracing across processes, exported over OTLP/HTTP as JSON', () => {
  let exporter: InMemorySpanExporter;
  let tracing: Tracing;
  let t: TestApp;
  let collector: Server;
  /** The worker process, on the app's database and projects root. */
  let services: ServiceProcesses;
  const received: { path: string; contentType: string; body: OtlpTraces }[] = [];

  beforeAll(async () => {
    exporter = new InMemorySpanExporter();
    tracing = startTracing({ exporter });
    t = await startTestApp();
    services = await ServiceProcesses.open('tracing', { on: t });
    collector = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({
          path: req.url ?? '',
          contentType: req.headers['content-type'] ?? '',
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpTraces,
        });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await services?.close();
    await t?.close();
    await tracing?.shutdown();
    await new Promise((resolve) => collector?.close(resolve));
  });

  it('a worker process exports its attempt span in the trace of the API request that queued the build', async () => {
    const { port } = collector.address() as AddressInfo;
    await services.startWorker('worker', { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}/` }, 60_000);

    const { body: created } = await t
      .http()
      .post(CREATE_PATH)
      .set('traceparent', TRACEPARENT)
      .send(createBody())
      .expect(201);

    const attempt = await eventually(
      'the exported attempt span',
      () => Promise.resolve(exportedSpans().find((span) => span.name === 'build.attempt')),
      30_000,
    );
    expect(attempt.traceId).toBe(CALLER_TRACE_ID);
    expect(attempt.attributes).toContainEqual({ key: 'build_id', value: { stringValue: created.buildId } });
    expect(received[0]).toMatchObject({ path: '/v1/traces', contentType: expect.stringContaining('application/json') });
  }, 120_000);

  function exportedSpans(): OtlpSpan[] {
    return received.flatMap(({ body }) =>
      body.resourceSpans.flatMap((resource) => resource.scopeSpans.flatMap((scope) => scope.spans)),
    );
  }
});

/** The parts of an OTLP/JSON trace export the test reads. */
interface OtlpSpan {
  name: string;
  traceId: string;
  attributes: { key: string; value: { stringValue?: string } }[];
}
interface OtlpTraces {
  resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[];
}
