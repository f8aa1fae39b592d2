/**
 * GET /v1/jobs/{id}: `queuePosition` while queued (checked against the job a real BullMQ worker
 * takes next) and `etaSeconds` while running. Real redis-server, no worker running.
 */
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { simulateRun } from '../helpers/simulate.js';
import { etaSeconds } from '../../src/api/job-live.js';
import { TINY_LINEAR_SPEC } from '../helpers/specs.js';

const spec = TINY_LINEAR_SPEC;

let redis: TestRedis;
let t: TestApp;

beforeAll(async () => {
  redis = await startRedis();
  t = await makeTestApp(redis.url, 'job-live');
});
afterAll(async () => {
  await t?.close();
  await redis?.stop();
});

async function create(): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: spec });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}
const get = async (id: string) => (await t.app.inject({ url: `/v1/jobs/${id}` })).json();

describe('queuePosition', () => {
  test('1-based, oldest first; it is the order in which a BullMQ worker takes the jobs', async () => {
    const ids = [await create(), await create(), await create(), await create()];
    expect(await Promise.all(ids.map(async (id) => (await get(id)).queuePosition))).toEqual([1, 2, 3, 4]);

    // A real BullMQ worker, not running its loop: take one job the way it would.
    const conn = new Redis(redis.url, { maxRetriesPerRequest: null });
    const worker = new Worker(t.cfg.queueName, null, {
      connection: conn,
      prefix: t.cfg.prefix,
      autorun: false,
    });
    try {
      const next = await worker.getNextJob('test-token', { block: false });
      expect(next?.id).toBe(ids[0]);
      // Taken (active in BullMQ): no longer in the queue.
      expect((await get(ids[0])).queuePosition).toBeNull();
      expect((await get(ids[1])).queuePosition).toBe(1);
      expect((await get(ids[3])).queuePosition).toBe(3);
      // Cancelling a queued job removes it; the jobs behind it move up.
      await t.app.inject({ method: 'POST', url: `/v1/jobs/${ids[2]}/cancel` });
      expect((await get(ids[2])).queuePosition).toBeNull();
      expect((await get(ids[3])).queuePosition).toBe(2);
      const again = await worker.getNextJob('test-token-2', { block: false });
      expect(again?.id).toBe(ids[1]);
      expect((await get(ids[3])).queuePosition).toBe(1);
    } finally {
      await worker.close();
      conn.disconnect();
    }
  });

  test('absent from lists and creation; null for running and finished jobs', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: spec });
    expect(res.json()).not.toHaveProperty('queuePosition');
    const id = res.json().id as string;
    const listed = (await t.app.inject({ url: '/v1/jobs?limit=100' })).json();
    expect(listed.data[0]).not.toHaveProperty('queuePosition');
    expect(listed.data[0]).not.toHaveProperty('etaSeconds');
    await t.deps.jobs.start(id);
    expect(await get(id)).toMatchObject({ status: 'running', queuePosition: null });
    await simulateRun(t.deps, id);
    expect(await get(id)).toMatchObject({ status: 'succeeded', queuePosition: null, etaSeconds: null });
  });
});

describe('etaSeconds', () => {
  test('running: elapsed × (total − done) / done; null before the first progress and when queued', async () => {
    const id = await create();
    expect(await get(id)).toMatchObject({ status: 'queued', etaSeconds: null });
    const { attempt } = await t.deps.jobs.start(id);
    expect(await get(id)).toMatchObject({ status: 'running', etaSeconds: null, progress: null });
    // Pretend it started 10 s ago and has done a quarter of its steps: 30 s are left.
    await t.deps.redis.hset(t.deps.keys.job(id), 'startedAt', new Date(Date.now() - 10_000).toISOString());
    const time = new Date().toISOString();
    await t.deps.jobs.appendEvent(
      id,
      attempt,
      { type: 'progress', jobId: id, attempt, time, step: 25, epoch: 1, loss: 1, lr: 0.1, gradNorm: 1 },
      { epoch: 1, epochs: 4, step: 25, totalSteps: 100, loss: 1 },
    );
    const job = await get(id);
    expect(job.etaSeconds).toBeGreaterThanOrEqual(30);
    expect(job.etaSeconds).toBeLessThan(31);
  });

  test('the formula, and its edge cases', () => {
    const startedAt = new Date(0).toISOString();
    const p = (step: number, totalSteps: number) => ({ epoch: 1, epochs: 1, step, totalSteps, loss: null });
    expect(etaSeconds({ status: 'running', startedAt, progress: p(10, 40) }, 20_000)).toBe(60);
    expect(etaSeconds({ status: 'running', startedAt, progress: p(40, 40) }, 20_000)).toBe(0);
    expect(etaSeconds({ status: 'running', startedAt, progress: p(0, 40) }, 20_000)).toBeNull();
    expect(etaSeconds({ status: 'running', startedAt, progress: null }, 20_000)).toBeNull();
    expect(etaSeconds({ status: 'cancelling', startedAt, progress: p(10, 40) }, 20_000)).toBeNull();
    expect(etaSeconds({ status: 'running', startedAt: null, progress: p(10, 40) }, 20_000)).toBeNull();
  });
});
