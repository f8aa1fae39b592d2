/**
 * Acceptance 4 and the job-level faults, in a real worker process (real trainer, sandboxed child)
 * against a real redis-server:
 * - cancelling a running job stops it within 1 s, with a final checkpoint listed by
 *   GET /checkpoints (the periodic ones are off here, so that one is the stop's own);
 * - cancelling a queued job removes it at once (it never runs); cancelling again is a no-op;
 * - a diverging job ends `failed` / DIVERGED, naming the step and the learning rate, intact in
 *   the job and its `end` event;
 * - wall-time limits end a job `failed` / TIMEOUT: the spec's `training.maxWallSeconds`, and the
 *   worker's server-wide cap (DESCENT_LIMIT_MAX_WALL_SECONDS).
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { killAllProcesses, poll, startWorkerProcess } from '../helpers/processes.js';

const CAP_SECONDS = 4;
let redis: TestRedis;
let t: TestApp;

beforeAll(async () => {
  redis = await startRedis();
  t = await makeTestApp(redis.url, 'cancel');
  await startWorkerProcess({
    REDIS_URL: redis.url,
    DESCENT_PREFIX: t.cfg.prefix,
    DESCENT_CHECKPOINT_MS: '600000',
    DESCENT_HEARTBEAT_MS: '500',
    DESCENT_LIMIT_MAX_WALL_SECONDS: String(CAP_SECONDS),
  });
});
afterAll(async () => {
  await killAllProcesses();
  await t?.close();
  await redis?.stop();
});

const long = (training: Record<string, unknown> = {}) => ({
  model: { type: 'mlp', hidden: [32, 32], activation: 'tanh' },
  data: { builtin: 'iris' },
  loss: 'cross_entropy',
  optimizer: { type: 'adam', lr: 0.01 },
  training: { epochs: 50_000, batchSize: 8, ...training },
});

async function create(spec: unknown): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: spec as object });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
}
const getJob = async (id: string) => (await t.app.inject({ url: `/v1/jobs/${id}` })).json();
const cancel = async (id: string) => {
  const res = await t.app.inject({ method: 'POST', url: `/v1/jobs/${id}/cancel` });
  expect(res.statusCode).toBe(200);
  return res.json();
};
const terminal = (s: string) => s === 'succeeded' || s === 'failed' || s === 'cancelled';

test('cancel: a running job stops within 1 s with a checkpoint; a queued one is removed at once; twice is a no-op', async () => {
  const running = await create(long());
  await poll(async () => (await getJob(running)).progress !== null, 30_000);
  const queued = await create(long());

  // Queued: removed from the queue and cancelled in the same request, never started.
  const q = await cancel(queued);
  expect(q.status).toBe('cancelled');
  expect(q.attempt).toBe(0);
  expect(await t.deps.redis.exists(`${t.cfg.prefix}:${t.cfg.queueName}:${queued}`)).toBe(0);

  const before = Date.now();
  const c = await cancel(running);
  expect(c.status).toBe('cancelling');
  const done = await poll(
    async () => {
      const j = await getJob(running);
      return terminal(j.status) ? j : null;
    },
    5000,
    10,
  );
  const stoppedMs = Date.now() - before;
  console.log(`running job cancelled in ${stoppedMs} ms`);
  expect(done.status).toBe('cancelled');
  expect(stoppedMs).toBeLessThan(1000);

  const cps = (await t.app.inject({ url: `/v1/jobs/${running}/checkpoints` })).json();
  expect(cps.object).toBe('list');
  expect(cps.data.length).toBe(1);
  const [cp] = cps.data;
  expect(cp.attempt).toBe(done.attempt);
  expect(cp.step).toBeGreaterThan(0);
  expect(typeof cp.loss).toBe('number');
  expect(Date.parse(cp.time)).toBeGreaterThanOrEqual(before - 5);
  const events = await t.deps.jobs.allEvents(running);
  expect(events.filter((e) => e.type === 'checkpoint')).toHaveLength(1);
  expect(events.at(-1)).toMatchObject({ type: 'end', status: 'cancelled' });

  // Again, on both: unchanged, nothing appended.
  const n = events.length;
  expect((await cancel(running)).status).toBe('cancelled');
  expect((await cancel(queued)).status).toBe('cancelled');
  expect((await t.deps.jobs.allEvents(running)).length).toBe(n);
  expect((await getJob(queued)).startedAt).toBeNull();
  // The worker is free again: the queued job was really gone, the next job runs.
  const next = await create({ ...long({ epochs: 2 }) });
  await poll(async () => (await getJob(next)).status === 'succeeded', 30_000);
});

test('divergence: NaN/Inf loss ends the job failed with DIVERGED, naming the step and the learning rate', async () => {
  const id = await create({
    model: { type: 'linear' },
    data: { builtin: 'linear_regression' },
    loss: 'mse',
    optimizer: { type: 'sgd', lr: 1e6 },
    training: { epochs: 50, batchSize: 'full' },
  });
  const job = await poll(async () => {
    const j = await getJob(id);
    return terminal(j.status) ? j : null;
  }, 30_000);
  expect(job.status).toBe('failed');
  expect(job.error.code).toBe('DIVERGED');
  expect(job.error.message).toMatch(/at step \d+/);
  expect(job.error.message).toMatch(/lower optimizer\.lr/);
  const end = (await t.deps.jobs.allEvents(id)).at(-1)!;
  expect(end).toMatchObject({ type: 'end', status: 'failed', error: job.error });
  expect((await t.app.inject({ url: `/v1/jobs/${id}/weights` })).statusCode).toBe(409);
});

test("wall time: the spec's maxWallSeconds and the server-wide cap both end the job with TIMEOUT", async () => {
  const own = await create(long({ maxWallSeconds: 1 }));
  const capped = await create(long());
  const t0 = Date.now();
  const a = await poll(async () => {
    const j = await getJob(own);
    return terminal(j.status) ? j : null;
  }, 30_000);
  expect(a.status).toBe('failed');
  expect(a.error.code).toBe('TIMEOUT');
  const b = await poll(async () => {
    const j = await getJob(capped);
    return terminal(j.status) ? j : null;
  }, 30_000);
  console.log(`TIMEOUT jobs ended after ${Date.now() - t0} ms: ${a.error.message} | ${b.error.message}`);
  expect(b.status).toBe('failed');
  expect(b.error.code).toBe('TIMEOUT');
  expect(b.error.message).toMatch(new RegExp(`${CAP_SECONDS}`));
});

test('wall time also bounds the tasks without a clock of their own (reinforce): TIMEOUT', async () => {
  const id = await create({
    task: 'reinforce',
    env: { type: 'cartpole', maxSteps: 200 },
    episodes: 100_000,
    maxWallSeconds: 1,
  });
  const t0 = Date.now();
  const job = await poll(async () => {
    const j = await getJob(id);
    return terminal(j.status) ? j : null;
  }, 30_000);
  console.log(`reinforce job ended after ${Date.now() - t0} ms: ${JSON.stringify(job.error)}`);
  expect(job.status).toBe('failed');
  expect(job.error.code).toBe('TIMEOUT');
  expect(job.error.message).toMatch(/wall-time limit of 1 s/);
});
