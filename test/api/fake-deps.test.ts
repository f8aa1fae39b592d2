/**
 * The fake AppDeps (test/helpers/fake-deps.ts) runs the real app with no Redis: a job posted
 * through it can be read back, listed and cancelled, and anything that would need Redis itself
 * fails loudly, naming the call, instead of hanging on a connection.
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

const spec = {
  model: { type: 'linear' },
  data: { inline: { x: [[0], [1], [2]], y: [0, 1, 2] } },
  loss: 'mse',
  optimizer: { type: 'sgd', lr: 0.1 },
  training: { epochs: 2 },
};

test('a job posted on fake deps is enqueued, read back, listed and cancelled', async () => {
  const post = await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: spec });
  expect(post.statusCode, post.body).toBe(201);
  const id = post.json().id as string;
  expect(t.deps.enqueued).toContainEqual(expect.objectContaining({ jobId: id }));
  const list = await t.app.inject({ method: 'GET', url: '/v1/jobs' });
  expect(list.json().data.map((j: { id: string }) => j.id)).toContain(id);
  const cancel = await t.app.inject({ method: 'POST', url: `/v1/jobs/${id}/cancel` });
  expect(cancel.json().status).toBe('cancelled');
  const events = await t.app.inject({
    method: 'GET',
    url: `/v1/jobs/${id}/events`,
    headers: { accept: 'application/json' },
  });
  expect(events.json().data.map((e: { status?: string }) => e.status)).toEqual(['queued', 'cancelled']);
});

test('what needs Redis itself says so', async () => {
  expect(() => t.deps.redis.ping()).toThrow(/fake AppDeps has no Redis \(redis\.ping\)/);
});
