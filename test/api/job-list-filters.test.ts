/**
 * GET /v1/jobs filters: `metadata.<key>=<value>` (ANDed), `createdAfter` / `createdBefore`, `task`,
 * combined with `status` and cursor pages (a page is full whenever more matches exist). Real
 * redis-server.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { TINY_LINEAR_SPEC } from '../helpers/specs.js';

const linear = TINY_LINEAR_SPEC;
const example = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../examples/${name}`, import.meta.url), 'utf8')) as Record<
    string,
    unknown
  >;
const minimize = example('minimize-himmelblau-newton.json');
const reinforce = example('reinforce-cartpole.json');

let redis: TestRedis;
let t: TestApp;
/** Every job made below, oldest first, with what the filters look at. */
const jobs: { id: string; task: string; owner: string; team: string; createdAt: string; status: string }[] =
  [];
const BASE = Date.parse('2026-01-01T00:00:00Z');
const hour = (i: number) => new Date(BASE + i * 3600_000).toISOString();

beforeAll(async () => {
  redis = await startRedis();
  t = await makeTestApp(redis.url, 'job-filters');
  for (let i = 0; i < 24; i++) {
    const task = ['supervised', 'minimize', 'reinforce'][i % 3];
    const base = task === 'supervised' ? linear : task === 'minimize' ? minimize : reinforce;
    const owner = i % 2 === 0 ? 'ana' : 'bo';
    const team = i % 4 < 2 ? 'red' : 'blue';
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: { ...base, metadata: { owner, team, n: String(i) } },
    });
    expect(res.statusCode, res.body).toBe(201);
    const id = res.json().id as string;
    // One job an hour from 2026-01-01T00:00Z, in creation order.
    await t.deps.redis.hset(t.deps.keys.job(id), 'createdAt', hour(i));
    let status = 'queued';
    if (i % 5 === 0) {
      await t.deps.jobs.requestCancel(id);
      status = 'cancelling';
    }
    jobs.push({ id, task, owner, team, createdAt: hour(i), status });
  }
}, 60_000);
afterAll(async () => {
  await t?.close();
  await redis?.stop();
});

type Page = {
  data: { id: string; metadata: Record<string, string> }[];
  hasMore: boolean;
  nextCursor: string | null;
};

/** Every page of a query, checking that each page but the last is full. */
async function pages(query: string, limit: number): Promise<string[][]> {
  const out: string[][] = [];
  let after: string | null = null;
  for (;;) {
    const res = await t.app.inject({
      url: `/v1/jobs?${query}&limit=${limit}${after ? `&after=${after}` : ''}`,
    });
    expect(res.statusCode, res.body).toBe(200);
    const page = res.json() as Page;
    out.push(page.data.map((j) => j.id));
    if (!page.hasMore) {
      expect(page.nextCursor).toBeNull();
      return out;
    }
    expect(page.data).toHaveLength(limit);
    expect(page.nextCursor).toBe(page.data[limit - 1].id);
    after = page.nextCursor;
  }
}

const newestFirst = (pred: (j: (typeof jobs)[number]) => boolean) =>
  jobs
    .filter(pred)
    .map((j) => j.id)
    .reverse();

describe('GET /v1/jobs filters', () => {
  test('metadata.<key>=<value>: exact match; several are ANDed', async () => {
    expect((await pages('metadata.owner=ana', 100)).flat()).toEqual(newestFirst((j) => j.owner === 'ana'));
    expect((await pages('metadata.owner=ana&metadata.team=blue', 100)).flat()).toEqual(
      newestFirst((j) => j.owner === 'ana' && j.team === 'blue'),
    );
    // Exact: no prefix or case-insensitive match, and an unknown key matches nothing.
    expect((await pages('metadata.owner=an', 100)).flat()).toEqual([]);
    expect((await pages('metadata.owner=ANA', 100)).flat()).toEqual([]);
    expect((await pages('metadata.nobody=ana', 100)).flat()).toEqual([]);
    expect((await pages('metadata.n=7', 100)).flat()).toEqual([jobs[7].id]);
  });

  test('task', async () => {
    for (const task of ['supervised', 'minimize', 'reinforce'])
      expect((await pages(`task=${task}`, 100)).flat()).toEqual(newestFirst((j) => j.task === task));
  });

  test('createdAfter / createdBefore: exclusive bounds, offsets and dates accepted', async () => {
    expect((await pages(`createdAfter=${hour(20)}`, 100)).flat()).toEqual(
      [23, 22, 21].map((i) => jobs[i].id),
    );
    expect((await pages(`createdBefore=${hour(2)}`, 100)).flat()).toEqual([jobs[1].id, jobs[0].id]);
    expect((await pages(`createdAfter=${hour(5)}&createdBefore=${hour(9)}`, 100)).flat()).toEqual(
      [8, 7, 6].map((i) => jobs[i].id),
    );
    // The same instant written with an offset; and a bare date (midnight UTC).
    expect(
      (await pages(`createdAfter=${encodeURIComponent('2026-01-01T21:00:00+01:00')}`, 100)).flat(),
    ).toEqual([23, 22, 21].map((i) => jobs[i].id));
    expect((await pages('createdBefore=2026-01-01', 100)).flat()).toEqual([]);
    expect((await pages('createdAfter=2026-01-01', 100)).flat()).toHaveLength(23);
  });

  test('combined with status and pages: every page but the last is full, nothing is skipped', async () => {
    const got = await pages('metadata.owner=ana&status=queued', 2);
    const all = newestFirst((j) => j.owner === 'ana' && j.status === 'queued');
    expect(got.flat()).toEqual(all);
    expect(got.length).toBe(Math.ceil(all.length / 2));
    expect(all.length).toBeGreaterThan(4);
    for (const limit of [1, 3, 4]) {
      const q = `task=supervised&createdAfter=${hour(2)}&metadata.team=red`;
      const p = await pages(q, limit);
      const expected = newestFirst(
        (j) => j.task === 'supervised' && j.createdAt > hour(2) && j.team === 'red',
      );
      expect(p.flat()).toEqual(expected);
      expect(p.length).toBe(Math.max(1, Math.ceil(expected.length / limit)));
    }
    // A page that ends exactly at the last match says hasMore: false.
    const cancelling = newestFirst((j) => j.status === 'cancelling');
    const one = (await t.app.inject({ url: `/v1/jobs?status=cancelling&limit=${cancelling.length}` })).json();
    expect(one.data.map((j: { id: string }) => j.id)).toEqual(cancelling);
    expect(one.hasMore).toBe(false);
  });

  test('sparse matches spread over more jobs than one index read (50) still fill pages', async () => {
    const sparse: string[] = [];
    for (let i = 0; i < 130; i++) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/jobs',
        payload: { ...linear, metadata: i % 40 === 3 ? { sparse: 'yes' } : { sparse: 'no' } },
      });
      if (i % 40 === 3) sparse.push(res.json().id);
    }
    const p = await pages('metadata.sparse=yes', 2);
    expect(p.flat()).toEqual([...sparse].reverse());
    expect(p.map((x) => x.length)).toEqual([2, 2]);
  });

  test('bad filters → 400 problem+json naming the parameter and the value', async () => {
    const bad = async (query: string, path: string, text: RegExp) => {
      const res = await t.app.inject({ url: `/v1/jobs?${query}` });
      expect(res.statusCode, query).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      const p = res.json();
      expect(p.code).toBe('VALIDATION_ERROR');
      expect(JSON.stringify(p.errors ?? []) + p.detail).toContain(path);
      expect(JSON.stringify(p)).toMatch(text);
    };
    await bad('createdAfter=yesterday', 'createdAfter', /yesterday/);
    await bad('createdBefore=2026-13-45', 'createdBefore', /2026-13-45/);
    await bad('createdBefore=2026-02-30', 'createdBefore', /2026-02-30/);
    await bad('createdAfter=2026-01-01T10:00:00', 'createdAfter', /2026-01-01T10:00:00/); // no zone
    await bad('task=supervise', 'task', /one of supervised, minimize, reinforce; got \\"supervise\\"/);
    await bad('metadata.owner=a&metadata.owner=b', '/querystring/metadata.owner', /once/);
    await bad('metadata.=x', '/querystring/metadata.', /metadata\.<key>/);
    const many = Array.from({ length: 33 }, (_, i) => `metadata.k${i}=v`).join('&');
    await bad(many, '/querystring', /limit is 32/);
  });
});
