/**
 * Redis restarts under a running job (append-only persistence, as production runs it): the worker,
 * its sandbox and the API's stream tailer reconnect by themselves, the job finishes, and an SSE
 * client that stayed connected sees every event once, through `end`; so does one that had
 * dropped before the restart and comes back afterwards with `Last-Event-ID`.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { readSse } from '../helpers/sse-client.js';
import { startWorker, type RunningWorker } from '../../workers/worker.js';

const STUB = fileURLToPath(new URL('../helpers/stub.sandbox.mjs', import.meta.url));
let redis: TestRedis;
let t: TestApp;
let worker: RunningWorker;
let base: string;

beforeAll(async () => {
  redis = await startRedis(['--appendonly', 'yes', '--appendfsync', 'always']);
  t = await makeTestApp(redis.url, 'restart', { cfg: { lockDurationMs: 4000, stalledIntervalMs: 2000 } });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
  worker = await startWorker(t.cfg, { processorFile: STUB, backend: 'stub', log: () => {} });
});

afterAll(async () => {
  await worker?.close(2000);
  await t?.close();
  await redis?.stop();
});

test('a Redis restart mid-job: the job succeeds and the live SSE client gets every event once', async () => {
  const spec = {
    model: { type: 'linear' },
    data: { inline: { x: [[1], [2]], y: [1, 2] } },
    loss: 'mse',
    optimizer: { type: 'sgd', lr: 0.1 },
    training: { epochs: 12, batchSize: 'full' },
    metadata: { stubSteps: '5', stubStepMs: '25', stubCheckpointEvery: '1' },
  };
  const id = (await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: spec })).json().id as string;
  let epochs = 0;
  const stream = readSse(`${base}/v1/jobs/${id}/events`, {
    timeoutMs: 45_000,
    onEvent: (m) => {
      if (m.event === 'epoch') epochs++;
    },
  });
  // A second client drops after the second epoch, before the restart.
  const dropped = await readSse(`${base}/v1/jobs/${id}/events`, {
    timeoutMs: 20_000,
    onEvent: (m) => m.event !== 'epoch' || JSON.parse(m.data).epoch < 2,
  });
  const t0 = Date.now();
  while (epochs < 3 && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 20));
  expect(epochs).toBeGreaterThanOrEqual(3);

  await redis.restart();
  // It comes back after the restart, from where it was. While the API has not reconnected yet it
  // answers 503 with Retry-After at once: the client waits and tries again.
  let resumed;
  let unavailable = 0;
  for (;;) {
    resumed = await readSse(`${base}/v1/jobs/${id}/events`, {
      headers: { 'last-event-id': dropped.events.at(-1)!.id! },
      timeoutMs: 45_000,
    });
    if (resumed.status !== 503 || unavailable++ > 50) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(resumed.status).toBe(200);

  const { events, closedByServer } = await stream;
  expect(closedByServer).toBe(true);
  const end = JSON.parse(events.at(-1)!.data);
  expect(events.at(-1)!.event).toBe('end');
  expect(end.status).toBe('succeeded');
  const ids = events.map((e) => e.id!);
  expect(new Set(ids).size).toBe(ids.length);
  // The live stream equals the stored history.
  const page = (await t.app.inject({ url: `/v1/jobs/${id}/events?limit=1000` })).json();
  expect(ids).toEqual(page.data.map((e: { id: string }) => e.id));
  // The client that reconnected with Last-Event-ID: the same events, each once, no gap.
  expect(resumed.closedByServer).toBe(true);
  expect([...dropped.events, ...resumed.events].map((e) => e.id)).toEqual(ids);
  const job = (await t.app.inject({ url: `/v1/jobs/${id}` })).json();
  expect(job.status).toBe('succeeded');
});
