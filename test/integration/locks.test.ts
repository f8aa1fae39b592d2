/**
 * Lock safety with short BullMQ intervals: a sandboxed processor that blocks its CPU for longer
 * than the lock duration is not taken for stalled (the parent renews the lock), and a job whose
 * training process dies with no attempts left ends `failed` instead of staying `running`.
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

const spec = (md: Record<string, string>) => ({
  model: { type: 'linear' },
  data: { inline: { x: [[1], [2]], y: [1, 2] } },
  loss: 'mse',
  optimizer: { type: 'sgd', lr: 0.1 },
  training: { epochs: 1, batchSize: 'full' },
  metadata: md,
});

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
  t = await makeTestApp(redis.url, 'locks', {
    cfg: { lockDurationMs: 2000, stalledIntervalMs: 1000, attempts: 1 },
  });
  // Two workers: if the lock were lost, the second would pick the job up as stalled.
  for (let i = 0; i < 2; i++)
    workers.push(await startWorker(t.cfg, { processorFile: STUB, backend: 'stub', log: () => {} }));
});

afterAll(async () => {
  await Promise.all(workers.map((w) => w.close(2000)));
  await t?.close();
  await redis?.stop();
});

const getJob = async (id: string) => (await t.app.inject({ url: `/v1/jobs/${id}` })).json();

test('a CPU block of 2.25× the lock duration in the sandbox: no stall, exactly one attempt and one end', async () => {
  const id = (
    await t.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: spec({ stubBlockMs: '4500', stubSteps: '2' }),
    })
  ).json().id;
  const job = await waitFor(
    () => getJob(id),
    (j) => j.status === 'succeeded' || j.status === 'failed',
  );
  expect(job.status).toBe('succeeded');
  expect(job.attempt).toBe(1);
  const events = (await t.app.inject({ url: `/v1/jobs/${id}/events?limit=1000` })).json().data as {
    type: string;
    attempt: number;
    status?: string;
  }[];
  expect(events.filter((e) => e.type === 'end')).toHaveLength(1);
  expect(events.filter((e) => e.type === 'status' && e.status === 'running')).toHaveLength(1);
  expect(events.every((e) => e.attempt <= 1)).toBe(true);
});

test('a training process that dies with no attempts left ends the job failed (WORKER_LOST)', async () => {
  const id = (
    await t.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: spec({ stubSteps: '500', stubStepMs: '10' }),
    })
  ).json().id;
  const page = async () =>
    (await t.app.inject({ url: `/v1/jobs/${id}/events?limit=1000` })).json().data as Record<
      string,
      unknown
    >[];
  const evs = await waitFor(page, (d) => d.some((e) => e.type === 'log'));
  const pid = Number(/pid (\d+)/.exec(evs.find((e) => e.type === 'log')!.message as string)![1]);
  process.kill(pid, 'SIGKILL');
  const job = await waitFor(
    () => getJob(id),
    (j) => j.status === 'failed',
  );
  expect(job.error.code).toBe('WORKER_LOST');
  const all = await page();
  expect(all.at(-1)!.type).toBe('end');
});
