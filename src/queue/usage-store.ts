import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';

/** How long a day's usage hash is kept: long enough for "yesterday" in any time zone, and a week of history. */
const USAGE_TTL_MS = 8 * 24 * 3600_000;

/**
 * KEYS job, usage · ARGV attempt, elapsedMs, ttlMs → ms added (0: nothing new, -1: stale attempt).
 *
 * A running attempt reports its elapsed run time (ms since it started) every second or so, and
 * once more when it ends. The job hash remembers how much of which attempt is already counted
 * (`computeAttempt`, `computeAttemptMs`), so a resent report adds nothing and a report of an
 * attempt that is no longer the job's current one (a worker that lost the job) adds nothing:
 * a resumed attempt counts its own time from its own start, never the crashed one's again. The
 * crashed attempt keeps what it reported before it died (that compute was spent); the time since
 * its last report (≤ the report interval) is not counted.
 */
const RECORD_COMPUTE = `
if redis.call('HGET', KEYS[1], 'attempt') ~= ARGV[1] then return -1 end
local counted = 0
if redis.call('HGET', KEYS[1], 'computeAttempt') == ARGV[1] then
  counted = tonumber(redis.call('HGET', KEYS[1], 'computeAttemptMs') or '0')
end
local delta = tonumber(ARGV[2]) - counted
if delta <= 0 then return 0 end
redis.call('HSET', KEYS[1], 'computeAttempt', ARGV[1], 'computeAttemptMs', ARGV[2])
redis.call('HINCRBY', KEYS[1], 'computeMs', delta)
redis.call('HINCRBY', KEYS[2], 'computeMs', delta)
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return delta
`;

type WithRecord = Redis & {
  descentRecordCompute(
    job: string,
    usage: string,
    attempt: number,
    elapsedMs: number,
    ttlMs: number,
  ): Promise<number>;
};

/** The UTC day name (`YYYY-MM-DD`) of a time in ms. */
export const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** What {@link UsageStore.scan} finds for one tenant. */
export interface TenantScan {
  storedBytes: number;
  /** Jobs created at or after `since`. */
  submitted: number;
  /** Jobs running or cancelling now. */
  running: number;
}

/**
 * Per-tenant usage: compute milliseconds per UTC day (written by the workers through
 * {@link UsageStore.recordCompute}), and a scan of the tenant's datasets and jobs for stored bytes
 * and job counts. Stored bytes are summed when asked rather than kept as a counter: weights,
 * checkpoints and finished jobs leave by TTL, which a counter would never see.
 */
export function createUsageStore(redis: Redis, keys: Keys) {
  const r = redis as WithRecord;
  // Defined on first use: the API's test doubles build the app without a Redis behind it.
  let defined = false;
  const define = () => {
    if (!defined && typeof r.descentRecordCompute !== 'function')
      redis.defineCommand('descentRecordCompute', { numberOfKeys: 2, lua: RECORD_COMPUTE });
    defined = true;
  };

  return {
    /**
     * Worker side: attempt `attempt` of job `jobId` (of `tenant`) has run `elapsedMs` so far. The
     * new part is added to the tenant's usage of the UTC day of `now`. Returns the ms added.
     */
    async recordCompute(
      jobId: string,
      tenant: string,
      attempt: number,
      elapsedMs: number,
      now = Date.now(),
    ): Promise<number> {
      define();
      return r.descentRecordCompute(
        keys.job(jobId),
        keys.usage(tenant, dayOf(now)),
        attempt,
        Math.max(0, Math.round(elapsedMs)),
        USAGE_TTL_MS,
      );
    },

    /** Compute seconds the tenant used on the UTC day of `now`. */
    async computeSeconds(tenant: string, now = Date.now()): Promise<number> {
      const ms = await redis.hget(keys.usage(tenant, dayOf(now)), 'computeMs');
      return Number(ms ?? 0) / 1000;
    },

    /**
     * Stored bytes (datasets, weights, checkpoints) and job counts of one tenant, read from its
     * dataset and job indexes in pipelines: O(its datasets + jobs) per call.
     */
    async scan(tenant: string, since: number): Promise<TenantScan> {
      const [datasetIds, jobIds] = await Promise.all([
        redis.zrange(keys.datasetIndex(tenant), 0, -1),
        redis.zrange(keys.jobIndex(tenant), 0, -1),
      ]);
      let storedBytes = 0;
      let submitted = 0;
      let running = 0;
      if (datasetIds.length) {
        const pipe = redis.pipeline();
        for (const id of datasetIds) pipe.hmget(keys.dataset(id), 'tenant', 'storedBytes', 'bytes');
        for (const [, v] of (await pipe.exec()) ?? []) {
          const [owner, stored, bytes] = (v ?? []) as (string | null)[];
          if (owner === tenant) storedBytes += Number(stored ?? bytes ?? 0) || 0;
        }
      }
      if (jobIds.length) {
        const pipe = redis.pipeline();
        for (const id of jobIds) {
          pipe.hmget(keys.job(id), 'tenant', 'status', 'createdAt', 'weightsBytes');
          pipe.strlen(keys.checkpoint(id));
          pipe.strlen(keys.initWeights(id));
          pipe.hkeys(keys.checkpointBlobs(id));
        }
        const rows = (await pipe.exec()) ?? [];
        const blobs = redis.pipeline();
        let nBlobs = 0;
        for (let i = 0; i < jobIds.length; i++) {
          const [owner, status, createdAt, weightsBytes] = (rows[4 * i]?.[1] ?? []) as (string | null)[];
          if (owner !== tenant) continue;
          if (status === 'running' || status === 'cancelling') running++;
          if (createdAt && Date.parse(createdAt) >= since) submitted++;
          storedBytes += Number(weightsBytes ?? 0) || 0;
          storedBytes += Number(rows[4 * i + 1]?.[1] ?? 0) + Number(rows[4 * i + 2]?.[1] ?? 0);
          for (const step of (rows[4 * i + 3]?.[1] ?? []) as string[]) {
            blobs.hstrlen(keys.checkpointBlobs(jobIds[i]), step);
            nBlobs++;
          }
        }
        if (nBlobs) for (const [, n] of (await blobs.exec()) ?? []) storedBytes += Number(n ?? 0);
      }
      return { storedBytes, submitted, running };
    },
  };
}

export type UsageStore = ReturnType<typeof createUsageStore>;
