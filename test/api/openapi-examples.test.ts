/**
 * Every request example of the OpenAPI document (request bodies, path and query parameters) is a
 * request the service accepts: each is sent to the test app, as Swagger UI's "Try it out" would,
 * and answers 2xx (and, through makeTestApp, a response the document describes). Path ids are
 * replaced by ones that exist: a finished iris job, an uploaded dataset.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { simulateRun } from '../helpers/simulate.js';
import { predictWithModels } from '../../src/api/server.js';
import { parameterLayout } from '../../src/models/dense.js';
import { IRIS_JOB_SPEC_EXAMPLE } from '../../src/contracts/examples.js';

interface Param {
  in: string;
  name: string;
  required?: boolean;
  example?: unknown;
}
interface Op {
  operationId: string;
  parameters?: Param[];
  requestBody?: { content: Record<string, { example?: unknown }> };
}
type Doc = { paths: Record<string, Record<string, Op>> };

let redis: TestRedis;
let t: TestApp;
let doc: Doc;
beforeAll(async () => {
  redis = await startRedis();
  t = await makeTestApp(redis.url, 'openapi-examples', { predict: predictWithModels });
  doc = (await t.app.inject({ url: '/openapi.json' })).json();
});
afterAll(async () => {
  await t?.close();
  await redis?.stop();
});

const operations = () =>
  Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ path, method: method.toUpperCase(), op })),
  );

/** A succeeded iris job (created from the document's own example) with weights of its model's shape. */
async function finishedIrisJob(): Promise<string> {
  const body = doc.paths['/v1/jobs'].post.requestBody!.content['application/json'].example;
  const res = await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: body as object });
  expect(res.statusCode, res.body).toBe(201);
  const id = res.json().id as string;
  const layout = parameterLayout(IRIS_JOB_SPEC_EXAMPLE.model as never, 4, 3);
  const weights = Object.fromEntries(
    layout.map((p) => {
      const n = p.shape.reduce((a, b) => a * b, 1);
      return [
        p.name,
        { shape: p.shape, data: Float32Array.from({ length: n }, (_, i) => ((i % 7) - 3) / 10) },
      ];
    }),
  );
  // A checkpoint, so that the fork example has one to start from.
  await simulateRun(t.deps, id, { weights, checkpointAt: 5 });
  return id;
}

/** A minimize job of two variables (the contour's subject): examples/minimize-himmelblau-newton.json. */
async function minimizeJob(): Promise<string> {
  const spec = JSON.parse(
    readFileSync(new URL('../../examples/minimize-himmelblau-newton.json', import.meta.url), 'utf8'),
  );
  const res = await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: spec });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}

async function uploadedDataset(): Promise<string> {
  const example = doc.paths['/v1/datasets'].post.requestBody!.content['application/json'].example;
  const res = await t.app.inject({ method: 'POST', url: '/v1/datasets', payload: example as object });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}

/** A webhook endpoint (from the document's own example) and one ended delivery of it. */
async function webhookWithDelivery(): Promise<{ webhook: string; delivery: string }> {
  const body = doc.paths['/v1/webhooks'].post.requestBody!.content['application/json'].example;
  const res = await t.app.inject({ method: 'POST', url: '/v1/webhooks', payload: body as object });
  expect(res.statusCode, res.body).toBe(201);
  const webhook = res.json().id as string;
  const delivery = `dlv_${webhook.slice(3)}`;
  await t.deps.webhooks.createDelivery({
    id: delivery,
    endpointId: webhook,
    tenant: 'default',
    eventId: 'evt_1764139200000_0',
    type: 'job.succeeded',
    url: 'https://example.com/hooks/descent',
    perJob: '',
    body: '{}',
    createdAt: new Date().toISOString(),
  });
  await t.deps.webhooks.setStatus(delivery, 'failed');
  return { webhook, delivery };
}

/** A sweep created from the document's own example (its first trials stay queued: no worker runs here). */
async function createdSweep(): Promise<string> {
  const body = doc.paths['/v1/sweeps'].post.requestBody!.content['application/json'].example;
  const res = await t.app.inject({ method: 'POST', url: '/v1/sweeps', payload: body as object });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}

/** Media types of binary bodies: sent as files, so they carry no inline example (test/api/datasets-tables.test.ts sends one). */
const BINARY_MEDIA = new Set(['application/vnd.apache.parquet']);

test('the POST /v1/jobs example is examples/iris-mlp-adam.json', () => {
  const file = JSON.parse(
    readFileSync(new URL('../../examples/iris-mlp-adam.json', import.meta.url), 'utf8'),
  );
  expect(IRIS_JOB_SPEC_EXAMPLE).toEqual(file);
  for (const path of ['/v1/jobs', '/v1/jobs/validate'])
    expect(doc.paths[path].post.requestBody!.content['application/json'].example).toEqual(file);
});

test('every request body and every path and query parameter has an example', () => {
  const missing: string[] = [];
  for (const { path, method, op } of operations()) {
    for (const [media, m] of Object.entries(op.requestBody?.content ?? {}))
      // A binary body (Parquet) is a file Swagger UI uploads; it has no inline example.
      if (m.example === undefined && !BINARY_MEDIA.has(media))
        missing.push(`${method} ${path} body ${media}`);
    for (const p of op.parameters ?? [])
      if (p.in !== 'header' && p.example === undefined) missing.push(`${method} ${path} ${p.in} ${p.name}`);
  }
  expect(missing).toEqual([]);
});

test('every documented example, sent as Swagger UI would, answers 2xx', async () => {
  const ids = {
    job: await finishedIrisJob(),
    dataset: await uploadedDataset(),
    sweep: await createdSweep(),
    ...(await webhookWithDelivery()),
  };
  // The contour exists for minimize jobs only.
  const ofOperation: Record<string, { job: string }> = { getJobContour: { job: await minimizeJob() } };
  // Deletions last, each on a resource of its own.
  const hasExample = (op: Op) =>
    Object.values(op.requestBody?.content ?? {}).some((m) => m.example !== undefined) ||
    (op.parameters ?? []).some((p) => p.example !== undefined);
  const ops = operations()
    .filter(({ op }) => hasExample(op))
    .sort((a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE'));
  const sent: string[] = [];
  for (const { path, method, op } of ops) {
    const hook = path.startsWith('/v1/webhooks');
    // a redelivery reopens its delivery: each gets an ended one of its own, as a deletion does
    const own =
      method === 'DELETE' || path.endsWith('/redeliver')
        ? path.startsWith('/v1/datasets')
          ? { ...ids, dataset: await uploadedDataset() }
          : hook
            ? { ...ids, ...(await webhookWithDelivery()) }
            : { ...ids, job: await finishedIrisJob() }
        : { ...ids, ...ofOperation[op.operationId] };
    const url = path
      .replace(
        '{id}',
        path.startsWith('/v1/datasets')
          ? own.dataset
          : hook
            ? own.webhook
            : path.startsWith('/v1/sweeps')
              ? own.sweep
              : own.job,
      )
      .replace('{deliveryId}', own.delivery);
    const query = Object.fromEntries(
      (op.parameters ?? [])
        .filter((p) => p.in === 'query' && p.example !== undefined)
        .map((p) => [p.name, String(p.example)]),
    );
    const bodies = Object.entries(op.requestBody?.content ?? {}).filter(
      ([media]) => !BINARY_MEDIA.has(media),
    );
    for (const [media, m] of bodies.length ? bodies : [[undefined, undefined] as const]) {
      // A CSV upload takes the CSV query (target, name); a JSON one takes no target column.
      const q = media === 'application/json' && op.operationId === 'uploadDataset' ? {} : query;
      const example = m?.example;
      const res = await t.app.inject({
        method: method as 'GET',
        url,
        query: q,
        ...(media
          ? {
              headers: { 'content-type': media },
              payload: typeof example === 'string' ? example : JSON.stringify(example),
            }
          : {}),
      });
      const what = `${method} ${path} ${media ?? ''} ${JSON.stringify(q)}`;
      expect(res.statusCode, `${what}: ${res.body}`).toBeGreaterThanOrEqual(200);
      expect(res.statusCode, `${what}: ${res.body}`).toBeLessThan(300);
      sent.push(what);
    }
  }
  expect(sent.length).toBeGreaterThanOrEqual(15);
}, 60_000);
