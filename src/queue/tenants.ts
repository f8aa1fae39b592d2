import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';

/** Redis glob metacharacters, escaped so that a prefix such as `{descent}` or `[x]` matches itself. */
const globEscape = (s: string) => s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);

/**
 * Every tenant that has a job index (`{prefix}:jobs:<tenant>`), found by SCAN: what an admin
 * key's "all tenants" job list reads. It walks the whole keyspace of the Redis (cursor pages of
 * 1000, never blocking it), so it costs in proportion to the keys stored; `?tenant=` avoids it.
 */
export async function tenantsWithJobs(redis: Redis, keys: Keys): Promise<string[]> {
  const head = keys.jobIndex('');
  const found = new Set<string>();
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${globEscape(head)}*`, 'COUNT', 1000);
    cursor = next;
    for (const k of batch) {
      const tenant = k.slice(head.length);
      // Tenant names have no ':' (DESCENT_API_KEYS splits on it; key files allow none).
      if (tenant !== '' && !tenant.includes(':')) found.add(tenant);
    }
  } while (cursor !== '0');
  return [...found].sort();
}
