/**
 * Issue 17, acceptance 5 (the small version of `npm run bench:webhooks`): 200 jobs ending at
 * once → 200 deliveries to a loopback receiver, none lost.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { runWebhookLoad } from '../../bench/service/webhook-load.js';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

it('200 jobs ending together: 200 deliveries, none lost', async () => {
  const r = await runWebhookLoad({ redisUrl: redis.url, jobs: 200, timeoutMs: 60_000 });
  expect(r.lost).toBe(0);
  expect(r.delivered).toBe(200);
  expect(r.delayMs.n).toBe(200);
}, 90_000);
