/**
 * GET /v1/datasets: the tenant's uploads, newest first, in cursor pages; other tenants' never
 * appear; deleted ones leave; a bad cursor is a 400 naming `after`. Datasets stored before the
 * index existed are indexed on the first list. Real redis-server.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { parseApiKeys } from '../../src/queue/config.js';

const KEY_A = 'ka-3f9a1c0d7e5b42a8b6c1d2e3f4a5b6c7';
const KEY_B = 'kb-0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const A = { authorization: `Bearer ${KEY_A}` };
const B = { authorization: `Bearer ${KEY_B}` };

let redis: TestRedis;
let t: TestApp;

beforeAll(async () => {
  redis = await startRedis();
  t = await makeTestApp(redis.url, 'datasets-list', {
    cfg: { apiKeys: parseApiKeys(`alice:${KEY_A},bob:${KEY_B}`) },
  });
});
afterAll(async () => {
  await t?.close();
  await redis?.stop();
});

async function upload(headers: Record<string, string>, name: string): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: `/v1/datasets?name=${name}`,
    payload: 'a,b,y\n1,2,0\n3,4,1\n',
    headers: { ...headers, 'content-type': 'text/csv' },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}

type Page = { data: { id: string; name: string }[]; hasMore: boolean; nextCursor: string | null };

async function allPages(headers: Record<string, string>, limit: number): Promise<Page[]> {
  const out: Page[] = [];
  let after: string | null = null;
  for (;;) {
    const res = await t.app.inject({
      url: `/v1/datasets?limit=${limit}${after ? `&after=${after}` : ''}`,
      headers,
    });
    expect(res.statusCode, res.body).toBe(200);
    const page = res.json() as Page;
    out.push(page);
    if (!page.hasMore) return out;
    after = page.nextCursor;
  }
}

describe('GET /v1/datasets', () => {
  test("newest first in full pages; only the tenant's own; entries are the descriptions", async () => {
    const mine: string[] = [];
    for (let i = 0; i < 7; i++) {
      mine.push(await upload(A, `a${i}`));
      if (i % 3 === 0) await upload(B, `b${i}`);
    }
    const pages = await allPages(A, 3);
    expect(pages.map((p) => p.data.length)).toEqual([3, 3, 1]);
    expect(pages.flatMap((p) => p.data.map((d) => d.id))).toEqual([...mine].reverse());
    for (const p of pages.slice(0, -1)) expect(p.nextCursor).toBe(p.data.at(-1)!.id);
    expect(pages.at(-1)!.nextCursor).toBeNull();
    const first = pages[0].data[0];
    expect(first).toEqual((await t.app.inject({ url: `/v1/datasets/${first.id}`, headers: A })).json());
    expect(first.name).toBe('a6');
    const bobs = (await allPages(B, 100)).flatMap((p) => p.data);
    expect(bobs.map((d) => d.name)).toEqual(['b6', 'b3', 'b0']);
    // A page that ends exactly at the last one says hasMore: false.
    const exact = (await t.app.inject({ url: '/v1/datasets?limit=7', headers: A })).json();
    expect(exact.data).toHaveLength(7);
    expect(exact).toMatchObject({ hasMore: false, nextCursor: null });
    expect((await t.app.inject({ url: '/v1/datasets?limit=20', headers: A })).json().data).toHaveLength(7);
  });

  test('a deleted dataset leaves the list', async () => {
    const id = await upload(B, 'gone');
    expect((await allPages(B, 100)).flatMap((p) => p.data.map((d) => d.id))).toContain(id);
    expect((await t.app.inject({ method: 'DELETE', url: `/v1/datasets/${id}`, headers: B })).statusCode).toBe(
      204,
    );
    expect((await allPages(B, 100)).flatMap((p) => p.data.map((d) => d.id))).not.toContain(id);
    expect(await t.deps.redis.zscore(t.deps.keys.datasetIndex('bob'), id)).toBeNull();
  });

  test('bad cursor or limit → 400 problem+json naming the parameter', async () => {
    for (const [q, param] of [
      ['after=garbage', 'after'],
      ['after=job_0000000000000000000000', 'after'],
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
    ]) {
      const res = await t.app.inject({ url: `/v1/datasets?${q}`, headers: A });
      expect(res.statusCode, q).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      const p = res.json();
      expect(p.code).toBe('VALIDATION_ERROR');
      expect(JSON.stringify(p.errors)).toContain(`/querystring/${param}`);
      if (param === 'after') expect(p.detail).toContain(q.slice('after='.length));
    }
  });

  test('datasets stored before the index existed are listed too (indexed once)', async () => {
    const t2 = await makeTestApp(redis.url, 'datasets-legacy');
    try {
      const ds = {
        name: 'old',
        x: new Float64Array([1, 2]),
        y: new Float64Array([0, 1]),
        rows: 2,
        features: 1,
        targets: 1,
      };
      const old = await t2.deps.datasets.save('ds_000000000legacy0001', 'default', ds);
      // As a pre-index version stored it: the hash without an index entry.
      await t2.deps.redis.zrem(t2.deps.keys.datasetIndex('default'), old.id);
      expect(await t2.deps.redis.exists(t2.deps.keys.datasetIndexBuilt)).toBe(0);
      const res = (await t2.app.inject({ url: '/v1/datasets' })).json();
      expect(res.data.map((d: { id: string }) => d.id)).toEqual([old.id]);
      expect(await t2.deps.redis.exists(t2.deps.keys.datasetIndexBuilt)).toBe(1);
    } finally {
      await t2.close();
    }
  });
});
