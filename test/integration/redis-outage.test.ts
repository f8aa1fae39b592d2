/**
 * Redis unreachable, against a real API process: every request answers 503 problem+json with
 * `Retry-After` at once (no hang), and once Redis is back the same process serves again by itself.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startRedis, uniquePrefix, type TestRedis } from '../helpers/redis.js';
import { killAllProcesses, poll, startApiProcess } from '../helpers/processes.js';
import { readSse } from '../helpers/sse-client.js';
import { createRedis, waitReady } from '../../src/queue/redis.js';

let redis: TestRedis;
let api: Awaited<ReturnType<typeof startApiProcess>>;

beforeAll(async () => {
  redis = await startRedis(['--appendonly', 'yes', '--enable-debug-command', 'yes']);
  api = await startApiProcess({
    REDIS_URL: redis.url,
    DESCENT_PREFIX: uniquePrefix('outage'),
    DESCENT_SSE_PING_MS: '300',
  });
});
afterAll(async () => {
  await killAllProcesses();
  await redis?.stop();
});

const spec = {
  model: { type: 'linear' },
  data: { inline: { x: [[1], [2]], y: [1, 2] } },
  loss: 'mse',
  optimizer: { type: 'sgd', lr: 0.1 },
  training: { epochs: 1 },
};

async function timed(path: string, init?: RequestInit) {
  const t0 = performance.now();
  const res = await fetch(`${api.url}${path}`, { ...init, signal: AbortSignal.timeout(5000) });
  const body = await res.text();
  return { res, body, ms: performance.now() - t0 };
}

test('Redis down: 503 problem+json with Retry-After within 1 s; back up: served again without a restart', async () => {
  const created = await timed('/v1/jobs', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(spec),
  });
  expect(created.res.status).toBe(201);
  const id = JSON.parse(created.body).id as string;

  await redis.kill();
  const probes = [
    () => timed(`/v1/jobs/${id}`),
    () => timed('/v1/jobs'),
    () => timed(`/v1/jobs/${id}/events`, { headers: { accept: 'text/event-stream' } }),
    () =>
      timed('/v1/jobs', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(spec),
      }),
  ];
  // Right after the kill (the connection may not have noticed yet) and a while later.
  for (const round of [0, 1]) {
    for (const probe of probes) {
      const { res, body, ms } = await probe();
      console.log(`redis down (round ${round}): ${res.status} in ${ms.toFixed(0)} ms`);
      expect(res.status).toBe(503);
      expect(ms).toBeLessThan(1000);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(JSON.parse(body)).toMatchObject({ status: 503, code: 'UNAVAILABLE' });
    }
    await new Promise((r) => setTimeout(r, 1500));
  }
  const ready = await timed('/readyz');
  expect(ready.res.status).toBe(503);

  await redis.restart();
  const t0 = Date.now();
  await poll(async () => (await timed(`/v1/jobs/${id}`)).res.status === 200, 10_000, 50);
  console.log(`API served again ${Date.now() - t0} ms after Redis came back`);
  const again = await timed('/v1/jobs', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(spec),
  });
  expect(again.res.status).toBe(201);
  // The job created before the outage survived it (append-only).
  expect(JSON.parse((await timed(`/v1/jobs/${id}`)).body).status).toBe('queued');
});

test('Redis loses its data (restart without persistence): open SSE streams end, and reconnecting gets 404', async () => {
  const created = await timed('/v1/jobs', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(spec),
  });
  const id = JSON.parse(created.body).id as string;
  let opened = false;
  const stream = readSse(`${api.url}/v1/jobs/${id}/events`, {
    timeoutMs: 20_000,
    onEvent: () => void (opened = true),
  });
  await poll(() => opened, 10_000);
  const r = createRedis(redis.url, 'command');
  await waitReady(r);
  await r.flushall();
  r.disconnect();
  const t0 = Date.now();
  const { closedByServer, comments } = await stream;
  console.log(`stream of the lost job ended ${Date.now() - t0} ms after the flush`);
  expect(closedByServer).toBe(true);
  expect(comments.some((c) => /no longer exists/.test(c))).toBe(true);
  const again = await timed(`/v1/jobs/${id}/events`, { headers: { accept: 'text/event-stream' } });
  expect(again.res.status).toBe(404);
});

test('a Redis that accepts connections but does not answer: 503 after the 2 s command timeout, not a hang', async () => {
  const r = createRedis(redis.url, 'blocking');
  await waitReady(r);
  // DEBUG SLEEP freezes the server (every client) for 4 s.
  const frozen = r.call('DEBUG', 'SLEEP', '4').catch(() => {});
  await new Promise((res) => setTimeout(res, 100));
  const { res, ms } = await timed('/v1/jobs');
  console.log(`frozen Redis: ${res.status} in ${ms.toFixed(0)} ms`);
  expect(res.status).toBe(503);
  expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
  expect(ms).toBeLessThan(3500);
  await frozen;
  r.disconnect();
  await poll(async () => (await timed('/v1/jobs')).res.status === 200, 10_000, 100);
});
