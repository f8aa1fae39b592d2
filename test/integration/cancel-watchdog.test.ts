/**
 * The cancel watchdog: a training process that never yields (one endless step) cannot see its
 * abort signal; after DESCENT_CANCEL_GRACE_MS its worker kills it and ends the job `cancelled`
 * itself, and the job stays cancelled when BullMQ retries the dead process's job.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { alive, poll } from '../helpers/processes.js';
import { startWorker, type RunningWorker } from '../../workers/worker.js';

const STUB = fileURLToPath(new URL('../helpers/stub.sandbox.mjs', import.meta.url));
const GRACE_MS = 800;
let redis: TestRedis;
let t: TestApp;
let worker: RunningWorker;

beforeAll(async () => {
  redis = await startRedis();
  t = await makeTestApp(redis.url, 'watchdog', { cfg: { cancelGraceMs: GRACE_MS } });
  worker = await startWorker(t.cfg, { processorFile: STUB, backend: 'stub', log: () => {} });
});
afterAll(async () => {
  await worker?.close(2000);
  await t?.close();
  await redis?.stop();
});

test('a job stuck in a step that never yields is killed and cancelled after the grace period', async () => {
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/jobs',
    payload: {
      model: { type: 'linear' },
      data: { inline: { x: [[1], [2]], y: [1, 2] } },
      loss: 'mse',
      optimizer: { type: 'sgd', lr: 0.1 },
      training: { epochs: 1 },
      metadata: { stubBlockMs: '60000' },
    },
  });
  const id = res.json().id as string;
  const h = await poll(async () => {
    const x = await t.deps.jobs.getHash(id);
    return x?.status === 'running' ? x : null;
  }, 20_000);
  const pid = Number(h.pid);
  expect(alive(pid)).toBe(true);
  const t0 = Date.now();
  expect((await t.app.inject({ method: 'POST', url: `/v1/jobs/${id}/cancel` })).json().status).toBe(
    'cancelling',
  );
  await poll(async () => (await t.deps.jobs.status(id)) === 'cancelled', 10_000);
  const ms = Date.now() - t0;
  console.log(`stuck job cancelled after ${ms} ms (grace ${GRACE_MS} ms)`);
  expect(ms).toBeGreaterThanOrEqual(GRACE_MS);
  expect(ms).toBeLessThan(GRACE_MS + 3000);
  await poll(() => !alive(pid), 5000);
  // BullMQ retries the killed process's job; the retry sees the end and does nothing.
  await new Promise((r) => setTimeout(r, 2500));
  const job = (await t.app.inject({ url: `/v1/jobs/${id}` })).json();
  expect(job.status).toBe('cancelled');
  const events = await t.deps.jobs.allEvents(id);
  expect(events.filter((e) => e.type === 'end')).toHaveLength(1);
}, 40_000);
