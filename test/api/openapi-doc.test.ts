/**
 * The OpenAPI document, built by the real app on in-memory stores (no Redis): every route is in it,
 * and schemas that no route names but that the document points to (StoredEvent, which EventPage's
 * description refers to) are in its components through their `.meta` id.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { makeFakeApp, type FakeApp } from '../helpers/fake-deps.js';

let t: FakeApp;
beforeAll(async () => {
  t = await makeFakeApp();
});
afterAll(async () => {
  await t?.close();
});

test('GET /openapi.json: 3.0.3, the job routes, and StoredEvent among the components', async () => {
  const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
  expect(res.statusCode).toBe(200);
  const doc = res.json();
  expect(doc.openapi).toBe('3.0.3');
  for (const path of ['/v1/jobs', '/v1/jobs/{id}', '/v1/jobs/{id}/events', '/v1/datasets'])
    expect(Object.keys(doc.paths)).toContain(path);
  expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['StoredEvent', 'JobEvent']));
});
