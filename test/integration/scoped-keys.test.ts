/**
 * Scoped keys and rotation (issue 20, point 3): keys from DESCENT_API_KEYS_FILE carry a scope.
 * A `read` key gets every GET answered as its tenant's `write` key does, and every POST/DELETE a
 * 403 FORBIDDEN naming `write` (the operations are read from the OpenAPI document, so a new route
 * is covered without a new line here); an `admin` key lists and reads two tenants' jobs and
 * cancels any; two keys of one tenant both work (rotation); a key removed from the file stops
 * working within a second of SIGHUP in a real API process, without a restart, and a bad line is
 * logged with its number while the API goes on. Real redis-server.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRedis, uniquePrefix, type TestRedis } from '../helpers/redis.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { killAllProcesses, poll, startApiProcess } from '../helpers/processes.js';
import { simulateRun } from '../helpers/simulate.js';
import { TINY_LINEAR_SPEC } from '../helpers/specs.js';
import { parseKeyFile } from '../../src/api/key-file.js';
import { createKeyStore } from '../../src/api/key-store.js';

const K = {
  aliceRead: 'alice-read-0f1e2d3c4b5a69788796a5b4c3d2e1f0',
  aliceWrite: 'alice-write-8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d',
  aliceWrite2: 'alice-write2-5566778899aabbccddeeff0011223344',
  bobWrite: 'bob-write-1029384756afbecd1029384756afbecd',
  admin: 'ops-admin-99887766554433221100ffeeddccbbaa',
};
const as = (key: string) => ({ authorization: `Bearer ${key}` });
const NO_LIMITS = { rateLimit: null, maxActiveJobs: null, jobCapRetrySeconds: 15, authThrottle: null };

const KEY_FILE = `# tenant key [scope]
alice ${K.aliceRead} read
alice ${K.aliceWrite}            # scope write by default
alice ${K.aliceWrite2} write     # rotation: the new key beside the old one
bob   ${K.bobWrite} write

ops ${K.admin} admin
`;

let redis: TestRedis;
let dir: string;
let t: TestApp;
let app: FastifyInstance;
const ids: Record<string, string> = {};

beforeAll(async () => {
  redis = await startRedis();
  dir = mkdtempSync(join(tmpdir(), 'descent-keys-'));
  writeFileSync(join(dir, 'keys'), KEY_FILE);
  t = await makeTestApp(redis.url, 'scoped-keys', {
    cfg: { apiKeysFile: join(dir, 'keys') },
    app: { security: NO_LIMITS },
  });
  app = t.app;
  const post = async (key: string, url: string, payload: object, headers = {}) => {
    const r = await app.inject({ method: 'POST', url, payload, headers: { ...as(key), ...headers } });
    expect(r.statusCode, r.body).toBe(201);
    return r.json().id as string;
  };
  ids.job = await post(K.aliceWrite, '/v1/jobs', TINY_LINEAR_SPEC);
  await simulateRun(t.deps, ids.job, { steps: 10, perEpoch: 5, checkpointAt: 5 });
  ids.minimize = await post(K.aliceWrite, '/v1/jobs', {
    task: 'minimize',
    objective: '(1-x)^2 + 100*(y-x^2)^2',
    start: { x: -1, y: 1 },
    optimizer: { type: 'adam', lr: 0.01 },
    steps: 5,
  });
  ids.bobQueued = await post(K.bobWrite, '/v1/jobs', TINY_LINEAR_SPEC);
  ids.dataset = await post(K.aliceWrite, '/v1/datasets?target=y', 'a,b,y\n1,2,3\n4,5,9\n7,8,15\n' as never, {
    'content-type': 'text/csv',
  });
  ids.webhook = await post(K.aliceWrite, '/v1/webhooks', {
    url: 'https://example.com/hooks/descent',
    events: ['job.succeeded'],
  });
  ids.sweep = await post(K.aliceWrite, '/v1/sweeps', {
    spec: TINY_LINEAR_SPEC,
    space: { 'optimizer.lr': { grid: [0.01, 0.1] } },
    searcher: { type: 'grid' },
    metric: 'loss',
    maxConcurrentTrials: 1,
  });
});

afterAll(async () => {
  await t?.close();
  await killAllProcesses();
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

type Op = { method: string; path: string };

async function operations(): Promise<Op[]> {
  const doc = (await app.inject({ url: '/openapi.json' })).json() as { paths: Record<string, object> };
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.keys(ops).map((m) => ({ method: m.toUpperCase(), path })),
  );
}

/** A concrete URL for a document path: ids of alice's fixtures, query parameters a route needs. */
function urlOf(path: string): string {
  const id = path.startsWith('/v1/datasets')
    ? ids.dataset
    : path.startsWith('/v1/webhooks')
      ? ids.webhook
      : path.startsWith('/v1/sweeps')
        ? ids.sweep
        : path.endsWith('/contour')
          ? ids.minimize
          : ids.job;
  const url = path.replace('{id}', id).replace('{deliveryId}', 'dlv_0000000000000000000000');
  return path.endsWith('/contour') ? `${url}?xMin=-2&xMax=2&yMin=-1&yMax=3&n=10` : url;
}

describe('a read key', () => {
  test('every GET in the OpenAPI document answers it as it answers the write key of its tenant, 200 wherever the fixture exists', async () => {
    const gets = (await operations()).filter((o) => o.method === 'GET' && o.path.startsWith('/v1'));
    expect(gets.length).toBeGreaterThanOrEqual(15);
    const ok: string[] = [];
    for (const o of gets) {
      const req: InjectOptions = { url: urlOf(o.path), headers: { accept: 'application/json' } };
      const r = await app.inject({ ...req, headers: { ...req.headers, ...as(K.aliceRead) } });
      const w = await app.inject({ ...req, headers: { ...req.headers, ...as(K.aliceWrite) } });
      expect(r.statusCode, `GET ${o.path}: ${r.body.slice(0, 200)}`).toBe(w.statusCode);
      expect([401, 403], `GET ${o.path}`).not.toContain(r.statusCode);
      if (r.statusCode === 200) ok.push(o.path);
    }
    // Every GET with a fixture behind it is a 200 (a redelivery id that does not exist is not a GET).
    expect(ok.length).toBe(gets.length);
  });

  test('every POST and DELETE in the OpenAPI document is a 403 FORBIDDEN naming the scope write, and changes nothing', async () => {
    const writes = (await operations()).filter((o) => o.method !== 'GET' && o.path.startsWith('/v1'));
    expect(writes.length).toBeGreaterThanOrEqual(15);
    for (const o of writes) {
      const r = await app.inject({
        method: o.method as 'POST' | 'DELETE',
        url: urlOf(o.path),
        headers: as(K.aliceRead),
        payload: o.method === 'POST' ? {} : undefined,
      });
      expect(r.statusCode, `${o.method} ${o.path}: ${r.body.slice(0, 200)}`).toBe(403);
      expect(String(r.headers['content-type'])).toMatch(/^application\/problem\+json/);
      const p = r.json();
      expect(p.code).toBe('FORBIDDEN');
      expect(p.detail).toMatch(/scope read/);
      expect(p.detail).toMatch(/needs scope write/);
    }
    // the DELETEs and cancels above were refused: everything is still there
    const job = await app.inject({ url: `/v1/jobs/${ids.job}`, headers: as(K.aliceWrite) });
    expect(job.statusCode).toBe(200);
    expect(
      (await app.inject({ url: `/v1/datasets/${ids.dataset}`, headers: as(K.aliceWrite) })).statusCode,
    ).toBe(200);
    expect(
      (await app.inject({ url: `/v1/webhooks/${ids.webhook}`, headers: as(K.aliceWrite) })).statusCode,
    ).toBe(200);
  });

  test('HEAD is a read', async () => {
    const r = await app.inject({ method: 'HEAD', url: `/v1/jobs/${ids.job}`, headers: as(K.aliceRead) });
    expect(r.statusCode).toBe(200);
  });
});

describe('rotation: several keys per tenant', () => {
  test("both write keys of alice act as alice; bob's key does not see alice's job", async () => {
    for (const k of [K.aliceWrite, K.aliceWrite2, K.aliceRead]) {
      const r = await app.inject({ url: `/v1/jobs/${ids.job}`, headers: as(k) });
      expect(r.statusCode).toBe(200);
    }
    expect((await app.inject({ url: `/v1/jobs/${ids.job}`, headers: as(K.bobWrite) })).statusCode).toBe(404);
  });
});

describe('an admin key', () => {
  test("lists two tenants' jobs, each with its tenant; ?tenant= narrows to one", async () => {
    const all = await app.inject({ url: '/v1/jobs?limit=100', headers: as(K.admin) });
    expect(all.statusCode, all.body).toBe(200);
    const rows = all.json().data as { id: string; tenant: string }[];
    expect(rows).toContainEqual(expect.objectContaining({ id: ids.job, tenant: 'alice' }));
    expect(rows).toContainEqual(expect.objectContaining({ id: ids.bobQueued, tenant: 'bob' }));
    // newest first across tenants
    const order = rows.map((r) => r.id);
    expect(order).toEqual([...order].sort().reverse());

    const bob = (await app.inject({ url: '/v1/jobs?tenant=bob', headers: as(K.admin) })).json().data as {
      id: string;
    }[];
    expect(bob.map((j) => j.id)).toEqual([ids.bobQueued]);
  });

  test('pages of the merged list follow nextCursor without gaps or repeats', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 50; i++) {
      const url: string = `/v1/jobs?limit=1${after ? `&after=${after}` : ''}`;
      const page = (await app.inject({ url, headers: as(K.admin) })).json();
      seen.push(...page.data.map((j: { id: string }) => j.id));
      if (!page.hasMore) break;
      after = page.nextCursor;
    }
    const full = (await app.inject({ url: '/v1/jobs?limit=100', headers: as(K.admin) })).json().data;
    expect(seen).toEqual(full.map((j: { id: string }) => j.id));
  });

  test("reads another tenant's job by id and cancels it; deletes stay within its own tenant", async () => {
    expect((await app.inject({ url: `/v1/jobs/${ids.job}`, headers: as(K.admin) })).statusCode).toBe(200);
    expect((await app.inject({ url: `/v1/jobs/${ids.job}/weights`, headers: as(K.admin) })).statusCode).toBe(
      200,
    );
    const c = await app.inject({
      method: 'POST',
      url: `/v1/jobs/${ids.bobQueued}/cancel`,
      headers: as(K.admin),
    });
    expect(c.statusCode, c.body).toBe(200);
    expect(c.json().status).toBe('cancelled');
    expect(
      (await app.inject({ url: `/v1/jobs/${ids.bobQueued}`, headers: as(K.bobWrite) })).json().status,
    ).toBe('cancelled');
    const d = await app.inject({ method: 'DELETE', url: `/v1/jobs/${ids.job}`, headers: as(K.admin) });
    expect(d.statusCode).toBe(404);
  });

  test("a write key may not list another tenant's jobs (403 naming admin), its own tenant= is fine", async () => {
    const r = await app.inject({ url: '/v1/jobs?tenant=bob', headers: as(K.aliceWrite) });
    expect(r.statusCode).toBe(403);
    expect(r.json()).toMatchObject({ code: 'FORBIDDEN', errors: [{ path: '/querystring/tenant' }] });
    expect(r.json().detail).toMatch(/needs an admin key \(scope admin\)/);
    const own = await app.inject({ url: '/v1/jobs?tenant=alice', headers: as(K.aliceWrite) });
    expect(own.statusCode).toBe(200);
    expect(own.json().data.map((j: { id: string }) => j.id)).toContain(ids.job);
    // a write key's list carries no tenant field (only the admin view does)
    expect(own.json().data[0].tenant).toBeUndefined();
  });

  test("GET /v1/usage?tenant=: an admin key reads any tenant's usage; a write key only its own (403 naming admin)", async () => {
    const bob = await app.inject({ url: '/v1/usage?tenant=bob', headers: as(K.admin) });
    expect(bob.statusCode, bob.body).toBe(200);
    expect(bob.json()).toMatchObject({ tenant: 'bob' });
    expect((await app.inject({ url: '/v1/usage', headers: as(K.admin) })).json().tenant).toBe('ops');
    const r = await app.inject({ url: '/v1/usage?tenant=bob', headers: as(K.aliceWrite) });
    expect(r.statusCode).toBe(403);
    expect(r.json()).toMatchObject({ code: 'FORBIDDEN', errors: [{ path: '/querystring/tenant' }] });
    const own = await app.inject({ url: '/v1/usage?tenant=alice', headers: as(K.aliceRead) });
    expect(own.statusCode).toBe(200);
    expect(own.json().tenant).toBe('alice');
  });
});

describe('the key file', () => {
  test('bad lines are refused with their line number; good lines stay', () => {
    const { entries, problems } = parseKeyFile(
      [
        `alice ${K.aliceWrite}`,
        'bob short',
        `carol ${K.bobWrite} owner`,
        `dave ${K.aliceWrite}`,
        `bad/name ${K.admin}`,
        `erin ${K.admin} admin extra`,
        `frank key#with-hash-inside-1234 read # a comment`,
      ].join('\n'),
    );
    expect(entries).toEqual([
      { tenant: 'alice', key: K.aliceWrite, scope: 'write' },
      { tenant: 'frank', key: 'key#with-hash-inside-1234', scope: 'read' },
    ]);
    expect(problems.map((p) => p.line)).toEqual([2, 3, 4, 5, 6]);
    expect(problems[0].message).toMatch(/5 characters; the minimum is 16/);
    expect(problems[1].message).toMatch(/scope "owner" must be one of read, write, admin/);
    expect(problems[2].message).toMatch(/already on line 1/);
  });

  test('a malformed file at start is an error naming the file and each bad line', () => {
    const f = join(dir, 'bad-at-start');
    writeFileSync(f, `alice ${K.aliceWrite}\nbob tooshort\n`);
    expect(() => createKeyStore({ envKeys: new Map(), file: f, log: { info() {}, error() {} } })).toThrow(
      /DESCENT_API_KEYS_FILE .*bad-at-start has bad lines: line 2: the key of tenant bob has 8 characters/,
    );
    expect(() =>
      createKeyStore({ envKeys: new Map(), file: join(dir, 'missing'), log: { info() {}, error() {} } }),
    ).toThrow(/cannot be read: ENOENT/);
  });

  test('an empty key file still turns authentication on (nothing is open)', async () => {
    const f = join(dir, 'empty');
    writeFileSync(f, '# no keys yet\n');
    const s = createKeyStore({ envKeys: new Map(), file: f, log: { info() {}, error() {} } });
    expect(s.enabled).toBe(true);
    expect(s.ring().size).toBe(0);
    s.close();
  });
});

describe('reload without a restart (a real API process)', () => {
  const file = () => join(dir, 'live-keys');
  let api: Awaited<ReturnType<typeof startApiProcess>>;
  const status = async (key: string) => (await fetch(`${api.url}/v1/jobs`, { headers: as(key) })).status;

  beforeAll(async () => {
    writeFileSync(file(), KEY_FILE);
    api = await startApiProcess({
      REDIS_URL: redis.url,
      DESCENT_PREFIX: uniquePrefix('scoped-live'),
      DESCENT_API_KEYS_FILE: file(),
      DESCENT_AUTH_FAILURE_LIMIT: '0',
      // No polling: a change takes effect only through the SIGHUP (the next test turns it on).
      DESCENT_API_KEYS_POLL_MS: '0',
    });
  }, 60_000);

  test('a key removed from the file stops working within a second of SIGHUP', async () => {
    expect(await status(K.aliceWrite)).toBe(200);
    expect(await status(K.aliceWrite2)).toBe(200);
    // Rotate: drop the old key. The process does not poll the file: only the SIGHUP can apply it.
    writeFileSync(file(), KEY_FILE.replace(K.aliceWrite, 'x'.repeat(K.aliceWrite.length)));
    await new Promise((r) => setTimeout(r, 300));
    expect(await status(K.aliceWrite)).toBe(200);

    const sent = Date.now();
    process.kill(api.pid, 'SIGHUP');
    await poll(async () => (await status(K.aliceWrite)) === 401, 1000, 20);
    expect(Date.now() - sent).toBeLessThan(1000);
    expect(await status(K.aliceWrite2)).toBe(200); // the new key of the same tenant goes on
    expect(api.proc.exitCode).toBeNull();
  });

  test('a changed file is applied without a signal; a bad line is logged with its number and the API goes on', async () => {
    api.killGroup('SIGTERM');
    await api.exited;
    api = await startApiProcess({
      REDIS_URL: redis.url,
      DESCENT_PREFIX: uniquePrefix('scoped-live'),
      DESCENT_API_KEYS_FILE: file(),
      DESCENT_AUTH_FAILURE_LIMIT: '0',
    });
    expect(await status(K.aliceWrite)).toBe(401);
    writeFileSync(file(), `${readFileSync(file(), 'utf8')}carol ${K.aliceWrite} write\nbroken-line\n`);
    await poll(async () => (await status(K.aliceWrite)) === 200, 5000, 50);
    const lines = readFileSync(file(), 'utf8').split('\n');
    const bad = lines.indexOf('broken-line') + 1;
    await api.waitFor(
      new RegExp(`DESCENT_API_KEYS_FILE .*line ${bad}: expected "tenant key \\[scope\\]"`),
      5000,
    );
    expect(await status(K.bobWrite)).toBe(200);
    expect(api.proc.exitCode).toBeNull();
  });

  test('a malformed file at start stops the API with a clear error', async () => {
    const f = join(dir, 'bad-start');
    writeFileSync(f, `alice ${K.aliceWrite}\n\nbob ${K.bobWrite} superuser\n`);
    await expect(
      startApiProcess({
        REDIS_URL: redis.url,
        DESCENT_PREFIX: uniquePrefix('scoped-bad'),
        DESCENT_API_KEYS_FILE: f,
      }),
    ).rejects.toThrow(/API failed to start: DESCENT_API_KEYS_FILE .* line 3: scope "superuser"/);
  }, 60_000);
});

describe('without keys (open API)', () => {
  test('GET /v1/jobs?tenant= of its own tenant (default) lists, of another is a documented 403', async () => {
    const open = await makeTestApp(redis.url, 'scoped-open');
    try {
      expect((await open.app.inject({ url: '/v1/jobs?tenant=default' })).statusCode).toBe(200);
      const r = await open.app.inject({ url: '/v1/jobs?tenant=bob' });
      expect(r.statusCode).toBe(403);
      expect(r.json().code).toBe('FORBIDDEN');
    } finally {
      await open.close();
    }
  });
});
