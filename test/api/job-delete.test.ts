/**
 * DELETE /v1/jobs/{id}: a finished job and everything it owns in Redis go (checked by SCAN over
 * the whole prefix), its BullMQ job too, its Idempotency-Key can be used again, and SSE followers
 * are told; unfinished jobs answer 409, unknown or another tenant's 404. Real redis-server.
 */
import type { FastifyInstance } from 'fastify';
import { UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { simulateRun } from '../helpers/simulate.js';
import { parseApiKeys } from '../../src/queue/config.js';
import { buildApp } from '../../src/api/app.js';
import { createTrainingQueue } from '../../src/queue/training-queue.js';
import { encodeSafetensors, sha256Hex } from '../../src/queue/safetensors.js';
import { readSse } from '../helpers/sse-client.js';
import { validateInjectedResponses } from '../helpers/openapi-validator.js';
import { TINY_LINEAR_SPEC } from '../helpers/specs.js';

const KEY_A = 'ka-3f9a1c0d7e5b42a8b6c1d2e3f4a5b6c7';
const KEY_B = 'kb-0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const A = { authorization: `Bearer ${KEY_A}` };
const B = { authorization: `Bearer ${KEY_B}` };

const spec = TINY_LINEAR_SPEC;

let redis: TestRedis;
let t: TestApp;
let app: FastifyInstance;

beforeAll(async () => {
  redis = await startRedis();
  t = await makeTestApp(redis.url, 'job-delete', {
    cfg: { apiKeys: parseApiKeys(`alice:${KEY_A},bob:${KEY_B}`) },
  });
  // With the job cap on, so the tenant's active-set entry exists and must go too.
  app = await buildApp(t.deps, {
    security: { rateLimit: null, maxActiveJobs: 10, jobCapRetrySeconds: 1 },
  });
  await app.ready();
  validateInjectedResponses(app);
});
afterAll(async () => {
  await app?.close();
  await t?.close();
  await redis?.stop();
});

async function create(headers: Record<string, string> = A): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/v1/jobs', payload: spec, headers });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}

const del = (id: string, headers: Record<string, string> = A) =>
  app.inject({ method: 'DELETE', url: `/v1/jobs/${id}`, headers });

/** Every key under this test's prefix (SCAN, not KEYS), sorted. */
async function allKeys(): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await t.deps.redis.scan(cursor, 'MATCH', `${t.cfg.prefix}*`, 'COUNT', 1000);
    out.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return out.sort();
}

/** Run a job the way a worker would, with a checkpoint, progress and weights. */
async function runWithCheckpoint(id: string): Promise<void> {
  const { attempt } = await t.deps.jobs.start(id);
  const time = new Date().toISOString();
  await t.deps.jobs.appendEvent(
    id,
    attempt,
    { type: 'progress', jobId: id, attempt, time, step: 1, epoch: 1, loss: 0.5, lr: 0.1, gradNorm: 1 },
    { epoch: 1, epochs: 1, step: 1, totalSteps: 2, loss: 0.5 },
  );
  await t.deps.jobs.saveCheckpoint(id, attempt, { step: 1 }, { step: 1, epoch: 1, loss: 0.5 });
  const bytes = encodeSafetensors(
    { weight: { shape: [1, 2], data: new Float32Array([1, 2]) } },
    { jobId: id },
  );
  await t.deps.jobs.finish(id, attempt, 'succeeded', {
    result: { loss: 0.1, valLoss: null, metrics: {}, parameters: 2, durationMs: 1, steps: 2 },
    weights: bytes,
    weightsSha256: sha256Hex(bytes),
  });
}

describe('DELETE /v1/jobs/{id}', () => {
  test('a finished job: 204, and no Redis key mentions it any more; the BullMQ job is gone', async () => {
    const keep = await create(); // another job of the tenant, which must be untouched
    const res = await app.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: spec,
      headers: { ...A, 'idempotency-key': 'delete-me-1' },
    });
    const id = res.json().id as string;
    await runWithCheckpoint(id);
    const queue = createTrainingQueue(t.deps.redis.duplicate(), t.cfg);
    try {
      expect(await queue.queue.getJob(id)).toBeDefined();
      const before = await allKeys();
      const mentioning = before.filter((k) => k.includes(id));
      // job hash, events, weights, checkpoints list, BullMQ job hash at least
      expect(mentioning.length).toBeGreaterThanOrEqual(5);
      const idemKey = before.find((k) => k.includes(':idem:alice:'));
      expect(idemKey).toBeDefined();
      expect(await t.deps.redis.zscore(t.deps.keys.active('alice'), id)).not.toBeNull();

      const d = await del(id);
      expect(d.statusCode, d.body).toBe(204);
      expect(d.body).toBe('');

      const after = await allKeys();
      expect(after.filter((k) => k.includes(id))).toEqual([]);
      // Members of sets and lists (index, job cap, BullMQ's wait list) do not name it either.
      expect(await t.deps.redis.zscore(t.deps.keys.jobIndex('alice'), id)).toBeNull();
      expect(await t.deps.redis.zscore(t.deps.keys.active('alice'), id)).toBeNull();
      expect(await t.deps.redis.lpos(`${t.cfg.prefix}:${t.cfg.queueName}:wait`, id)).toBeNull();
      expect(await queue.queue.getJob(id)).toBeUndefined();
      expect(after).not.toContain(idemKey);
      // Only what the job owned went: the other job's keys are all still there.
      expect(after).toEqual(before.filter((k) => !k.includes(id) && k !== idemKey));
      expect((await app.inject({ url: `/v1/jobs/${keep}`, headers: A })).statusCode).toBe(200);
    } finally {
      await queue.close();
    }

    // Gone for every route, and for the list.
    expect((await app.inject({ url: `/v1/jobs/${id}`, headers: A })).statusCode).toBe(404);
    expect((await app.inject({ url: `/v1/jobs/${id}/events`, headers: A })).statusCode).toBe(404);
    expect((await app.inject({ url: `/v1/jobs/${id}/weights`, headers: A })).statusCode).toBe(404);
    const list = (await app.inject({ url: '/v1/jobs?limit=100', headers: A })).json();
    expect(list.data.map((j: { id: string }) => j.id)).not.toContain(id);
    // The Idempotency-Key is free again: the same request makes a new job.
    const again = await app.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: spec,
      headers: { ...A, 'idempotency-key': 'delete-me-1' },
    });
    expect(again.statusCode).toBe(201);
    expect(again.json().id).not.toBe(id);
  });

  test('a job BullMQ keeps in its failed set (the sandbox died every attempt) goes from there too', async () => {
    const id = await create();
    const conn = new Redis(redis.url, { maxRetriesPerRequest: null });
    const worker = new Worker(t.cfg.queueName, null, {
      connection: conn,
      prefix: t.cfg.prefix,
      autorun: false,
    });
    const queue = createTrainingQueue(t.deps.redis.duplicate(), t.cfg);
    try {
      // What the worker does when its last attempt's sandbox dies: BullMQ fails the job (kept for
      // the retention as removeOnFail says) and our record is ended WORKER_LOST.
      let job = await worker.getNextJob('tok', { block: false });
      while (job && job.id !== id) job = await worker.getNextJob('tok', { block: false }); // older tests' jobs
      expect(job?.id).toBe(id);
      await job!.moveToFailed(new UnrecoverableError('sandbox died'), 'tok', false);
      await t.deps.jobs.finish(id, '*', 'failed', { error: { code: 'WORKER_LOST', message: 'died' } });
      expect(await queue.queue.getJobState(id)).toBe('failed');
      expect((await del(id)).statusCode).toBe(204);
      expect((await allKeys()).filter((k) => k.includes(id))).toEqual([]);
      expect(await queue.queue.getJob(id)).toBeUndefined();
      expect(await t.deps.redis.zscore(`${t.cfg.prefix}:${t.cfg.queueName}:failed`, id)).toBeNull();
    } finally {
      await worker.close();
      conn.disconnect();
      await queue.close();
    }
  });

  test('a second DELETE, an unknown id and another tenant’s job → 404 problem+json', async () => {
    const id = await create();
    await simulateRun(t.deps, id, { fail: true });
    const other = await del(id, B);
    expect(other.statusCode).toBe(404);
    expect(other.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((await app.inject({ url: `/v1/jobs/${id}`, headers: A })).statusCode).toBe(200);
    expect((await del(id)).statusCode).toBe(204);
    const second = await del(id);
    expect(second.statusCode).toBe(404);
    expect(second.json()).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect((await del('job_0000000000000000000000')).statusCode).toBe(404);
  });

  test('queued, running and cancelling jobs → 409 "cancel it first", and nothing is removed', async () => {
    const queued = await create();
    const running = await create();
    await t.deps.jobs.start(running);
    const cancelling = await create();
    await t.deps.jobs.start(cancelling);
    await t.deps.jobs.requestCancel(cancelling);
    for (const [id, status] of [
      [queued, 'queued'],
      [running, 'running'],
      [cancelling, 'cancelling'],
    ]) {
      const keysBefore = (await allKeys()).filter((k) => k.includes(id));
      const res = await del(id);
      expect(res.statusCode).toBe(409);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      const p = res.json();
      expect(p).toMatchObject({ status: 409, code: 'CONFLICT' });
      expect(p.detail).toContain(status);
      expect(p.detail).toMatch(/[Cc]ancel it first/);
      expect((await allKeys()).filter((k) => k.includes(id))).toEqual(keysBefore);
      expect((await app.inject({ url: `/v1/jobs/${id}`, headers: A })).json().status).toBe(status);
    }
    // The queued job is still in BullMQ's wait list, so a worker would still run it.
    expect(await t.deps.redis.lpos(`${t.cfg.prefix}:${t.cfg.queueName}:wait`, queued)).not.toBeNull();
  });

  test('a finished job whose BullMQ job a worker still holds → 409 with Retry-After, then 204', async () => {
    const id = await create();
    await simulateRun(t.deps, id);
    const lock = `${t.cfg.prefix}:${t.cfg.queueName}:${id}:lock`;
    await t.deps.redis.set(lock, 'worker-token');
    const res = await del(id);
    expect(res.statusCode).toBe(409);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.json().detail).toMatch(/retry/);
    expect((await app.inject({ url: `/v1/jobs/${id}`, headers: A })).statusCode).toBe(200);
    await t.deps.redis.del(lock);
    expect((await del(id)).statusCode).toBe(204);
  });

  test('SSE followers of the stream are told it was dropped', async () => {
    const id = await create();
    await simulateRun(t.deps, id);
    let dropped = 0;
    const events: string[] = [];
    const unsub = await t.deps.tailer.subscribe(
      t.deps.keys.events(id),
      (ev) => events.push(ev.type),
      () => dropped++,
    );
    expect(t.deps.tailer.stats().streams).toBeGreaterThanOrEqual(1);
    const streams = t.deps.tailer.stats().streams;
    expect((await del(id)).statusCode).toBe(204);
    expect(dropped).toBe(1);
    expect(t.deps.tailer.stats().streams).toBe(streams - 1);
    unsub();
  });

  test('an open SSE response of the job ends cleanly when it is deleted', async () => {
    const id = await create();
    const { attempt } = await t.deps.jobs.start(id);
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const seen = new Map<string, () => void>();
    const arrived = (event: string) => new Promise<void>((resolve) => seen.set(event, resolve));
    const running = arrived('status');
    const progress = arrived('progress');
    const sse = readSse(`${base}/v1/jobs/${id}/events`, {
      headers: A,
      timeoutMs: 10_000,
      onEvent: (m) => seen.get(m.event)?.(),
    });
    await running;
    // An event appended now reaches the client through the live tail, after the route's check of
    // a finished job (it asks Redis before writing anything more): the response now follows.
    const time = new Date().toISOString();
    await t.deps.jobs.appendEvent(id, attempt, {
      type: 'progress',
      jobId: id,
      attempt,
      time,
      step: 1,
      epoch: 1,
      loss: 1,
      lr: 0.1,
      gradNorm: 1,
    });
    await progress;
    // The job finished while this response followed it without seeing `end` (the race DELETE's
    // drop exists for): mark it finished behind the stream's back, then delete it.
    await t.deps.redis.hset(t.deps.keys.job(id), 'status', 'succeeded');
    const started = Date.now();
    expect((await del(id)).statusCode).toBe(204);
    const res = await sse;
    expect(res.status).toBe(200);
    expect(res.closedByServer).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(res.comments).toContain(`job ${id} was deleted`);
    expect(res.events.map((e) => e.event)).toEqual(['status', 'status', 'progress']);
  });
});
