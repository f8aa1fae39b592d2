/**
 * The Redis side of sweeps, against a real redis-server: a trial job's pause → promote → stop
 * transitions (fenced, idempotent, weights and checkpoint kept where they must be), the
 * create-if-absent of a trial job, and the sweep store's compare-and-set (one winner of two
 * decisions from the same version; state, actions and events written together or not at all).
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startRedis, uniquePrefix, type TestRedis } from '../helpers/redis.js';
import { createKeys } from '../../src/queue/keys.js';
import { createJobStore } from '../../src/queue/job-store.js';
import { createSweepStore } from '../../src/queue/sweep-store.js';
import { segmentQueueId, trialJobId } from '../../src/queue/ids.js';

let redis: TestRedis;
let r: Redis;
beforeAll(async () => {
  redis = await startRedis();
  r = new Redis(redis.url);
});
afterAll(async () => {
  r?.disconnect();
  await redis?.stop();
});

const cfg = { streamMaxLen: 1000, retentionMs: 60_000 };

function stores() {
  const keys = createKeys(uniquePrefix('sweep-store'));
  return { keys, jobs: createJobStore(r, keys, cfg), sweeps: createSweepStore(r, keys, cfg) };
}

const trialJob = (id: string, sweepId: string) => ({
  id,
  tenant: 't',
  spec: { model: { type: 'linear' } },
  metadata: {},
  trial: { sweepId, trialId: `${sweepId}.t0`, index: 0, untilEpoch: 1 },
});

test('a trial job pauses with its weights, is promoted once, and stops succeeded with them', async () => {
  const { jobs, keys } = stores();
  const id = trialJobId('swp_0000000000000000000000', 0);
  expect(await jobs.createIfAbsent(trialJob(id, 'swp_0000000000000000000000'))).toBe(true);
  expect(await jobs.createIfAbsent(trialJob(id, 'swp_0000000000000000000000'))).toBe(false);
  const job = await jobs.get(id);
  expect(job).toMatchObject({
    status: 'queued',
    sweepId: 'swp_0000000000000000000000',
    trialId: 'swp_0000000000000000000000.t0',
  });
  expect(segmentQueueId(id, (await jobs.getHash(id))!)).toBe(`${id}-r0`);

  const { attempt } = await jobs.start(id, 'w_test');
  await jobs.saveCheckpoint(id, attempt, { at: 1 }, { step: 5, epoch: 1, loss: 0.5 });
  const result = { loss: 0.5, valLoss: 0.6, metrics: {}, parameters: 3, durationMs: 1, epochs: 1 };
  // A stale attempt cannot pause it.
  expect(await jobs.pause(id, attempt + 1, { result, weights: Buffer.from('w1'), weightsSha256: 'x' })).toBe(
    false,
  );
  expect(await jobs.pause(id, attempt, { result, weights: Buffer.from('w1'), weightsSha256: 'x' })).toBe(
    true,
  );
  expect((await jobs.get(id))!.status).toBe('paused');
  expect((await jobs.weights(id))!.toString()).toBe('w1');
  expect(await jobs.loadCheckpoint(id)).toEqual({ at: 1 }); // the next segment resumes from it
  // A stray queue entry does not retrain a paused trial.
  expect((await jobs.start(id, 'w_other')).verdict).toBe('done');

  expect(await jobs.promote(id, 2, 9)).toBe('no'); // not from rung 1
  expect(await jobs.promote(id, 1, 3)).toBe('promoted');
  expect(await jobs.promote(id, 1, 3)).toBe('already');
  const h = (await jobs.getHash(id))!;
  expect([h.status, h.segRung, h.untilEpoch]).toEqual(['queued', '1', '3']);
  expect(segmentQueueId(id, h)).toBe(`${id}-r1`);
  expect(await jobs.stop(id)).toBe(false); // only a paused trial stops

  const second = await jobs.start(id, 'w_test');
  expect(second.verdict).toBe('run');
  const result3 = { ...result, epochs: 3 };
  expect(
    await jobs.pause(id, second.attempt, { result: result3, weights: Buffer.from('w3'), weightsSha256: 'y' }),
  ).toBe(true);
  expect(await jobs.stop(id)).toBe(true);
  expect(await jobs.stop(id)).toBe(false);
  const done = (await jobs.get(id))!;
  expect(done.status).toBe('succeeded');
  expect(done.result).toEqual(result3);
  expect((await jobs.weights(id))!.toString()).toBe('w3');
  expect(await r.pttl(keys.weights(id))).toBeGreaterThan(0);
  const events = await jobs.allEvents(id);
  expect(events.filter((e) => e.type === 'end')).toHaveLength(1);
  expect(events.filter((e) => e.type === 'status').map((e) => (e as { status: string }).status)).toEqual([
    'queued',
    'running',
    'paused',
    'queued',
    'running',
    'paused',
    'succeeded',
  ]);
});

test('a paused trial that is cancelled keeps its weights', async () => {
  const { jobs } = stores();
  const id = trialJobId('swp_1111111111111111111111', 0);
  await jobs.createIfAbsent(trialJob(id, 'swp_1111111111111111111111'));
  const { attempt } = await jobs.start(id);
  await jobs.pause(id, attempt, { result: null, weights: Buffer.from('w'), weightsSha256: 'z' });
  expect(await jobs.finish(id, '*', 'cancelled', {})).toBe(true);
  expect((await jobs.weights(id))!.toString()).toBe('w');
});

test('sweep CAS: of two decisions from one version exactly one is written, with its actions and events', async () => {
  const { sweeps, keys } = stores();
  await sweeps.create({
    id: 'swp_a',
    tenant: 't',
    request: { metric: 'valLoss' },
    rungs: [1, 3],
    epochsMax: 10,
    params: [{ x: 1 }, { x: 2 }],
    specs: [{ a: 1 }, { a: 2 }],
    first: {
      state: { n: 0 },
      inflight: {},
      actions: [{ kind: 'launch', trial: 1, untilEpoch: 3 }],
      events: [],
    },
  });
  expect(await sweeps.pending('swp_a')).toEqual([
    { seq: 1, action: { kind: 'launch', trial: 1, untilEpoch: 3 } },
  ]);
  await sweeps.ack('swp_a', 1);
  expect(await sweeps.trialSpec('swp_a', 1)).toEqual({ a: 2 });
  const decide = (n: number) =>
    sweeps.cas('swp_a', 1, {
      state: { n },
      inflight: { 0: 0 },
      actions: [{ kind: 'launch', trial: 0, untilEpoch: 1, lr: 0.1 + 0.2 }],
      events: [{ type: 'status', status: 'running' }],
      status: 'running',
    });
  const [a, b] = await Promise.all([decide(1), decide(2)]);
  expect([a, b].filter((v) => v === 2)).toHaveLength(1);
  expect([a, b].filter((v) => v === null)).toHaveLength(1);
  const sw = (await sweeps.get('swp_a'))!;
  expect(sw.version).toBe(2);
  expect(sw.status).toBe('running');
  expect(sw.startedAt).not.toBeNull();
  expect(sw.inflight).toEqual({ 0: 0 });
  const pending = await sweeps.pending('swp_a');
  // One decision's actions only, numbers exact (no cjson re-encoding).
  expect(pending).toEqual([{ seq: 2, action: { kind: 'launch', trial: 0, untilEpoch: 1, lr: 0.1 + 0.2 } }]);
  expect((await sweeps.events('swp_a', { limit: 10 })).data).toHaveLength(1);
  await sweeps.ack('swp_a', 2);
  expect(await sweeps.pending('swp_a')).toEqual([]);
  expect(await sweeps.active()).toEqual(['swp_a']);
  await sweeps.cas('swp_a', 2, { state: {}, inflight: {}, actions: [], events: [], status: 'succeeded' });
  expect(await sweeps.active()).toEqual([]);
  expect((await sweeps.get('swp_a'))!.finishedAt).not.toBeNull();
  expect(await r.exists(keys.sweepEvents('swp_a'))).toBe(1);
  expect((await sweeps.list('t', { limit: 10 })).data.map((s) => s.id)).toEqual(['swp_a']);
  expect(await sweeps.get('swp_a', 'other')).toBeNull();
});
