import type { Redis } from 'ioredis';
import type {
  Job,
  JobError,
  JobLineage,
  JobList,
  JobProgress,
  JobResult,
  JobStatus,
} from '../contracts/job.js';
import { isTerminal } from '../contracts/job.js';
import type { JobEvent, StoredEvent } from '../contracts/events.js';
import type { ServiceConfig } from './config.js';
import type { Keys } from './keys.js';
import { JOB_FEED_MAXLEN, defineScripts } from './scripts.js';
import { sha256Hex } from './safetensors.js';

/** What the store needs to create a job; the spec is already normalized by the JobSpec schema. */
export interface NewJob {
  id: string;
  tenant: string;
  spec: unknown;
  metadata: Record<string, unknown>;
  createdAt?: Date;
  /** The request's `Idempotency-Key`, if any: recorded (hashed) so deleting the job drops its record. */
  idempotencyKey?: string;
  /** Where the job starts from (`init.fromJob` or a fork); absent: from scratch. */
  lineage?: JobLineage;
  /** `init.fromJob`: the parent's chosen tensors (safetensors) the worker starts from. */
  initWeights?: Buffer;
  /**
   * A fork: the parent's checkpoint it resumes from, stored as this job's own first checkpoint
   * (blob and list entry), so the first attempt resumes from it as a crash-resume would.
   */
  forkCheckpoint?: { blob: string; meta: CheckpointMeta };
  /**
   * A sweep trial: its sweep and trial, and its first segment (rung 0, trained until `untilEpoch`,
   * then `paused`; see src/queue/sweep-executor.ts).
   */
  trial?: { sweepId: string; trialId: string; index: number; untilEpoch: number };
  /**
   * The API's estimate of the trainer's peak memory (bytes, `estimate.bytes` of the validate
   * endpoint): the worker derives the job's heap limit from it (workers/contained-trainer.ts).
   */
  estimateBytes?: number;
}

/** Fields of the job hash the list filters read (`id` first: a missing one means expired). */
const LIST_FIELDS = ['id', 'status', 'createdAt', 'task', 'metadata', 'parent'] as const;

/** A list query: page, and filters that are ANDed. */
export interface JobListQuery {
  limit: number;
  after?: string;
  status?: JobStatus;
  /** The spec's task (`supervised` for specs without one). */
  task?: string;
  /** Exclusive bounds on `createdAt`, ISO 8601. */
  createdAfter?: string;
  createdBefore?: string;
  /** Exact matches on metadata values. */
  metadata?: Record<string, string>;
  /** Only jobs whose `lineage.parent` is this job. */
  parent?: string;
}

/** What `remove` did: the job is gone, was not there, or is not finished (its status). */
export type RemoveOutcome = 'deleted' | 'missing' | JobStatus;

export type StartVerdict = 'run' | 'cancel' | 'done' | 'missing' | 'exhausted';

/** What `GET /jobs/{id}/checkpoints` lists about one checkpoint. */
export interface CheckpointMeta {
  step: number;
  epoch: number;
  /** The last training loss reported before the checkpoint (null when none was). */
  loss: number | null;
  attempt: number;
  time: string;
  /** Size of the stored blob (bytes of JSON). */
  bytes: number;
}

/** A page of a job's events. */
export interface EventPage {
  data: StoredEvent[];
  hasMore: boolean;
  nextCursor: string | null;
}

type StreamEntry = [id: string, fields: string[]];

/** Decode one stream entry into an event object with its id. */
export function entryToEvent([id, fields]: StreamEntry): StoredEvent {
  let data = '{}';
  for (let i = 0; i < fields.length; i += 2) if (fields[i] === 'data') data = fields[i + 1];
  return { id, ...(JSON.parse(data) as JobEvent) };
}

function parseJson<T>(s: string | undefined, dflt: T): T {
  if (s === undefined || s === '') return dflt;
  try {
    return JSON.parse(s) as T;
  } catch {
    return dflt;
  }
}

/** Turn a job hash into the API's Job object. */
export function hashToJob(h: Record<string, string>): Job {
  return {
    id: h.id,
    object: 'job',
    status: h.status as JobStatus,
    createdAt: h.createdAt,
    startedAt: h.startedAt || null,
    finishedAt: h.finishedAt || null,
    spec: parseJson<Record<string, unknown>>(h.spec, {}),
    progress: parseJson<JobProgress | null>(h.progress, null),
    result: parseJson<JobResult | null>(h.result, null),
    error: parseJson<JobError | null>(h.error, null),
    attempt: Number(h.attempt ?? 0),
    metadata: parseJson<Record<string, unknown>>(h.metadata, {}),
    lineage: parseJson<JobLineage | null>(h.lineage, null),
    ...(h.sweepId ? { sweepId: h.sweepId, trialId: h.trialId ?? null } : {}),
  };
}

/** The hash fields and first event of a new job (also the in-memory test store's). */
export function newJobFields(j: NewJob): { fields: Record<string, string>; event: string } {
  const createdAt = (j.createdAt ?? new Date()).toISOString();
  const fields: Record<string, string> = {
    id: j.id,
    tenant: j.tenant,
    status: 'queued',
    createdAt,
    spec: JSON.stringify(j.spec),
    metadata: JSON.stringify(j.metadata),
    attempt: '0',
  };
  const task = (j.spec as { task?: unknown } | null)?.task;
  if (typeof task === 'string') fields.task = task;
  if (j.estimateBytes !== undefined) fields.estimateBytes = String(Math.round(j.estimateBytes));
  if (j.idempotencyKey) fields.idempotencyKey = sha256Hex(j.idempotencyKey);
  if (j.lineage) {
    fields.lineage = JSON.stringify(j.lineage);
    fields.parent = j.lineage.parent;
  }
  // The spec's own webhook, where the job scripts copy it into each outbox entry (OUTBOX).
  const webhook = (j.spec as { webhook?: unknown } | null)?.webhook;
  if (webhook) fields.webhook = JSON.stringify(webhook);
  if (j.trial) {
    fields.sweepId = j.trial.sweepId;
    fields.trialId = j.trial.trialId;
    fields.trialIndex = String(j.trial.index);
    fields.segRung = '0';
    fields.untilEpoch = String(j.trial.untilEpoch);
  }
  const ev: JobEvent = { type: 'status', jobId: j.id, attempt: 0, time: createdAt, status: 'queued' };
  return { fields, event: JSON.stringify(ev) };
}

/**
 * The job records: our own Redis hash per job (state lives here, not only in BullMQ), its event
 * stream, its weights and checkpoint, and a per-tenant newest-first index.
 */
export function createJobStore(
  redis: Redis,
  keys: Keys,
  cfg: Pick<ServiceConfig, 'streamMaxLen' | 'retentionMs'> &
    Partial<Pick<ServiceConfig, 'checkpointKeep' | 'maxStarts' | 'checkpointRetentionMs'>>,
) {
  defineScripts(redis);
  const maxlen = cfg.streamMaxLen;
  // A running job's checkpoints live at least a day (a long queue wait must not lose them).
  const runningTtl = Math.max(cfg.retentionMs, 24 * 3600_000);
  // Never longer than the job itself: a fork needs the job's record too.
  const cpRetention = cfg.checkpointRetentionMs ?? 7 * 24 * 3600_000;
  const finishedCheckpointTtl = cfg.retentionMs > 0 ? Math.min(cpRetention, cfg.retentionMs) : cpRetention;

  /** A page of a stream after `after` (exclusive), oldest first. */
  async function streamPage(key: string, q: { after?: string; limit: number }): Promise<EventPage> {
    const start = q.after ? `(${q.after}` : '-';
    const entries = (await redis.xrange(key, start, '+', 'COUNT', q.limit + 1)) as StreamEntry[];
    const hasMore = entries.length > q.limit;
    const data = entries.slice(0, q.limit).map(entryToEvent);
    const nextCursor = data.length ? data[data.length - 1].id : (q.after ?? null);
    return { data, hasMore, nextCursor };
  }

  async function getHash(id: string): Promise<Record<string, string> | null> {
    const h = await redis.hgetall(keys.job(id));
    return h && h.id ? h : null;
  }

  return {
    /** Write the record, index it and append the first `status: queued` event, atomically. */
    async create(j: NewJob): Promise<Job> {
      const { fields, event } = newJobFields(j);
      const createdAt = fields.createdAt;
      const tx = redis
        .multi()
        .hset(keys.job(j.id), fields)
        .zadd(keys.jobIndex(j.tenant), 0, j.id)
        .xadd(keys.events(j.id), 'MAXLEN', '~', maxlen, '*', 'type', 'status', 'data', event)
        // the tenant's status feed, as the scripts append it (FEED in scripts.ts)
        .xadd(keys.jobFeed(j.tenant), 'MAXLEN', '~', JOB_FEED_MAXLEN, '*', 'type', 'status', 'data', event)
        // job.queued for webhooks, in the same MULTI (see OUTBOX in scripts.ts)
        .xadd(
          keys.webhookOutbox,
          'MAXLEN',
          '~',
          1_000_000,
          '*',
          ...['type', 'job.queued', 'jobId', j.id, 'tenant', j.tenant, 'time', createdAt, 'attempt', '0'],
          ...['webhook', fields.webhook ?? ''],
        );
      if (j.initWeights) tx.set(keys.initWeights(j.id), j.initWeights, 'PX', runningTtl);
      const fork = j.forkCheckpoint;
      if (fork) {
        tx.set(keys.checkpoint(j.id), fork.blob, 'PX', runningTtl)
          .lpush(keys.checkpoints(j.id), JSON.stringify(fork.meta))
          .pexpire(keys.checkpoints(j.id), runningTtl)
          .hset(keys.checkpointBlobs(j.id), String(fork.meta.step), fork.blob)
          .pexpire(keys.checkpointBlobs(j.id), runningTtl);
      }
      await tx.exec();
      return hashToJob(fields);
    },

    /**
     * {@link create}, unless a job with this id exists (then nothing is written): one script, so
     * a sweep trial's launch carried out twice at once never resets a job that already runs.
     * True when this call created it.
     */
    async createIfAbsent(j: NewJob): Promise<boolean> {
      const { fields, event } = newJobFields(j);
      const n = await redis.descentCreateJobNx(
        keys.job(j.id),
        keys.jobIndex(j.tenant),
        keys.events(j.id),
        j.id,
        event,
        maxlen,
        ...Object.entries(fields).flat(),
      );
      return n === 1;
    },

    /** One job, or null when unknown, expired, or owned by another tenant. */
    async get(id: string, tenant?: string): Promise<Job | null> {
      const h = await getHash(id);
      if (!h || (tenant !== undefined && h.tenant !== tenant)) return null;
      return hashToJob(h);
    },

    /** Raw fields (tenant, weightsSha256, …) for internal use. */
    getHash,

    /**
     * Newest first; `after` is the last id of the previous page. Filters are ANDed: a page holds
     * `limit` matching jobs whenever that many exist after the cursor (non-matching ones are skipped,
     * reading only the fields the filters need). Expired jobs are dropped from the index here.
     */
    async list(tenant: string, q: JobListQuery): Promise<JobList> {
      const index = keys.jobIndex(tenant);
      const out: Job[] = [];
      let cursor = q.after ? `(${q.after}` : '+';
      const batch = Math.max(q.limit + 1, 50);
      const after = q.createdAfter ? Date.parse(q.createdAfter) : null;
      const before = q.createdBefore ? Date.parse(q.createdBefore) : null;
      const meta = Object.entries(q.metadata ?? {});
      const matches = (f: (string | null)[]): boolean => {
        const [, status, createdAt, task, metadata, parent, spec] = f;
        if (q.status && status !== q.status) return false;
        if (q.parent && parent !== q.parent) return false;
        const t = createdAt ? Date.parse(createdAt) : NaN;
        if (after !== null && !(t > after)) return false;
        if (before !== null && !(t < before)) return false;
        // Jobs stored before the task field existed: read it from the spec.
        if (q.task && (task ?? parseJson<{ task?: string }>(spec ?? '', {}).task ?? 'supervised') !== q.task)
          return false;
        if (meta.length) {
          const md = parseJson<Record<string, unknown>>(metadata ?? '', {});
          for (const [k, v] of meta) if (md[k] !== v) return false;
        }
        return true;
      };
      for (;;) {
        const ids = await redis.zrevrangebylex(index, cursor, '-', 'LIMIT', 0, batch);
        if (ids.length === 0) break;
        const pipe = redis.pipeline();
        for (const id of ids) pipe.hmget(keys.job(id), ...LIST_FIELDS, ...(q.task ? ['spec'] : []));
        const rows = (await pipe.exec()) ?? [];
        const gone: string[] = [];
        const hits: string[] = [];
        // Stop once one match more than a page is in hand (it proves hasMore).
        let scanned = 0;
        while (scanned < ids.length && out.length + hits.length <= q.limit) {
          const f = rows[scanned]?.[1] as (string | null)[] | undefined;
          if (!f || !f[0]) gone.push(ids[scanned]);
          else if (matches(f)) hits.push(ids[scanned]);
          scanned++;
        }
        if (gone.length) await redis.zrem(index, ...gone);
        if (hits.length) {
          const full = redis.pipeline();
          for (const id of hits) full.hgetall(keys.job(id));
          for (const [, h] of (await full.exec()) ?? []) {
            const hash = h as Record<string, string> | undefined;
            // Expired, or changed (status) between the two reads so that it no longer matches: skipped.
            if (hash?.id && matches([...LIST_FIELDS, 'spec'].map((k) => hash[k] ?? null)))
              out.push(hashToJob(hash));
          }
        }
        if (out.length > q.limit || (scanned === ids.length && ids.length < batch)) break;
        cursor = `(${ids[scanned - 1]}`;
      }
      const hasMore = out.length > q.limit;
      const data = out.slice(0, q.limit);
      return { data, hasMore, nextCursor: hasMore ? data[data.length - 1].id : null };
    },

    /**
     * Worker side: take the job for a new attempt (see START_JOB). The worker's id and the pid of
     * the process that trains are recorded on the job (the worker's cancel watchdog uses the pid).
     */
    async start(
      id: string,
      worker = '',
      pid = process.pid,
    ): Promise<{ verdict: StartVerdict; attempt: number }> {
      const [verdict, attempt] = await redis.descentStartJob(
        keys.job(id),
        keys.events(id),
        keys.webhookOutbox,
        new Date().toISOString(),
        maxlen,
        id,
        worker,
        cfg.maxStarts ?? 0,
        pid,
      );
      return { verdict: verdict as StartVerdict, attempt: Number(attempt) };
    },

    /**
     * Worker side: append one event of `attempt`; returns its id, or null when the attempt is
     * stale. `seq` (increasing per attempt) makes a resent append a no-op ('dup').
     */
    async appendEvent(
      id: string,
      attempt: number,
      ev: JobEvent,
      progress?: JobProgress,
      seq?: number,
    ): Promise<string | null> {
      return redis.descentAppendEvent(
        keys.job(id),
        keys.events(id),
        attempt,
        maxlen,
        ev.type,
        JSON.stringify(ev),
        progress ? JSON.stringify(progress) : '',
        seq ?? '',
      );
    },

    /**
     * Finish a job: status, result or error, weights, `status` and `end` events, retention TTLs, in
     * one script. `attempt` '*' skips the stale-attempt check (the API cancelling a queued job).
     * Returns true when this call finished it.
     */
    async finish(
      id: string,
      attempt: number | '*',
      status: 'succeeded' | 'failed' | 'cancelled',
      out: { result?: JobResult | null; error?: JobError | null; weights?: Buffer; weightsSha256?: string },
    ): Promise<boolean> {
      const n = await redis.descentFinishJob(
        keys.job(id),
        keys.events(id),
        keys.weights(id),
        keys.checkpoint(id),
        keys.checkpoints(id),
        keys.checkpointBlobs(id),
        keys.initWeights(id),
        keys.webhookOutbox,
        String(attempt),
        status,
        new Date().toISOString(),
        JSON.stringify(out.result ?? null),
        JSON.stringify(out.error ?? null),
        out.weights ?? '',
        out.weightsSha256 ?? '',
        maxlen,
        cfg.retentionMs,
        id,
        finishedCheckpointTtl,
      );
      return n === 1;
    },

    /**
     * Worker side: a sweep trial reached the end of its segment (`untilEpoch`). Stores its result
     * and weights as of that epoch, keeps the checkpoint it resumes from, and appends a `status:
     * paused` event (no `end`: the job is not finished), fenced by attempt. True when this call did it.
     */
    async pause(
      id: string,
      attempt: number,
      out: { result: JobResult | null; weights: Buffer; weightsSha256: string },
    ): Promise<boolean> {
      const n = await redis.descentPauseJob(
        keys.job(id),
        keys.events(id),
        keys.weights(id),
        String(attempt),
        new Date().toISOString(),
        JSON.stringify(out.result ?? null),
        out.weights,
        out.weightsSha256,
        maxlen,
        id,
      );
      return n === 1;
    },

    /**
     * Sweep side: a paused trial (its segment of rung `rung − 1` done) goes back to `queued` to
     * train until `untilEpoch` as rung `rung`. Idempotent: 'promoted' when this call did it,
     * 'already' when the job is already at that rung, 'no' when it is not paused (cancelled,
     * deleted, or paused at another rung).
     */
    async promote(id: string, rung: number, untilEpoch: number): Promise<'promoted' | 'already' | 'no'> {
      return (await redis.descentPromoteJob(
        keys.job(id),
        keys.events(id),
        rung,
        untilEpoch,
        new Date().toISOString(),
        maxlen,
        id,
      )) as 'promoted' | 'already' | 'no';
    },

    /**
     * Sweep side: a paused trial is not promoted any further: it ends `succeeded` with the result
     * and weights of its last rung (`status` and `end` events, retention TTLs). True when this call did it.
     */
    async stop(id: string): Promise<boolean> {
      const n = await redis.descentStopJob(
        keys.job(id),
        keys.events(id),
        keys.weights(id),
        keys.checkpoint(id),
        keys.checkpoints(id),
        new Date().toISOString(),
        maxlen,
        cfg.retentionMs,
        id,
      );
      return n === 1;
    },

    /** Worker side, on shutdown: hand a running job back (`queued`) for another worker to resume. */
    async requeue(id: string, attempt: number): Promise<boolean> {
      const n = await redis.descentRequeueJob(
        keys.job(id),
        keys.events(id),
        attempt,
        new Date().toISOString(),
        maxlen,
        id,
      );
      return n === 1;
    },

    /** API side: mark a queued or running job `cancelling`. Returns the status after the call, null if unknown. */
    async requestCancel(id: string): Promise<JobStatus | null> {
      const s = await redis.descentRequestCancel(
        keys.job(id),
        keys.events(id),
        new Date().toISOString(),
        maxlen,
        id,
      );
      return (s as JobStatus | null) ?? null;
    },

    /**
     * API side: delete a finished job of `tenant` and everything it owns in Redis — hash, events,
     * weights, checkpoints, its Idempotency-Key record, its entries in the tenant's index and the
     * job-cap set — in one script (DELETE_JOB). A job that is not finished is left alone and its
     * status returned. The BullMQ job is the caller's to remove (BullMQ's own script does that).
     */
    async remove(id: string, tenant: string): Promise<RemoveOutcome> {
      const idem = await redis.hget(keys.job(id), 'idempotencyKey');
      const out = await redis.descentDeleteJob(
        keys.job(id),
        keys.events(id),
        keys.weights(id),
        keys.checkpoint(id),
        keys.checkpoints(id),
        keys.jobIndex(tenant),
        keys.active(tenant),
        idem ? keys.idempotency(tenant, idem) : keys.job(id),
        keys.checkpointBlobs(id),
        keys.initWeights(id),
        id,
        tenant,
        idem ? '1' : '',
      );
      return out as RemoveOutcome;
    },

    /** Current status only (cheap; the worker polls it as a fallback to pub/sub). */
    async status(id: string): Promise<JobStatus | null> {
      return ((await redis.hget(keys.job(id), 'status')) as JobStatus | null) ?? null;
    },

    /** Events after `after` (exclusive), oldest first. */
    async events(id: string, q: { after?: string; limit: number }): Promise<EventPage> {
      return streamPage(keys.events(id), q);
    },

    /** The tenant's job status feed after `after` (exclusive), oldest first. */
    async feed(tenant: string, q: { after?: string; limit: number }): Promise<EventPage> {
      return streamPage(keys.jobFeed(tenant), q);
    },

    /** Ids of the oldest and newest entries of the tenant's status feed (null when it is empty). */
    async feedBounds(tenant: string): Promise<{ first: string; last: string } | null> {
      const key = keys.jobFeed(tenant);
      const [first, last] = (await Promise.all([
        redis.xrange(key, '-', '+', 'COUNT', 1),
        redis.xrevrange(key, '+', '-', 'COUNT', 1),
      ])) as [StreamEntry[], StreamEntry[]];
      return first.length && last.length ? { first: first[0][0], last: last[0][0] } : null;
    },

    /** Id of the newest event of the job's stream, or null when the stream is empty or gone. */
    async lastEventId(id: string): Promise<string | null> {
      const last = (await redis.xrevrange(keys.events(id), '+', '-', 'COUNT', 1)) as StreamEntry[];
      return last.length ? last[0][0] : null;
    },

    /** Every event of the stream, oldest first (metrics history). */
    async allEvents(id: string): Promise<StoredEvent[]> {
      const out: StoredEvent[] = [];
      let start = '-';
      for (;;) {
        const entries = (await redis.xrange(keys.events(id), start, '+', 'COUNT', 5000)) as StreamEntry[];
        for (const e of entries) out.push(entryToEvent(e));
        if (entries.length < 5000) return out;
        start = `(${entries[entries.length - 1][0]}`;
      }
    },

    async weights(id: string): Promise<Buffer | null> {
      return redis.getBuffer(keys.weights(id));
    },

    /**
     * Worker side: save attempt `attempt`'s checkpoint (the JSON-safe resume state) with its
     * metadata and `checkpoint` event, atomically (SAVE_CHECKPOINT). Returns the event id, or null
     * when the attempt is stale: nothing was written.
     */
    async saveCheckpoint(
      id: string,
      attempt: number,
      state: unknown,
      meta: { step: number; epoch: number; loss: number | null },
      seq?: number,
    ): Promise<string | null> {
      const blob = JSON.stringify(state);
      const time = new Date().toISOString();
      const full: CheckpointMeta = { ...meta, attempt, time, bytes: Buffer.byteLength(blob) };
      const ev: JobEvent = {
        type: 'checkpoint',
        jobId: id,
        attempt,
        time,
        step: meta.step,
        epoch: meta.epoch,
      };
      return redis.descentSaveCheckpoint(
        keys.job(id),
        keys.events(id),
        keys.checkpoint(id),
        keys.checkpoints(id),
        keys.checkpointBlobs(id),
        attempt,
        blob,
        JSON.stringify(full),
        cfg.checkpointKeep ?? 20,
        runningTtl,
        maxlen,
        JSON.stringify(ev),
        seq ?? '',
        meta.step,
      );
    },

    /** Metadata of the kept checkpoints, newest first. */
    async checkpoints(id: string): Promise<CheckpointMeta[]> {
      const rows = await redis.lrange(keys.checkpoints(id), 0, -1);
      return rows.map((r) => JSON.parse(r) as CheckpointMeta);
    },

    /**
     * The stored blob (JSON text) of the listed checkpoint at `step`, or null when it is gone
     * (DESCENT_CHECKPOINT_RETENTION after the job ended, or dropped off the list).
     */
    async checkpointBlob(id: string, step: number): Promise<string | null> {
      return redis.hget(keys.checkpointBlobs(id), String(step));
    },

    /** `init.fromJob`: the parent's tensors snapshotted for this job at submission (safetensors). */
    async initWeights(id: string): Promise<Buffer | null> {
      return redis.getBuffer(keys.initWeights(id));
    },

    async loadCheckpoint(id: string): Promise<unknown | null> {
      const s = await redis.get(keys.checkpoint(id));
      return s ? JSON.parse(s) : null;
    },

    isTerminal,
  };
}

export type JobStore = ReturnType<typeof createJobStore>;
