/**
 * Issue 10.2: an SSE stream of a finished job closes when nothing is left to send, and a standard
 * EventSource (the `eventsource` package) that reconnects after `end` is told to stop (204) instead
 * of being held open with pings for ever. Ids after the stream's last event and malformed ids are
 * 400 problem+json naming the header and the value. Real redis-server, the API on a real socket.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EventSource } from 'eventsource';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { readSse } from '../helpers/sse-client.js';
import { simulateRun } from '../helpers/simulate.js';

let redis: TestRedis;
let t: TestApp;
let base: string;

const spec = {
  model: { type: 'linear' },
  data: { inline: { x: [[1], [2], [3]], y: [1, 2, 3] } },
  loss: 'mse',
  optimizer: { type: 'sgd', lr: 0.1 },
};

beforeAll(async () => {
  redis = await startRedis();
  // Pings every 200 ms: a stream that stays open shows them quickly.
  t = await makeTestApp(redis.url, 'sse-end', { cfg: { ssePingMs: 200 } });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const addr = t.app.server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});

afterAll(async () => {
  await t?.close();
  await redis?.stop();
});

async function createJob(): Promise<string> {
  const res = await fetch(`${base}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(spec),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

async function finishedJob(): Promise<{ id: string; endId: string }> {
  const id = await createJob();
  await simulateRun(t.deps, id, { steps: 4, perEpoch: 2 });
  const endId = await t.deps.jobs.lastEventId(id);
  return { id, endId: endId! };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, ms: number): Promise<void> {
  const t0 = Date.now();
  while (!cond() && Date.now() - t0 < ms) await sleep(20);
}

/** The next id after `id` in stream order (same millisecond, next sequence number). */
const nextId = (id: string) => {
  const [ms, seq] = id.split('-');
  return `${ms}-${Number(seq) + 1}`;
};

describe('a standard EventSource and a finished job', () => {
  test('live job: receives everything through end; its automatic reconnect gets 204 and stops', async () => {
    const id = await createJob();
    const requests: { lastEventId: string | null; status: number }[] = [];
    const got: { type: string; id: string }[] = [];
    const es = new EventSource(`${base}/v1/jobs/${id}/events`, {
      // Record every (re)connection the client makes and what the server answered.
      fetch: async (url, init) => {
        const res = await fetch(url, init);
        const h = new Headers(init?.headers);
        requests.push({ lastEventId: h.get('last-event-id'), status: res.status });
        return res;
      },
    });
    const errors: (number | undefined)[] = [];
    es.onerror = (e) => errors.push(e.code);
    for (const type of ['status', 'progress', 'epoch', 'end'])
      es.addEventListener(type, (e) => got.push({ type, id: e.lastEventId }));
    try {
      await until(() => es.readyState === es.OPEN, 5000);
      expect(es.readyState).toBe(es.OPEN);
      await simulateRun(t.deps, id, { steps: 4, perEpoch: 2 }); // live, through the tailer
      const endId = (await t.deps.jobs.lastEventId(id))!;
      // The server closes after end; the client reconnects after `retry:` (2 s) with
      // Last-Event-ID = end's id, gets 204 and gives up: CLOSED, well within the bound.
      const t0 = Date.now();
      await until(() => es.readyState === es.CLOSED, 8000);
      expect(es.readyState, 'the reconnect after end must not hang').toBe(es.CLOSED);
      expect(Date.now() - t0).toBeLessThan(8000);
      expect(got.at(-1)).toEqual({ type: 'end', id: endId });
      expect(got.filter((e) => e.type === 'end')).toHaveLength(1);
      expect(requests).toEqual([
        { lastEventId: null, status: 200 },
        { lastEventId: endId, status: 204 },
      ]);
      expect(errors).toContain(204);
      // No reconnect loop and nothing left open on the server: wait several ping periods.
      await sleep(2500);
      expect(requests).toHaveLength(2);
      expect(t.deps.tailer.stats()).toEqual({ streams: 0, listeners: 0 });
    } finally {
      es.close();
    }
  }, 20_000);

  test('finished job: replay through end, then the reconnect is refused with 204', async () => {
    const { id, endId } = await finishedJob();
    const requests: (string | null)[] = [];
    const types: string[] = [];
    const es = new EventSource(`${base}/v1/jobs/${id}/events`, {
      fetch: (url, init) => {
        requests.push(new Headers(init?.headers).get('last-event-id'));
        return fetch(url, init);
      },
    });
    for (const type of ['status', 'progress', 'epoch', 'end'])
      es.addEventListener(type, () => types.push(type));
    try {
      await until(() => es.readyState === es.CLOSED, 8000);
      expect(es.readyState).toBe(es.CLOSED);
      expect(types[0]).toBe('status');
      expect(types.at(-1)).toBe('end');
      expect(requests).toEqual([null, endId]);
    } finally {
      es.close();
    }
  }, 20_000);
});

describe('resume points of a finished job', () => {
  test('Last-Event-ID = the end id: 204 at once, no retry: and no pings', async () => {
    const { id, endId } = await finishedJob();
    const t0 = Date.now();
    const res = await fetch(`${base}/v1/jobs/${id}/events`, {
      headers: { accept: 'text/event-stream', 'last-event-id': endId },
      signal: AbortSignal.timeout(5000),
    });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    expect(Date.now() - t0).toBeLessThan(1000);
    // ?after= is the same resume point.
    const q = await fetch(`${base}/v1/jobs/${id}/events?after=${endId}`, {
      headers: { accept: 'text/event-stream' },
      signal: AbortSignal.timeout(5000),
    });
    expect(q.status).toBe(204);
  });

  test('Last-Event-ID before end: the rest through end, then the server closes', async () => {
    const { id, endId } = await finishedJob();
    const page = await t.deps.jobs.events(id, { limit: 1000 });
    const beforeEnd = page.data.at(-2)!.id;
    const r = await readSse(`${base}/v1/jobs/${id}/events`, {
      headers: { 'last-event-id': beforeEnd },
      timeoutMs: 5000,
    });
    expect(r.closedByServer).toBe(true);
    expect(r.events.map((e) => [e.event, e.id])).toEqual([['end', endId]]);
  });

  test('an id after the end id (or far in the future): 400 problem naming the header and the value', async () => {
    const { id, endId } = await finishedJob();
    for (const bad of [nextId(endId), '99999999999999999999999-0']) {
      const res = await fetch(`${base}/v1/jobs/${id}/events`, {
        headers: { accept: 'text/event-stream', 'last-event-id': bad },
        signal: AbortSignal.timeout(5000),
      });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const p = (await res.json()) as {
        code: string;
        detail: string;
        errors: { path: string; message: string }[];
      };
      expect(p.code).toBe('VALIDATION_ERROR');
      expect(p.detail).toContain('Last-Event-ID');
      expect(p.detail).toContain(bad);
      expect(p.detail).toContain(endId);
      expect(p.errors[0].path).toBe('/headers/last-event-id');
    }
    const q = await fetch(`${base}/v1/jobs/${id}/events?after=${nextId(endId)}`, {
      headers: { accept: 'text/event-stream' },
      signal: AbortSignal.timeout(5000),
    });
    expect(q.status).toBe(400);
    expect(((await q.json()) as { errors: { path: string }[] }).errors[0].path).toBe('/query/after');
  });

  test('a malformed Last-Event-ID: 400 problem naming the header and the value', async () => {
    const { id } = await finishedJob();
    for (const bad of ['garbage', '12-', '1764139200000', '-1-0']) {
      const res = await fetch(`${base}/v1/jobs/${id}/events`, {
        headers: { accept: 'text/event-stream', 'last-event-id': bad },
        signal: AbortSignal.timeout(5000),
      });
      expect(res.status, bad).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const p = (await res.json()) as { detail: string; errors: { path: string; message: string }[] };
      expect(p.detail).toContain('Last-Event-ID');
      expect(p.detail).toContain(JSON.stringify(bad));
      expect(p.errors[0]).toMatchObject({ path: '/headers/last-event-id' });
    }
  });

  test('a running job resumed at its last event stays open for the live tail (unchanged)', async () => {
    const id = await createJob();
    const { attempt } = await t.deps.jobs.start(id);
    const last = (await t.deps.jobs.lastEventId(id))!;
    const done = readSse(`${base}/v1/jobs/${id}/events`, {
      headers: { 'last-event-id': last },
      timeoutMs: 8000,
    });
    await sleep(500);
    await t.deps.jobs.finish(id, attempt, 'cancelled', {});
    const r = await done;
    expect(r.closedByServer).toBe(true);
    expect(r.events.map((e) => e.event)).toEqual(['status', 'end']);
    expect(r.comments).toContain('ping');
  });

  test('a job that finishes between the route reading it and the subscription closes at once', async () => {
    const { id, endId } = await finishedJob();
    // Make the route see the job as it was a moment before it finished (still running).
    const get = t.deps.jobs.get;
    t.deps.jobs.get = async (...args) => {
      const job = await get(...args);
      return job && { ...job, status: 'running' };
    };
    try {
      const r = await readSse(`${base}/v1/jobs/${id}/events`, {
        headers: { 'last-event-id': endId },
        timeoutMs: 3000,
      });
      expect(r.status).toBe(200);
      expect(r.closedByServer, 'a finished job must not ping for ever').toBe(true);
      expect(r.events).toEqual([]);
      expect(r.comments).not.toContain('ping');
    } finally {
      t.deps.jobs.get = get;
    }
  });
});
