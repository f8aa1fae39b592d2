import type { Redis, Result } from 'ioredis';
import type { Keys } from './keys.js';
import { entryToEvent, type EventPage } from './job-store.js';

/**
 * The sweep records. One hash per sweep holds the request, the scheduler's state (JSON, see
 * src/sweep/scheduler.ts) and its `version`; every decision is written by one compare-and-set
 * script (CAS_SWEEP) that, only when the version is still the one read, stores the new state, the
 * actions to carry out (a list, oldest first) and the events, and bumps the version. So two
 * processes deciding at once never both win, and a process killed after deciding loses nothing:
 * whoever runs the reconciler next carries the pending actions out (src/queue/sweep-executor.ts).
 */

/** What the store keeps about one sweep besides the state. */
export interface SweepRecord {
  id: string;
  tenant: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** The parsed request (defaults filled). */
  request: Record<string, unknown>;
  /** Epochs of each rung. */
  rungs: number[];
  /** Each trial's sampled values (dotted path → value), by trial index. */
  params: Record<string, unknown>[];
  epochsMax: number;
  /** The scheduler's state as JSON-parsed. */
  state: unknown;
  /** Segments launched but not yet reported: trial index → rung. */
  inflight: Record<string, number>;
  version: number;
}

/** One pending action with its sequence number (acknowledged by number). */
export interface PendingAction<A> {
  seq: number;
  action: A;
}

/** The outcome of a CAS: the new version, or null when another process decided first. */
export type CasResult = number | null;

/**
 * KEYS sweep, events, pending, active, webhookOutbox · ARGV version, stateJson, inflightJson,
 * actions (a JSON array of action JSON strings), events (a JSON array of [type, eventJson]),
 * status|'', now, maxlen, sweepId, endedJson|'' → the new version, or 0 when the stored version is
 * not ARGV[1] (nothing written). Actions and events travel as strings so cjson never re-encodes a
 * number (it would round it to 14 digits). The decision that ends the sweep also appends its
 * `sweep.ended` webhook event (ARGV[10], the sweep as the API shows it) to the outbox, in the same
 * script: a sweep that ended has told its webhooks, and only once (an ended sweep's status is
 * never written again).
 */
const CAS_SWEEP = `
if redis.call('HGET', KEYS[1], 'version') ~= ARGV[1] then return 0 end
local was = redis.call('HGET', KEYS[1], 'status')
local v = redis.call('HINCRBY', KEYS[1], 'version', 1)
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'inflight', ARGV[3])
local actions = cjson.decode(ARGV[4])
for i = 1, #actions do
  local seq = redis.call('HINCRBY', KEYS[1], 'nextSeq', 1)
  redis.call('RPUSH', KEYS[3], seq .. '|' .. actions[i])
end
local events = cjson.decode(ARGV[5])
for i = 1, #events do
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[8], '*', 'type', events[i][1], 'data', events[i][2])
end
local st = ARGV[6]
-- An ended sweep stays as it ended: a stray later decision changes neither its status nor its end.
local ended = was == 'succeeded' or was == 'failed' or was == 'cancelled'
if st ~= '' and not ended then
  redis.call('HSET', KEYS[1], 'status', st)
  if st == 'running' then redis.call('HSETNX', KEYS[1], 'startedAt', ARGV[7]) end
  if st == 'succeeded' or st == 'failed' or st == 'cancelled' then
    redis.call('HSET', KEYS[1], 'finishedAt', ARGV[7])
    redis.call('SREM', KEYS[4], ARGV[9])
    if ARGV[10] ~= '' then
      redis.call('XADD', KEYS[5], 'MAXLEN', '~', '1000000', '*', 'type', 'sweep.ended',
        'tenant', redis.call('HGET', KEYS[1], 'tenant') or 'default', 'time', ARGV[7], 'data', ARGV[10])
    end
  end
end
return v
`;

/** KEYS pending · ARGV seq → entries removed: the head entries numbered ≤ seq. */
const ACK_SWEEP = `
local n = 0
while true do
  local head = redis.call('LINDEX', KEYS[1], 0)
  if not head then break end
  local seq = tonumber(string.match(head, '^(%d+)|'))
  if seq > tonumber(ARGV[1]) then break end
  redis.call('LPOP', KEYS[1])
  n = n + 1
end
return n
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    descentCasSweep(
      sweep: string,
      eventsKey: string,
      pending: string,
      active: string,
      webhookOutbox: string,
      version: number,
      state: string,
      inflight: string,
      actions: string,
      events: string,
      status: string,
      now: string,
      maxlen: number,
      sweepId: string,
      ended: string,
    ): Result<number, Context>;
    descentAckSweep(pending: string, seq: number): Result<number, Context>;
  }
}

type StreamEntry = [id: string, fields: string[]];

function parse<T>(s: string | undefined, dflt: T): T {
  if (!s) return dflt;
  try {
    return JSON.parse(s) as T;
  } catch {
    return dflt;
  }
}

/** The sweep store over one connection. */
export function createSweepStore(redis: Redis, keys: Keys, cfg: { streamMaxLen: number }) {
  if (typeof (redis as unknown as { descentCasSweep?: unknown }).descentCasSweep !== 'function') {
    redis.defineCommand('descentCasSweep', { numberOfKeys: 5, lua: CAS_SWEEP });
    redis.defineCommand('descentAckSweep', { numberOfKeys: 1, lua: ACK_SWEEP });
  }
  const maxlen = cfg.streamMaxLen;

  function toRecord(h: Record<string, string>): SweepRecord {
    return {
      id: h.id,
      tenant: h.tenant,
      status: h.status as SweepRecord['status'],
      createdAt: h.createdAt,
      startedAt: h.startedAt || null,
      finishedAt: h.finishedAt || null,
      request: parse(h.request, {}),
      rungs: parse(h.rungs, []),
      params: parse(h.params, []),
      epochsMax: Number(h.epochsMax ?? 0),
      state: parse(h.state, null),
      inflight: parse(h.inflight, {}),
      version: Number(h.version ?? 0),
    };
  }

  return {
    /**
     * Store a new sweep with its trial specs and the scheduler's first decision (its state, the
     * first launches, the first events) in one MULTI, at version 1, and index it: a crash never
     * leaves a sweep without its first decision, and the reconciler carries the launches out.
     */
    async create(s: {
      id: string;
      tenant: string;
      request: unknown;
      rungs: number[];
      epochsMax: number;
      params: Record<string, unknown>[];
      specs: unknown[];
      first: { state: unknown; inflight: Record<string, number>; actions: unknown[]; events: object[] };
      createdAt?: Date;
    }): Promise<void> {
      const createdAt = (s.createdAt ?? new Date()).toISOString();
      const specs: Record<string, string> = {};
      s.specs.forEach((spec, i) => (specs[String(i)] = JSON.stringify(spec)));
      const m = redis
        .multi()
        .hset(keys.sweepSpecs(s.id), specs)
        .hset(keys.sweep(s.id), {
          id: s.id,
          tenant: s.tenant,
          status: 'running',
          createdAt,
          startedAt: createdAt,
          request: JSON.stringify(s.request),
          rungs: JSON.stringify(s.rungs),
          params: JSON.stringify(s.params),
          epochsMax: String(s.epochsMax),
          state: JSON.stringify(s.first.state),
          inflight: JSON.stringify(s.first.inflight),
          version: '1',
          nextSeq: String(s.first.actions.length),
        })
        .zadd(keys.sweepIndex(s.tenant), 0, s.id)
        .sadd(keys.sweepsActive, s.id);
      s.first.actions.forEach((a, i) => m.rpush(keys.sweepPending(s.id), `${i + 1}|${JSON.stringify(a)}`));
      for (const e of s.first.events)
        m.xadd(
          keys.sweepEvents(s.id),
          'MAXLEN',
          '~',
          maxlen,
          '*',
          'type',
          (e as { type: string }).type,
          'data',
          JSON.stringify(e),
        );
      await m.exec();
    },

    /** One sweep, or null when unknown or another tenant's. */
    async get(id: string, tenant?: string): Promise<SweepRecord | null> {
      const h = await redis.hgetall(keys.sweep(id));
      if (!h?.id || (tenant !== undefined && h.tenant !== tenant)) return null;
      return toRecord(h);
    },

    /** The JobSpec of trial `index` (as validated when the sweep was created). */
    async trialSpec(id: string, index: number): Promise<unknown | null> {
      const s = await redis.hget(keys.sweepSpecs(id), String(index));
      return s ? JSON.parse(s) : null;
    },

    /**
     * Write a decision if nobody else has since `version` was read: the new state, the segments
     * in flight, the actions to carry out, the events, and the sweep's status when it changes.
     * When the status ends the sweep, `ended(finishedAt)` gives the `sweep.ended` webhook event's
     * data (the sweep as the API shows it), written to the outbox by the same script.
     */
    async cas(
      id: string,
      version: number,
      next: {
        state: unknown;
        inflight: Record<string, number>;
        actions: unknown[];
        events: object[];
        status?: SweepRecord['status'];
        ended?: (finishedAt: string) => object;
      },
    ): Promise<CasResult> {
      const now = new Date().toISOString();
      const terminal = next.status === 'succeeded' || next.status === 'failed' || next.status === 'cancelled';
      const v = await redis.descentCasSweep(
        keys.sweep(id),
        keys.sweepEvents(id),
        keys.sweepPending(id),
        keys.sweepsActive,
        keys.webhookOutbox,
        version,
        JSON.stringify(next.state),
        JSON.stringify(next.inflight),
        JSON.stringify(next.actions.map((a) => JSON.stringify(a))),
        JSON.stringify(next.events.map((e) => [(e as { type: string }).type, JSON.stringify(e)])),
        next.status ?? '',
        now,
        maxlen,
        id,
        terminal && next.ended ? JSON.stringify(next.ended(now)) : '',
      );
      return v === 0 ? null : v;
    },

    /** The actions not carried out yet, oldest first. */
    async pending<A>(id: string): Promise<PendingAction<A>[]> {
      const rows = await redis.lrange(keys.sweepPending(id), 0, -1);
      return rows.map((r) => {
        const bar = r.indexOf('|');
        return { seq: Number(r.slice(0, bar)), action: JSON.parse(r.slice(bar + 1)) as A };
      });
    },

    /** Drop the pending actions numbered up to `seq` (they have been carried out). */
    async ack(id: string, seq: number): Promise<void> {
      await redis.descentAckSweep(keys.sweepPending(id), seq);
    },

    /** Ids of the sweeps not finished yet. */
    async active(): Promise<string[]> {
      return redis.smembers(keys.sweepsActive);
    },

    /** Newest first; `after` is the last id of the previous page. */
    async list(
      tenant: string,
      q: { limit: number; after?: string },
    ): Promise<{ data: SweepRecord[]; hasMore: boolean; nextCursor: string | null }> {
      const ids = await redis.zrevrangebylex(
        keys.sweepIndex(tenant),
        q.after ? `(${q.after}` : '+',
        '-',
        'LIMIT',
        0,
        q.limit + 1,
      );
      const pipe = redis.pipeline();
      for (const id of ids) pipe.hgetall(keys.sweep(id));
      const rows = ((await pipe.exec()) ?? []).map(([, h]) => h as Record<string, string>);
      const all = rows.filter((h) => h?.id).map(toRecord);
      const hasMore = all.length > q.limit;
      const data = all.slice(0, q.limit);
      return { data, hasMore, nextCursor: hasMore ? data[data.length - 1].id : null };
    },

    /** Events after `after` (exclusive), oldest first. */
    async events(id: string, q: { after?: string; limit: number }): Promise<EventPage> {
      const entries = (await redis.xrange(
        keys.sweepEvents(id),
        q.after ? `(${q.after}` : '-',
        '+',
        'COUNT',
        q.limit + 1,
      )) as StreamEntry[];
      const hasMore = entries.length > q.limit;
      const data = entries.slice(0, q.limit).map(entryToEvent);
      return { data, hasMore, nextCursor: data.length ? data[data.length - 1].id : (q.after ?? null) };
    },

    /** Id of the newest event, or null. */
    async lastEventId(id: string): Promise<string | null> {
      const last = (await redis.xrevrange(keys.sweepEvents(id), '+', '-', 'COUNT', 1)) as StreamEntry[];
      return last.length ? last[0][0] : null;
    },

    /** Current status only. */
    async status(id: string): Promise<SweepRecord['status'] | null> {
      return ((await redis.hget(keys.sweep(id), 'status')) as SweepRecord['status'] | null) ?? null;
    },
  };
}

export type SweepStore = ReturnType<typeof createSweepStore>;
