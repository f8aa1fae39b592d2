/**
 * Acceptance 3 with every part in its own process: an API process, a worker process training a
 * real job, and an append-only redis-server that is restarted mid-job. The job succeeds with the
 * weights of an uninterrupted run (bit for bit), and an SSE client that stayed connected to the API
 * process saw every stored event exactly once, in order, through `end`.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startRedis, uniquePrefix, type TestRedis } from '../helpers/redis.js';
import { readSse, type SseMessage } from '../helpers/sse-client.js';
import { killAllProcesses, poll, startApiProcess, startWorkerProcess } from '../helpers/processes.js';
import { bitDifferences, optimizerJobs, referenceWeights } from '../helpers/optimizer-jobs.js';

let redis: TestRedis;
let api: Awaited<ReturnType<typeof startApiProcess>>;

beforeAll(async () => {
  redis = await startRedis(['--appendonly', 'yes', '--appendfsync', 'always']);
  const env = {
    REDIS_URL: redis.url,
    DESCENT_PREFIX: uniquePrefix('restart-procs'),
    DESCENT_LOCK_MS: '4000',
    DESCENT_STALLED_MS: '2000',
    DESCENT_CHECKPOINT_MS: '200',
    DESCENT_HEARTBEAT_MS: '500',
  };
  [api] = await Promise.all([startApiProcess(env), startWorkerProcess(env)]);
});
afterAll(async () => {
  await killAllProcesses();
  await redis?.stop();
});

test('Redis restarted under a real job: it succeeds bit for bit and the connected client sees every event once', async () => {
  const spec = optimizerJobs(1.5).nadam;
  const ref = await referenceWeights(spec);
  const created = await fetch(`${api.url}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(spec),
  });
  expect(created.status).toBe(201);
  const { id } = (await created.json()) as { id: string };
  const seen: SseMessage[] = [];
  const stream = readSse(`${api.url}/v1/jobs/${id}/events`, {
    timeoutMs: 60_000,
    onEvent: (m) => void seen.push(m),
  });
  await poll(() => seen.filter((m) => m.event === 'checkpoint').length >= 2, 30_000);
  const before = seen.length;
  await redis.restart();
  const { events, closedByServer } = await stream;
  console.log(`${before} events before the restart, ${events.length} in all`);
  expect(closedByServer).toBe(true);
  expect(events.at(-1)!.event).toBe('end');
  expect(JSON.parse(events.at(-1)!.data).status).toBe('succeeded');
  const ids = events.map((e) => e.id!);
  expect(new Set(ids).size).toBe(ids.length);
  expect(events.length).toBeGreaterThan(before);

  const stored: string[] = [];
  let after = '';
  for (;;) {
    const page = (await (
      await fetch(`${api.url}/v1/jobs/${id}/events?limit=1000${after ? `&after=${after}` : ''}`)
    ).json()) as { data: { id: string }[]; hasMore: boolean; nextCursor: string };
    stored.push(...page.data.map((e) => e.id));
    if (!page.hasMore) break;
    after = page.nextCursor;
  }
  expect(ids).toEqual(stored);
  const st = Buffer.from(
    await (await fetch(`${api.url}/v1/jobs/${id}/weights?format=safetensors`)).arrayBuffer(),
  );
  expect(bitDifferences(st, ref)).toEqual([]);
}, 90_000);
