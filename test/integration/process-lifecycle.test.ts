/**
 * Process lifecycle against a real redis-server, in real processes:
 * - SIGTERM to the API: open SSE streams are told to reconnect (`retry:` and a final comment),
 *   then closed cleanly; the process exits 0 at once.
 * - A worker started while Redis is down waits and retries (saying so), and serves once Redis
 *   is up; startup warns loudly when Redis has no persistence.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startRedis, uniquePrefix, type TestRedis } from '../helpers/redis.js';
import { killAllProcesses, launchWorkerProcess, startApiProcess } from '../helpers/processes.js';

let redis: TestRedis;
const prefix = uniquePrefix('lifecycle');

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await killAllProcesses();
  await redis?.stop();
});

test('SIGTERM to the API tells SSE clients to reconnect, closes their streams and exits 0', async () => {
  const api = await startApiProcess({ REDIS_URL: redis.url, DESCENT_PREFIX: prefix });
  // No worker: the job stays queued and its stream open.
  const created = await fetch(`${api.url}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: { type: 'linear' },
      data: { builtin: 'iris' },
      loss: 'cross_entropy',
      optimizer: { type: 'sgd', lr: 0.1 },
    }),
  });
  const { id } = (await created.json()) as { id: string };
  const clients = await Promise.all(
    [0, 1].map(() => fetch(`${api.url}/v1/jobs/${id}/events`, { headers: { accept: 'text/event-stream' } })),
  );
  const bodies = clients.map(async (res) => {
    let text = '';
    const decoder = new TextDecoder();
    for await (const chunk of res.body!) text += decoder.decode(chunk as Uint8Array, { stream: true });
    return text;
  });
  await new Promise((r) => setTimeout(r, 300));
  const t0 = Date.now();
  api.proc.kill('SIGTERM');
  const texts = await Promise.all(bodies);
  const exit = await api.exited;
  console.log(`API stopped in ${Date.now() - t0} ms`);
  expect(exit.code).toBe(0);
  expect(Date.now() - t0).toBeLessThan(5000);
  for (const text of texts) {
    expect(text).toMatch(/event: status/);
    // The last frame: a reconnect delay and a comment saying why, after every event.
    const tail = text.slice(text.lastIndexOf('event: '));
    expect(tail).toMatch(/\nretry: \d+\n: server shutting down[^\n]*\n\n$/);
  }
});

test('a worker started while Redis is down waits, retries, and serves once Redis is up; it warns about persistence', async () => {
  await redis.kill();
  const w = launchWorkerProcess({
    REDIS_URL: redis.url,
    DESCENT_PREFIX: prefix,
    DESCENT_HEARTBEAT_MS: '500',
  });
  await w.waitFor(/waiting for Redis/, 45_000);
  await new Promise((r) => setTimeout(r, 1500));
  expect(w.proc.exitCode).toBeNull();
  await redis.restart();
  await w.waitFor(/worker w_\S+ ready/, 30_000);
  expect(w.output()).toMatch(/WARNING: Redis persistence is off/);
  expect(w.proc.exitCode).toBeNull();
}, 60_000);
