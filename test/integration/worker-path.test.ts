/**
 * The worker path against a real redis-server: API → BullMQ → sandboxed processor (the real job
 * runner with a stand-in trainer) → job stream → SSE, cancellation, resume, retention.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { readSse } from '../helpers/sse-client.js';
import { startWorker, type RunningWorker } from '../../workers/worker.js';
import { quickLinearSpec } from '../helpers/specs.js';

const STUB = fileURLToPath(new URL('../helpers/stub.sandbox.mjs', import.meta.url));

let redis: TestRedis;
let t: TestApp;
let base: string;
let worker: RunningWorker;

const spec = quickLinearSpec;

async function create(body: unknown) {
  const res = await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: body as object });
  expect(res.statusCode).toBe(201);
  return res.json().id as string;
}

async function waitFor<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out; last value ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const getJob = async (id: string) => (await t.app.inject({ url: `/v1/jobs/${id}` })).json();

beforeAll(async () => {
  redis = await startRedis();
  t = await makeTestApp(redis.url, 'worker-path');
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const addr = t.app.server.address() as { port: number };
  base = `http://127.0.0.1:${addr.port}`;
  worker = await startWorker(t.cfg, { processorFile: STUB, backend: 'stub', log: () => {} });
});

afterAll(async () => {
  await worker?.close(2000);
  await t?.close();
  await redis?.stop();
});

describe('worker path', () => {
  test('a job runs in the sandbox, streams every event tagged with its attempt, and ends succeeded', async () => {
    const id = await create(spec({ stubSteps: '3' }));
    const { events, closedByServer } = await readSse(`${base}/v1/jobs/${id}/events`, { timeoutMs: 20_000 });
    expect(closedByServer).toBe(true);
    const types = events.map((e) => e.event);
    expect(types[0]).toBe('status');
    expect(types.at(-1)).toBe('end');
    expect(types).toContain('progress');
    expect(types.filter((x) => x === 'epoch')).toHaveLength(2);
    const statuses = events.filter((e) => e.event === 'status').map((e) => JSON.parse(e.data).status);
    expect(statuses).toEqual(['queued', 'running', 'succeeded']);
    for (const e of events.slice(1)) expect(JSON.parse(e.data).attempt).toBe(1);
    const end = JSON.parse(events.at(-1)!.data);
    expect(end.status).toBe('succeeded');
    expect(end.result.metrics.accuracy).toBe(1);

    const job = await getJob(id);
    expect(job.status).toBe('succeeded');
    expect(job.attempt).toBe(1);
    expect(job.startedAt).not.toBeNull();
    expect(job.finishedAt).not.toBeNull();
    expect(job.progress).toMatchObject({ epochs: 2, epoch: 2 });

    const w = await t.app.inject({ url: `/v1/jobs/${id}/weights` });
    expect(w.statusCode).toBe(200);
    expect(w.json().weights.weight).toEqual([[0.5, 0.5]]);
    const p = await t.app.inject({
      method: 'POST',
      url: `/v1/jobs/${id}/predict`,
      payload: { inputs: [[2, 2]] },
    });
    expect(p.json().outputs).toEqual([[2]]);

    // Finished jobs, their streams and weights carry the retention TTL.
    const ttl = await t.deps.redis.pttl(t.deps.keys.job(id));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(t.cfg.retentionMs);
    expect(await t.deps.redis.pttl(t.deps.keys.events(id))).toBeGreaterThan(0);
    expect(await t.deps.redis.pttl(t.deps.keys.weights(id))).toBeGreaterThan(0);

    const m = await t.app.inject({ url: `/v1/jobs/${id}/metrics` });
    expect(m.json().epochs.epoch).toEqual([1, 2]);
  });

  test('progress events are throttled to at most one per progressEveryMs, and each epoch has one', async () => {
    const id = await create(spec({ stubSteps: '40', stubStepMs: '1' }, 3));
    await readSse(`${base}/v1/jobs/${id}/events`, { timeoutMs: 20_000 });
    const page = (await t.app.inject({ url: `/v1/jobs/${id}/events?limit=1000` })).json();
    const progress = page.data.filter((e: { type: string }) => e.type === 'progress');
    // 120 steps of ~1 ms each: throttled to far fewer events.
    expect(progress.length).toBeLessThan(60);
    for (const epoch of [1, 2, 3])
      expect(progress.some((e: { epoch: number }) => e.epoch === epoch)).toBe(true);
  });

  test('cancel: a queued job is cancelled at once, a running one within a second', async () => {
    const running = await create(spec({ stubSteps: '1000', stubStepMs: '10' }, 1));
    await waitFor(
      () => getJob(running),
      (j) => j.status === 'running',
    );
    const queued = await create(spec({ stubSteps: '1' }, 1));

    const c1 = await t.app.inject({ method: 'POST', url: `/v1/jobs/${queued}/cancel` });
    expect(c1.statusCode).toBe(200);
    expect(c1.json().status).toBe('cancelled');

    const t0 = Date.now();
    const c2 = await t.app.inject({ method: 'POST', url: `/v1/jobs/${running}/cancel` });
    expect(c2.json().status).toBe('cancelling');
    const done = await waitFor(
      () => getJob(running),
      (j) => j.status === 'cancelled',
      3000,
    );
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(done.finishedAt).not.toBeNull();

    // Idempotent: cancelling again changes nothing.
    const again = await t.app.inject({ method: 'POST', url: `/v1/jobs/${running}/cancel` });
    expect(again.json().status).toBe('cancelled');
    const ev = (await t.app.inject({ url: `/v1/jobs/${running}/events?limit=1000` })).json().data;
    expect(ev.at(-1).type).toBe('end');
    expect(ev.at(-1).status).toBe('cancelled');
    const statuses = ev
      .filter((e: { type: string }) => e.type === 'status')
      .map((e: { status: string }) => e.status);
    expect(statuses).toEqual(['queued', 'running', 'cancelling', 'cancelled']);
    // The cancelled queued job never ran.
    const q = await getJob(queued);
    expect(q.attempt).toBe(0);
    expect(q.startedAt).toBeNull();
  });

  test('a client that resumes with Last-Event-ID gets exactly the remaining events (no gap, no duplicate)', async () => {
    const id = await create(spec({ stubSteps: '10', stubStepMs: '15' }, 3));
    const k = 4;
    const first = await readSse(`${base}/v1/jobs/${id}/events`, { maxEvents: k, timeoutMs: 20_000 });
    expect(first.events).toHaveLength(k);
    const last = first.events.at(-1)!.id!;
    const rest = await readSse(`${base}/v1/jobs/${id}/events`, {
      headers: { 'last-event-id': last },
      timeoutMs: 20_000,
    });
    expect(rest.closedByServer).toBe(true);
    const seen = [...first.events, ...rest.events].map((e) => e.id);

    // The same job read as JSON pages of 3: one cursor, the same ids.
    const paged: string[] = [];
    let after: string | undefined;
    for (;;) {
      const res = await t.app.inject({
        url: `/v1/jobs/${id}/events?limit=3${after ? `&after=${after}` : ''}`,
      });
      const page = res.json();
      paged.push(...page.data.map((e: { id: string }) => e.id));
      if (!page.hasMore) break;
      after = page.nextCursor;
    }
    expect(seen).toEqual(paged);
    expect(new Set(seen).size).toBe(seen.length);
    expect(rest.events.at(-1)!.event).toBe('end');
  });

  test('a finished job replays through end and closes; disconnects release the tail subscription', async () => {
    const id = await create(spec({ stubSteps: '2' }, 1));
    await waitFor(
      () => getJob(id),
      (j) => j.status === 'succeeded',
    );
    const replay = await readSse(`${base}/v1/jobs/${id}/events`, { timeoutMs: 5000 });
    expect(replay.closedByServer).toBe(true);
    expect(replay.events.at(-1)!.event).toBe('end');

    const long = await create(spec({ stubSteps: '200', stubStepMs: '10' }, 1));
    await Promise.all(
      Array.from({ length: 5 }, () =>
        readSse(`${base}/v1/jobs/${long}/events`, { maxEvents: 2, timeoutMs: 5000 }),
      ),
    );
    await waitFor(
      async () => t.deps.tailer.stats().listeners,
      (n) => n === 0,
      3000,
    );
    await t.app.inject({ method: 'POST', url: `/v1/jobs/${long}/cancel` });
    await waitFor(
      () => getJob(long),
      (j) => j.status === 'cancelled',
    );
  });

  test('SSE heartbeats are ": ping" comments', async () => {
    const id = await create(spec({ stubSteps: '150', stubStepMs: '10' }, 1));
    const r = await readSse(`${base}/v1/jobs/${id}/events`, { timeoutMs: 20_000 });
    expect(r.comments).toContain('ping');
    expect(r.events.at(-1)!.event).toBe('end');
  });

  test('/readyz sees the worker and its kernel backend', async () => {
    const res = await t.app.inject({ url: '/readyz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'ready', redis: 'ok', backends: ['stub'] });
    expect(res.json().workers).toBeGreaterThanOrEqual(1);
  });

  test('a trainer crash or failure ends the job failed with a code, never hangs', async () => {
    const a = await create(spec({ stubThrow: 'boom' }, 1));
    const b = await create(spec({ stubFail: 'loss became NaN at step 3' }, 1));
    const ja = await waitFor(
      () => getJob(a),
      (j) => j.status === 'failed',
    );
    const jb = await waitFor(
      () => getJob(b),
      (j) => j.status === 'failed',
    );
    expect(ja.error.code).toBe('INTERNAL');
    expect(jb.error).toEqual({ code: 'DIVERGED', message: 'loss became NaN at step 3' });
    const w = await t.app.inject({ url: `/v1/jobs/${b}/weights` });
    expect(w.statusCode).toBe(409);
  });
});

describe('crashes', () => {
  test('a killed sandbox child is retried as attempt 2, which resumes from the checkpoint and succeeds', async () => {
    const id = await create(spec({ stubSteps: '5', stubStepMs: '20', stubCheckpointEvery: '1' }, 8));
    const page = async () =>
      (await t.app.inject({ url: `/v1/jobs/${id}/events?limit=1000` })).json().data as Record<
        string,
        unknown
      >[];
    const evs = await waitFor(page, (d) =>
      d.some((e) => e.type === 'checkpoint' && (e.epoch as number) >= 2),
    );
    const pid = Number(/pid (\d+)/.exec(evs.find((e) => e.type === 'log')!.message as string)![1]);
    process.kill(pid, 'SIGKILL');
    const job = await waitFor(
      () => getJob(id),
      (j) => j.status === 'succeeded',
      20_000,
    );
    expect(job.attempt).toBe(2);
    const all = await page();
    const resumed = all.find(
      (e) => e.type === 'log' && e.attempt === 2 && /resumed at epoch (\d+)/.test(e.message as string),
    );
    expect(resumed).toBeDefined();
    // Attempt 2 starts after the checkpointed epoch, not from scratch.
    const firstEpoch2 = all.find((e) => e.type === 'epoch' && e.attempt === 2)!.epoch as number;
    expect(firstEpoch2).toBeGreaterThan(2);
    expect(all.at(-1)!.type).toBe('end');
    expect(all.filter((e) => e.type === 'end')).toHaveLength(1);
  });
});
