/**
 * Contained jobs (issue 20, point 5), with the real trainer in the real sandboxed processor and a
 * real redis-server: with `DESCENT_JOB_MAX_HEAP_MB` low, a job whose model needs more memory than
 * its limit fails with `OUT_OF_MEMORY`, the message naming the estimate and the limit; the sandbox
 * child that ran it is still the one that runs the next job (nothing crashed), and that job, on
 * the same worker, succeeds.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { finishedJob, makeTestApp, type TestApp } from '../helpers/app.js';
import { startWorker, type RunningWorker } from '../../workers/worker.js';
import { containedTrainer } from '../../workers/contained-trainer.js';
import { createJobSpecSchema } from '../../src/contracts/job-spec.js';
import { DEFAULT_LIMITS } from '../../src/contracts/limits.js';
import { loadBuiltin } from '../../src/data/index.js';

const CEILING_MB = 96;

let redis: TestRedis;
let t: TestApp;
let worker: RunningWorker;

beforeAll(async () => {
  redis = await startRedis();
  t = await makeTestApp(redis.url, 'job-oom', { cfg: { jobMaxHeapMb: CEILING_MB } });
  worker = await startWorker(t.cfg, { backend: 'test', log: () => {} });
});
afterAll(async () => {
  await worker?.close(2000);
  await t?.close();
  await redis?.stop();
});

/** A wide MLP on the digits, full batch: ~1 800 × 8 192 activations a layer, far past 96 MB. */
const hungry = {
  model: { type: 'mlp', hidden: [8192] },
  data: { builtin: 'digits' },
  loss: 'cross_entropy',
  optimizer: { type: 'adam', lr: 0.001 },
  training: { epochs: 50, batchSize: 'full' },
};
const small = {
  model: { type: 'mlp', hidden: [8] },
  data: { builtin: 'iris' },
  loss: 'cross_entropy',
  optimizer: { type: 'adam', lr: 0.01 },
  training: { epochs: 5, batchSize: 16 },
};

async function run(spec: object) {
  const res = await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: spec });
  expect(res.statusCode, res.body).toBe(201);
  return finishedJob(t, res.json().id, 120_000);
}

test(`a job past its memory limit fails OUT_OF_MEMORY naming estimate and limit; the same worker's next job succeeds`, async () => {
  const estimate = (await t.app.inject({ method: 'POST', url: '/v1/jobs/validate', payload: hungry })).json()
    .estimate.bytes as number;
  expect(estimate / 2 ** 20).toBeGreaterThan(CEILING_MB / 4); // the estimate knows it is big

  const failed = await run(hungry);
  expect(failed.status, JSON.stringify(failed.error)).toBe('failed');
  expect(failed.error.code).toBe('OUT_OF_MEMORY');
  expect(failed.error.message).toContain(`limit of ${CEILING_MB} MB`);
  expect(failed.error.message).toContain(`estimate was ${(estimate / 2 ** 20).toFixed(1)} MB`);
  expect(failed.error.message).toContain(`DESCENT_JOB_MAX_HEAP_MB = ${CEILING_MB}`);
  const failedHash = (await t.deps.jobs.getHash(failed.id))!;
  // One attempt: the OOM is the job's failure, not a crash BullMQ would retry.
  expect(failed.attempt).toBe(1);

  const ok = await run(small);
  expect(ok.status, JSON.stringify(ok.error)).toBe('succeeded');
  const okHash = (await t.deps.jobs.getHash(ok.id))!;
  // The same worker, and the same sandbox child process: the OOM ended a thread, not the process.
  expect(okHash.worker).toBe(worker.id);
  expect(failedHash.worker).toBe(worker.id);
  expect(okHash.pid).toBe(failedHash.pid);
}, 240_000);

test('the V8 heap limit itself: a thread that reaches it ends OUT_OF_MEMORY, this process carries on', async () => {
  // 8 MB of heap is less than the trainer's own code needs: V8 stops the thread
  // (ERR_WORKER_OUT_OF_MEMORY) rather than this process.
  const spec = createJobSpecSchema(DEFAULT_LIMITS).parse(small);
  const tight = containedTrainer({ maxHeapMb: 8, backend: () => 'test' });
  const out = await tight.run(spec, loadBuiltin('iris'), {}, { estimateBytes: 2 ** 20 });
  expect(out.status).toBe('failed');
  expect(out.error?.code).toBe('OUT_OF_MEMORY');
  expect(out.error?.message).toContain('limit of 8 MB (the V8 heap limit was reached)');
  expect(out.error?.message).toContain('estimate was 1.0 MB');
  // The same process trains the same job in a thread with room.
  const roomy = containedTrainer({ maxHeapMb: 512, backend: () => 'test' });
  const ok = await roomy.run(spec, loadBuiltin('iris'), {}, { estimateBytes: 2 ** 20 });
  expect(ok.status, JSON.stringify(ok.error)).toBe('succeeded');
}, 120_000);
