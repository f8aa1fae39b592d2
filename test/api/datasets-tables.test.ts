/**
 * Typed table uploads over HTTP and a real redis-server (issue 12, part 1): CSV with numeric,
 * categorical, boolean and missing values → described columns; `?types=` overrides; JSON records;
 * Parquet (written here with hyparquet-writer); chunked storage reassembled for training exactly as
 * the numeric upload of before; refusals as problem+json naming row, column and value.
 */
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseCsv } from '../../src/data/csv.js';
import { CHUNK_ROWS } from '../../src/queue/dataset-store.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';

let redis: TestRedis;
let t: TestApp;

beforeAll(async () => {
  redis = await startRedis();
  t = await makeTestApp(redis.url, 'api-tables', { cfg: { datasetBodyLimit: 8 * 1024 * 1024 } });
});
afterAll(async () => {
  await t?.close();
  await redis?.stop();
});

const post = (payload: string | Buffer | object, contentType: string, query = '') =>
  t.app.inject({
    method: 'POST',
    url: `/v1/datasets${query}`,
    payload,
    headers: { 'content-type': contentType },
  });

function problem(
  res: { statusCode: number; headers: Record<string, unknown>; json(): { detail: string } },
  status: number,
  ...parts: string[]
) {
  expect(res.statusCode).toBe(status);
  expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
  for (const p of parts) expect(res.json().detail).toContain(p);
}

const CHURN =
  'tenure,plan,paperless,monthly,churn\n' +
  '12,basic,yes,29.5,no\n' +
  '40,premium,no,99,no\n' +
  ',basic,Yes,31,yes\n' +
  '3,"pro, annual",NA,55.25,yes\n' +
  '27,premium,no,,no\n';

describe('typed CSV', () => {
  test('columns are described: type, missing, statistics or categories', async () => {
    const res = await post(CHURN, 'text/csv', '?target=churn&name=churn');
    expect(res.statusCode, res.body).toBe(201);
    const d = res.json();
    expect(d).toMatchObject({
      rows: 5,
      features: 4,
      targets: 1,
      format: 'csv',
      featureNames: ['tenure', 'plan', 'paperless', 'monthly'],
      targetNames: ['churn'],
    });
    expect(d.columns).toEqual([
      {
        name: 'tenure',
        type: 'numeric',
        missing: 1,
        mean: 20.5,
        std: expect.closeTo(
          Math.sqrt(((12 - 20.5) ** 2 + (40 - 20.5) ** 2 + (3 - 20.5) ** 2 + (27 - 20.5) ** 2) / 4),
          12,
        ),
        min: 3,
        max: 40,
      },
      {
        name: 'plan',
        type: 'categorical',
        missing: 0,
        distinct: 3,
        categories: [
          { value: 'basic', count: 2 },
          { value: 'premium', count: 2 },
          { value: 'pro, annual', count: 1 },
        ],
      },
      { name: 'paperless', type: 'boolean', missing: 1, mean: 0.5, std: 0.5, min: 0, max: 1 },
      {
        name: 'monthly',
        type: 'numeric',
        missing: 1,
        mean: expect.closeTo(53.6875, 12),
        std: expect.any(Number),
        min: 29.5,
        max: 99,
      },
      { name: 'churn', type: 'boolean', missing: 0, mean: 0.4, std: expect.any(Number), min: 0, max: 1 },
    ]);
    const got = await t.app.inject({ url: `/v1/datasets/${d.id}` });
    expect(got.json()).toEqual(d);
    // the same table comes back from the store, chunk by chunk
    const table = await t.deps.datasets.loadTable(d.id);
    expect(table?.columns.map((c) => c.type)).toEqual([
      'numeric',
      'categorical',
      'boolean',
      'numeric',
      'boolean',
    ]);
    // training on it needs preprocessing: the job is refused at submission, the worker's load says so too
    await expect(t.deps.datasets.load(d.id)).rejects.toThrow(/column "tenure" has 1 missing value/);
    const job = await t.app.inject({
      method: 'POST',
      url: '/v1/jobs/validate',
      payload: {
        model: { type: 'linear' },
        data: { datasetId: d.id },
        loss: 'mse',
        optimizer: { type: 'sgd', lr: 0.1 },
      },
    });
    problem(job, 400, 'column "tenure"', 'has 1 missing value');
    expect(job.json().errors[0].path).toBe('/data/datasetId');
  });

  test('?types= declares categorical integers and 0/1 booleans; bad declarations name the column', async () => {
    const csv = 'zip,flag,y\n1000,0,1\n2000,1,0\n1000,1,1\n';
    const res = await post(csv, 'text/csv', '?types=zip:categorical,flag:boolean');
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().columns.map((c: { type: string }) => c.type)).toEqual([
      'categorical',
      'boolean',
      'numeric',
    ]);
    problem(await post(csv, 'text/csv', '?types=nope:numeric'), 400, 'types names column "nope"');
    problem(await post(csv, 'text/csv', '?types=zip:number'), 400, 'the type "number"');
    problem(
      await post(csv, 'text/csv', '?types=zip:boolean'),
      400,
      'line 2',
      'column "zip"',
      '1000 is not a boolean',
    );
    problem(
      await post('a,y\n1,1\nx,2\n', 'text/csv', '?types=a:numeric'),
      400,
      'line 3',
      '"x" is not a number',
    );
  });

  test('bad tables: ragged rows, quotes, names, target, all-missing → 400 naming the place', async () => {
    const chunks = () => t.deps.redis.keys(`${t.cfg.prefix}:dataset-chunk:*`);
    const before = (await chunks()).length;
    problem(
      await post('a,b,c,d\n1,2,3,4\n1,2,3,4,5\n', 'text/csv'),
      400,
      'line 3 has 5 cells; the header has 4',
    );
    problem(await post('a,b\n1,"2\n', 'text/csv'), 400, 'line 2: a quoted field is never closed');
    problem(await post('a,a\n1,2\n', 'text/csv'), 400, 'column name "a" appears twice');
    problem(await post('a,,c\n1,2,3\n', 'text/csv'), 400, 'column 2 of the header has no name');
    problem(
      await post('a,b\n1,2\n', 'text/csv', '?target=zzz'),
      400,
      'target column "zzz" is not in the header',
    );
    problem(await post('a,b,y\n1,,1\n2,NA,0\n', 'text/csv'), 400, 'column "b" has no values');
    problem(await post(`a,y\n${'x'.repeat(20_000)},1\n`, 'text/csv'), 400, 'has more than 16384 characters');
    expect((await chunks()).length).toBe(before); // nothing of a refused upload is stored
  });

  test('a numeric CSV is stored in chunks and loads exactly as the numeric parser reads it, with the same sha256', async () => {
    const rows = CHUNK_ROWS * 2 + 17;
    const lines = ['a,b,label'];
    for (let i = 0; i < rows; i++) lines.push(`${i},${(i * 7) % 13}.5,${i % 3}`);
    const text = lines.join('\n') + '\n';
    const res = await post(text, 'text/csv', '?target=label');
    expect(res.statusCode, res.body).toBe(201);
    const id = res.json().id as string;
    const chunkKeys = await t.deps.redis.keys(`${t.cfg.prefix}:dataset-chunk:${id}:*`);
    expect(chunkKeys).toHaveLength(3 * 3); // 3 columns × 3 chunks of ≤ 65,536 rows
    const loaded = await t.deps.datasets.load(id);
    const want = parseCsv(text, { target: 'label' });
    expect(loaded).toEqual({ ...want });
    // The sha256 the one-hash layout gave the same Dataset.
    const legacy = await t.deps.datasets.save('ds_legacysha0000000001', 'default', want);
    expect(res.json().sha256).toBe(legacy.sha256);
    // Delete removes the chunks too.
    expect((await t.app.inject({ method: 'DELETE', url: `/v1/datasets/${id}` })).statusCode).toBe(204);
    expect(await t.deps.redis.keys(`${t.cfg.prefix}:dataset-chunk:${id}:*`)).toEqual([]);
  });
});

describe('JSON', () => {
  test('records → typed columns; {x, y} keeps its description and gains numeric columns', async () => {
    const res = await post(
      [
        { age: 31, city: 'Oslo', member: true, y: 1 },
        { age: null, city: 'Rome', member: false, y: 0 },
        { age: 40, city: 'Oslo', y: 1 },
      ],
      'application/json',
      '?target=y',
    );
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({
      rows: 3,
      features: 3,
      format: 'json',
      featureNames: ['age', 'city', 'member'],
    });
    expect(res.json().columns.map((c: { type: string; missing: number }) => [c.type, c.missing])).toEqual([
      ['numeric', 1],
      ['categorical', 0],
      ['boolean', 1],
      ['numeric', 0],
    ]);
    problem(
      await post(
        [
          { a: 1, y: 1 },
          { a: 2, b: 3, y: 0 },
        ],
        'application/json',
      ),
      400,
      'records[1] has the key "b"',
    );
    const xy = await post(
      {
        x: [
          [1, 2],
          [3, 4],
        ],
        y: [0, 1],
      },
      'application/json',
    );
    expect(xy.statusCode, xy.body).toBe(201);
    expect(xy.json()).not.toHaveProperty('featureNames');
    expect(xy.json().columns.map((c: { name: string }) => c.name)).toEqual(['x0', 'x1', 'y']);
    const loaded = await t.deps.datasets.load(xy.json().id);
    expect(loaded).toMatchObject({
      rows: 2,
      features: 2,
      targets: 1,
      x: new Float64Array([1, 2, 3, 4]),
      y: new Float64Array([0, 1]),
    });
  });
});

describe('Parquet', () => {
  const file = () =>
    Buffer.from(
      parquetWriteBuffer({
        columnData: [
          { name: 'sepal', data: [5.1, 4.9, 7.0, null], type: 'DOUBLE' },
          { name: 'color', data: ['red', 'blue', 'red', 'green'], type: 'STRING' },
          { name: 'ok', data: [true, false, true, true], type: 'BOOLEAN' },
          { name: 'label', data: [0, 0, 1, 1], type: 'INT32' },
        ],
      }),
    );

  test('a Parquet file → typed columns', async () => {
    const res = await post(file(), 'application/vnd.apache.parquet', '?target=label');
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ rows: 4, features: 3, format: 'parquet', targetNames: ['label'] });
    expect(res.json().columns.map((c: { type: string; missing: number }) => [c.type, c.missing])).toEqual([
      ['numeric', 1],
      ['categorical', 0],
      ['boolean', 0],
      ['numeric', 0],
    ]);
  });

  test('garbage or truncated Parquet → 400 naming the file problem', async () => {
    problem(
      await post(Buffer.from('PAR1 not really'), 'application/vnd.apache.parquet'),
      400,
      'not a readable Parquet file',
    );
    const f = file();
    problem(
      await post(f.subarray(0, f.length - 9), 'application/vnd.apache.parquet'),
      400,
      'not a readable Parquet file',
    );
  });
});
