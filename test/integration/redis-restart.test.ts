/**
 * Redis restarts under a running job (append-only persistence, as production runs it): the worker,
 * its sandbox and the API's stream tailer reconnect by themselves, the job finishes, and an SSE
 * client that stayed connected sees every event once, through `end`.
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
  const t0 = Date.now();
  while (epochs < 3 && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 20));
  expect(epochs).toBeGreaterThanOrEqual(3);

  await redis.restart();

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
  const job = (await t.app.inject({ url: `/v1/jobs/${id}` })).json();
  expect(job.status).toBe('succeeded');
});
