/**
 * Graceful worker shutdown: the running job stops at its next step, checkpoints, goes back to
 * `queued` without using up an attempt, and another worker resumes it from the checkpoint.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { startWorker, type RunningWorker } from '../../workers/worker.js';

const STUB = fileURLToPath(new URL('../helpers/stub.sandbox.mjs', import.meta.url));
let redis: TestRedis;
let t: TestApp;
const workers: RunningWorker[] = [];

async function waitFor<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out; last value ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

beforeAll(async () => {
  redis = await startRedis();
  t = await makeTestApp(redis.url, 'shutdown', { cfg: { attempts: 1 } });
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.close(2000)));
  await t?.close();
  await redis?.stop();
});

test('a stopping worker hands its job back; the next worker resumes it from the checkpoint', async () => {
  const a = await startWorker(t.cfg, { processorFile: STUB, backend: 'stub', log: () => {} });
  workers.push(a);
  const spec = {
    model: { type: 'linear' },
    data: { inline: { x: [[1], [2]], y: [1, 2] } },
    loss: 'mse',
    optimizer: { type: 'sgd', lr: 0.1 },
    training: { epochs: 10, batchSize: 'full' },
    metadata: { stubSteps: '5', stubStepMs: '20', stubCheckpointEvery: '1' },
  };
  const id = (await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: spec })).json().id as string;
  const events = async () =>
    (await t.app.inject({ url: `/v1/jobs/${id}/events?limit=1000` })).json().data as Record<
      string,
      unknown
    >[];
  await waitFor(events, (d) => d.some((e) => e.type === 'epoch' && (e.epoch as number) >= 2));

  const t0 = Date.now();
  await a.close(5000);
  const closeMs = Date.now() - t0;
  expect(closeMs).toBeLessThan(3000);
  const parked = (await t.app.inject({ url: `/v1/jobs/${id}` })).json();
  expect(parked.status).toBe('queued');
  expect(parked.attempt).toBe(1);
  const before = await events();
  expect(before.some((e) => e.type === 'log' && /shutting down/.test(e.message as string))).toBe(true);
  expect(before.at(-1)).toMatchObject({ type: 'status', status: 'queued' });

  // attempts: 1, yet the job runs again: handing it back used up no attempt.
  workers.push(await startWorker(t.cfg, { processorFile: STUB, backend: 'stub', log: () => {} }));
  const done = await waitFor(
    async () => (await t.app.inject({ url: `/v1/jobs/${id}` })).json(),
    (j) => j.status === 'succeeded' || j.status === 'failed',
  );
  expect(done.status).toBe('succeeded');
  expect(done.attempt).toBe(2);
  const all = await events();
  const resumed = all.find(
    (e) => e.type === 'log' && e.attempt === 2 && /resumed at epoch (\d+)/.test(e.message as string),
  );
  expect(resumed).toBeDefined();
  expect(Number(/resumed at epoch (\d+)/.exec(resumed!.message as string)![1])).toBeGreaterThanOrEqual(2);
  const statuses = all.filter((e) => e.type === 'status').map((e) => e.status);
  expect(statuses).toEqual(['queued', 'running', 'queued', 'running', 'succeeded']);
});
