import { Redis, type RedisOptions } from 'ioredis';

export type RedisRole =
  /**
   * Request/response commands of the API: fail fast when Redis is down (→ 503 at once), never
   * queue. The connection itself keeps reconnecting, so requests succeed again as soon as Redis
   * is back, without a restart.
   */
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
      ? {
          maxRetriesPerRequest: 1,
          enableOfflineQueue: false,
          connectTimeout: 3000,
          // Reconnect quickly: at most 500 ms between tries, so recovery follows Redis closely.
          retryStrategy: (times: number) => Math.min(50 * times, 500),
          // A Redis that accepts the connection but does not answer (frozen, partitioned) must not
          // hang requests either: give up on a command after 2 s (→ 503).
          commandTimeout: 2000,
          ...extra,
        }
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
    /Connection is closed|Stream isn't writeable|enableOfflineQueue|Reached the max retries|Command timed out/i.test(
      e.message ?? '',
    )
  );
}

/**
 * True for a Redis that answers but refuses commands for a while: out of memory under
 * `noeviction`, a read-only replica, still loading its data, busy with a script, a cluster or
 * persistence failure. The API answers 503 (the operator's problem, passing) without the error text.
 */
export function isRedisRefusing(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { name?: string; message?: string; previousErrors?: unknown[] };
  if (e.name !== 'ReplyError') return false;
  // A MULTI whose commands were refused fails as EXECABORT, with their errors beside it.
  if (/^EXECABORT\b/.test(e.message ?? '') && Array.isArray(e.previousErrors))
    return e.previousErrors.some(isRedisRefusing);
  return /^(OOM|READONLY|LOADING|MASTERDOWN|BUSY|TRYAGAIN|CLUSTERDOWN|NOREPLICAS|MISCONF)\b/.test(
    e.message ?? '',
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

/**
 * A warning when Redis keeps nothing across a restart (no append-only file and no RDB snapshots):
 * a restart would then lose every queued and running job. Null when persistent or unknown.
 */
export async function persistenceWarning(r: Redis): Promise<string | null> {
  try {
    const [, aof] = (await r.config('GET', 'appendonly')) as [string, string];
    const [, save] = (await r.config('GET', 'save')) as [string, string];
    if (aof === 'no' && !save?.trim())
      return 'Redis persistence is off (appendonly no, no RDB save points): a Redis restart loses every job; set appendonly yes';
    if (aof === 'no')
      return 'Redis append-only persistence is off: a restart loses what changed since the last RDB snapshot; set appendonly yes';
  } catch {
    /* CONFIG not allowed */
  }
  return null;
}

/** Every startup warning about this Redis (eviction policy, persistence). */
export async function startupWarnings(r: Redis): Promise<string[]> {
  const found = await Promise.all([evictionWarning(r), persistenceWarning(r)]);
  return found.filter((w): w is string => w !== null);
}

/**
 * Wait until the connection is ready, however long it takes (a worker started before Redis, or
 * while it restarts, waits rather than exiting), saying so at once and then every `reportEveryMs`.
 */
export async function waitReadyForever(
  r: Redis,
  log: (msg: string) => void,
  what: string,
  reportEveryMs = 5000,
): Promise<void> {
  const t0 = Date.now();
  for (let tries = 0; ; tries++) {
    try {
      await waitReady(r, tries === 0 ? 1000 : reportEveryMs);
      if (tries > 0) log(`${what}: Redis is reachable; going on`);
      return;
    } catch {
      log(`${what}: waiting for Redis (${Math.round((Date.now() - t0) / 1000)} s so far; retrying)`);
    }
  }
}
