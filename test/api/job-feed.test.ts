/**
 * GET /v1/jobs/events, the tenant's job status feed (issue 14, "live status changes"): every status
 * change of every job of the caller's tenant, written by the same Redis scripts that change the
 * status (create, start, requeue, cancel, finish, and a sweep trial's pause, promote and stop), in
 * order, and gone again when the job is deleted; tenant A never sees tenant B's changes (JSON pages and SSE); an SSE client resumes with
 * Last-Event-ID exactly after what it saw; without one it starts at the current end; a resume
 * point older than the feed keeps is a 409 (reload), a malformed or future one a 400.
 * Real redis-server; no worker (the scripts are driven as a worker drives them).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { createSseParser, readSse, type SseMessage } from '../helpers/sse-client.js';
import { simulateRun } from '../helpers/simulate.js';
import { parseApiKeys } from '../../src/queue/config.js';
import { TINY_LINEAR_SPEC } from '../helpers/specs.js';

const KEY_A = 'ka-3f9a1c0d7e5b42a8b6c1d2e3f4a5b6c7';
const KEY_B = 'kb-0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const A = { authorization: `Bearer ${KEY_A}` };
const B = { authorization: `Bearer ${KEY_B}` };

let redis: TestRedis;
let t: TestApp;
let base: string;

beforeAll(async () => {
  redis = await startRedis();
  t = await makeTestApp(redis.url, 'job-feed', { cfg: { apiKeys: parseApiKeys(`alice:${KEY_A},bob:${KEY_B}`) } });
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await t?.close();
  await redis?.stop();
});

const create = async (headers: Record<string, string>): Promise<string> => {
  const res = await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: TINY_LINEAR_SPEC, headers });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
};
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const page = async (headers: Record<string, string>, q = ''): Promise<any> => {
  const res = await t.app.inject({ url: `/v1/jobs/events${q}`, headers });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
};
/** [jobId, status] of a feed's events. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const pairs = (events: any[]) => events.map((e) => [e.jobId, e.status]);
const ssePairs = (ms: SseMessage[]) => pairs(ms.map((m) => JSON.parse(m.data)));

/** The events an SSE response sends within `ms` (a feed never closes by itself). */
async function collectFor(url: string, headers: Record<string, string>, ms: number) {
  const ctrl = new AbortController();
  const events: SseMessage[] = [];
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: ctrl.signal });
  const parse = createSseParser((m) => events.push(m));
  const timer = setTimeout(() => ctrl.abort(), ms);
  try {
    const decoder = new TextDecoder();
    for await (const chunk of res.body!) parse(decoder.decode(chunk as Uint8Array, { stream: true }));
  } catch {
    /* aborted at the deadline */
  } finally {
    clearTimeout(timer);
  }
  return { status: res.status, events };
}

describe('the tenant job status feed', () => {
  test('every status change, in order, through every script; per tenant only (JSON pages)', async () => {
    const before = (await page(A)).nextCursor;
    const a1 = await create(A);
    const b1 = await create(B);
    await simulateRun(t.deps, a1, { steps: 3 }); // running → succeeded
    // A worker shutting down hands the job back (requeue), the next one starts it, it is cancelled.
    const a2 = await create(A);
    const s1 = await t.deps.jobs.start(a2);
    expect(await t.deps.jobs.requeue(a2, s1.attempt)).toBe(true);
    const s2 = await t.deps.jobs.start(a2);
    expect(await t.deps.jobs.requestCancel(a2)).toBe('cancelling');
    expect(await t.deps.jobs.finish(a2, s2.attempt, 'cancelled', {})).toBe(true);
    // A sweep trial (created by the sweep executor's script): paused at a rung, promoted, stopped.
    const trial = 'job_feedtrial0000000001';
    expect(
      await t.deps.jobs.createIfAbsent({
        id: trial,
        tenant: 'alice',
        spec: TINY_LINEAR_SPEC,
        metadata: {},
        trial: { sweepId: 'swp_feed', trialId: 'swp_feed.t0', index: 0, untilEpoch: 1 },
      }),
    ).toBe(true);
    const w = { result: null, weights: Buffer.from('w'), weightsSha256: 'x' };
    expect(await t.deps.jobs.pause(trial, (await t.deps.jobs.start(trial)).attempt, w)).toBe(true);
    expect(await t.deps.jobs.promote(trial, 1, 3)).toBe('promoted');
    expect(await t.deps.jobs.pause(trial, (await t.deps.jobs.start(trial)).attempt, w)).toBe(true);
    expect(await t.deps.jobs.stop(trial)).toBe(true);

    const mine = await page(A, before ? `?after=${before}&limit=100` : '?limit=100');
    expect(pairs(mine.data)).toEqual([
      [a1, 'queued'],
      [a1, 'running'],
      [a1, 'succeeded'],
      [a2, 'queued'],
      [a2, 'running'],
      [a2, 'queued'],
      [a2, 'running'],
      [a2, 'cancelling'],
      [a2, 'cancelled'],
      [trial, 'queued'],
      [trial, 'running'],
      [trial, 'paused'],
      [trial, 'queued'],
      [trial, 'running'],
      [trial, 'paused'],
      [trial, 'succeeded'],
    ]);
    // Each is the job's own status event (same attempt, time and status as in its stream).
    const own = (await t.app.inject({ url: `/v1/jobs/${a1}/events?limit=100`, headers: A })).json().data;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const strip = (e: any) => ({ jobId: e.jobId, attempt: e.attempt, time: e.time, status: e.status });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    expect(mine.data.filter((e: any) => e.jobId === a1).map(strip)).toEqual(own.filter((e: { type: string }) => e.type === 'status').map(strip));
    // Each job's end restarts the feed's retention clock: a quiet tenant's feed expires with its jobs.
    const ttl = await t.deps.redis.pttl(t.deps.keys.jobFeed('alice'));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(t.cfg.retentionMs);
    // Deleting a job takes its entries out of the feed (DELETE leaves no trace of a job).
    expect((await t.app.inject({ method: 'DELETE', url: `/v1/jobs/${a1}`, headers: A })).statusCode).toBe(204);
    const after = await page(A, '?limit=1000');
    expect(JSON.stringify(after)).not.toContain(a1);
    expect(after.data.length).toBeGreaterThanOrEqual(13);
    // Bob's feed holds his job only.
    const bobs = await page(B, '?limit=1000');
    expect(pairs(bobs.data)).toEqual([[b1, 'queued']]);
    expect(JSON.stringify(bobs)).not.toContain(a2);
  });

  test('SSE: live changes of my jobs only; Last-Event-ID resumes exactly after the last one seen', async () => {
    const got: SseMessage[] = [];
    let ready!: () => void;
    const first = new Promise<void>((r) => (ready = r));
    // Without Last-Event-ID the stream starts at the current end: nothing of the first test replays.
    const live = readSse(`${base}/v1/jobs/events`, {
      headers: A,
      timeoutMs: 15_000,
      onEvent: (m) => {
        got.push(m);
        if (got.length === 1) ready();
        return got.length < 3;
      },
    });
    const bobLive = readSse(`${base}/v1/jobs/events`, { headers: B, timeoutMs: 15_000, maxEvents: 3 });
    // Wait for the subscription: a job created before it would be in neither the replay nor the tail.
    await new Promise((r) => setTimeout(r, 300));
    const b = await create(B);
    const a = await create(A);
    await first;
    await simulateRun(t.deps, a, { steps: 2 });
    await simulateRun(t.deps, b, { steps: 2 });
    const done = await live;
    expect(done.status).toBe(200);
    expect(ssePairs(got)).toEqual([
      [a, 'queued'],
      [a, 'running'],
      [a, 'succeeded'],
    ]);
    expect(got.every((m) => m.event === 'status' && /^\d+-\d+$/.test(m.id!))).toBe(true);
    // Bob's stream saw his job's changes and nothing of Alice's.
    const bob = await bobLive;
    expect(ssePairs(bob.events)).toEqual([
      [b, 'queued'],
      [b, 'running'],
      [b, 'succeeded'],
    ]);

    // Dropped after the first event: the resume replays exactly the two after it, then goes live.
    const resumed = await readSse(`${base}/v1/jobs/events`, {
      headers: { ...A, 'last-event-id': got[0].id! },
      maxEvents: 2,
      timeoutMs: 10_000,
    });
    expect(resumed.events.map((m) => m.id)).toEqual([got[1].id, got[2].id]);
    // Resumed at the last one, nothing is sent until something changes.
    const idle = await collectFor(`${base}/v1/jobs/events`, { ...A, 'last-event-id': got[2].id! }, 1_000);
    expect(idle.status).toBe(200);
    expect(idle.events).toEqual([]);
  });

  test('a resume point the feed no longer has is a 409 (reload); a malformed or future one a 400', async () => {
    const sse = (id: string, headers = A) =>
      t.app.inject({ url: '/v1/jobs/events', headers: { ...headers, accept: 'text/event-stream', 'last-event-id': id } });
    const old = await sse('1-0');
    expect(old.statusCode).toBe(409);
    expect(old.json()).toMatchObject({ code: 'CONFLICT', errors: [{ path: '/headers/last-event-id' }] });
    expect(old.json().detail).toMatch(/^Last-Event-ID "1-0" is older than the feed's oldest event \(\d+-\d+\): changes after it may have been dropped; reload the job list and reconnect without Last-Event-ID$/);
    const bad = await sse('yesterday');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors).toEqual([{ path: '/headers/last-event-id', message: 'expected <ms>-<seq>, got "yesterday"' }]);
    const future = await sse(`${Date.now() + 3_600_000}-0`);
    expect(future.statusCode).toBe(400);
    expect(future.json().detail).toMatch(/is after the feed's last event/);
    // A tenant whose feed is empty has nothing to resume from either.
    const KEY_C = 'kc-00112233445566778899aabbccddeeff';
    const t2 = await makeTestApp(redis.url, 'job-feed-empty', { cfg: { apiKeys: parseApiKeys(`carol:${KEY_C}`) } });
    const res = await t2.app.inject({
      url: '/v1/jobs/events',
      headers: { authorization: `Bearer ${KEY_C}`, accept: 'text/event-stream', 'last-event-id': '5-0' },
    });
    expect(res.statusCode).toBe(409);
    await t2.close();
    // Without a key: 401 like every /v1 route.
    expect((await t.app.inject({ url: '/v1/jobs/events' })).statusCode).toBe(401);
  });
});
