/**
 * An `AppDeps` without Redis, for API tests of pure request handling (validation, content types,
 * limits, the OpenAPI document): the job, dataset, idempotency and heartbeat stores, the queue and
 * the tailer are in-memory stand-ins implementing the same interfaces as src/queue's. Anything that
 * needs Redis itself (the rate limiter's and the job cap's Lua scripts, live queue positions,
 * `/readyz`) is not faked: `deps.redis` throws, naming the call, and such tests use makeTestApp
 * (test/helpers/app.ts) against a real redis-server.
 *
 * The stand-ins keep the records a route reads back (create → get → list → cancel), not the
 * stores' concurrency guarantees: those are what the real-Redis tests are for.
 */
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { buildApp } from '../../src/api/app.js';
import type { AppDeps, PredictFn, SpeedFn } from '../../src/api/deps.js';
import { gradientsWithModels } from '../../src/api/server.js';
import type { StoredEvent } from '../../src/contracts/events.js';
import { isTerminal, type JobStatus } from '../../src/contracts/job.js';
import { DEFAULT_LIMITS, type Limits } from '../../src/contracts/limits.js';
import { loadConfig, type ServiceConfig } from '../../src/queue/config.js';
import { labelFacts, type DatasetInfo, type DatasetStore } from '../../src/queue/dataset-store.js';
import type { Dataset as StoredDataset } from '../../src/data/types.js';
import { splitColumns, tableToDataset, type Table } from '../../src/data/table/index.js';
import type { WorkerInfo } from '../../src/queue/heartbeats.js';
import type { ClaimResult } from '../../src/queue/idempotency.js';
import { canonicalJson } from '../../src/queue/idempotency.js';
import { hashToJob, newJobFields, type CheckpointMeta, type JobStore } from '../../src/queue/job-store.js';
import { createKeys } from '../../src/queue/keys.js';
import type { TrainJobData } from '../../src/queue/training-queue.js';
import type { Tailer } from '../../src/queue/tailer.js';
import { linearPredict } from './app.js';

/** A Redis client whose every method throws: the fake deps have no Redis behind them. */
function noRedis(): Redis {
  return new Proxy({} as Redis, {
    get(_t, name) {
      if (name === 'then') return undefined; // not a thenable
      return () => {
        throw new Error(`fake AppDeps has no Redis (redis.${String(name)}): use makeTestApp for this test`);
      };
    },
  });
}

/** A stand-in whose every method throws, naming the call: webhook tests run on real Redis. */
function unavailable<T extends object>(what: string): T {
  return new Proxy({} as T, {
    get(_t, name) {
      if (name === 'then') return undefined;
      return () => {
        throw new Error(`fake AppDeps has no ${what} (${String(name)}): use makeTestApp for this test`);
      };
    },
  });
}

/** In-memory job records and event streams, newest-first per tenant as ids sort. */
function fakeJobStore(): JobStore {
  const hashes = new Map<string, Record<string, string>>();
  const streams = new Map<string, StoredEvent[]>();
  const blobs = new Map<string, { weights?: Buffer; checkpoints: CheckpointMeta[]; state?: unknown }>();
  const inits = new Map<string, Buffer>();
  let seq = 0;
  const append = (id: string, ev: Omit<StoredEvent, 'id'>): string => {
    const eid = `${Date.now()}-${seq++}`;
    const list = streams.get(id) ?? [];
    list.push({ id: eid, ...ev } as StoredEvent);
    streams.set(id, list);
    // The tenant's status feed, as the job scripts write it (FEED in src/queue/scripts.ts).
    if (ev.type === 'status') {
      const feed = `feed:${hashes.get(id)?.tenant ?? 'default'}`;
      streams.set(feed, [...(streams.get(feed) ?? []), { id: eid, ...ev } as StoredEvent]);
    }
    return eid;
  };
  const status = (id: string, s: JobStatus, attempt = Number(hashes.get(id)?.attempt ?? 0)) => {
    const time = new Date().toISOString();
    hashes.get(id)!.status = s;
    append(id, { type: 'status', jobId: id, attempt, time, status: s } as Omit<StoredEvent, 'id'>);
  };
  const getHash = async (id: string) => hashes.get(id) ?? null;
  return {
    async create(j) {
      const h = newJobFields(j).fields;
      if (j.initWeights) inits.set(j.id, j.initWeights);
      hashes.set(j.id, h);
      status(j.id, 'queued');
      return hashToJob(h);
    },
    async createIfAbsent(j) {
      if (hashes.has(j.id)) return false;
      await this.create(j);
      return true;
    },
    async get(id, tenant) {
      const h = hashes.get(id);
      return h && (tenant === undefined || h.tenant === tenant) ? hashToJob(h) : null;
    },
    getHash,
    async list(tenant, q) {
      const all = [...hashes.values()]
        .filter((h) => h.tenant === tenant && (!q.after || h.id < q.after))
        .filter(
          (h) =>
            (!q.status || h.status === q.status) &&
            (!q.parent || h.parent === q.parent) &&
            (!q.task || (JSON.parse(h.spec).task ?? 'supervised') === q.task),
        )
        .sort((a, b) => (a.id < b.id ? 1 : -1))
        .map(hashToJob);
      const data = all.slice(0, q.limit);
      const hasMore = all.length > q.limit;
      return { data, hasMore, nextCursor: hasMore ? data[data.length - 1].id : null };
    },
    async start(id) {
      const h = hashes.get(id);
      if (!h) return { verdict: 'missing' as const, attempt: 0 };
      if (isTerminal(h.status as JobStatus)) return { verdict: 'done' as const, attempt: Number(h.attempt) };
      h.attempt = String(Number(h.attempt) + 1);
      status(id, 'running');
      return { verdict: 'run' as const, attempt: Number(h.attempt) };
    },
    async appendEvent(id, attempt, ev) {
      return hashes.get(id)?.attempt === String(attempt) ? append(id, ev) : null;
    },
    async finish(id, attempt, s, out) {
      const h = hashes.get(id);
      if (!h || isTerminal(h.status as JobStatus) || (attempt !== '*' && h.attempt !== String(attempt)))
        return false;
      h.finishedAt = new Date().toISOString();
      if (out.result) h.result = JSON.stringify(out.result);
      if (out.error) h.error = JSON.stringify(out.error);
      if (out.weights) blobs.set(id, { ...(blobs.get(id) ?? { checkpoints: [] }), weights: out.weights });
      status(id, s);
      return true;
    },
    async pause(id, attempt, out) {
      const h = hashes.get(id);
      if (!h || h.attempt !== String(attempt) || h.status !== 'running') return false;
      h.result = JSON.stringify(out.result);
      blobs.set(id, { ...(blobs.get(id) ?? { checkpoints: [] }), weights: out.weights });
      status(id, 'paused');
      return true;
    },
    async promote(id, rung, untilEpoch) {
      const h = hashes.get(id);
      if (!h) return 'no';
      if (Number(h.segRung ?? -1) === rung) return 'already';
      if (h.status !== 'paused' || Number(h.segRung) !== rung - 1) return 'no';
      Object.assign(h, { segRung: String(rung), untilEpoch: String(untilEpoch) });
      status(id, 'queued');
      return 'promoted';
    },
    async stop(id) {
      const h = hashes.get(id);
      if (!h || h.status !== 'paused') return false;
      h.finishedAt = new Date().toISOString();
      status(id, 'succeeded');
      return true;
    },
    async requeue(id, attempt) {
      const h = hashes.get(id);
      if (!h || h.attempt !== String(attempt) || h.status !== 'running') return false;
      status(id, 'queued');
      return true;
    },
    async requestCancel(id) {
      const h = hashes.get(id);
      if (!h) return null;
      if (h.status === 'queued' || h.status === 'running') status(id, 'cancelling');
      return h.status as JobStatus;
    },
    async remove(id, tenant) {
      const h = hashes.get(id);
      if (!h || h.tenant !== tenant) return 'missing';
      if (!isTerminal(h.status as JobStatus)) return h.status as JobStatus;
      hashes.delete(id);
      streams.delete(id);
      blobs.delete(id);
      return 'deleted';
    },
    async status(id) {
      return (hashes.get(id)?.status as JobStatus | undefined) ?? null;
    },
    async events(id, q) {
      const after = (streams.get(id) ?? []).filter((e) => !q.after || e.id > q.after);
      const data = after.slice(0, q.limit);
      return {
        data,
        hasMore: after.length > q.limit,
        nextCursor: data.length ? data[data.length - 1].id : (q.after ?? null),
      };
    },
    async feed(tenant, q) {
      return this.events(`feed:${tenant}`, q);
    },
    async feedBounds(tenant) {
      const f = streams.get(`feed:${tenant}`) ?? [];
      return f.length ? { first: f[0].id, last: f[f.length - 1].id } : null;
    },
    async lastEventId(id) {
      return streams.get(id)?.at(-1)?.id ?? null;
    },
    async allEvents(id) {
      return [...(streams.get(id) ?? [])];
    },
    async weights(id) {
      return blobs.get(id)?.weights ?? null;
    },
    async saveCheckpoint(id, attempt, state, meta) {
      if (hashes.get(id)?.attempt !== String(attempt)) return null;
      const b = blobs.get(id) ?? { checkpoints: [] };
      const time = new Date().toISOString();
      b.state = structuredClone(state);
      b.checkpoints.unshift({ ...meta, attempt, time, bytes: JSON.stringify(state).length });
      blobs.set(id, b);
      return append(id, {
        type: 'checkpoint',
        jobId: id,
        attempt,
        time,
        step: meta.step,
        epoch: meta.epoch,
      } as Omit<StoredEvent, 'id'>);
    },
    async checkpoints(id) {
      return [...(blobs.get(id)?.checkpoints ?? [])];
    },
    async loadCheckpoint(id) {
      return blobs.get(id)?.state ?? null;
    },
    // Only the latest checkpoint is kept here, under its step.
    async checkpointBlob(id, step) {
      const b = blobs.get(id);
      return b?.state !== undefined && b.checkpoints[0]?.step === step ? JSON.stringify(b.state) : null;
    },
    async initWeights(id) {
      return inits.get(id) ?? null;
    },
    isTerminal,
  };
}

/** In-memory datasets: the description as the real store computes it, the data kept as given. */
function fakeDatasetStore(): DatasetStore {
  const sets = new Map<
    string,
    { tenant: string; info: DatasetInfo; data: StoredDataset | null; table?: Table }
  >();
  return {
    async save(id, tenant, ds, upload = {}) {
      const info: DatasetInfo = {
        id,
        object: 'dataset',
        name: ds.name,
        format: upload.format ?? null,
        rows: ds.rows,
        features: ds.features,
        targets: ds.targets,
        classes: ds.classes ?? null,
        featureNames: ds.featureNames ?? null,
        targetNames: ds.targetNames ?? null,
        labels: labelFacts(ds.y),
        sha256: '0'.repeat(64),
        bytes: upload.bytes ?? (ds.x.length + ds.y.length) * 8,
        createdAt: new Date().toISOString(),
        columns: null,
      };
      sets.set(id, { tenant, info, data: ds });
      return info;
    },
    async saveTable(id, tenant, table, upload) {
      const { features, targets } = splitColumns(table);
      const info: DatasetInfo = {
        id,
        object: 'dataset',
        name: table.name,
        format: upload.format,
        rows: table.rows,
        features: features.length,
        targets: targets.length,
        classes: null,
        featureNames: upload.featureNames ?? null,
        targetNames: upload.targetNames ?? null,
        labels: { integer: true, min: 0, max: 1 },
        sha256: '0'.repeat(64),
        bytes: upload.bytes ?? 0,
        createdAt: new Date().toISOString(),
        columns: upload.columns,
      };
      let data: StoredDataset | null = null;
      try {
        data = tableToDataset(table);
      } catch {
        // a table that needs preprocessing: load() reports it as the real store does
      }
      sets.set(id, { tenant, info, data, table });
      return info;
    },
    async loadTable(id, tenant) {
      const s = sets.get(id);
      return s && (tenant === undefined || s.tenant === tenant) ? (s.table ?? null) : null;
    },
    async describe(id, tenant) {
      const s = sets.get(id);
      return s && (tenant === undefined || s.tenant === tenant) ? s.info : null;
    },
    async list(tenant, q) {
      const all = [...sets.values()]
        .filter((s) => s.tenant === tenant && (!q.after || s.info.id < q.after))
        .map((s) => s.info)
        .sort((a, b) => (a.id < b.id ? 1 : -1));
      const data = all.slice(0, q.limit);
      const hasMore = all.length > q.limit;
      return { data, hasMore, nextCursor: hasMore ? data[data.length - 1].id : null };
    },
    async load(id, tenant) {
      const s = sets.get(id);
      return s && (tenant === undefined || s.tenant === tenant) ? s.data : null;
    },
    async remove(id, tenant) {
      const s = sets.get(id);
      if (!s || (tenant !== undefined && s.tenant !== tenant)) return false;
      return sets.delete(id);
    },
  };
}

/** A tailer with no stream behind it: subscribers are kept (for stats and drop) and never fed. */
function fakeTailer(): Tailer {
  const listeners = new Map<string, Map<(ev: StoredEvent) => void, (() => void) | undefined>>();
  return {
    start() {},
    async subscribe(key, listener, onDrop) {
      const m = listeners.get(key) ?? new Map();
      m.set(listener, onDrop);
      listeners.set(key, m);
      return () => {
        m.delete(listener);
        if (m.size === 0) listeners.delete(key);
      };
    },
    drop(key) {
      const m = listeners.get(key);
      listeners.delete(key);
      for (const onDrop of m?.values() ?? []) onDrop?.();
    },
    stats() {
      let n = 0;
      for (const m of listeners.values()) n += m.size;
      return { streams: listeners.size, listeners: n };
    },
    async stop() {},
  };
}

/** What a test can look at after the requests: the jobs the routes enqueued. */
export interface FakeDeps extends AppDeps {
  enqueued: TrainJobData[];
}

/** An AppDeps with in-memory stores (see the file comment); `cfg` and `limits` as a test needs. */
export function createFakeDeps(
  opts: { cfg?: Partial<ServiceConfig>; limits?: Limits; predict?: PredictFn; speed?: SpeedFn } = {},
): FakeDeps {
  const cfg: ServiceConfig = { ...loadConfig({}), prefix: 'fake', ...opts.cfg };
  const keys = createKeys(cfg.prefix);
  const enqueued: TrainJobData[] = [];
  const claims = new Map<string, { jobId: string; body: string }>();
  const workers = new Map<string, WorkerInfo>();
  return {
    cfg,
    limits: opts.limits ?? DEFAULT_LIMITS,
    keys,
    redis: noRedis(),
    jobs: fakeJobStore(),
    datasets: fakeDatasetStore(),
    idempotency: {
      async claim(tenant, key, body, jobId): Promise<ClaimResult> {
        const k = `${tenant}\n${key}`;
        const prev = claims.get(k);
        if (!prev) {
          claims.set(k, { jobId, body: canonicalJson(body) });
          return { kind: 'new' };
        }
        return prev.body === canonicalJson(body)
          ? { kind: 'same', jobId: prev.jobId }
          : { kind: 'conflict', jobId: prev.jobId };
      },
      async release(tenant, key) {
        claims.delete(`${tenant}\n${key}`);
      },
    },
    heartbeats: {
      async beat(info) {
        workers.set(info.id, { ...info, lastBeat: new Date().toISOString() });
      },
      async remove(id) {
        workers.delete(id);
      },
      async alive() {
        return [...workers.values()];
      },
    },
    queue: {
      async enqueue(data) {
        enqueued.push(data);
      },
      async removeWaiting(jobId) {
        const i = enqueued.findIndex((d) => d.jobId === jobId);
        if (i < 0) return 0;
        enqueued.splice(i, 1);
        return 1;
      },
      async counts() {
        return { waiting: enqueued.length, active: 0, delayed: 0, completed: 0, failed: 0 };
      },
      waitKey: `${cfg.prefix}:bull:wait`,
    },
    tailer: fakeTailer(),
    webhooks: unavailable('webhook store'),
    webhookQueue: unavailable('webhook queue'),
    async resolveHost() {
      throw new Error('fake AppDeps resolves no host names');
    },
    // Sweeps need Redis (their compare-and-set script): not faked, like the job cap.
    sweeps: noRedis() as never,
    sweepExec: noRedis() as never,
    async publishCancel() {},
    predict: opts.predict ?? linearPredict,
    gradients: gradientsWithModels,
    speed: opts.speed,
    async close() {},
    enqueued,
  };
}

/** A built app on fake deps, the rate limit and job cap off (they are Redis scripts). */
export interface FakeApp {
  app: FastifyInstance;
  deps: FakeDeps;
  close(): Promise<void>;
}

/** Build the real app (routes, schemas, error handling) on {@link createFakeDeps}. */
export async function makeFakeApp(opts: Parameters<typeof createFakeDeps>[0] = {}): Promise<FakeApp> {
  const deps = createFakeDeps(opts);
  const app = await buildApp(deps, {
    security: { rateLimit: null, maxActiveJobs: null, jobCapRetrySeconds: 15 },
  });
  await app.ready();
  return {
    app,
    deps,
    async close() {
      await app.close();
    },
  };
}
