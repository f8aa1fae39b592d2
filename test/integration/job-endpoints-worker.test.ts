/**
 * The everyday endpoints against a real worker (sandboxed processor, stand-in trainer) and a real
 * redis-server: DELETE of jobs that ended each way leaves no key naming them, a running one is a
 * 409 until cancelled, and `queuePosition` / `etaSeconds` while a job waits behind another / trains.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { startWorker, type RunningWorker } from '../../workers/worker.js';
import { quickLinearSpec } from '../helpers/specs.js';

const STUB = fileURLToPath(new URL('../helpers/stub.sandbox.mjs', import.meta.url));

let redis: TestRedis;
let t: TestApp;
let worker: RunningWorker;

const spec = quickLinearSpec;

async function create(body: unknown, headers: Record<string, string> = {}): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: body as object, headers });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}

const getJob = async (id: string) => (await t.app.inject({ url: `/v1/jobs/${id}` })).json();

async function waitFor<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out; last value ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Keys under this test's prefix that name `id` (SCAN). */
async function keysNaming(id: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await t.deps.redis.scan(cursor, 'MATCH', `${t.cfg.prefix}*`, 'COUNT', 1000);
    out.push(...batch.filter((k) => k.includes(id)));
    cursor = next;
  } while (cursor !== '0');
  return out.sort();
}

beforeAll(async () => {
  redis = await startRedis();
  t = await makeTestApp(redis.url, 'endpoints-worker');
  worker = await startWorker(t.cfg, { processorFile: STUB, backend: 'stub', log: () => {} });
});
afterAll(async () => {
  await worker?.close(2000);
  await t?.close();
  await redis?.stop();
});

describe('with a real worker', () => {
  test('succeeded, failed and cancelled jobs are deleted without a trace; running → 409', async () => {
    const ok = await create(spec({ stubSteps: '3', stubCheckpointEvery: '1' }), { 'idempotency-key': 'w-1' });
    const failed = await create(spec({ stubFail: 'loss became NaN at step 3' }, 1));
    await waitFor(
      () => getJob(ok),
      (j) => j.status === 'succeeded',
    );
    await waitFor(
      () => getJob(failed),
      (j) => j.status === 'failed',
    );
    expect((await t.app.inject({ url: `/v1/jobs/${ok}/checkpoints` })).json().data.length).toBeGreaterThan(0);
    expect(await keysNaming(ok)).not.toEqual([]);

    const running = await create(spec({ stubSteps: '1000', stubStepMs: '10' }, 1));
    await waitFor(
      () => getJob(running),
      (j) => j.status === 'running',
    );
    const refused = await t.app.inject({ method: 'DELETE', url: `/v1/jobs/${running}` });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().detail).toMatch(/running.*[Cc]ancel it first/);
    await t.app.inject({ method: 'POST', url: `/v1/jobs/${running}/cancel` });
    await waitFor(
      () => getJob(running),
      (j) => j.status === 'cancelled',
    );

    for (const id of [ok, failed, running]) {
      const res = await t.app.inject({ method: 'DELETE', url: `/v1/jobs/${id}` });
      expect(res.statusCode, res.body).toBe(204);
      expect(await keysNaming(id)).toEqual([]);
      expect(await t.deps.redis.zscore(t.deps.keys.jobIndex('default'), id)).toBeNull();
      expect((await t.app.inject({ url: `/v1/jobs/${id}` })).statusCode).toBe(404);
    }
    // The key is free again, and the worker still takes new jobs.
    const again = await create(spec({ stubSteps: '1' }, 1), { 'idempotency-key': 'w-1' });
    expect(again).not.toBe(ok);
    await waitFor(
      () => getJob(again),
      (j) => j.status === 'succeeded',
    );
  });

  test('queuePosition behind a running job, etaSeconds while it trains', async () => {
    // One full-batch step per epoch, as the worker's totalSteps (from the spec) expects.
    const first = await create(spec({ stubSteps: '1', stubStepMs: '10' }, 150));
    const second = await create(spec({ stubSteps: '1' }, 1));
    const third = await create(spec({ stubSteps: '1' }, 1));
    const run = await waitFor(
      () => getJob(first),
      (j) => j.status === 'running' && j.progress?.step > 10,
    );
    expect(run.queuePosition).toBeNull();
    // ~1.5 s of steps in all; the estimate is of that order (loose: the machine may be busy).
    expect(run.etaSeconds).toBeGreaterThan(0);
    expect(run.etaSeconds).toBeLessThan(30);
    expect((await getJob(second)).queuePosition).toBe(1);
    expect((await getJob(third)).queuePosition).toBe(2);
    const done = await waitFor(
      () => getJob(third),
      (j) => j.status === 'succeeded',
    );
    expect(done).toMatchObject({ queuePosition: null, etaSeconds: null });
  });
});
