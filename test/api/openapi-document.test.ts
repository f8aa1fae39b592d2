/**
 * The OpenAPI document is a valid OpenAPI 3.0 document (@apidevtools/swagger-parser), every schema
 * in it compiles with ajv, and it says what the service sends (every response of the API tests is
 * checked against it by test/helpers/openapi-validator.ts, hooked into makeTestApp).
 */
import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { createResponseValidator, type OpenApiDocument } from '../helpers/openapi-validator.js';
import { simulateRun } from '../helpers/simulate.js';

let redis: TestRedis;
let t: TestApp;
let doc: OpenApiDocument;
beforeAll(async () => {
  redis = await startRedis();
  t = await makeTestApp(redis.url, 'openapi-document');
  doc = (await t.app.inject({ url: '/openapi.json' })).json();
});
afterAll(async () => {
  await t?.close();
  await redis?.stop();
});

test('swagger-parser validates the document', async () => {
  await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeTruthy();
});

test('ajv compiles every schema of the document (no nullable without type)', () => {
  expect(createResponseValidator(doc).compileAll()).toEqual([]);
});

type Op = {
  tags?: string[];
  responses: Record<string, { description: string; content?: Record<string, { schema?: unknown }> }>;
};
const ops = () =>
  Object.entries(doc.paths as Record<string, Record<string, Op>>).flatMap(([path, byMethod]) =>
    Object.entries(byMethod).map(([method, op]) => ({ at: `${method.toUpperCase()} ${path}`, op })),
  );
const schemas = () => doc.components!.schemas as Record<string, Record<string, unknown>>;

test('errors are application/problem+json; 204 and 304 have no content', () => {
  for (const { at, op } of ops())
    for (const [status, res] of Object.entries(op.responses)) {
      if (Number(status) >= 400 && at !== 'GET /readyz')
        expect(Object.keys(res.content ?? {}), `${at} ${status}`).toEqual(['application/problem+json']);
      if (status === '204' || status === '304') expect(res.content, `${at} ${status}`).toBeUndefined();
    }
});

test('the media types the service sends are declared: safetensors, SSE, Prometheus text', () => {
  const weights = doc.paths['/v1/jobs/{id}/weights'].get.responses['200'].content!;
  expect(Object.keys(weights)).toEqual(['application/json', 'application/octet-stream']);
  const events = doc.paths['/v1/jobs/{id}/events'].get.responses['200'].content!;
  expect(Object.keys(events)).toEqual(['application/json', 'text/event-stream']);
  expect(Object.keys(doc.paths['/metrics'].get.responses['200'].content!)).toEqual(['text/plain']);
});

test('400 wherever a request part is validated, 415 and 413 wherever a body is, 409/413 not on plain GETs', () => {
  for (const { at, op } of ops()) {
    const o = op as Op & { parameters?: unknown[]; requestBody?: unknown };
    if (o.parameters?.length || o.requestBody) expect(op.responses, at).toHaveProperty('400');
    if (o.requestBody) {
      expect(op.responses, at).toHaveProperty('413');
      expect(op.responses, at).toHaveProperty('415');
    }
    if (at.startsWith('GET ')) expect(op.responses, at).not.toHaveProperty('413');
    // Downloads of a job's trained model (weights, exports) are 409 until the job has succeeded; a
    // contour of a job that is not a two-variable minimize job is 409 too, and so is an SSE
    // resume of the job status feed from a point the feed no longer keeps.
    if (
      at.startsWith('GET ') &&
      !['GET /v1/jobs/{id}/weights', 'GET /v1/jobs/{id}/model', 'GET /v1/jobs/{id}/contour', 'GET /v1/jobs/events'].includes(at)
    )
      expect(op.responses, at).not.toHaveProperty('409');
  }
});

test('no free-form items where a schema exists; every component is used and none is an *Input twin', () => {
  const job = schemas().Job as { properties: Record<string, { allOf?: unknown[] }> };
  expect(job.properties.spec.allOf).toEqual([{ $ref: '#/components/schemas/JobSpec' }]);
  const page = schemas().EventPage as { properties: { data: { items: unknown } } };
  expect(page.properties.data.items).toEqual({ $ref: '#/components/schemas/StoredEvent' });
  const predict = doc.paths['/v1/jobs/{id}/predict'].post as unknown as {
    requestBody: { content: Record<string, { schema: unknown }> };
  };
  expect(predict.requestBody.content['application/json'].schema).toEqual({
    $ref: '#/components/schemas/PredictRequest',
  });
  expect(Object.keys(schemas()).filter((n) => n.endsWith('Input'))).toEqual([]);
  const result = schemas().JobResult as { properties: Record<string, unknown> };
  for (const field of [
    'point',
    'value',
    'gradient',
    'hessian',
    'classification',
    'meanReturn100',
    'solved',
    'solvedAtEpisode',
  ])
    expect(result.properties, field).toHaveProperty(field);
});

test('operations are tagged by area and every response says what it means', () => {
  expect((doc as { tags?: { name: string }[] }).tags?.map((t) => t.name).sort()).toEqual([
    'datasets',
    'events',
    'health',
    'jobs',
    'results',
    'sweeps',
    'usage',
    'webhooks',
  ]);
  for (const { at, op } of ops()) {
    expect(op.tags?.length, at).toBe(1);
    expect(['datasets', 'events', 'health', 'jobs', 'results', 'webhooks', 'sweeps', 'usage']).toContain(
      op.tags![0],
    );
    for (const [status, res] of Object.entries(op.responses))
      expect(res.description, `${at} ${status}`).not.toBe('Default Response');
  }
});

test('the validator refuses an undeclared status, content type or body shape', () => {
  const v = createResponseValidator(doc);
  const job = (status: number, contentType: string, body: unknown) =>
    v.check({ method: 'GET', url: '/v1/jobs/job_x', status, contentType, body: JSON.stringify(body) });
  expect(job(418, 'application/json', {})[0]).toMatch(/status 418 is not declared/);
  expect(job(404, 'application/json', {})[0]).toMatch(/Content-Type application\/json is not declared/);
  expect(job(200, 'application/json; charset=utf-8', { id: 1 })[0]).toMatch(/does not match/);
  const problem = { type: 'x', title: 'Not found', status: 404, code: 'NOT_FOUND', detail: 'gone' };
  expect(job(404, 'application/problem+json', problem)).toEqual([]);
  expect(
    v.check({ method: 'DELETE', url: '/v1/datasets/ds_1', status: 204, contentType: undefined, body: '' }),
  ).toEqual([]);
});

test('?format=bogus, an id over 64 characters and a wrong Content-Type answer declared problems', async () => {
  // makeTestApp's inject throws when a response is not in the document.
  const long = `job_${'a'.repeat(70)}`;
  expect(
    (await t.app.inject({ url: '/v1/jobs/job_0000000000000000000000/weights?format=bogus' })).statusCode,
  ).toBe(400);
  expect((await t.app.inject({ url: `/v1/jobs/${long}` })).statusCode).toBe(400);
  expect((await t.app.inject({ url: '/v1/jobs?after=garbage' })).statusCode).toBe(400);
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/jobs',
    headers: { 'content-type': 'text/plain' },
    payload: 'hello',
  });
  expect(res.statusCode).toBe(415);
});

test('an SSE stream is checked message by message against JobEvent', async () => {
  const created = await t.app.inject({
    method: 'POST',
    url: '/v1/jobs',
    payload: {
      model: { type: 'linear' },
      data: { builtin: 'iris' },
      loss: 'cross_entropy',
      optimizer: { type: 'sgd', lr: 0.1 },
    },
  });
  const id = created.json().id as string;
  await simulateRun(t.deps, id, { steps: 4, perEpoch: 2 });
  // Through makeTestApp's inject: every data line is validated against the document.
  const res = await t.app.inject({ url: `/v1/jobs/${id}/events`, headers: { accept: 'text/event-stream' } });
  expect(res.statusCode).toBe(200);
  expect(res.body).toContain('event: end');
  const v = createResponseValidator(doc);
  const sse = (body: string) =>
    v.check({
      method: 'GET',
      url: `/v1/jobs/${id}/events`,
      status: 200,
      contentType: 'text/event-stream',
      body,
    });
  expect(sse(res.body)).toEqual([]);
  expect(sse('id: 1-0\nevent: status\ndata: {"type":"status","jobId":"j"}\n\n')[0]).toMatch(/x-event-data/);
  // The JSON page of the same events: each item is a StoredEvent (the payload plus its id).
  const page = await t.app.inject({ url: `/v1/jobs/${id}/events?limit=1000` });
  expect(page.json().data.map((e: { type: string }) => e.type)).toContain('end');
  const pageCheck = (data: unknown[]) =>
    v.check({
      method: 'GET',
      url: `/v1/jobs/${id}/events`,
      status: 200,
      contentType: 'application/json',
      body: JSON.stringify({ data, hasMore: false, nextCursor: null }),
    });
  expect(pageCheck(page.json().data)).toEqual([]);
  expect(pageCheck([{ type: 'status', jobId: id }])[0]).toMatch(/does not match/);
});
