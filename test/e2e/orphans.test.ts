/**
 * No orphans from `npm start` either: when its process is killed outright (SIGKILL, no shutdown
 * code runs), the worker processes it started notice (their IPC channel closes), stop, and take
 * their sandbox children with them.
 */
import { afterAll, expect, test } from 'vitest';
import { startRedis, uniquePrefix } from '../helpers/redis.js';
import { startService, stopAllServices, until } from '../helpers/service-process.js';
import { alive, childrenOf, poll } from '../helpers/processes.js';

afterAll(stopAllServices);

test('SIGKILL of npm start: its workers and their sandbox children exit by themselves', async () => {
  const redis = await startRedis();
  try {
    const svc = await startService({
      WORKERS: '1',
      REDIS_URL: redis.url,
      DESCENT_PREFIX: uniquePrefix('orphans'),
      DESCENT_HEARTBEAT_MS: '500',
      DESCENT_SHUTDOWN_GRACE_MS: '2000',
    });
    await until(async () => (await fetch(`${svc.url}/readyz`)).status === 200);
    // Give the worker a job so it has a sandbox child.
    const res = await fetch(`${svc.url}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: { type: 'mlp', hidden: [32, 32] },
        data: { builtin: 'iris' },
        loss: 'cross_entropy',
        optimizer: { type: 'adam', lr: 0.01 },
        training: { epochs: 50_000, batchSize: 8 },
      }),
    });
    const { id } = (await res.json()) as { id: string };
    await until(
      async () =>
        ((await (await fetch(`${svc.url}/v1/jobs/${id}`)).json()) as { status: string }).status === 'running',
    );
    const workers = childrenOf(svc.proc.pid!);
    const sandboxes = workers.flatMap(childrenOf);
    // WORKERS=1: one worker, and the webhook delivery process npm start runs beside it.
    expect(workers.length).toBe(2);
    expect(sandboxes.length).toBeGreaterThan(0);
    svc.proc.kill('SIGKILL');
    const t0 = Date.now();
    await poll(() => [...workers, ...sandboxes].every((pid) => !alive(pid)), 15_000, 50);
    console.log(`worker and sandbox gone ${Date.now() - t0} ms after npm start was killed`);
  } finally {
    await redis.stop();
  }
}, 60_000);
