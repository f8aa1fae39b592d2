import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';

/** Statuses that hold a slot of the per-tenant job cap. */
const ACTIVE = new Set(['queued', 'running', 'cancelling']);

/** A reservation that has not become a job after this long is dropped (its request died). */
const PENDING_TTL_MS = 60_000;

/**
 * Atomic check-and-reserve: KEYS[1] the tenant's slot set; ARGV[1] cap, ARGV[2] member, ARGV[3] now.
 * Returns -1 when reserved, else the number of slots in use.
 */
const RESERVE = `
local n = redis.call('ZCARD', KEYS[1])
if n >= tonumber(ARGV[1]) then return n end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])
return -1
`;

type WithReserve = Redis & {
  descentReserveSlot(key: string, cap: number, member: string, now: number): Promise<number>;
};

export type Reservation = { ok: true; token: string } | { ok: false; active: number };

/**
 * The per-tenant cap on queued + running jobs, kept beside the job store without touching it: a
 * sorted set per tenant holds the ids of the tenant's jobs that may still be active, plus
 * `pending:` reservations of requests that are creating one.
 *
 * The set is pruned lazily before each reservation (a job whose hash is terminal or gone leaves
 * it), so the worker's finish path needs no change, and the set never holds more than about
 * `cap` members, which bounds the pruning cost. The reservation itself is one script, so two
 * concurrent requests cannot both take the last slot.
 */
export function createActiveJobs(redis: Redis, keys: Keys) {
  const r = redis as WithReserve;
  if (typeof r.descentReserveSlot !== 'function')
    redis.defineCommand('descentReserveSlot', { numberOfKeys: 1, lua: RESERVE });
  const setKey = (tenant: string) => keys.active(tenant);

  /** Drop members that no longer hold a slot; returns how many are left. */
  async function prune(tenant: string): Promise<number> {
    const key = setKey(tenant);
    const members = await redis.zrange(key, 0, -1, 'WITHSCORES');
    const now = Date.now();
    const ids: string[] = [];
    const gone: string[] = [];
    for (let i = 0; i < members.length; i += 2) {
      const m = members[i];
      if (m.startsWith('pending:')) {
        if (now - Number(members[i + 1]) > PENDING_TTL_MS) gone.push(m);
      } else ids.push(m);
    }
    if (ids.length) {
      const pipe = redis.pipeline();
      for (const id of ids) pipe.hget(keys.job(id), 'status');
      const rows = (await pipe.exec()) ?? [];
      ids.forEach((id, i) => {
        const status = rows[i]?.[1] as string | null | undefined;
        if (!status || !ACTIVE.has(status)) gone.push(id);
      });
    }
    if (gone.length) await redis.zrem(key, ...gone);
    return members.length / 2 - gone.length;
  }

  return {
    prune,
    /** Take a slot for a job about to be created, or say how many are in use. */
    async reserve(tenant: string, cap: number): Promise<Reservation> {
      await prune(tenant);
      const token = `pending:${randomBytes(9).toString('base64url')}`;
      const n = await r.descentReserveSlot(setKey(tenant), cap, token, Date.now());
      return n < 0 ? { ok: true, token } : { ok: false, active: n };
    },
    /** The reservation became job `jobId`: it now holds the slot until it finishes. */
    async commit(tenant: string, token: string, jobId: string): Promise<void> {
      await redis.multi().zrem(setKey(tenant), token).zadd(setKey(tenant), Date.now(), jobId).exec();
    },
    /** No job was created (invalid, replayed idempotent request, error): free the slot. */
    async release(tenant: string, token: string): Promise<void> {
      await redis.zrem(setKey(tenant), token);
    },
  };
}

export type ActiveJobs = ReturnType<typeof createActiveJobs>;
