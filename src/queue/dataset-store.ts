import type { Redis } from 'ioredis';
import type { Dataset } from '../data/types.js';
import type { Keys } from './keys.js';
import { sha256Hex } from './safetensors.js';

export interface DatasetInfo {
  id: string;
  object: 'dataset';
  name: string;
  format: 'csv' | 'json' | null;
  rows: number;
  features: number;
  targets: number;
  classes: number | null;
  featureNames: string[] | null;
  targetNames: string[] | null;
  /** What validation needs about the targets: all integers?, smallest and largest value. */
  labels: { integer: boolean; min: number; max: number };
  sha256: string;
  bytes: number;
  createdAt: string;
}

/** The hash fields a description is made of (never the data blobs `x` and `y`). */
const INFO_FIELDS = [
  'id',
  'name',
  'format',
  'rows',
  'features',
  'targets',
  'classes',
  'featureNames',
  'targetNames',
  'labels',
  'sha256',
  'bytes',
  'createdAt',
] as const;

/** Label facts of a target column block, as JobSpec validation wants them. */
export function labelFacts(y: Float64Array): { integer: boolean; min: number; max: number } {
  let integer = true;
  let min = Infinity;
  let max = -Infinity;
  for (const v of y) {
    if (!Number.isInteger(v)) integer = false;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { integer, min: y.length ? min : 0, max: y.length ? max : 0 };
}

function f64Bytes(a: Float64Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

function toF64(b: Buffer): Float64Array {
  const copy = new Uint8Array(b.length);
  copy.set(b);
  return new Float64Array(copy.buffer);
}

/** Uploaded datasets: one hash each, numbers stored as raw float64 bytes (compact, exact). */
export function createDatasetStore(redis: Redis, keys: Keys) {
  function info(h: Record<string, string>): DatasetInfo {
    return {
      id: h.id,
      object: 'dataset',
      name: h.name,
      format: h.format === 'csv' || h.format === 'json' ? h.format : null,
      rows: Number(h.rows),
      features: Number(h.features),
      targets: Number(h.targets),
      classes: h.classes ? Number(h.classes) : null,
      featureNames: h.featureNames ? (JSON.parse(h.featureNames) as string[]) : null,
      targetNames: h.targetNames ? (JSON.parse(h.targetNames) as string[]) : null,
      labels: h.labels ? (JSON.parse(h.labels) as DatasetInfo['labels']) : { integer: false, min: 0, max: 0 },
      sha256: h.sha256,
      bytes: Number(h.bytes),
      createdAt: h.createdAt,
    };
  }

  function fromValues(vals: (string | null)[]): DatasetInfo {
    const h: Record<string, string> = {};
    INFO_FIELDS.forEach((f, i) => {
      if (vals[i] !== null && vals[i] !== undefined) h[f] = vals[i]!;
    });
    return info(h);
  }

  let indexBuilt: Promise<void> | null = null;
  /**
   * Datasets stored before the per-tenant index existed are indexed once per deployment (a SCAN
   * of their keys, then a marker key), the first time any process lists datasets.
   */
  function buildIndex(): Promise<void> {
    indexBuilt ??= (async () => {
      if (await redis.exists(keys.datasetIndexBuilt)) return;
      const match = `${keys.dataset('').replace(/[*?[\]\\]/g, '\\$&')}*`;
      let cursor = '0';
      do {
        const [next, found] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 1000);
        cursor = next;
        if (found.length === 0) continue;
        const pipe = redis.pipeline();
        for (const k of found) pipe.hmget(k, 'id', 'tenant');
        const rows = (await pipe.exec()) ?? [];
        const add = redis.pipeline();
        for (const [, v] of rows) {
          const [id, tenant] = (v as (string | null)[] | undefined) ?? [];
          if (id && tenant) add.zadd(keys.datasetIndex(tenant), 0, id);
        }
        await add.exec();
      } while (cursor !== '0');
      await redis.set(keys.datasetIndexBuilt, new Date().toISOString());
    })().catch((err: unknown) => {
      indexBuilt = null; // try again on the next list
      throw err;
    });
    return indexBuilt;
  }

  return {
    /** Store a parsed dataset; `upload` describes what was sent (format, size in bytes). */
    async save(
      id: string,
      tenant: string,
      ds: Dataset,
      upload: { format?: 'csv' | 'json'; bytes?: number } = {},
    ): Promise<DatasetInfo> {
      const x = f64Bytes(ds.x);
      const y = f64Bytes(ds.y);
      const sha256 = sha256Hex(
        Buffer.concat([Buffer.from(`${ds.rows}x${ds.features}:${ds.targets};`), x, y]),
      );
      const h: Record<string, string> = {
        id,
        tenant,
        name: ds.name,
        rows: String(ds.rows),
        features: String(ds.features),
        targets: String(ds.targets),
        sha256,
        bytes: String(upload.bytes ?? x.length + y.length),
        labels: JSON.stringify(labelFacts(ds.y)),
        createdAt: new Date().toISOString(),
      };
      if (upload.format) h.format = upload.format;
      if (ds.classes !== undefined) h.classes = String(ds.classes);
      if (ds.featureNames) h.featureNames = JSON.stringify(ds.featureNames);
      if (ds.targetNames) h.targetNames = JSON.stringify(ds.targetNames);
      await redis
        .multi()
        .hset(keys.dataset(id), { ...h, x, y })
        .zadd(keys.datasetIndex(tenant), 0, id)
        .exec();
      return info(h);
    },

    /** Description, or null when unknown or another tenant's. */
    async describe(id: string, tenant?: string): Promise<DatasetInfo | null> {
      const [idv, t] = await redis.hmget(keys.dataset(id), 'id', 'tenant');
      if (!idv || (tenant !== undefined && t !== tenant)) return null;
      return fromValues(await redis.hmget(keys.dataset(id), ...INFO_FIELDS));
    },

    /**
     * One tenant's datasets, newest first (ids sort by creation); `after` is the last id of the
     * previous page. Reads the descriptions only, never the data. Deleted ones leave the index here.
     */
    async list(
      tenant: string,
      q: { limit: number; after?: string },
    ): Promise<{ data: DatasetInfo[]; hasMore: boolean; nextCursor: string | null }> {
      await buildIndex();
      const index = keys.datasetIndex(tenant);
      const out: DatasetInfo[] = [];
      let cursor = q.after ? `(${q.after}` : '+';
      for (;;) {
        const ids = await redis.zrevrangebylex(index, cursor, '-', 'LIMIT', 0, q.limit + 1 - out.length);
        if (ids.length === 0) break;
        const pipe = redis.pipeline();
        for (const id of ids) pipe.hmget(keys.dataset(id), 'tenant', ...INFO_FIELDS);
        const rows = (await pipe.exec()) ?? [];
        const gone: string[] = [];
        ids.forEach((id, i) => {
          const [t, ...vals] = (rows[i]?.[1] as (string | null)[] | undefined) ?? [];
          if (!vals[0] || t !== tenant) gone.push(id);
          else out.push(fromValues(vals));
        });
        if (gone.length) await redis.zrem(index, ...gone);
        if (out.length > q.limit || gone.length === 0) break;
        cursor = `(${ids[ids.length - 1]}`;
      }
      const hasMore = out.length > q.limit;
      const data = out.slice(0, q.limit);
      return { data, hasMore, nextCursor: hasMore ? data[data.length - 1].id : null };
    },

    /** The data itself (worker side), or null. */
    async load(id: string, tenant?: string): Promise<Dataset | null> {
      const d = await redis.hgetallBuffer(keys.dataset(id));
      if (!d || !d.id) return null;
      if (tenant !== undefined && d.tenant.toString() !== tenant) return null;
      const s = (k: string) => d[k]?.toString();
      return {
        name: s('name')!,
        x: toF64(d.x),
        y: toF64(d.y),
        rows: Number(s('rows')),
        features: Number(s('features')),
        targets: Number(s('targets')),
        ...(d.classes ? { classes: Number(s('classes')) } : {}),
        ...(d.featureNames ? { featureNames: JSON.parse(s('featureNames')!) as string[] } : {}),
        ...(d.targetNames ? { targetNames: JSON.parse(s('targetNames')!) as string[] } : {}),
      };
    },

    async remove(id: string, tenant?: string): Promise<boolean> {
      const t = await redis.hget(keys.dataset(id), 'tenant');
      if (t === null || (tenant !== undefined && t !== tenant)) return false;
      const res = await redis.multi().del(keys.dataset(id)).zrem(keys.datasetIndex(t), id).exec();
      return res?.[0]?.[1] === 1;
    },
  };
}

export type DatasetStore = ReturnType<typeof createDatasetStore>;
