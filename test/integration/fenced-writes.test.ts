/**
 * The store's worker-side writes against a real redis-server: fenced by attempt (a stale attempt
 * writes nothing — events, checkpoints, results), exactly once across resends (write numbers),
 * checkpoint metadata trimmed to the last N, the blob replaced whole and dropped at the end.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import type { JobEvent } from '../../src/contracts/events.js';

let redis: TestRedis;
let t: TestApp;

beforeAll(async () => {
  redis = await startRedis();
  t = await makeTestApp(redis.url, 'fenced', { cfg: { checkpointKeep: 3, maxStarts: 3 } });
});
afterAll(async () => {
  await t?.close();
  await redis?.stop();
});

async function newJob(): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/jobs',
    payload: {
      model: { type: 'linear' },
      data: { builtin: 'iris' },
      loss: 'cross_entropy',
      optimizer: { type: 'sgd', lr: 0.1 },
    },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
}
const log = (id: string, attempt: number, message: string): JobEvent => ({
  type: 'log',
  jobId: id,
  attempt,
  time: new Date().toISOString(),
  level: 'info',
  message,
});

test('a stale attempt can write no event, checkpoint or result; a resent write applies once', async () => {
  const { jobs } = t.deps;
  const id = await newJob();
  const a1 = await jobs.start(id, 'w_a');
  expect(a1).toEqual({ verdict: 'run', attempt: 1 });
  expect(await jobs.appendEvent(id, 1, log(id, 1, 'one'), undefined, 1)).toMatch(/^\d+-\d+$/);
  expect(await jobs.appendEvent(id, 1, log(id, 1, 'one'), undefined, 1)).toBe('dup');
  expect(await jobs.saveCheckpoint(id, 1, { s: 1 }, { step: 10, epoch: 1, loss: 0.5 }, 2)).toMatch(/-/);
  expect(await jobs.saveCheckpoint(id, 1, { s: 1 }, { step: 10, epoch: 1, loss: 0.5 }, 2)).toBe('dup');

  // Another worker takes over (a stall): attempt 2. Attempt 1 is now fenced off.
  expect(await jobs.start(id, 'w_b')).toEqual({ verdict: 'run', attempt: 2 });
  expect(await jobs.appendEvent(id, 1, log(id, 1, 'stale'), undefined, 3)).toBeNull();
  expect(await jobs.saveCheckpoint(id, 1, { s: 'stale' }, { step: 99, epoch: 9, loss: 0 }, 4)).toBeNull();
  expect(await jobs.finish(id, 1, 'succeeded', { result: null })).toBe(false);
  expect(await jobs.requeue(id, 1)).toBe(false);
  expect(await jobs.loadCheckpoint(id)).toEqual({ s: 1 });
  // Write numbers start over with the attempt.
  expect(await jobs.appendEvent(id, 2, log(id, 2, 'two'), undefined, 1)).toMatch(/-/);

  const events = await jobs.allEvents(id);
  expect(events.filter((e) => e.type === 'log').map((e) => (e as { message: string }).message)).toEqual([
    'one',
    'two',
  ]);
  expect(events.filter((e) => e.type === 'checkpoint')).toHaveLength(1);
  expect((await jobs.checkpoints(id)).map((c) => [c.attempt, c.step])).toEqual([[1, 10]]);
  expect(await jobs.finish(id, 2, 'succeeded', { result: null })).toBe(true);
  expect(await jobs.appendEvent(id, 2, log(id, 2, 'late'), undefined, 2)).toBeNull();
});

test('checkpoints: the last N are listed newest first, one blob is kept, and dropped at the end', async () => {
  const { jobs, redis: r, keys } = t.deps;
  const id = await newJob();
  await jobs.start(id, 'w_a');
  for (let i = 1; i <= 5; i++)
    expect(
      await jobs.saveCheckpoint(id, 1, { step: i }, { step: i * 10, epoch: i, loss: 1 / i }, i),
    ).not.toBeNull();
  const list = (await t.app.inject({ url: `/v1/jobs/${id}/checkpoints` })).json();
  expect(list.data.map((c: { step: number }) => c.step)).toEqual([50, 40, 30]);
  expect(list.data[0]).toMatchObject({ epoch: 5, loss: 0.2, attempt: 1 });
  expect(list.data[0].bytes).toBe(JSON.stringify({ step: 5 }).length);
  expect(await jobs.loadCheckpoint(id)).toEqual({ step: 5 });
  await jobs.finish(id, 1, 'cancelled', {});
  expect(await r.exists(keys.checkpoint(id))).toBe(0);
  expect((await jobs.checkpoints(id)).length).toBe(3);
  expect(await r.pttl(keys.checkpoints(id))).toBeGreaterThan(0);
});

test('a job started more than DESCENT_MAX_STARTS times is given up; hand-backs do not count', async () => {
  const { jobs } = t.deps;
  const id = await newJob();
  expect((await jobs.start(id)).verdict).toBe('run');
  expect(await jobs.requeue(id, 1)).toBe(true);
  for (let i = 0; i < 3; i++) expect((await jobs.start(id)).verdict).toBe('run');
  expect(await jobs.start(id)).toEqual({ verdict: 'exhausted', attempt: 5 });
});
