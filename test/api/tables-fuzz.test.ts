/**
 * Fuzzed typed-table uploads (issue 12, acceptance 5): CSV with ragged rows, broken quotes, BOMs,
 * NUL bytes, invalid UTF-8, huge cells, too many columns, bad names, bad `?types=` and targets;
 * JSON records with extra keys, nested values and bad rows; Parquet that is random, truncated or
 * bit-flipped. Every certainly-invalid upload is a 4xx problem+json naming the problem, none a 5xx,
 * none stored; a bit-flipped Parquet file may still decode (201) but never gives a 5xx. And the
 * widths of the column limit: 10,000 columns are accepted, 11,001 refused with 413.
 * Deterministic (fixed seeds).
 */
import fc from 'fast-check';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEFAULT_LIMITS, type Limits } from '../../src/contracts/limits.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';

const L: Limits = {
  ...DEFAULT_LIMITS,
  maxDatasetRows: 100,
  maxFeatures: 24,
  maxTargets: 2,
  maxStringLength: 32,
  maxJsonStringLength: 512,
};
const DATASET_BODY_LIMIT = 256 * 1024;

let redis: TestRedis;
let t: TestApp;
let wide: TestApp;

beforeAll(async () => {
  redis = await startRedis();
  // A short Parquet deadline: some bit flips send the decoder into an endless loop (cut at 0.5 s).
  t = await makeTestApp(redis.url, 'tables-fuzz', {
    limits: L,
    cfg: { datasetBodyLimit: DATASET_BODY_LIMIT, parquetTimeoutMs: 500 },
  });
  wide = await makeTestApp(redis.url, 'tables-wide', { cfg: { datasetBodyLimit: 8 * 1024 * 1024 } });
});
afterAll(async () => {
  await t?.close();
  await wide?.close();
  await redis?.stop();
});

interface Case {
  label: string;
  /** A decoding Parquet file may be accepted; everything else must be refused. */
  mayPass?: boolean;
  url: string;
  contentType: string;
  payload: string | Buffer;
}

const KINDS = ['num', 'cat', 'bool', 'missing'] as const;
function cell(kind: (typeof KINDS)[number], r: number, c: number): string {
  switch (kind) {
    case 'num':
      return String(((r * 31 + c * 7) % 97) / 4);
    case 'cat':
      return ['red', 'green', '"blue, dark"', 'x y'][(r + c) % 4];
    case 'bool':
      return ['yes', 'no', 'TRUE', 'false'][(r * 3 + c) % 4];
    default:
      return ['1', '', 'NA', '2'][(r + c) % 4];
  }
}

const csvCase: fc.Arbitrary<Case> = fc
  .record({
    cols: fc.integer({ min: 2, max: 8 }),
    rows: fc.integer({ min: 2, max: 30 }),
    kinds: fc.array(fc.constantFrom(...KINDS), { minLength: 8, maxLength: 8 }),
    bom: fc.boolean(),
    crlf: fc.boolean(),
    pick: fc.nat(),
    word: fc.string({ minLength: 1, maxLength: 8 }).map((w) => w.replace(/[",\r\n]/g, '').replaceAll(String.fromCharCode(0), '') || 'w'),
    defect: fc.constantFrom(
      'ragged-long',
      'ragged-short',
      'unterminated-quote',
      'quote-in-bare',
      'text-after-quote',
      'nul',
      'invalid-utf8',
      'huge-cell',
      'huge-quoted-cell',
      'too-many-columns',
      'too-many-rows',
      'duplicate-header',
      'empty-header',
      'long-header',
      'missing-target',
      'all-missing',
      'stray-string',
      'bad-types',
      'types-unknown-column',
      'declared-numeric-word',
      'empty',
    ),
  })
  .map(({ cols, rows, kinds, bom, crlf, pick, word, defect }) => {
    const header = Array.from({ length: cols }, (_, i) => `c${i}`);
    // The last column (the target) numeric, so only the defect makes the upload invalid.
    const kindOf = (c: number) => (c === cols - 1 ? 'num' : kinds[c]);
    let data = Array.from({ length: rows }, (_, r) => header.map((_, c) => cell(kindOf(c), r, c)));
    const r = pick % rows;
    const c = pick % (cols - 1);
    let query = '';
    switch (defect) {
      case 'ragged-long':
        data[r] = [...data[r], '1'];
        break;
      case 'ragged-short':
        data[r] = data[r].slice(0, -1);
        break;
      case 'unterminated-quote':
        data[r][c] = `"${word}`;
        break;
      case 'quote-in-bare':
        data[r][c] = `${word}"${word}`;
        break;
      case 'text-after-quote':
        data[r][c] = `"${word}"${word}`;
        break;
      case 'huge-cell':
        data[r][c] = 'h'.repeat(L.maxJsonStringLength + 1 + (pick % 3000));
        break;
      case 'huge-quoted-cell':
        data[r][c] = `"${'q,\n'.repeat(200 + (pick % 3000))}"`;
        break;
      case 'too-many-columns': {
        const n = L.maxFeatures + L.maxTargets + 1 + (pick % 20);
        header.splice(0, header.length, ...Array.from({ length: n }, (_, i) => `c${i}`));
        data = data.map((_, rr) => header.map((_, cc) => cell('num', rr, cc)));
        break;
      }
      case 'too-many-rows':
        data = Array.from({ length: L.maxDatasetRows + 1 + (pick % 50) }, (_, rr) =>
          header.map((_, cc) => cell('num', rr, cc)),
        );
        break;
      case 'duplicate-header':
        header[(c + 1) % cols] = header[c];
        break;
      case 'empty-header':
        header[c] = pick % 2 ? '' : '  ';
        break;
      case 'long-header':
        header[c] = 'n'.repeat(L.maxStringLength + 1 + (pick % 100));
        break;
      case 'missing-target':
        query = `?target=nope${pick % 10}`;
        break;
      case 'all-missing':
        for (const row of data) row[c] = ['', 'NA', 'null', 'NaN'][pick % 4];
        break;
      case 'stray-string':
        for (const row of data) row[c] = cell('num', pick, c);
        data[r][c] = `z${word}`;
        break;
      case 'bad-types':
        query = `?types=c0:${['number', 'string', 'int', ''][pick % 4]}`;
        break;
      case 'types-unknown-column':
        query = `?types=zz${pick % 10}:categorical`;
        break;
      case 'declared-numeric-word':
        data[r][c] = `w${word}`;
        query = `?types=c${c}:numeric`;
        break;
    }
    const nl = crlf ? '\r\n' : '\n';
    let text = [header.join(','), ...data.map((row) => row.join(','))].join(nl) + nl;
    if (defect === 'empty') text = ['', '\n', '\r\n\r\n', ' \n'][pick % 4];
    if (bom) text = '\ufeff' + text;
    let payload: string | Buffer = text;
    const at = Buffer.byteLength(text.slice(0, pick % (text.length + 1)));
    const bytes = Buffer.from(text);
    if (defect === 'nul')
      payload = Buffer.concat([bytes.subarray(0, at), Buffer.from([0]), bytes.subarray(at)]);
    if (defect === 'invalid-utf8')
      payload = Buffer.concat([
        bytes.subarray(0, at),
        Buffer.from([[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80]][pick % 3]),
        bytes.subarray(at),
      ]);
    return { label: `csv:${defect}`, url: `/v1/datasets${query}`, contentType: 'text/csv', payload };
  });

const recordsCase: fc.Arbitrary<Case> = fc
  .record({
    rows: fc.integer({ min: 1, max: 20 }),
    pick: fc.nat(),
    defect: fc.constantFrom(
      'extra-key',
      'nested',
      'not-object',
      'huge-string',
      'empty',
      'stray-string',
      'all-null',
      'too-many',
      'not-records',
      'missing-target',
    ),
  })
  .map(({ rows, pick, defect }) => {
    const recs: unknown[] = Array.from({ length: rows }, (_, r) => ({
      n: r / 2,
      c: ['a', 'b'][r % 2],
      b: r % 2 === 0,
      y: r % 3,
    }));
    const r = pick % rows;
    const rec = recs[r] as Record<string, unknown>;
    let query = '';
    switch (defect) {
      case 'extra-key':
        if (rows === 1) recs.push({ n: 1, c: 'a', b: true, y: 1 });
        (recs[rows === 1 ? 1 : Math.max(1, r)] as Record<string, unknown>)[`k${pick % 5}`] = 1;
        break;
      case 'nested':
        rec.c = pick % 2 ? { v: 1 } : [1, 2];
        break;
      case 'not-object':
        recs[r] = [1, 'a', true, 0][pick % 4];
        if (r === 0 && typeof recs[0] === 'object') recs[0] = 1;
        break;
      case 'huge-string':
        rec.c = 's'.repeat(L.maxJsonStringLength + 1);
        break;
      case 'empty':
        recs.length = 0;
        break;
      case 'stray-string':
        if (rows === 1) recs.push({ n: 1, c: 'a', b: true, y: 1 });
        rec.n = 'oops';
        break;
      case 'all-null':
        for (const x of recs) (x as Record<string, unknown>).n = null;
        break;
      case 'too-many':
        while (recs.length <= L.maxDatasetRows) recs.push({ n: 1, c: 'a', b: true, y: 1 });
        break;
      case 'not-records':
        return {
          label: 'records:not-records',
          url: '/v1/datasets',
          contentType: 'application/json',
          payload: JSON.stringify([['a'], [1]]),
        };
      case 'missing-target':
        query = '?target=nope';
        break;
    }
    return {
      label: `records:${defect}`,
      url: `/v1/datasets${query}`,
      contentType: 'application/json',
      payload: JSON.stringify(recs),
    };
  });

const PARQUET = Buffer.from(
  parquetWriteBuffer({
    columnData: [
      { name: 'a', data: [1.5, 2.5, null, 4], type: 'DOUBLE' },
      { name: 'b', data: ['x', 'y', 'x', 'z'], type: 'STRING' },
      { name: 'y', data: [0, 1, 0, 1], type: 'INT32' },
    ],
  }),
);

const parquetCase: fc.Arbitrary<Case> = fc
  .record({
    how: fc.constantFrom('random', 'truncated', 'flipped', 'flipped', 'flipped'),
    bytes: fc.uint8Array({ minLength: 0, maxLength: 200 }),
    pick: fc.nat(),
    bit: fc.integer({ min: 0, max: 7 }),
  })
  .map(({ how, bytes, pick, bit }) => {
    let payload: Buffer;
    if (how === 'random') payload = Buffer.from(bytes);
    else if (how === 'truncated') payload = PARQUET.subarray(0, pick % PARQUET.length);
    else {
      payload = Buffer.from(PARQUET);
      payload[pick % payload.length] ^= 1 << bit;
    }
    return {
      label: `parquet:${how}`,
      mayPass: how === 'flipped',
      url: '/v1/datasets',
      contentType: 'application/vnd.apache.parquet',
      payload,
    };
  });

function checkAnswer(
  c: Case,
  res: { statusCode: number; headers: Record<string, unknown>; body: string },
): void {
  const where = `${c.label} → ${res.statusCode} ${res.body.slice(0, 300)}`;
  if (c.mayPass && res.statusCode === 201) return;
  if (res.statusCode < 400 || res.statusCode >= 500) throw new Error(`not a 4xx: ${where}`);
  if (!/^application\/problem\+json/.test(String(res.headers['content-type'])))
    throw new Error(`not problem+json: ${where}`);
  const p = JSON.parse(res.body) as { code?: unknown; status?: unknown; detail?: unknown };
  if (
    typeof p.code !== 'string' ||
    p.status !== res.statusCode ||
    typeof p.detail !== 'string' ||
    p.detail === ''
  )
    throw new Error(`malformed problem: ${where}`);
}

describe('fuzzed table uploads', () => {
  test('600 invalid CSV, records and Parquet uploads: all 4xx problem+json, none stored', async () => {
    const counts = new Map<string, number>();
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          { arbitrary: csvCase, weight: 6 },
          { arbitrary: recordsCase, weight: 3 },
          { arbitrary: parquetCase, weight: 2 },
        ),
        async (c) => {
          const res = await t.app.inject({
            method: 'POST',
            url: c.url,
            payload: c.payload,
            headers: { 'content-type': c.contentType },
          });
          checkAnswer(c, res);
          if (res.statusCode === 201) accepted++;
          const kind = c.label.split(':')[0];
          counts.set(kind, (counts.get(kind) ?? 0) + 1);
        },
      ),
      { numRuns: 600, seed: Number(process.env.DESCENT_FUZZ_SEED ?? 20261203) },
    );
    for (const kind of ['csv', 'records', 'parquet'])
      expect(counts.get(kind) ?? 0, kind).toBeGreaterThan(100);
    // Only decodable bit-flipped Parquet files were stored.
    expect(await t.deps.redis.keys(`${t.cfg.prefix}:dataset:*`)).toHaveLength(accepted);
  }, 120_000);

  test('10,000 columns are accepted; 11,001 (over features + targets) are refused with 413', async () => {
    const row = (n: number, r: number) => Array.from({ length: n }, (_, i) => String((i + r) % 5)).join(',');
    const csv = (n: number) =>
      [Array.from({ length: n }, (_, i) => `c${i}`).join(','), row(n, 0), row(n, 1), row(n, 2)].join('\n') +
      '\n';
    const ok = await wide.app.inject({
      method: 'POST',
      url: '/v1/datasets',
      payload: csv(10_000),
      headers: { 'content-type': 'text/csv' },
    });
    expect(ok.statusCode, ok.body.slice(0, 300)).toBe(201);
    expect(ok.json()).toMatchObject({ features: 9_999, targets: 1 });
    expect(ok.json().columns).toHaveLength(10_000);
    const no = await wide.app.inject({
      method: 'POST',
      url: '/v1/datasets',
      payload: csv(11_001),
      headers: { 'content-type': 'text/csv' },
    });
    checkAnswer({ label: 'wide', url: '', contentType: '', payload: '' }, no);
    expect(no.statusCode).toBe(413);
    expect(no.json().detail).toContain('the limit is 11000');
  }, 60_000);
});
