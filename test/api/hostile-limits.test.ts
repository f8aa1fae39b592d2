/**
 * Every limit is enforced at validation and every refusal names the limit and the value asked for
 * (acceptance 6, the deterministic half): parameters, rows, rows × epochs, body size, upload size,
 * string lengths, array depth; non-finite numbers and prototype keys refused naming the path.
 * Small limits keep the bodies small; the checks are the same at the defaults.
 */
import { isUtf8 } from 'node:buffer';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { simulateRun } from '../helpers/simulate.js';
import { DEFAULT_LIMITS, limitEnvName, limitsFromEnv, type Limits } from '../../src/contracts/limits.js';
import { firstBadUtf8, jsonOffence } from '../../src/api/body-guard.js';
import { TINY_LINEAR_SPEC } from '../helpers/specs.js';

const L: Limits = {
  ...DEFAULT_LIMITS,
  maxInlineRows: 50,
  maxDatasetRows: 20,
  maxParameters: 10_000,
  maxRowsTimesEpochs: 10_000,
  maxJsonDepth: 16,
  maxJsonStringLength: 1000,
  maxStringLength: 64,
};
const BODY_LIMIT = 32 * 1024;
const DATASET_BODY_LIMIT = 64 * 1024;

let redis: TestRedis;
let t: TestApp;
let doneJob: string;

const iris = {
  model: { type: 'linear' },
  data: { builtin: 'iris' },
  loss: 'cross_entropy',
  optimizer: { type: 'sgd', lr: 0.1 },
  training: { epochs: 10 },
};
const linear = TINY_LINEAR_SPEC;

beforeAll(async () => {
  redis = await startRedis();
  t = await makeTestApp(redis.url, 'hostile-limits', {
    limits: L,
    cfg: { bodyLimit: BODY_LIMIT, datasetBodyLimit: DATASET_BODY_LIMIT },
  });
  doneJob = (await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: linear })).json().id;
  await simulateRun(t.deps, doneJob);
});
afterAll(async () => {
  await t?.close();
  await redis?.stop();
});

const postJson = (url: string, text: string) =>
  t.app.inject({ method: 'POST', url, payload: text, headers: { 'content-type': 'application/json' } });
const postCsv = (text: string | Buffer, query = '') =>
  t.app.inject({
    method: 'POST',
    url: `/v1/datasets${query}`,
    payload: text,
    headers: { 'content-type': 'text/csv' },
  });

/** A 4xx problem+json whose detail and first issue mention every one of `needles`. */
function refused(res: LightMyRequestResponse, status: number, ...needles: (string | number)[]) {
  expect(res.statusCode, res.body.slice(0, 400)).toBe(status);
  expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
  const p = res.json() as { code: string; detail: string; errors?: { path: string; message: string }[] };
  expect(p.code).toMatch(/^[A-Z_]+$/);
  const text = `${p.detail} ${(p.errors ?? []).map((e) => `${e.path} ${e.message}`).join(' ')}`;
  for (const n of needles) expect(text).toContain(String(n));
  return p;
}

describe('each limit refusal names the limit and the value', () => {
  test('parameters', async () => {
    const res = await postJson(
      '/v1/jobs',
      JSON.stringify({ ...iris, model: { type: 'mlp', hidden: [200, 200] } }),
    );
    // (4+1)·200 + (200+1)·200 + (200+1)·3 = 41 803
    const p = refused(res, 400, 'the model has 41803 parameters; the limit is 10000');
    expect(p.errors![0].path).toBe('/model');
  });

  test('inline rows', async () => {
    const x = Array.from({ length: 51 }, (_, i) => [i, i]);
    const res = await postJson(
      '/v1/jobs/validate',
      JSON.stringify({ ...linear, data: { inline: { x, y: x.map((r) => r[0]) } } }),
    );
    refused(res, 400, 'x has 51 rows; the limit is 50', '/data/inline/x');
  });

  test('rows × epochs (built-in and uploaded data)', async () => {
    refused(
      await postJson('/v1/jobs', JSON.stringify({ ...iris, training: { epochs: 100 } })),
      400,
      'rows × epochs is 150 × 100 = 15000; the limit is 10000',
      '/training/epochs',
    );
    const ds = await postCsv('a,y\n' + Array.from({ length: 20 }, (_, i) => `${i},${i % 2}`).join('\n'));
    expect(ds.statusCode, ds.body).toBe(201);
    const res = await postJson(
      '/v1/jobs',
      JSON.stringify({ ...linear, data: { datasetId: ds.json().id }, training: { epochs: 501 } }),
    );
    refused(res, 400, 'rows × epochs is 20 × 501 = 10020; the limit is 10000');
  });

  test('body size (JSON) → 413 naming the byte count and DESCENT_BODY_LIMIT', async () => {
    const big = JSON.stringify({ ...iris, metadata: { pad: 'x'.repeat(900) }, pad: 'y'.repeat(BODY_LIMIT) });
    const res = await postJson('/v1/jobs', big);
    refused(res, 413, `has ${Buffer.byteLength(big)} bytes`, `is ${BODY_LIMIT} bytes`, 'DESCENT_BODY_LIMIT');
    expect(res.json().code).toBe('PAYLOAD_TOO_LARGE');
  });

  test('upload size (CSV and JSON) → 413 naming DESCENT_DATASET_BODY_LIMIT', async () => {
    const csv = 'a,y\n' + '1,2\n'.repeat(DATASET_BODY_LIMIT / 4);
    refused(
      await postCsv(csv),
      413,
      `has ${csv.length} bytes`,
      `is ${DATASET_BODY_LIMIT} bytes`,
      'DESCENT_DATASET_BODY_LIMIT',
    );
    const json = JSON.stringify({ x: Array.from({ length: 9000 }, () => [1, 2]), y: Array(9000).fill(1) });
    refused(await postJson('/v1/datasets', json), 413, 'DESCENT_DATASET_BODY_LIMIT');
  });

  test('upload rows (CSV and JSON)', async () => {
    refused(
      await postCsv('a,y\n' + Array.from({ length: 21 }, (_, i) => `${i},1`).join('\n')),
      413,
      'more than 20 data rows; the limit is 20',
    );
    const x = Array.from({ length: 21 }, (_, i) => [i]);
    refused(
      await postJson('/v1/datasets', JSON.stringify({ x, y: x.map(() => 1) })),
      400,
      'x has 21 rows; the limit is 20',
    );
  });

  test('string lengths: any JSON string, metadata, names, CSV header names, query', async () => {
    refused(
      await postJson('/v1/jobs', JSON.stringify({ ...iris, metadata: { note: 'n'.repeat(1001) } })),
      400,
      '/metadata/note',
      'is a string of 1001 characters; the limit is 1000',
    );
    refused(
      await postJson('/v1/jobs', JSON.stringify({ ...iris, metadata: { ['k'.repeat(65)]: 'v' } })),
      400,
      'metadata key has 65 characters; the limit is',
    );
    refused(
      await postJson(
        '/v1/datasets',
        JSON.stringify({ x: [[1], [2]], y: [1, 2], featureNames: ['f'.repeat(65)] }),
      ),
      400,
      'a feature name has 65 characters; the limit is 64',
    );
    refused(
      await postCsv(`${'h'.repeat(65)},y\n1,2\n`),
      400,
      "column 1's name has 65 characters; the limit is 64",
      '/header/0',
    );
    refused(
      await postCsv(`a,"${'q'.repeat(100)}"\n1,2\n`),
      400,
      "column 2's name has 100 characters",
      '/header/1',
    );
    // The upload query is checked against this app's limits (maxStringLength 64), naming the limit and the value.
    refused(
      await postCsv('a,y\n1,2\n', `?name=${'n'.repeat(257)}`),
      400,
      '/querystring/name',
      'name has 257 characters; the limit is 64',
    );
  });

  test('array depth: init.weights and the body as a whole', async () => {
    refused(
      await postJson('/v1/jobs', JSON.stringify({ ...linear, init: { weights: { weight: [[[[[0.5]]]]] } } })),
      400,
      'array nesting depth is 5; the limit is 4',
      '/init/weights/weight',
    );
    const deep = JSON.stringify({ ...iris, metadata: { a: '[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]' } }).replace(
      '"[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]"',
      '[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]',
    );
    refused(
      await postJson('/v1/jobs', deep),
      400,
      'depth 17; the limit is 16',
      'DESCENT_LIMIT_MAX_JSON_DEPTH',
    );
    // 15 000 levels (within the body limit): refused by the depth check, not by a stack overflow.
    refused(await postJson('/v1/jobs', '['.repeat(15_000) + ']'.repeat(15_000)), 400, 'the limit is 16');
  });
});

describe('non-finite numbers are refused naming the path', () => {
  test.each([
    ['/v1/jobs', JSON.stringify(linear).replace('"lr":0.1', '"lr":1e999'), '/optimizer/lr'],
    ['/v1/jobs/validate', JSON.stringify(linear).replace('[5,7]', '[5,-1e999]'), '/data/inline/x/2/1'],
    [
      '/v1/jobs',
      JSON.stringify({ ...iris, training: { epochs: 'E' } }).replace('"E"', '1E400'),
      '/training/epochs',
    ],
    ['/v1/datasets', '{"x":[[1],[2e308]],"y":[1,2]}', '/x/1/0'],
  ])('%s %s', async (url, body, path) => {
    const p = refused(await postJson(url, body), 400, path, 'not a finite number');
    expect(p.errors![0].path).toBe(path);
  });

  test('in predict inputs and in a CSV cell', async () => {
    refused(
      await postJson(`/v1/jobs/${doneJob}/predict`, '{"inputs":[[1,1e999]]}'),
      400,
      '/inputs/0/1',
      'not a finite number',
    );
    refused(await postCsv('a,y\n1,2\n1e999,3\n'), 400, '1e999', 'line 3');
    refused(await postCsv('a,y\n1,2\nInfinity,3\n'), 400, 'line 3');
    // Issue 12: NaN (like NA, null and an empty cell) is a missing value, counted per column, not refused.
    const nan = await postCsv('a,y\n1,2\nNaN,3\n');
    expect(nan.statusCode, nan.body).toBe(201);
    expect(nan.json().columns[0]).toMatchObject({ name: 'a', type: 'numeric', missing: 1 });
  });
});

describe('prototype keys are refused anywhere, naming the path', () => {
  test.each([
    ['/v1/jobs', '{"__proto__":{"polluted":true}}', '/__proto__'],
    [
      '/v1/jobs',
      JSON.stringify(iris).replace('{"type":"linear"}', '{"type":"linear","__proto__":{"x":1}}'),
      '/model/__proto__',
    ],
    ['/v1/jobs', JSON.stringify({ ...iris, metadata: { constructor: 'x' } }), '/metadata/constructor'],
    ['/v1/jobs/validate', JSON.stringify({ ...iris, metadata: { prototype: 'x' } }), '/metadata/prototype'],
    ['/v1/jobs', '{"constructor":{"prototype":{"polluted":true}}}', '/constructor'],
    [
      '/v1/jobs',
      JSON.stringify({ ...linear, init: { weights: { prototype: [1] } } }),
      '/init/weights/prototype',
    ],
    ['/v1/datasets', '{"x":[[1]],"y":[1],"__proto__":[]}', '/__proto__'],
    [`/v1/jobs/JOB/predict`, '{"inputs":[[1,2]],"constructor":{}}', '/constructor'],
    ['/v1/jobs', '[{"a":[{"__proto__":1}]}]', '/0/a/0/__proto__'],
  ])('%s %s', async (url, body, path) => {
    const p = refused(await postJson(url.replace('JOB', doneJob), body), 400, path, 'not allowed as a key');
    expect(p.errors![0].path).toBe(path);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('other hostile bodies', () => {
  test('broken JSON, empty body, wrong media type', async () => {
    refused(await postJson('/v1/jobs', '{"model":'), 400, 'not valid JSON');
    refused(await postJson('/v1/jobs', ''), 400, 'empty');
    const xml = await t.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: '<spec/>',
      headers: { 'content-type': 'application/xml' },
    });
    refused(xml, 415);
  });

  test('CSV: invalid UTF-8 and NUL bytes name the byte and line', async () => {
    refused(
      await postCsv(
        Buffer.concat([Buffer.from('a,y\n1,2\n3,'), Buffer.from([0xc3, 0x28]), Buffer.from('\n')]),
      ),
      400,
      'not valid UTF-8',
      'byte 10',
      'line 3',
    );
    refused(await postCsv(Buffer.from('a,y\n1,2\x00\n')), 400, 'NUL byte at byte 7', 'line 2');
  });

  test('router errors are problem+json too: over-long id, malformed percent-encoding', async () => {
    refused(
      await t.app.inject({ url: `/v1/jobs/job_${'a'.repeat(300)}` }),
      400,
      'has 304 characters; the limit is 200',
    );
    refused(await t.app.inject({ url: '/v1/jobs/%E0%A4%A' }), 400, 'malformed');
    refused(await t.app.inject({ url: '/v1/jobs/job_%ZZ/metrics' }), 400, 'malformed');
  });

  test('a body with thousands of bad elements answers with a bounded issue list', async () => {
    const res = await postJson(
      '/v1/jobs/validate',
      JSON.stringify({ ...iris, model: { type: 'mlp', hidden: Array(5000).fill('w') } }),
    );
    const p = refused(res, 400);
    expect(p.errors!.length).toBeLessThanOrEqual(20);
    expect(res.body.length).toBeLessThan(10_000);
  });
});

describe('helpers', () => {
  test('limits come from DESCENT_LIMIT_* (new ones included)', () => {
    expect(limitEnvName('maxJsonDepth')).toBe('DESCENT_LIMIT_MAX_JSON_DEPTH');
    expect(limitEnvName('maxJsonStringLength')).toBe('DESCENT_LIMIT_MAX_JSON_STRING_LENGTH');
    expect(limitsFromEnv({ DESCENT_LIMIT_MAX_JSON_DEPTH: '8' }).maxJsonDepth).toBe(8);
  });

  test('jsonOffence walks iteratively and reports the first offence', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(jsonOffence(deep, { maxJsonDepth: 300_000, maxJsonStringLength: 10 })).toBeNull();
    expect(jsonOffence({ a: [1, { b: Infinity }] }, L)!.errors![0].path).toBe('/a/1/b');
    expect(jsonOffence({ 'a/b': { '~': NaN } }, L)!.errors![0].path).toBe('/a~1b/~0');
  });

  test('firstBadUtf8 agrees with the decoder on overlongs, surrogates, truncation', () => {
    const cases: [number[], number][] = [
      [[0x61, 0x62], -1],
      [[0xe2, 0x82, 0xac], -1],
      [[0xf0, 0x9f, 0x98, 0x80], -1],
      [[0x61, 0xc0, 0x80], 1],
      [[0xed, 0xa0, 0x80], 0],
      [[0x61, 0xe2, 0x82], 1],
      [[0x80], 0],
      [[0xf4, 0x90, 0x80, 0x80], 0],
    ];
    for (const [bytes, at] of cases) {
      expect(firstBadUtf8(Uint8Array.from(bytes)), JSON.stringify(bytes)).toBe(at);
      expect(isUtf8(Uint8Array.from(bytes))).toBe(at === -1);
    }
  });
});
