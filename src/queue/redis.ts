import { Redis, type RedisOptions } from 'ioredis';

export type RedisRole =
  /** Request/response commands of the API: fail fast when Redis is down (→ 503), never queue. */
  | 'command'
  /** Blocking readers (tailer, BullMQ worker, subscriber): retry for ever, they are background loops. */
  | 'blocking';

/**
 * Open one Redis connection. Nothing in Descent connects at import time; processes call this at boot.
 * `lazyConnect` stays off: the connection starts at once, and callers `await waitReady(r)`.
 */
export function createRedis(url: string, role: RedisRole, extra: RedisOptions = {}): Redis {
  const opts: RedisOptions =
    role === 'command'
      ? { maxRetriesPerRequest: 1, enableOfflineQueue: true, connectTimeout: 3000, ...extra }
      : { maxRetriesPerRequest: null, enableOfflineQueue: true, connectTimeout: 3000, ...extra };
  const r = new Redis(url, opts);
  // An error listener is mandatory: without one ioredis re-emits connection errors as uncaught.
  r.on('error', () => {});
  return r;
}

/** Resolve once the connection is ready, or reject after `timeoutMs`. */
export async function waitReady(r: Redis, timeoutMs = 5000): Promise<void> {
  if (r.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis not ready after ${timeoutMs} ms (status ${r.status})`));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      r.off('ready', onReady);
    };
    r.on('ready', onReady);
  });
}

/** Answer true when something at `url` replies to PING within `timeoutMs`; never throws. */
export async function pingRedis(url: string, timeoutMs = 1000): Promise<boolean> {
  const r = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: timeoutMs,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  r.on('error', () => {});
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

/** True for errors that mean "Redis is unreachable", which the API reports as 503 UNAVAILABLE. */
export function isRedisUnavailable(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { name?: string; message?: string; code?: string };
  return (
    e.name === 'MaxRetriesPerRequestError' ||
    e.code === 'ECONNREFUSED' ||
    e.code === 'ECONNRESET' ||
    e.code === 'ETIMEDOUT' ||
    /Connection is closed|Stream isn't writeable|enableOfflineQueue|Reached the max retries/i.test(
      e.message ?? '',
    )
  );
}

/**
 * A warning when Redis would evict keys under memory pressure (BullMQ's locks and our job state
 * must never be evicted: `maxmemory-policy noeviction`), or null. Managed Redis may refuse CONFIG:
 * then nothing can be said and null is returned.
 */
export async function evictionWarning(r: Redis): Promise<string | null> {
  try {
    const [, policy] = (await r.config('GET', 'maxmemory-policy')) as [string, string];
    if (policy && policy !== 'noeviction')
      return `Redis maxmemory-policy is "${policy}"; set it to "noeviction" (CONFIG SET maxmemory-policy noeviction), or jobs can be lost under memory pressure`;
  } catch {
    /* CONFIG not allowed */
  }
  return null;
}
