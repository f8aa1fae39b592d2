/**
 * Issue 10.9 — how fast a killed worker's job comes back, with the default lock settings
 * (DESCENT_LOCK_MS, DESCENT_LOCK_RENEW_MS, DESCENT_STALLED_MS unset). Two real worker processes and a
 * real redis-server; a W2-sized job (MLP 784-256-128-10, Adam, batch 128) trains in one of them.
 *
 * 1. No false stall: while it trains, the lock's remaining TTL is sampled in Redis; the longest
 *    gap between two renewals is at most `lock − lowest TTL seen + longest sampling gap`, and must
 *    stay well under the lock duration (the worker's event loop is free: training runs in its
 *    sandbox child). The job stays on attempt 1 meanwhile.
 * 2. SIGKILL the worker holding it: the other worker's attempt 2 starts within 10 s of the kill
 *    (timed by the Redis stream id of attempt 2's first event), resumes from attempt 1's checkpoint
 *    and trains on (writes a checkpoint of its own); then it is cancelled.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { killAllProcesses, poll, startWorkerProcess, type Proc } from '../helpers/processes.js';
import { loadConfig } from '../../src/queue/config.js';
import { createRng } from '../../src/rng/rng.js';

const RESUME_LIMIT_MS = 10_000;
/** How long the renewal gaps are sampled while the job trains (covers checkpoint writes). */
const SAMPLE_MS = 8000;
const ROWS = 2048;
const FEATURES = 784;
const CLASSES = 10;

let redis: TestRedis;
let t: TestApp;
let probe: Redis;
const workers = new Map<string, Proc>();
let kernels = '';
const defaults = loadConfig({});

beforeAll(async () => {
  redis = await startRedis();
  t = await makeTestApp(redis.url, 'resume-time');
  probe = new Redis(redis.url);
  // Lock settings left at their defaults: that is what is measured.
  // Checkpoints every second, so that several (each a few MB) are written while renewals are sampled.
  const env = {
    REDIS_URL: redis.url,
    DESCENT_PREFIX: t.cfg.prefix,
    DESCENT_HEARTBEAT_MS: '500',
    DESCENT_CHECKPOINT_MS: '1000',
  };
  const ws = await Promise.all([startWorkerProcess(env), startWorkerProcess(env)]);
  for (const w of ws) workers.set(w.workerId, w);
  kernels = (await ws[0].waitFor(/kernels (\S+)\)/))[1];
});
afterAll(async () => {
  probe?.disconnect();
  await killAllProcesses();
  await t?.close();
  await redis?.stop();
});

/** A seeded MNIST-shaped dataset (784 features, 10 classes), uploaded as JSON. */
async function uploadW2Dataset(): Promise<string> {
  const rng = createRng(7);
  const x = Array.from({ length: ROWS }, () =>
    Array.from({ length: FEATURES }, () => Math.round(rng.uniform(0, 1) * 100) / 100),
  );
  const y = Array.from({ length: ROWS }, () => rng.int(CLASSES));
  const res = await t.app.inject({ method: 'POST', url: '/v1/datasets', payload: { x, y } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
}

test('kill -9 of the worker holding a W2 job: the other resumes it within 10 s, no false stall before', async () => {
  expect(defaults.lockDurationMs + defaults.stalledIntervalMs).toBeLessThan(RESUME_LIMIT_MS);
  const datasetId = await uploadW2Dataset();
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/jobs',
    payload: {
      model: { type: 'mlp', hidden: [256, 128], activation: 'relu' },
      data: { datasetId },
      loss: 'cross_entropy',
      optimizer: { type: 'adam', lr: 1e-3 },
      // Long enough to still train when it is killed, about 10 s in: native kernels run W2 about
      // six times as fast as wasm.
      training: { epochs: kernels === 'native' ? 1500 : 250, batchSize: 128, seed: 1 },
    },
  });
  expect(res.statusCode, res.body).toBe(201);
  const id = res.json().id as string;
  const lockKey = `${t.cfg.prefix}:${t.cfg.queueName}:${id}:lock`;

  // Training (not just started): the first checkpoint of attempt 1 is written.
  await poll(async () => (await t.deps.jobs.checkpoints(id)).some((c) => c.attempt === 1), 60_000, 50);

  let minTtl = Infinity;
  let maxSampleGap = 0;
  let samples = 0;
  for (let last = Date.now(), end = last + SAMPLE_MS; Date.now() < end;) {
    const ttl = await probe.pttl(lockKey);
    const now = Date.now();
    expect(ttl, 'the lock vanished while the job trained').toBeGreaterThan(0);
    minTtl = Math.min(minTtl, ttl);
    maxSampleGap = Math.max(maxSampleGap, now - last);
    last = now;
    samples++;
    await new Promise((r) => setTimeout(r, 10));
  }
  const renewalGapBound = defaults.lockDurationMs - minTtl + maxSampleGap;
  console.log(
    `${kernels} kernels; lock ${defaults.lockDurationMs} ms, renew ${defaults.lockRenewMs} ms, stalled check ${defaults.stalledIntervalMs} ms: ` +
      `lowest TTL ${minTtl} ms in ${samples} samples over ${SAMPLE_MS} ms (longest sampling gap ${maxSampleGap} ms) ` +
      `→ longest gap between renewals ≤ ${renewalGapBound} ms`,
  );
  expect(renewalGapBound).toBeLessThan(defaults.lockDurationMs / 2);

  const h = (await t.deps.jobs.getHash(id))!;
  expect(h.status).toBe('running');
  expect(h.attempt, 'a false stall: the job moved on while its worker was alive').toBe('1');
  const holder = workers.get(h.worker)!;
  expect(holder).toBeDefined();

  process.kill(holder.pid, 'SIGKILL');
  const killedAt = Date.now();
  const firstOf2 = await poll(
    async () => (await t.deps.jobs.allEvents(id)).find((e) => e.attempt === 2),
    RESUME_LIMIT_MS + 20_000,
    50,
  );
  // The stream id's first part is the Redis server's clock (ms) when attempt 2 wrote its first event.
  const resumeMs = Number(firstOf2.id.split('-')[0]) - killedAt;
  const taker = (await t.deps.jobs.getHash(id))!.worker;
  console.log(`attempt 2 started on ${taker} ${resumeMs} ms after the kill (first event: ${firstOf2.type})`);
  expect(taker).not.toBe(h.worker);
  expect(resumeMs).toBeLessThanOrEqual(RESUME_LIMIT_MS);

  // Attempt 2 resumed from attempt 1's checkpoint and trains on: it writes a checkpoint of its own.
  // (The job is then cancelled: finishing hundreds of W2 epochs on a loaded 2-core CI machine took
  // over two minutes and proves nothing more; that a resumed job succeeds with the same bits is
  // crash-resume.test.ts's claim.)
  await poll(async () => (await t.deps.jobs.checkpoints(id)).some((c) => c.attempt === 2), 60_000, 100);
  const events = await t.deps.jobs.allEvents(id);
  const resumed = events.filter(
    (e) => e.attempt === 2 && e.type === 'log' && /resumes from the checkpoint/.test(e.message),
  );
  expect(resumed, 'attempt 2 resumed from a checkpoint').toHaveLength(1);
  const cancel = await t.app.inject({ method: 'POST', url: `/v1/jobs/${id}/cancel` });
  expect(cancel.statusCode, cancel.body).toBeLessThan(300);
  const ended = ['succeeded', 'failed', 'cancelled'];
  await poll(async () => ended.includes((await t.deps.jobs.status(id)) ?? ''), 60_000, 200);
  const job = (await t.app.inject({ url: `/v1/jobs/${id}` })).json();
  expect(job.status, JSON.stringify(job.error)).toBe('cancelled');
  expect(job.attempt).toBe(2);
}, 240_000);
