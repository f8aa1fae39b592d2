/**
 * Issue 16, acceptance 3 and 4 — fine-tuning and forks through the API, a real worker (sandboxed,
 * real trainer) and a real redis-server:
 * - a model trained on task A, then `init.fromJob` on the related task B, reaches the loss
 *   threshold in fewer epochs than the same model from scratch;
 * - `init.freeze` keeps the parent's layer bit for bit; a tensor of another shape is a 400 naming it;
 * - a fork with no changes from the middle checkpoint ends with the original's weights, bit for
 *   bit; a fork with a lower lr starts from the same checkpoint (its first checkpoint is the
 *   parent's, byte for byte) and differs after it; `GET /v1/jobs?parent=` lists the children;
 * - another tenant's `fromJob` / fork is a 404; a checkpoint past its retention is a 409 naming
 *   DESCENT_CHECKPOINT_RETENTION; a fork changing a parameter's shape or the batch size is a 400.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { simulateRun } from '../helpers/simulate.js';
import { startWorker, type RunningWorker } from '../../workers/worker.js';
import { parseApiKeys } from '../../src/queue/config.js';
import { createJobStore } from '../../src/queue/job-store.js';
import { newId } from '../../src/queue/ids.js';

const A = { authorization: 'Bearer key-alice-0123456789' };
const B = { authorization: 'Bearer key-bob-0123456789' };

let redis: TestRedis;
let t: TestApp;
let worker: RunningWorker;

beforeAll(async () => {
  redis = await startRedis();
  t = await makeTestApp(redis.url, 'fine-tune', {
    // A checkpoint about every millisecond, all of them kept: forks from the middle of a job.
    cfg: {
      apiKeys: parseApiKeys('alice:key-alice-0123456789,bob:key-bob-0123456789'),
      checkpointEveryMs: 1,
      checkpointKeep: 10_000,
    },
  });
  worker = await startWorker(t.cfg, { backend: 'test', log: () => {} });
});
afterAll(async () => {
  await worker?.close(2000);
  await t?.close();
  await redis?.stop();
});

// Two related regression tasks on the same inputs: B is A plus a small linear term.
const X = Array.from({ length: 120 }, (_, i) => [Math.sin(i * 1.3) * 2, Math.cos(i * 0.7) * 2]);
const taskA = X.map(([a, b]) => [Math.tanh(a) * 1.5 - Math.sin(b)]);
const taskB = X.map(([a, b]) => [Math.tanh(a) * 1.5 - Math.sin(b) + 0.3 * a]);
/** Mean training loss an epoch must reach ("converged" for this test). */
const THRESHOLD = 0.01;

const spec = (y: number[][], over: Record<string, unknown> = {}) => ({
  model: { type: 'mlp', hidden: [16], activation: 'tanh' },
  data: { inline: { x: X, y } },
  loss: 'mse',
  optimizer: { type: 'adam', lr: 0.02 },
  training: { epochs: 20, batchSize: 20, seed: 5, validationSplit: 0 },
  ...over,
});

type Headers = Record<string, string>;
const post = (url: string, payload: unknown, headers: Headers = A) =>
  t.app.inject({ method: 'POST', url, payload: payload as object, headers });
const get = (url: string, headers: Headers = A) => t.app.inject({ url, headers });

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function finished(id: string): Promise<any> {
  for (let i = 0; i < 2400; i++) {
    const job = (await get(`/v1/jobs/${id}`)).json();
    if (['succeeded', 'failed', 'cancelled'].includes(job.status)) return job;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`job ${id} did not finish`);
}

async function run(body: unknown, url = '/v1/jobs') {
  const res = await post(url, body);
  expect(res.statusCode, res.body).toBe(201);
  const job = await finished(res.json().id);
  expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
  return job;
}

const weights = async (id: string): Promise<Record<string, unknown>> =>
  (await get(`/v1/jobs/${id}/weights?format=json`)).json().weights;

async function epochLosses(id: string): Promise<{ epoch: number; loss: number }[]> {
  const events = await t.deps.jobs.allEvents(id);
  return events
    .filter((e) => e.type === 'epoch')
    .map((e) => {
      const { epoch, loss, valLoss, metrics } = e as unknown as Record<string, unknown>;
      return { epoch, loss, valLoss, metrics } as { epoch: number; loss: number };
    });
}

const epochsTo = (losses: { loss: number }[], threshold: number) => {
  const i = losses.findIndex((e) => e.loss <= threshold);
  return i < 0 ? Infinity : i + 1;
};

let parent: string;

describe('fine-tuning (init.fromJob)', () => {
  test('task A then fromJob on task B converges in fewer epochs than from scratch', async () => {
    parent = (await run(spec(taskA))).id;
    const scratch = await run(spec(taskB));
    const tuned = await run(spec(taskB, { init: { fromJob: parent } }));
    expect(tuned.lineage).toEqual({ parent, kind: 'fromJob', checkpointStep: null });
    // The snapshot of the parent's tensors served the start only: gone once the job has ended.
    expect(await t.deps.redis.exists(t.deps.keys.initWeights(tuned.id))).toBe(0);
    expect(scratch.lineage).toBeNull();
    const fromScratch = epochsTo(await epochLosses(scratch.id), THRESHOLD);
    const fromA = epochsTo(await epochLosses(tuned.id), THRESHOLD);
    expect(fromScratch).toBeLessThan(Infinity);
    // Measured: 11 epochs from scratch, 4 from task A's weights.
    expect(fromA).toBeLessThan(fromScratch);
  }, 120_000);

  test("freeze: the parent's layer 0 comes out bit-identical, the head trains", async () => {
    const tuned = await run(spec(taskB, { init: { fromJob: parent, freeze: [0] } }));
    const before = await weights(parent);
    const after = await weights(tuned.id);
    expect(after['0.weight']).toEqual(before['0.weight']);
    expect(after['0.bias']).toEqual(before['0.bias']);
    expect(after['2.weight']).not.toEqual(before['2.weight']);
  }, 60_000);

  test('a tensor of another shape is a 400 naming it and both shapes; init.layers can leave it out', async () => {
    const x3 = X.map(([a, b]) => [a, b, a * b]);
    const wide = (init: Record<string, unknown>) => ({
      ...spec(taskB, { init }),
      data: { inline: { x: x3, y: taskB } },
    });
    const res = await post('/v1/jobs', wide({ fromJob: parent }));
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().errors[0]).toMatchObject({ path: '/init/fromJob' });
    expect(res.json().detail).toMatch(
      /"0\.weight" has shape \[16, 2\] in job .*; this model needs \[16, 3\]/,
    );
    // The head (layer 2) fits: take only it.
    const ok = await post('/v1/jobs/validate', wide({ fromJob: parent, layers: [2] }));
    expect(ok.statusCode, ok.body).toBe(200);
    const bad = await post('/v1/jobs/validate', wide({ fromJob: parent, layers: [1] }));
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0]).toMatchObject({ path: '/init/layers/0' });
    expect(bad.json().detail).toMatch(/not a layer with parameters of this model \(those are 0, 2\)/);
  });
});

describe('forks', () => {
  test('no changes from the middle checkpoint = the original, bit for bit; a lower lr differs only after it', async () => {
    const cps = (await get(`/v1/jobs/${parent}/checkpoints`)).json().data as {
      step: number;
      epoch: number;
    }[];
    expect(cps.length, 'the parent saved several checkpoints').toBeGreaterThanOrEqual(3);
    const mid = cps[Math.floor(cps.length / 2)];
    const last = cps[0].step;
    expect(mid.step).toBeLessThan(last);

    const same = await run({ fromCheckpoint: mid.step }, `/v1/jobs/${parent}/fork`);
    expect(same.lineage).toEqual({ parent, kind: 'fork', checkpointStep: mid.step });
    expect(await weights(same.id)).toEqual(await weights(parent));
    const parentEpochs = await epochLosses(parent);
    const after = (l: { epoch: number }[]) => l.filter((e) => e.epoch > mid.epoch + 1);
    expect(after(await epochLosses(same.id))).toEqual(after(parentEpochs));

    const slower = await run(
      { fromCheckpoint: mid.step, changes: { optimizer: { lr: 0.002 } } },
      `/v1/jobs/${parent}/fork`,
    );
    expect(slower.spec.optimizer.lr).toBe(0.002);
    expect(slower.spec.optimizer.betas).toEqual([0.9, 0.999]);
    // Up to the fork point: the fork's first checkpoint is the parent's, byte for byte.
    const own = (await get(`/v1/jobs/${slower.id}/checkpoints`)).json().data as { step: number }[];
    expect(own.at(-1)!.step).toBe(mid.step);
    expect(await t.deps.jobs.checkpointBlob(slower.id, mid.step)).toBe(
      await t.deps.jobs.checkpointBlob(parent, mid.step),
    );
    // After it: the lower lr, other losses, other weights.
    const progress = (await t.deps.jobs.allEvents(slower.id)).filter(
      (e) => e.type === 'progress',
    ) as unknown as {
      step: number;
      lr: number;
    }[];
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((p) => p.step > mid.step && p.lr === 0.002)).toBe(true);
    expect((await epochLosses(slower.id)).at(-1)).not.toEqual(parentEpochs.at(-1));
    expect(await weights(slower.id)).not.toEqual(await weights(parent));

    const children = (await get(`/v1/jobs?parent=${parent}&limit=100`))
      .json()
      .data.map((j: { id: string }) => j.id);
    expect(children).toEqual(expect.arrayContaining([same.id, slower.id]));
    expect(children.length).toBe(4); // the two fine-tunes (one frozen) and the two forks

    // Deleting a fork takes its checkpoint blobs with it; the parent's stay.
    const del = await t.app.inject({ method: 'DELETE', url: `/v1/jobs/${same.id}`, headers: A });
    expect(del.statusCode, del.body).toBe(204);
    expect(await t.deps.redis.exists(t.deps.keys.checkpointBlobs(same.id))).toBe(0);
    expect(await t.deps.jobs.checkpointBlob(parent, mid.step)).not.toBeNull();
  }, 180_000);

  test('a change of what the checkpoint depends on is a 400 naming it', async () => {
    const shape = await post(`/v1/jobs/${parent}/fork`, { changes: { model: { hidden: [8] } } });
    expect(shape.statusCode, shape.body).toBe(400);
    expect(shape.json().errors[0]).toMatchObject({ path: '/changes/model' });
    expect(shape.json().detail).toMatch(
      /"0\.weight" is \[16, 2\] in the checkpoint; the changed model needs \[8, 2\]/,
    );
    const batch = await post(`/v1/jobs/${parent}/fork`, { changes: { training: { batchSize: 10 } } });
    expect(batch.statusCode).toBe(400);
    expect(batch.json().errors[0]).toMatchObject({ path: '/changes/training/batchSize' });
    const invalid = await post(`/v1/jobs/${parent}/fork`, { changes: { optimizer: { lr: -1 } } });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().errors[0].path).toMatch(/^\/changes\/optimizer/);
    const step = await post(`/v1/jobs/${parent}/fork`, { fromCheckpoint: 999_999 });
    expect(step.statusCode).toBe(400);
    expect(step.json().detail).toMatch(/no checkpoint at step 999999; its checkpoints are at steps/);
  });

  test('Idempotency-Key: a retried fork is the same job (200); another body or another parent → 409', async () => {
    const key = { ...A, 'idempotency-key': 'fork-retry-1' };
    const body = { fromCheckpoint: 'last', changes: { optimizer: { lr: 0.005 } } };
    const first = await post(`/v1/jobs/${parent}/fork`, body, key);
    expect(first.statusCode, first.body).toBe(201);
    const again = await post(`/v1/jobs/${parent}/fork`, body, key);
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json().id).toBe(first.json().id);
    const other = await post(`/v1/jobs/${parent}/fork`, { ...body, changes: { optimizer: { lr: 0.001 } } }, key);
    expect(other.statusCode).toBe(409);
    expect(other.json().detail).toContain(first.json().id);
    // The key names one request: the same fork of another job (the fork itself, once it has
    // checkpoints) is another body.
    await finished(first.json().id);
    const ofChild = await post(`/v1/jobs/${first.json().id}/fork`, body, key);
    expect(ofChild.statusCode, ofChild.body).toBe(409);
    // Another tenant's key space is its own: bob's same key forks nothing of alice's (404).
    expect((await post(`/v1/jobs/${parent}/fork`, body, { ...B, 'idempotency-key': 'fork-retry-1' })).statusCode).toBe(404);
  }, 60_000);
});

describe('tenancy and retention', () => {
  test("another tenant's fromJob, fork and parent filter: 404 / nothing", async () => {
    const fromJob = await post('/v1/jobs', spec(taskB, { init: { fromJob: parent } }), B);
    expect(fromJob.statusCode, fromJob.body).toBe(404);
    expect(fromJob.json().detail).toMatch(/init\.fromJob: job .* does not exist/);
    const fork = await post(`/v1/jobs/${parent}/fork`, {}, B);
    expect(fork.statusCode).toBe(404);
    expect((await get(`/v1/jobs?parent=${parent}`, B)).json().data).toEqual([]);
  });

  test('a finished job past DESCENT_CHECKPOINT_RETENTION: fork → 409 naming it; the blobs of a job keep that TTL', async () => {
    // The parent's blobs expire with the retention (never after the job itself: 60 s here).
    const ttl = await t.deps.redis.pttl(t.deps.keys.checkpointBlobs(parent));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(t.cfg.retentionMs);
    // A job (never queued: no worker takes it) finished by a store whose retention is 0: its
    // checkpoint blobs go at the end, the list of them stays.
    const store = createJobStore(t.deps.redis, t.deps.keys, { ...t.cfg, checkpointRetentionMs: 0 });
    const other = newId('job');
    await store.create({
      id: other,
      tenant: 'alice',
      spec: { task: 'supervised', ...spec(taskA) },
      metadata: {},
    });
    await simulateRun({ ...t.deps, jobs: store }, other, { checkpointAt: 3 });
    expect((await get(`/v1/jobs/${other}/checkpoints`)).json().data.length).toBe(1);
    const res = await post(`/v1/jobs/${other}/fork`, { fromCheckpoint: 3 });
    expect(res.statusCode, res.body).toBe(409);
    expect(res.json().detail).toMatch(/no longer stored.*DESCENT_CHECKPOINT_RETENTION/);
  });
});

describe('checkpoint blobs by step', () => {
  test('the blobs of the listed checkpoints are kept, trimmed with the list (a repeated step keeps its blob)', async () => {
    const store = createJobStore(t.deps.redis, t.deps.keys, { ...t.cfg, checkpointKeep: 3 });
    const id = newId('job');
    await store.create({ id, tenant: 'alice', spec: { task: 'supervised', ...spec(taskA) }, metadata: {} });
    const { attempt } = await store.start(id);
    const save = (step: number) =>
      store.saveCheckpoint(
        id,
        attempt,
        { task: 'supervised', step, epoch: 0, state: { step } },
        { step, epoch: 0, loss: null },
      );
    for (const step of [1, 2, 3, 4, 4, 5]) await save(step);
    expect((await store.checkpoints(id)).map((c) => c.step)).toEqual([5, 4, 4]);
    const fields = (await t.deps.redis.hkeys(t.deps.keys.checkpointBlobs(id))).sort();
    expect(fields).toEqual(['4', '5']);
    expect(JSON.parse((await store.checkpointBlob(id, 4))!)).toMatchObject({ step: 4 });
    expect(await store.checkpointBlob(id, 3)).toBeNull();
  });
});
