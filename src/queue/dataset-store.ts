import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Dataset } from '../data/types.js';
import type { Column, ColumnSummary, NumberColumn, Table } from '../data/table/index.js';
import type { Keys } from './keys.js';
import { sha256Hex } from './safetensors.js';

/**
 * Rows per stored column chunk. A chunk is one Redis string (512 KiB of float64, 256 KiB of
 * category codes), so no value is large whatever the row count, and a load is a pipeline of GETs.
 */
export const CHUNK_ROWS = 65_536;

/** A stored column's type and categories, everything but its values (hash field `schema`). */
interface StoredColumn {
  name: string;
  type: Column['type'];
}

export interface DatasetInfo {
  id: string;
  object: 'dataset';
  name: string;
  format: 'csv' | 'json' | 'parquet' | null;
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
  /** Per-column summaries (tables stored by saveTable; null for the one-hash layout). */
  columns: ColumnSummary[] | null;
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

/**
 * What `describe` and `list` read: the description fields and the column summaries (a list item is
 * the same object as `GET /v1/datasets/{id}`; a very wide table makes its list pages large).
 */
const DESCRIBE_FIELDS = [...INFO_FIELDS, 'columns'] as const;

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

/** Label facts of a table's target columns: numbers as {@link labelFacts} (missing skipped); codes 0…k−1. */
function tableLabelFacts(cols: readonly Column[]): { integer: boolean; min: number; max: number } {
  let integer = true;
  let min = Infinity;
  let max = -Infinity;
  for (const c of cols) {
    if (c.type === 'categorical') {
      min = Math.min(min, 0);
      max = Math.max(max, c.categories.length - 1);
      continue;
    }
    for (const v of c.values) {
      if (Number.isNaN(v)) continue;
      if (!Number.isInteger(v)) integer = false;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  return min <= max ? { integer, min, max } : { integer, min: 0, max: 0 };
}

/** Whether a table is a plain numeric dataset: no categorical column, no missing value. */
function isNumeric(cols: readonly Column[]): cols is NumberColumn[] {
  return cols.every((c) => c.type !== 'categorical' && c.missing === 0);
}

/**
 * Bytes a table takes in Redis once stored: its column chunks (float64 values, int32 category
 * codes) and category lists. Counted against the tenant's stored-bytes quota before it is saved.
 */
export function tableStoredBytes(table: Table): number {
  let n = 0;
  for (const c of table.columns)
    n +=
      c.type === 'categorical'
        ? table.rows * 4 + Buffer.byteLength(JSON.stringify(c.categories))
        : table.rows * 8;
  return n;
}

/** Row-major float64 bytes of some number columns, rows [from, to). */
function rowMajorBytes(cols: readonly NumberColumn[], from: number, to: number): Buffer {
  const w = cols.length;
  const out = new Float64Array((to - from) * w);
  for (let j = 0; j < w; j++) {
    const v = cols[j].values;
    for (let r = from; r < to; r++) out[(r - from) * w + j] = v[r];
  }
  return f64Bytes(out);
}

/** The bytes of one stored chunk: float64 values or int32 category codes (little-endian, as the host). */
function chunkBytes(c: Column, from: number, to: number): Buffer {
  const a = c.type === 'categorical' ? c.codes.subarray(from, to) : c.values.subarray(from, to);
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

function f64Bytes(a: Float64Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

function toF64(b: Buffer): Float64Array {
  const copy = new Uint8Array(b.length);
  copy.set(b);
  return new Float64Array(copy.buffer);
}

/** A one-hash dataset as a numeric table (columns named as described, else x0…, y…). */
function legacyTable(ds: Dataset): Table {
  const fnames = ds.featureNames ?? Array.from({ length: ds.features }, (_, j) => `x${j}`);
  const tnames =
    ds.targetNames ?? (ds.targets === 1 ? ['y'] : Array.from({ length: ds.targets }, (_, j) => `y${j}`));
  const column = (m: Float64Array, w: number, j: number, name: string): NumberColumn => {
    const values = new Float64Array(ds.rows);
    for (let r = 0; r < ds.rows; r++) values[r] = m[r * w + j];
    return { name, type: 'numeric', values, missing: 0 };
  };
  return {
    name: ds.name,
    rows: ds.rows,
    columns: [
      ...fnames.map((n, j) => column(ds.x, ds.features, j, n)),
      ...tnames.map((n, j) => column(ds.y, ds.targets, j, n)),
    ],
    target: tnames,
  };
}

/**
 * The numeric dataset the trainer consumes, from a stored table. A categorical column or a missing
 * value fails the job with the column named: the preprocessing that encodes them is not built yet.
 */
function tableDataset(t: Table, names: { featureNames?: string[]; targetNames?: string[] }): Dataset {
  const isTarget = new Set(t.target);
  const features = t.columns.filter((c) => !isTarget.has(c.name));
  const targets = t.target.map((n) => t.columns.find((c) => c.name === n)!);
  for (const c of t.columns) {
    if (c.type === 'categorical')
      throw new Error(
        `column ${JSON.stringify(c.name)} is categorical; training on categorical columns needs preprocessing, which is not available yet`,
      );
    if (c.missing > 0)
      throw new Error(
        `column ${JSON.stringify(c.name)} has ${c.missing} missing value${c.missing === 1 ? '' : 's'}; training needs every value present`,
      );
  }
  const f = features as NumberColumn[];
  const g = targets as NumberColumn[];
  return {
    name: t.name,
    x: new Float64Array(rowMajorBytes(f, 0, t.rows).buffer.slice(0)),
    y: new Float64Array(rowMajorBytes(g, 0, t.rows).buffer.slice(0)),
    rows: t.rows,
    features: f.length,
    targets: g.length,
    ...names,
  };
}

/** Uploaded datasets: one hash each, numbers stored as raw float64 bytes (compact, exact). */
export function createDatasetStore(redis: Redis, keys: Keys) {
  function info(h: Record<string, string>): DatasetInfo {
    return {
      id: h.id,
      object: 'dataset',
      name: h.name,
      format: h.format === 'csv' || h.format === 'json' || h.format === 'parquet' ? h.format : null,
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
      columns: h.columns ? (JSON.parse(h.columns) as ColumnSummary[]) : null,
    };
  }

  function fromValues(vals: (string | null)[], fields: readonly string[] = INFO_FIELDS): DatasetInfo {
    const h: Record<string, string> = {};
    fields.forEach((f, i) => {
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
        storedBytes: String(x.length + y.length),
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

    /**
     * Store a typed table: its description in the dataset hash, each column in chunks of
     * {@link CHUNK_ROWS} rows under their own keys (written first, in bounded pipelines; the hash is
     * the commit point, so a failed save leaves no visible dataset and its chunks are removed).
     * A table that is a plain numeric dataset gets the sha256 `save` would give its Dataset, so a
     * numeric upload is described exactly as before; other tables hash the schema and every chunk.
     */
    async saveTable(
      id: string,
      tenant: string,
      table: Table,
      upload: {
        format: 'csv' | 'json' | 'parquet';
        bytes?: number;
        columns: ColumnSummary[];
        /** Names to describe (a JSON `{x, y}` upload without names has none). */
        featureNames?: string[];
        targetNames?: string[];
      },
    ): Promise<DatasetInfo> {
      const isTarget = new Set(table.target);
      const features = table.columns.filter((c) => !isTarget.has(c.name));
      const targets = table.target.map((n) => table.columns.find((c) => c.name === n)!);
      const hash = createHash('sha256');
      if (isNumeric(features) && isNumeric(targets)) {
        hash.update(`${table.rows}x${features.length}:${targets.length};`);
        for (const cols of [features, targets])
          for (let r = 0; r < table.rows; r += CHUNK_ROWS)
            hash.update(rowMajorBytes(cols, r, Math.min(table.rows, r + CHUNK_ROWS)));
      } else {
        hash.update(
          `table:${table.rows};${JSON.stringify(table.columns.map((c) => [c.name, c.type, c.type === 'categorical' ? c.categories : null]))};${table.target.join(',')};`,
        );
        for (const c of table.columns)
          for (let r = 0; r < table.rows; r += CHUNK_ROWS)
            hash.update(chunkBytes(c, r, Math.min(table.rows, r + CHUNK_ROWS)));
      }
      const chunks = Math.ceil(table.rows / CHUNK_ROWS);
      const written: string[] = [];
      try {
        // Bounded pipelines: ~32 MiB of chunks at most in the client's buffers at a time.
        let pipe = redis.pipeline();
        let queued = 0;
        for (let j = 0; j < table.columns.length; j++) {
          const c = table.columns[j];
          if (c.type === 'categorical') {
            const k = keys.datasetChunk(id, j, 'categories');
            pipe.set(k, JSON.stringify(c.categories));
            written.push(k);
          }
          for (let n = 0; n < chunks; n++) {
            const k = keys.datasetChunk(id, j, n);
            pipe.set(k, chunkBytes(c, n * CHUNK_ROWS, Math.min(table.rows, (n + 1) * CHUNK_ROWS)));
            written.push(k);
            if (++queued >= 64) {
              await pipe.exec();
              pipe = redis.pipeline();
              queued = 0;
            }
          }
        }
        await pipe.exec();
        const schema: StoredColumn[] = table.columns.map((c) => ({ name: c.name, type: c.type }));
        const h: Record<string, string> = {
          id,
          tenant,
          name: table.name,
          format: upload.format,
          rows: String(table.rows),
          features: String(features.length),
          targets: String(targets.length),
          sha256: hash.digest('hex'),
          bytes: String(upload.bytes ?? 0),
          storedBytes: String(tableStoredBytes(table)),
          labels: JSON.stringify(tableLabelFacts(targets)),
          createdAt: new Date().toISOString(),
          columns: JSON.stringify(upload.columns),
          schema: JSON.stringify(schema),
          target: JSON.stringify(table.target),
          chunkRows: String(CHUNK_ROWS),
        };
        if (upload.featureNames) h.featureNames = JSON.stringify(upload.featureNames);
        if (upload.targetNames) h.targetNames = JSON.stringify(upload.targetNames);
        await redis.multi().hset(keys.dataset(id), h).zadd(keys.datasetIndex(tenant), 0, id).exec();
        return info(h);
      } catch (err) {
        if (written.length) await redis.del(...written).catch(() => undefined);
        throw err;
      }
    },

    /**
     * A stored typed table, reassembled from its chunks, or null when unknown or another tenant's.
     * A dataset of the one-hash layout (`save`) comes back as a numeric table.
     */
    async loadTable(id: string, tenant?: string): Promise<Table | null> {
      const [idv, t, schemaJson, rowsS, chunkS, targetJson, name] = await redis.hmget(
        keys.dataset(id),
        'id',
        'tenant',
        'schema',
        'rows',
        'chunkRows',
        'target',
        'name',
      );
      if (!idv || (tenant !== undefined && t !== tenant)) return null;
      if (!schemaJson) {
        const ds = await this.load(id, tenant);
        return ds ? legacyTable(ds) : null;
      }
      const schema = JSON.parse(schemaJson) as StoredColumn[];
      const rows = Number(rowsS);
      const per = Number(chunkS) || CHUNK_ROWS;
      const chunks = Math.ceil(rows / per);
      const columns: Column[] = [];
      for (let j = 0; j < schema.length; j++) {
        const { name: cname, type } = schema[j];
        const pipe = redis.pipeline();
        for (let n = 0; n < chunks; n++) pipe.getBuffer(keys.datasetChunk(id, j, n));
        const parts = ((await pipe.exec()) ?? []).map(([err, v]) => {
          if (err || !v)
            throw new Error(
              `dataset ${id}: chunk ${j}/${chunks} of column ${JSON.stringify(cname)} is missing`,
            );
          return v as Buffer;
        });
        const bytes = Buffer.concat(parts);
        const copy = new Uint8Array(bytes.length);
        copy.set(bytes);
        if (type === 'categorical') {
          const codes = new Int32Array(copy.buffer);
          const categories = JSON.parse(
            (await redis.get(keys.datasetChunk(id, j, 'categories'))) ?? '[]',
          ) as string[];
          let missing = 0;
          for (const c of codes) if (c < 0) missing++;
          columns.push({ name: cname, type, codes, categories, missing });
        } else {
          const values = new Float64Array(copy.buffer);
          let missing = 0;
          for (const v of values) if (Number.isNaN(v)) missing++;
          columns.push({ name: cname, type, values, missing });
        }
      }
      return { name: name ?? id, rows, columns, target: JSON.parse(targetJson ?? '[]') as string[] };
    },

    /** Description, or null when unknown or another tenant's. */
    async describe(id: string, tenant?: string): Promise<DatasetInfo | null> {
      const [idv, t] = await redis.hmget(keys.dataset(id), 'id', 'tenant');
      if (!idv || (tenant !== undefined && t !== tenant)) return null;
      return fromValues(await redis.hmget(keys.dataset(id), ...DESCRIBE_FIELDS), DESCRIBE_FIELDS);
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
        for (const id of ids) pipe.hmget(keys.dataset(id), 'tenant', ...DESCRIBE_FIELDS);
        const rows = (await pipe.exec()) ?? [];
        const gone: string[] = [];
        ids.forEach((id, i) => {
          const [t, ...vals] = (rows[i]?.[1] as (string | null)[] | undefined) ?? [];
          if (!vals[0] || t !== tenant) gone.push(id);
          else out.push(fromValues(vals, DESCRIBE_FIELDS));
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
      if (d.schema) {
        const table = await this.loadTable(id, tenant);
        if (!table) return null;
        return tableDataset(table, {
          ...(d.featureNames ? { featureNames: JSON.parse(s('featureNames')!) as string[] } : {}),
          ...(d.targetNames ? { targetNames: JSON.parse(s('targetNames')!) as string[] } : {}),
        });
      }
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
      const [t, schemaJson, rowsS, chunkS] = await redis.hmget(
        keys.dataset(id),
        'tenant',
        'schema',
        'rows',
        'chunkRows',
      );
      if (t === null || (tenant !== undefined && t !== tenant)) return false;
      const chunkKeys: string[] = [];
      if (schemaJson) {
        const schema = JSON.parse(schemaJson) as StoredColumn[];
        const chunks = Math.ceil(Number(rowsS) / (Number(chunkS) || CHUNK_ROWS));
        schema.forEach((c, j) => {
          if (c.type === 'categorical') chunkKeys.push(keys.datasetChunk(id, j, 'categories'));
          for (let n = 0; n < chunks; n++) chunkKeys.push(keys.datasetChunk(id, j, n));
        });
      }
      // The hash goes first (the dataset is gone for every reader), then its chunks.
      const res = await redis.multi().del(keys.dataset(id)).zrem(keys.datasetIndex(t), id).exec();
      for (let i = 0; i < chunkKeys.length; i += 1000) await redis.del(...chunkKeys.slice(i, i + 1000));
      return res?.[0]?.[1] === 1;
    },
  };
}

export type DatasetStore = ReturnType<typeof createDatasetStore>;
