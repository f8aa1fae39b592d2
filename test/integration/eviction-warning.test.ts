/** Startup check: the service warns when Redis could evict its keys (BullMQ needs noeviction). */
import { expect, test } from 'vitest';
import { startRedis } from '../helpers/redis.js';
import { createRedis, evictionWarning, waitReady } from '../../src/queue/redis.js';

test('no warning with noeviction; a warning naming the fix otherwise', async () => {
  const r = await startRedis();
  const c = createRedis(r.url, 'command');
  try {
    await waitReady(c);
    expect(await evictionWarning(c)).toBeNull();
    await c.config('SET', 'maxmemory-policy', 'allkeys-lru');
    expect(await evictionWarning(c)).toMatch(/"allkeys-lru".*noeviction/);
  } finally {
    c.disconnect();
    await r.stop();
  }
});
