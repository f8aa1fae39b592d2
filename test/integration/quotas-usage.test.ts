/**
 * Quotas and usage (issue 20, point 4) on a real redis-server with a real worker (sandboxed
 * processor, stand-in trainer whose steps sleep): the compute seconds `GET /v1/usage` reports
 * match the run time of the jobs the tenant ran (± 1 s); once they reach the daily quota a new
 * job answers 429 naming the quota, its value and the reset (Retry-After = seconds to the next
 * UTC midnight); a resumed attempt never counts the crashed one twice; uploads and jobs over the
 * stored-bytes quota answer 413 naming it.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { finishedJob, makeTestApp, type TestApp } from '../helpers/app.js';
import { startWorker, type RunningWorker } from '../../workers/worker.js';
import { quickLinearSpec } from '../helpers/specs.js';
import { quotaConfigFromEnv } from '../../src/api/quota-config.js';
import { createUsageStore } from '../../src/queue/usage-store.js';

const STUB = fileURLToPath(new URL('../helpers/stub.sandbox.mjs', import.meta.url));

let redis: TestRedis;
let t: TestApp;
let worker: RunningWorker;

beforeAll(async () => {
  redis = await startRedis();
  t = await makeTestApp(redis.url, 'quotas', {
    app: { quotas: quotaConfigFromEnv({ DESCENT_QUOTA_COMPUTE_SECONDS_PER_DAY: '2' }) },
  });
  worker = await startWorker(t.cfg, { processorFile: STUB, backend: 'stub', log: () => {} });
});
afterAll(async () => {
  await worker?.close(2000);
  await t?.close();
  await redis?.stop();
});

async function submit(app: TestApp, body: unknown) {
  return app.app.inject({ method: 'POST', url: '/v1/jobs', payload: body as object });
}

describe('compute quota and GET /v1/usage', () => {
  test('usage matches the run time of the jobs run; over the quota a job gets 429 naming it and its reset', async () => {
    const before = (await t.app.inject({ url: '/v1/usage' })).json();
    expect(before).toMatchObject({
      tenant: 'default',
      computeSeconds: 0,
      computeSecondsQuota: 2,
      storedBytesQuota: null,
      jobs: { submitted: 0, running: 0 },
    });
    const day = new Date().toISOString().slice(0, 10);
    expect(before.period.start).toBe(`${day}T00:00:00.000Z`);
    expect(Date.parse(before.period.end) - Date.parse(before.period.start)).toBe(86_400_000);

    // Two jobs of about 1.2 s each (2 epochs × 12 steps × 50 ms), one after the other.
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await submit(t, quickLinearSpec({ stubSteps: '12', stubStepMs: '50' }));
      expect(res.statusCode, res.body).toBe(201);
      ids.push(res.json().id);
      await finishedJob(t, ids[i], 30_000);
    }
    let ran = 0;
    for (const id of ids) {
      const job = (await t.app.inject({ url: `/v1/jobs/${id}` })).json();
      expect(job.status).toBe('succeeded');
      ran += (Date.parse(job.finishedAt) - Date.parse(job.startedAt)) / 1000;
    }
    // The last report lands just after the job ends: wait for it.
    let usage = (await t.app.inject({ url: '/v1/usage' })).json();
    for (let i = 0; i < 40 && Math.abs(usage.computeSeconds - ran) > 0.5; i++) {
      await new Promise((r) => setTimeout(r, 50));
      usage = (await t.app.inject({ url: '/v1/usage' })).json();
    }
    expect(ran).toBeGreaterThan(2);
    expect(Math.abs(usage.computeSeconds - ran)).toBeLessThanOrEqual(1);
    expect(usage.jobs).toEqual({ submitted: 2, running: 0 });
    expect(usage.storedBytes).toBeGreaterThan(0); // the two jobs' weights

    const refused = await submit(t, quickLinearSpec());
    expect(refused.statusCode, refused.body).toBe(429);
    expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
    const p = refused.json();
    expect(p.code).toBe('RATE_LIMITED');
    expect(p.detail).toContain('DESCENT_QUOTA_COMPUTE_SECONDS_PER_DAY');
    expect(p.detail).toContain('quota is 2 s');
    expect(p.detail).toContain(`resets at ${usage.period.end}`);
    const retry = Number(refused.headers['retry-after']);
    const toMidnight = (Date.parse(usage.period.end) - Date.now()) / 1000;
    expect(Math.abs(retry - toMidnight)).toBeLessThanOrEqual(2);
    // A bad spec is still a 400 (the quota is checked after validation), and reading is never refused.
    expect((await submit(t, { model: { type: 'linear' } })).statusCode).toBe(400);
    expect((await t.app.inject({ url: '/v1/jobs' })).statusCode).toBe(200);
    // The refused job was not created.
    expect((await t.app.inject({ url: '/v1/usage' })).json().jobs.submitted).toBe(2);
  });

  test('a resumed attempt does not count the crashed one again; a resent report adds nothing', async () => {
    const usage = createUsageStore(t.deps.redis, t.deps.keys);
    const id = 'job_quota_resume_check';
    await t.deps.jobs.create({ id, tenant: 'resume', spec: quickLinearSpec(), metadata: {} });
    const a1 = await t.deps.jobs.start(id, 'w_a');
    expect(await usage.recordCompute(id, 'resume', a1.attempt, 1500)).toBe(1500);
    expect(await usage.recordCompute(id, 'resume', a1.attempt, 1500)).toBe(0); // a resend
    // The worker dies; another takes the job over (a new attempt) and resumes it.
    const a2 = await t.deps.jobs.start(id, 'w_b');
    expect(a2.attempt).toBe(a1.attempt + 1);
    // The old attempt, still alive somewhere, reports more: refused (fenced by attempt).
    expect(await usage.recordCompute(id, 'resume', a1.attempt, 2500)).toBe(-1);
    expect(await usage.recordCompute(id, 'resume', a2.attempt, 700)).toBe(700);
    expect(await usage.recordCompute(id, 'resume', a2.attempt, 1000)).toBe(300);
    expect(await usage.computeSeconds('resume')).toBeCloseTo(2.5, 6);
    expect(await t.deps.redis.hget(t.deps.keys.job(id), 'computeMs')).toBe('2500');
  });
});

describe('stored-bytes quota', () => {
  let s: TestApp;
  beforeAll(async () => {
    s = await makeTestApp(redis.url, 'quota-bytes', {
      app: { quotas: quotaConfigFromEnv({ DESCENT_QUOTA_STORED_BYTES: '24000' }) },
    });
  });
  afterAll(async () => s?.close());

  const csv = (rows: number) =>
    'a,b,y\n' + Array.from({ length: rows }, (_, i) => `${i},${i * 2},${i % 2}`).join('\n') + '\n';
  const upload = (body: string) =>
    s.app.inject({
      method: 'POST',
      url: '/v1/datasets',
      headers: { 'content-type': 'text/csv' },
      payload: body,
    });

  test('an upload past the quota is 413 naming it; once full a job is 413 too', async () => {
    // 500 rows × 3 float64 columns = 12 000 bytes stored.
    const first = await upload(csv(500));
    expect(first.statusCode, first.body).toBe(201);
    expect((await s.app.inject({ url: '/v1/usage' })).json()).toMatchObject({
      storedBytes: 12_000,
      storedBytesQuota: 24_000,
      computeSecondsQuota: null,
    });
    // 501 rows would make 24 024: refused after parsing, before it is stored.
    const over = await upload(csv(501));
    expect(over.statusCode, over.body).toBe(413);
    expect(over.json().code).toBe('PAYLOAD_TOO_LARGE');
    expect(over.json().detail).toContain('DESCENT_QUOTA_STORED_BYTES');
    expect(over.json().detail).toContain('quota of 24000 bytes');
    expect(over.json().detail).toContain('stores 12000 bytes');
    // A declared length that cannot fit is refused before the body is read.
    const big = csv(3000);
    expect(Buffer.byteLength(big)).toBeGreaterThan(12_000);
    const early = await upload(big);
    expect(early.statusCode).toBe(413);
    expect(early.json().detail).toMatch(/an upload of \d+ bytes would exceed/);
    expect((await s.app.inject({ url: '/v1/datasets' })).json().data).toHaveLength(1);
    // An exact fit is stored; then the tenant is full: uploads and jobs answer 413.
    expect((await upload(csv(500))).statusCode).toBe(201);
    expect((await s.app.inject({ url: '/v1/usage' })).json().storedBytes).toBe(24_000);
    expect((await upload(csv(1))).statusCode).toBe(413);
    const job = await submit(s, quickLinearSpec());
    expect(job.statusCode, job.body).toBe(413);
    expect(job.json().detail).toContain('DESCENT_QUOTA_STORED_BYTES');
    // Deleting a dataset makes room again.
    const id = (await s.app.inject({ url: '/v1/datasets' })).json().data[0].id;
    expect((await s.app.inject({ method: 'DELETE', url: `/v1/datasets/${id}` })).statusCode).toBe(204);
    expect((await submit(s, quickLinearSpec())).statusCode).toBe(201);
  });
});
