/**
 * Property-based hostile input (acceptance 6): 10 000 generated malformed or hostile JobSpecs,
 * dataset uploads (CSV and JSON) and predict/gradients bodies through fastify.inject, each built
 * so that it is certainly invalid. Every answer must be a 4xx `application/problem+json` with a
 * `code`; none may be a 5xx; and the heap after the run (after a forced GC) must stay within
 * HEAP_BOUND_MB of the heap after a warm-up. A handful of the same go through a real socket.
 *
 * Deterministic: fixed fast-check seeds (`DESCENT_FUZZ_SEED=<n>` explores another sequence).
 */
import { request } from 'node:http';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { connect, type AddressInfo } from 'node:net';
import type { FastifyInstance, InjectOptions } from 'fastify';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { simulateRun } from '../helpers/simulate.js';
import { buildApp } from '../../src/api/app.js';
import { DEFAULT_LIMITS, type Limits } from '../../src/contracts/limits.js';
import { TINY_LINEAR_SPEC } from '../helpers/specs.js';

const RUNS = 10_000;
const HEAP_BOUND_MB = 24;

const L: Limits = {
  ...DEFAULT_LIMITS,
  maxInlineRows: 200,
  maxDatasetRows: 200,
  maxFeatures: 32,
  maxTargets: 4,
  maxStringLength: 64,
  maxMetadataValueLength: 512,
  maxJsonStringLength: 2048,
  maxJsonDepth: 16,
};
const BODY_LIMIT = 64 * 1024;
const DATASET_BODY_LIMIT = 128 * 1024;

let redis: TestRedis;
let t: TestApp;
let doneJob = '';

beforeAll(async () => {
  redis = await startRedis();
  t = await makeTestApp(redis.url, 'hostile-fuzz', {
    limits: L,
    cfg: { bodyLimit: BODY_LIMIT, datasetBodyLimit: DATASET_BODY_LIMIT },
  });
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/jobs',
    payload: TINY_LINEAR_SPEC,
  });
  doneJob = res.json().id;
  await simulateRun(t.deps, doneJob);
});
afterAll(async () => {
  await t?.close();
  await redis?.stop();
});

// ---------------------------------------------------------------------------------------------
// Building hostile JSON text. JS values cannot hold `1e999` or an own `__proto__` key through
// JSON.stringify, so such tokens travel as placeholder strings and are spliced in afterwards.
// ---------------------------------------------------------------------------------------------

const RAW = '\u0001RAW:';
const KEY = '\u0001KEY:';
const raw = (token: string) => `${RAW}${token}\u0001`;
/** A key that will appear verbatim (e.g. `__proto__`) in the JSON text. */
const key = (k: string) => `${KEY}${k}\u0001`;
function toJsonText(v: unknown): string {
  return JSON.stringify(v)
    .replace(/"\\u0001RAW:([^"\\]*)\\u0001"/g, '$1')
    .replace(/"\\u0001KEY:([^"\\]*)\\u0001"/g, '"$1"');
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };
const clone = <T>(v: T): T => structuredClone(v);

const BASES: Obj[] = [
  {
    model: { type: 'linear' },
    data: { builtin: 'iris' },
    loss: 'cross_entropy',
    optimizer: { type: 'sgd', lr: 0.1 },
    training: { epochs: 3, batchSize: 16 },
  },
  {
    model: { type: 'mlp', hidden: [8, 4], activation: 'relu' },
    data: {
      inline: {
        x: [
          [0, 1],
          [1, 0],
          [1, 1],
          [0, 0],
        ],
        y: [1, 1, 0, 0],
      },
    },
    loss: 'bce',
    optimizer: { type: 'adam', lr: 0.01 },
    training: { epochs: 5, batchSize: 'full' },
    metadata: { owner: 'fuzz' },
  },
  {
    model: { type: 'linear' },
    data: {
      inline: {
        x: [
          [1, 2],
          [3, 4],
        ],
        y: [1, 2],
      },
    },
    loss: 'mse',
    optimizer: { type: 'rmsprop', lr: 0.01 },
    schedule: { type: 'step', stepSize: 2, gamma: 0.5 },
  },
];

/** Fields with a known type, and values that type certainly refuses. */
const TYPED_FIELDS: [string[], Json[]][] = [
  [
    ['optimizer', 'lr'],
    ['fast', true, {}, [], [0.1], -1, raw('1e999'), raw('-1e999')],
  ],
  [
    ['training', 'epochs'],
    [0, -3, 1.5, 1e12, '10', false, raw('1e400'), null],
  ],
  [
    ['training', 'batchSize'],
    [0, -1, 'half', 2.5, {}, raw('1e999')],
  ],
  [
    ['model', 'type'],
    ['transformer', '', 7, null, ['linear'], 'LINEAR'],
  ],
  [['loss'], ['mse ', 'nll', 0, {}, 'x'.repeat(5000)]],
  [
    ['optimizer', 'type'],
    ['sgdd', null, 3, 'adam\u0000'],
  ],
  [['data'], ['iris', 1, [], null, { builtin: 'mnist' }]],
  [['model'], ['linear', 5, [], null]],
];
const OBJECT_PATHS = [[], ['model'], ['optimizer'], ['training']];
const FORBIDDEN = ['__proto__', 'constructor', 'prototype'];
const REQUIRED = ['model', 'data', 'loss']; // optimizer has a default

function getAt(o: Obj, path: string[]): Obj | undefined {
  let cur: Json = o;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Obj)[p];
  }
  return cur !== null && typeof cur === 'object' && !Array.isArray(cur) ? (cur as Obj) : undefined;
}
function ensureAt(o: Obj, path: string[]): Obj {
  let cur = o;
  for (const p of path) {
    const next = cur[p];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) cur[p] = {};
    cur = cur[p] as Obj;
  }
  return cur;
}
function setAt(o: Obj, path: string[], v: Json): void {
  ensureAt(o, path.slice(0, -1))[path[path.length - 1]] = v;
}
function nest(v: Json, n: number): Json {
  let out = v;
  for (let i = 0; i < n; i++) out = [out];
  return out;
}

type Mutation = (o: Obj) => void;

/** Mutations that make any base certainly invalid. */
const definite: fc.Arbitrary<{ label: string; apply: Mutation }> = fc.oneof(
  fc.tuple(fc.nat(TYPED_FIELDS.length - 1), fc.nat(100)).map(([i, j]) => {
    const [path, bad] = TYPED_FIELDS[i];
    const v = bad[j % bad.length];
    return { label: 'wrong-type', apply: (o: Obj) => setAt(o, path, clone(v)) };
  }),
  fc
    .tuple(
      fc.constantFrom(...OBJECT_PATHS),
      fc.string({ minLength: 1, maxLength: 12 }),
      fc.jsonValue({ maxDepth: 2 }),
    )
    .filter(([, k]) => !['type', 'lr'].includes(k))
    .map(([path, k, v]) => ({
      label: 'unknown-key',
      apply: (o: Obj) => {
        const target = ensureAt(o, path);
        target[`zz_${k}`] = v as Json;
      },
    })),
  fc
    .tuple(
      fc.constantFrom(...OBJECT_PATHS, ['metadata'], ['data']),
      fc.constantFrom(...FORBIDDEN),
      fc.jsonValue({ maxDepth: 2 }),
    )
    .map(([path, k, v]) => ({
      label: 'prototype-key',
      apply: (o: Obj) => {
        ensureAt(o, path)[key(k)] = v as Json;
      },
    })),
  fc
    .tuple(
      fc.constantFrom(...OBJECT_PATHS.slice(1), ['metadata']),
      fc.integer({ min: L.maxJsonDepth, max: 4000 }),
    )
    .map(([path, n]) => ({
      label: 'deep-nesting',
      apply: (o: Obj) => {
        ensureAt(o, path).deep = nest(1, n);
      },
    })),
  fc.integer({ min: 17, max: 600 }).map((n) => ({
    label: 'giant-array-hidden',
    apply: (o: Obj) => {
      o.model = { type: 'mlp', hidden: Array(n).fill(1) };
    },
  })),
  fc.integer({ min: L.maxInlineRows + 1, max: L.maxInlineRows + 300 }).map((n) => ({
    label: 'giant-array-rows',
    apply: (o: Obj) => {
      o.data = { inline: { x: Array.from({ length: n }, (_, i) => [i, -i]), y: Array(n).fill(1) } };
      o.loss = 'mse';
    },
  })),
  fc.tuple(fc.integer({ min: 1, max: 600 }), fc.constantFrom('metadata', 'json')).map(([extra, kind]) => ({
    label: 'giant-string',
    apply: (o: Obj) => {
      const n = (kind === 'metadata' ? L.maxMetadataValueLength : L.maxJsonStringLength) + extra;
      o.metadata = { note: 'é'.repeat(n) };
    },
  })),
  fc.constantFrom(...REQUIRED).map((k) => ({
    label: 'missing-field',
    apply: (o: Obj) => {
      delete o[k];
    },
  })),
  fc
    .constantFrom(raw('NaN'), raw('Infinity'), raw('-1e999'), raw('1e309'), raw('0x10'), raw('01'))
    .map((tok) => ({
      label: 'bad-number-token',
      apply: (o: Obj) => {
        setAt(o, ['optimizer', 'lr'], tok);
      },
    })),
);

/** Decorations that are valid alone (near the limits), added to some cases beside a definite defect. */
const nearLimit: fc.Arbitrary<Mutation> = fc.constantFrom<Mutation>(
  (o) => {
    o.metadata = { note: 'n'.repeat(L.maxMetadataValueLength) };
  },
  (o) => {
    o.metadata = { ['k'.repeat(L.maxMetadataKeyLength)]: 'v' };
  },
  (o) => {
    const m = getAt(o, ['model']);
    if (m) m.hidden = Array(16).fill(2);
  },
  () => {},
);

const jsonHeaders = { 'content-type': 'application/json' };
type Case = { label: string; req: InjectOptions };

const specCase: fc.Arbitrary<Case> = fc
  .tuple(
    fc.nat(BASES.length - 1),
    fc.array(definite, { minLength: 1, maxLength: 3 }),
    nearLimit,
    fc.constantFrom('/v1/jobs', '/v1/jobs/validate'),
  )
  .map(([b, muts, near, url]) => {
    const o = clone(BASES[b]);
    near(o);
    for (const m of muts) m.apply(o);
    return {
      label: `spec:${muts.map((m) => m.label).join('+')}`,
      req: { method: 'POST', url, headers: jsonHeaders, payload: toJsonText(o) },
    };
  });

/** Text-level corruption of a valid spec: truncation, invalid UTF-8 or garbage where JSON needs structure. */
const corruptSpecCase: fc.Arbitrary<Case> = fc
  .tuple(
    fc.nat(BASES.length - 1),
    fc.nat(),
    fc.constantFrom('truncate', 'utf8', 'garbage', 'trailing'),
    fc.uint8Array({ minLength: 1, maxLength: 8 }),
  )
  .map(([b, pos, how, bytes]) => {
    const text = JSON.stringify(BASES[b]);
    let body: Buffer;
    if (how === 'truncate') body = Buffer.from(text.slice(0, pos % text.length));
    else if (how === 'utf8')
      body = Buffer.concat([Buffer.from('{'), Buffer.from([0xff, 0xfe]), Buffer.from(text.slice(1))]);
    else if (how === 'garbage')
      body = Buffer.concat([
        Buffer.from([0x7b]),
        Buffer.from(bytes.map((x) => (x === 0x22 || x === 0x7d ? 0x40 : x))),
        Buffer.from([0x3a]),
      ]);
    else body = Buffer.from(`${text},${text}`);
    return {
      label: `spec-text:${how}`,
      req: { method: 'POST', url: '/v1/jobs', headers: jsonHeaders, payload: body },
    };
  });

/** Any JSON value at all as a spec (made certainly invalid: no `model`). */
const anythingCase: fc.Arbitrary<Case> = fc.jsonValue({ maxDepth: 6 }).map((v) => {
  if (v && typeof v === 'object' && !Array.isArray(v)) delete (v as Obj).model;
  return {
    label: 'spec:anything',
    req: {
      method: 'POST',
      url: '/v1/jobs/validate',
      headers: jsonHeaders,
      payload: JSON.stringify(v) ?? 'null',
    },
  };
});

const mediaCase: fc.Arbitrary<Case> = fc
  .constantFrom(
    'application/xml',
    'multipart/form-data; boundary=x',
    'application/x-www-form-urlencoded',
    'image/png',
    'text/csv',
  )
  .map((ct) => ({
    label: `media:${ct.split(';')[0]}`,
    req: {
      method: 'POST',
      url: '/v1/jobs',
      headers: { 'content-type': ct },
      payload: JSON.stringify(BASES[0]),
    },
  }));

// ---------------------------------------------------------------------------------------------
// CSV uploads
// ---------------------------------------------------------------------------------------------

const BAD_UTF8 = [
  [0xff],
  [0xc0, 0x80],
  [0x80],
  [0xe2, 0x82],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xfe, 0xff],
];

function csvRows(cols: number, rows: number, seed: number): string[][] {
  return Array.from({ length: rows }, (_, r) =>
    Array.from({ length: cols }, (_, c) => String(((r * 31 + c * 7 + seed) % 97) / 4)),
  );
}
const csvText = (header: string[], rows: string[][]) =>
  [header.join(','), ...rows.map((r) => r.join(','))].join('\n') + '\n';

const csvCase: fc.Arbitrary<Case> = fc
  .record({
    cols: fc.integer({ min: 2, max: 6 }),
    rows: fc.integer({ min: 1, max: 40 }),
    seed: fc.nat(1000),
    pick: fc.nat(),
    defect: fc.constantFrom(
      'unbalanced-quote',
      'ragged-long',
      'ragged-short',
      'non-numeric',
      'huge-header',
      'nul',
      'invalid-utf8',
      'non-finite',
      'too-many-rows',
      'too-many-columns',
      'empty',
      'header-only',
      'missing-target',
      'duplicate-header',
      'binary',
    ),
    word: fc.string({ minLength: 1, maxLength: 10 }),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }),
  })
  .map(({ cols, rows, seed, pick, defect, word, bytes }) => {
    const header = Array.from({ length: cols }, (_, i) => `c${i}`);
    let data = csvRows(cols, rows, seed);
    let query = '';
    const r = pick % rows;
    const c = pick % cols;
    let body: Buffer | string;
    switch (defect) {
      case 'unbalanced-quote':
        data[r][c] = `"${data[r][c]}`;
        break;
      case 'ragged-long':
        data[r] = [...data[r], '1'];
        break;
      case 'ragged-short':
        data[r] = data[r].slice(0, -1);
        break;
      case 'non-numeric':
        // Typed tables (issue 12): a string-only column is categorical, so the stray string needs
        // a number beside it in its column to be a defect.
        if (data.length === 1) data.push(csvRows(cols, 1, seed + 1)[0]);
        data[r][c] = `z${word.replace(/[",\r\n]/g, '')}`;
        break;
      case 'huge-header':
        header[c] = 'h'.repeat(L.maxStringLength + 1 + (pick % 5000));
        break;
      case 'non-finite':
        // NaN is a missing value since typed tables (issue 12); Infinity is a stray string.
        if (data.length === 1) data.push(csvRows(cols, 1, seed + 1)[0]);
        data[r][c] = ['1e999', '-1e400', 'Infinity', '-Infinity'][pick % 4];
        break;
      case 'too-many-rows':
        data = csvRows(cols, L.maxDatasetRows + 1 + (pick % 100), seed);
        break;
      case 'too-many-columns': {
        const n = L.maxFeatures + L.maxTargets + 1 + (pick % 30);
        header.splice(0, header.length, ...Array.from({ length: n }, (_, i) => `c${i}`));
        data = csvRows(n, rows, seed);
        break;
      }
      case 'missing-target':
        query = `?target=nope${pick % 10}`;
        break;
      case 'duplicate-header':
        header[(c + 1) % cols] = header[c];
        break;
    }
    let text = csvText(header, data);
    if (defect === 'empty') text = pick % 2 ? '' : '\n\n';
    if (defect === 'header-only') text = header.join(',') + '\n';
    body = text;
    const at = pick % (text.length + 1);
    if (defect === 'nul')
      body = Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from([0]), Buffer.from(text.slice(at))]);
    if (defect === 'invalid-utf8')
      body = Buffer.concat([
        Buffer.from(text.slice(0, at)),
        Buffer.from(BAD_UTF8[pick % BAD_UTF8.length]),
        Buffer.from(text.slice(at)),
      ]);
    if (defect === 'binary') body = Buffer.concat([Buffer.from([0xff]), Buffer.from(bytes)]);
    return {
      label: `csv:${defect}`,
      req: {
        method: 'POST',
        url: `/v1/datasets${query}`,
        headers: { 'content-type': 'text/csv' },
        payload: body,
      },
    };
  });

const jsonDatasetCase: fc.Arbitrary<Case> = fc
  .record({
    rows: fc.integer({ min: 1, max: 30 }),
    cols: fc.integer({ min: 1, max: 5 }),
    pick: fc.nat(),
    defect: fc.constantFrom(
      'ragged',
      'y-length',
      'string-cell',
      'non-finite',
      'proto',
      'too-many-rows',
      'empty-x',
      'deep',
      'extra-key',
      'y-mixed',
    ),
  })
  .map(({ rows, cols, pick, defect }) => {
    const o: Obj = {
      x: Array.from({ length: rows }, (_, r) => Array.from({ length: cols }, (_, c) => r + c / 10)),
      y: Array.from({ length: rows }, (_, r) => r % 2),
    };
    const x = o.x as Json[][];
    const r = pick % rows;
    switch (defect) {
      case 'ragged':
        x.push([...x[r], 1]);
        (o.y as Json[]).push(0);
        break;
      case 'y-length':
        (o.y as Json[]).push(1);
        break;
      case 'string-cell':
        x[r][pick % cols] = 'one';
        break;
      case 'non-finite':
        x[r][pick % cols] = raw(pick % 2 ? '1e999' : '-2e308');
        break;
      case 'proto':
        o[key(FORBIDDEN[pick % 3])] = { polluted: true };
        break;
      case 'too-many-rows':
        o.x = Array.from({ length: L.maxDatasetRows + 1 + (pick % 50) }, () => [1]);
        o.y = (o.x as Json[]).map(() => 0);
        break;
      case 'empty-x':
        o.x = [];
        o.y = [];
        break;
      case 'deep':
        x[r] = nest(1, L.maxJsonDepth + (pick % 100)) as Json[];
        break;
      case 'extra-key':
        o.labels = ['a'];
        break;
      case 'y-mixed':
        (o.y as Json[])[r] = [1, 2];
        if (rows === 1) (o.y as Json[]).push(0);
        break;
    }
    return {
      label: `dataset-json:${defect}`,
      req: { method: 'POST', url: '/v1/datasets', headers: jsonHeaders, payload: toJsonText(o) },
    };
  });

// ---------------------------------------------------------------------------------------------
// predict / gradients on a succeeded 2-feature linear model
// ---------------------------------------------------------------------------------------------

const predictCase: fc.Arbitrary<Case> = fc
  .record({
    route: fc.constantFrom('predict', 'gradients'),
    defect: fc.constantFrom(
      'width',
      'string',
      'non-finite',
      'empty',
      'not-array',
      'proto',
      'extra',
      'deep',
      'flat',
    ),
    width: fc.integer({ min: 0, max: 40 }).filter((w) => w !== 2),
    rows: fc.integer({ min: 1, max: 20 }),
    pick: fc.nat(),
  })
  .map(({ route, defect, width, rows, pick }) => {
    const inputs: Json[] = Array.from({ length: rows }, (_, r) => [r, r + 1]);
    const o: Obj = { inputs };
    const r = pick % rows;
    switch (defect) {
      case 'width':
        inputs[r] = Array(width).fill(0.5);
        break;
      case 'string':
        inputs[r] = ['1', 2];
        break;
      case 'non-finite':
        inputs[r] = [raw('1e999'), 1];
        break;
      case 'empty':
        o.inputs = [];
        break;
      case 'not-array':
        o.inputs = pick % 2 ? 'x' : { 0: [1, 2] };
        break;
      case 'proto':
        o[key(FORBIDDEN[pick % 3])] = {};
        break;
      case 'extra':
        o.extra = 1;
        break;
      case 'deep':
        inputs[r] = nest(1, L.maxJsonDepth + (pick % 50)) as Json[];
        break;
      case 'flat':
        o.inputs = [1, 2];
        break;
    }
    return {
      label: `${route}:${defect}`,
      req: {
        method: 'POST',
        url: `/v1/jobs/${doneJob}/${route}`,
        headers: jsonHeaders,
        payload: toJsonText(o),
      },
    };
  });

// ---------------------------------------------------------------------------------------------
// The other tasks: minimize (a user expression) and reinforce
// ---------------------------------------------------------------------------------------------

const EXPR_TOKENS = ['x', 'y', '1', '2.5', '+', '-', '*', '/', '^', '(', ')', 'exp(', 'log(', 'sin(', ' '];
const taskCase: fc.Arbitrary<Case> = fc
  .record({
    task: fc.constantFrom('minimize', 'reinforce'),
    tokens: fc.array(fc.constantFrom(...EXPR_TOKENS), { maxLength: 40 }),
    pick: fc.nat(),
    word: fc.string({ minLength: 1, maxLength: 8 }),
  })
  .map(({ task, tokens, pick, word }) => {
    let o: Obj;
    let label: string;
    if (task === 'minimize') {
      o = {
        task,
        objective: 'x^2 + y^2',
        start: { x: 1, y: 1 },
        steps: 10,
        optimizer: { type: 'sgd', lr: 0.1 },
      };
      const defects: [string, () => void][] = [
        // More ')' than '(' in total: one of them closes nothing, whatever the tokens are.
        [
          'expr-close',
          () =>
            void (o.objective =
              tokens.join('') + ')'.repeat(tokens.filter((t) => t.includes('(')).length + 1)),
        ],
        ['expr-open', () => void (o.objective = `${tokens.join('')}(`)],
        [
          'expr-deep',
          () => void (o.objective = '('.repeat(65 + (pick % 900)) + 'x' + ')'.repeat(65 + (pick % 900))),
        ],
        ['expr-long', () => void (o.objective = 'x+'.repeat(1001 + (pick % 500)) + 'x')],
        [
          'expr-member',
          () =>
            void (o.objective = ['x.constructor', 'x["a"]', '__proto__', `q${word.replace(/\W/g, '')}(x)`][
              pick % 4
            ]),
        ],
        ['expr-number', () => void (o.objective = '1e999 * x')],
        ['expr-type', () => void (o.objective = [1, null, ['x'], { builtin: 'nope' }][pick % 4] as Json)],
        [
          'start-many',
          () =>
            void (o.start = Object.fromEntries(
              Array.from({ length: 1001 + (pick % 200) }, (_, i) => [`v${i}`, 0]),
            )),
        ],
        ['start-inf', () => void (o.start = { x: raw('1e999'), y: 1 })],
        ['start-proto', () => void (o.start = { [key(FORBIDDEN[pick % 3])]: 1, x: 1 })],
        ['steps', () => void (o.steps = [0, -1, 1.5, 1e7, 'ten'][pick % 5])],
      ];
      const [name, apply] = defects[pick % defects.length];
      apply();
      label = `minimize:${name}`;
    } else {
      o = {
        task,
        env: { type: 'cartpole', maxSteps: 50 },
        episodes: 10,
        policy: { hidden: [8] },
        optimizer: { type: 'adam', lr: 0.01 },
      };
      const defects: [string, () => void][] = [
        ['episodes', () => void (o.episodes = [0, -5, 1e9, 2.5, raw('1e999')][pick % 5])],
        ['max-steps', () => void (o.env = { type: 'cartpole', maxSteps: [0, 1e9, 'long'][pick % 3] })],
        ['env-type', () => void (o.env = { type: `doom${pick % 10}` })],
        ['hidden', () => void (o.policy = { hidden: Array(17 + (pick % 100)).fill(4) })],
        ['extra', () => void (o.reward = 'max')],
        ['proto', () => void ((o.env as Obj)[key(FORBIDDEN[pick % 3])] = {})],
      ];
      const [name, apply] = defects[pick % defects.length];
      apply();
      label = `reinforce:${name}`;
    }
    return {
      label,
      req: {
        method: 'POST',
        url: pick % 2 ? '/v1/jobs' : '/v1/jobs/validate',
        headers: jsonHeaders,
        payload: toJsonText(o),
      },
    };
  });

// ---------------------------------------------------------------------------------------------
// Ids and queries: every id route with ids nobody has (any characters, raw or percent-encoded)
// ---------------------------------------------------------------------------------------------

const ID_ROUTES: [InjectOptions['method'], (id: string) => string, unknown?][] = [
  ['GET', (id) => `/v1/jobs/${id}`],
  ['GET', (id) => `/v1/jobs/${id}/events`],
  ['GET', (id) => `/v1/jobs/${id}/metrics`],
  ['GET', (id) => `/v1/jobs/${id}/weights`],
  ['GET', (id) => `/v1/jobs/${id}/model`],
  ['GET', (id) => `/v1/jobs/${id}/checkpoints`],
  ['POST', (id) => `/v1/jobs/${id}/cancel`],
  ['POST', (id) => `/v1/jobs/${id}/predict`, { inputs: [[1, 2]] }],
  ['GET', (id) => `/v1/datasets/${id}`],
  ['DELETE', (id) => `/v1/datasets/${id}`],
];
const urlCase: fc.Arbitrary<Case> = fc
  .record({
    route: fc.nat(ID_ROUTES.length - 1),
    id: fc.oneof(
      // Any code point but lone surrogates (fast-check's 'binary' unit would keep an 80 MB table alive).
      fc
        .array(fc.oneof(fc.integer({ min: 0, max: 0xd7ff }), fc.integer({ min: 0xe000, max: 0x10ffff })), {
          maxLength: 40,
        })
        .map((cps) => encodeURIComponent(String.fromCodePoint(...cps))),
      fc.string({ maxLength: 40 }).map((s) => `job_${encodeURIComponent(s)}`),
      fc.string({ maxLength: 12 }).map((s) => `%${s.replace(/[/?#]/g, '')}`),
      fc.integer({ min: 190, max: 400 }).map((n) => 'a'.repeat(n)),
    ),
    query: fc.constantFrom(
      '',
      '?after=x',
      '?limit=-1',
      '?maxPoints=0',
      '?format=exe',
      '?after=1-1&limit=1e999',
      '?__proto__=1',
    ),
    accept: fc.constantFrom('application/json', 'text/event-stream', '*/*'),
  })
  .filter(({ id }) => id !== 'builtin' && id !== '')
  .map(({ route, id, query, accept }) => {
    const [method, path, body] = ID_ROUTES[route];
    return {
      label: 'url:id',
      req: {
        method,
        url: path(id) + query,
        headers: { accept, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { payload: JSON.stringify(body) } : {}),
      },
    };
  });

const anyCase: fc.Arbitrary<Case> = fc.oneof(
  { arbitrary: specCase, weight: 8 },
  { arbitrary: corruptSpecCase, weight: 2 },
  { arbitrary: anythingCase, weight: 2 },
  { arbitrary: mediaCase, weight: 1 },
  { arbitrary: csvCase, weight: 6 },
  { arbitrary: jsonDatasetCase, weight: 3 },
  { arbitrary: predictCase, weight: 3 },
  { arbitrary: taskCase, weight: 2 },
  { arbitrary: urlCase, weight: 2 },
);

// ---------------------------------------------------------------------------------------------

function checkAnswer(
  c: Case,
  res: { statusCode: number; headers: Record<string, unknown>; body: string },
): void {
  const where = `${c.label} → ${res.statusCode} ${res.body.slice(0, 300)}`;
  if (res.statusCode < 400 || res.statusCode >= 500) throw new Error(`not a 4xx: ${where}`);
  if (!/^application\/problem\+json/.test(String(res.headers['content-type'])))
    throw new Error(`wrong content type ${String(res.headers['content-type'])}: ${where}`);
  const p = JSON.parse(res.body) as { code?: unknown; status?: unknown; detail?: unknown };
  if (typeof p.code !== 'string' || !/^[A-Z_]+$/.test(p.code)) throw new Error(`no code: ${where}`);
  if (p.status !== res.statusCode || typeof p.detail !== 'string')
    throw new Error(`malformed problem: ${where}`);
}

function forcedGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}
const heapMb = () => process.memoryUsage().heapUsed / 2 ** 20;

describe('hostile input', () => {
  test(`${RUNS} generated hostile specs, uploads and predict bodies: all 4xx problem+json, memory bounded`, async () => {
    const app = t.app;
    const gc = forcedGc();
    const byLabel = new Map<string, number>();
    const byStatus = new Map<number, number>();
    const run = async (c: Case) => {
      const res = await app.inject(c.req);
      checkAnswer(c, res);
      const kind = c.label.split(':')[0];
      byLabel.set(kind, (byLabel.get(kind) ?? 0) + 1);
      byStatus.set(res.statusCode, (byStatus.get(res.statusCode) ?? 0) + 1);
    };
    // Warm-up: JIT, schema caches, Redis connections.
    await fc.assert(fc.asyncProperty(anyCase, run), { numRuns: 300, seed: 7 });
    gc();
    gc();
    const heap0 = heapMb();
    const rss0 = process.memoryUsage().rss / 2 ** 20;
    byLabel.clear();
    byStatus.clear();
    const t0 = Date.now();
    await fc.assert(fc.asyncProperty(anyCase, run), {
      numRuns: RUNS,
      seed: Number(process.env.DESCENT_FUZZ_SEED ?? 20261126),
    });
    const ms = Date.now() - t0;
    gc();
    gc();
    const heap1 = heapMb();
    const rss1 = process.memoryUsage().rss / 2 ** 20;
    const total = [...byLabel.values()].reduce((a, b) => a + b, 0);
    console.log(
      `hostile fuzz: ${total} requests in ${ms} ms; by kind ${JSON.stringify(Object.fromEntries(byLabel))}; ` +
        `by status ${JSON.stringify(Object.fromEntries(byStatus))}; heapUsed ${heap0.toFixed(1)} → ${heap1.toFixed(1)} MB, ` +
        `rss ${rss0.toFixed(0)} → ${rss1.toFixed(0)} MB`,
    );
    expect(total).toBeGreaterThanOrEqual(RUNS);
    for (const kind of [
      'spec',
      'spec-text',
      'media',
      'csv',
      'dataset-json',
      'predict',
      'gradients',
      'minimize',
      'reinforce',
    ])
      expect(byLabel.get(kind) ?? 0, kind).toBeGreaterThan(100);
    expect(heap1 - heap0).toBeLessThan(HEAP_BOUND_MB);
    // Nothing hostile was stored: no job besides the fixture, no dataset.
    expect((await app.inject({ url: '/v1/jobs?limit=100' })).json().data).toHaveLength(1);
    expect(await t.deps.redis.keys(`${t.cfg.prefix}:dataset:*`)).toEqual([]);
  }, 120_000);
});

describe('the same through a real socket', () => {
  let server: FastifyInstance;
  let port = 0;
  beforeAll(async () => {
    server = await buildApp(t.deps);
    await server.listen({ host: '127.0.0.1', port: 0 });
    port = (server.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await server?.close();
  });

  function send(
    path: string,
    body: Buffer,
    headers: Record<string, string | number>,
    chunked = false,
  ): Promise<{ statusCode: number; headers: Record<string, unknown>; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            statusCode: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      });
      // The server may answer 413 and close before the whole body is written.
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET') reject(err);
      });
      if (chunked) {
        for (let i = 0; i < body.length; i += 16_384) req.write(body.subarray(i, i + 16_384));
        req.end();
      } else req.end(body);
    });
  }

  const spec = JSON.stringify(BASES[0]);
  const cases: [string, string, Buffer, Record<string, string | number>, boolean?][] = [
    [
      '1e999',
      '/v1/jobs',
      Buffer.from(spec.replace('"lr":0.1', '"lr":1e999')),
      { 'content-type': 'application/json' },
    ],
    [
      '__proto__',
      '/v1/jobs',
      Buffer.from(spec.replace('{"type":"sgd"', '{"__proto__":{"a":1},"type":"sgd"')),
      { 'content-type': 'application/json' },
    ],
    [
      'deep',
      '/v1/jobs/validate',
      Buffer.from('['.repeat(20_000) + ']'.repeat(20_000)),
      { 'content-type': 'application/json' },
    ],
    [
      'invalid UTF-8 CSV',
      '/v1/datasets',
      Buffer.from([0x61, 0x2c, 0x79, 0x0a, 0x31, 0xc0, 0x80, 0x2c, 0x32, 0x0a]),
      { 'content-type': 'text/csv' },
    ],
    ['NUL CSV', '/v1/datasets', Buffer.from('a,y\n1,\u00002\n'), { 'content-type': 'text/csv' }],
    [
      'garbage JSON',
      '/v1/jobs',
      Buffer.from([0x7b, 0xff, 0x00, 0x22]),
      { 'content-type': 'application/json' },
    ],
    [
      'oversized JSON (Content-Length)',
      '/v1/jobs',
      Buffer.alloc(BODY_LIMIT * 4, 0x20),
      { 'content-type': 'application/json' },
    ],
    [
      'oversized CSV (chunked)',
      '/v1/datasets',
      Buffer.alloc(DATASET_BODY_LIMIT * 3, 0x31),
      { 'content-type': 'text/csv', 'transfer-encoding': 'chunked' },
      true,
    ],
  ];

  /** Raw bytes on a socket, for what an HTTP client library would refuse to send. */
  function raw(
    text: string,
  ): Promise<{ statusCode: number; headers: Record<string, unknown>; body: string }> {
    return new Promise((resolve, reject) => {
      const sock = connect(port, '127.0.0.1', () => sock.end(text));
      const chunks: Buffer[] = [];
      sock.on('data', (c) => chunks.push(c));
      sock.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') reject(err);
      });
      sock.on('close', () => {
        const all = Buffer.concat(chunks).toString('utf8');
        const [head, ...rest] = all.split('\r\n\r\n');
        const [status, ...lines] = head.split('\r\n');
        const headers = Object.fromEntries(
          lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
        );
        resolve({ statusCode: Number(status.split(' ')[1]), headers, body: rest.join('\r\n\r\n') });
      });
    });
  }

  test('headers over 16 KiB → 431 problem+json; a request that is not HTTP → 400 problem+json', async () => {
    const big = await raw(`GET /v1/jobs HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    checkAnswer({ label: '431', req: {} }, big);
    expect(big.statusCode).toBe(431);
    const junk = await raw('HELLO THERE\r\n\r\n');
    checkAnswer({ label: 'junk', req: {} }, junk);
    expect(junk.statusCode).toBe(400);
  });

  test.each(cases)('%s → 4xx problem+json', async (label, path, body, headers, chunked) => {
    const h = chunked ? headers : { ...headers, 'content-length': body.length };
    const res = await send(path, body, h, chunked);
    checkAnswer({ label, req: {} }, res);
    if (label.startsWith('oversized')) {
      expect(res.statusCode).toBe(413);
      expect(JSON.parse(res.body).detail).toContain(
        `${path === '/v1/jobs' ? BODY_LIMIT : DATASET_BODY_LIMIT} bytes`,
      );
    }
  });
});
