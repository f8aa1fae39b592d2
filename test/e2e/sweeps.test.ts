/**
 * Sweeps through the real service (issue 13, acceptance 1, 3 and 4, and the service half of 2): an
 * API process and two worker processes (`workers/main.ts`, real trainer, sandboxed children) on a
 * real redis-server.
 *
 * 1. Grid and random: the trials' configs are exactly the grid / the seeded sample (the same seed
 *    gives the same configs), and trials run concurrently, never more than maxConcurrentTrials, on
 *    both workers (overlapping run intervals on different workers, read from the job records).
 * 3. Faults: an ASHA sweep during which a worker is killed with SIGKILL and restarted, and the API
 *    process is killed and restarted, completes with every trial terminal exactly once (one
 *    terminal `trial` event per trial, one `end` per trial job) and the leaderboard of an
 *    undisturbed run with the same seed. A promoted trial's weights equal, bit for bit, those of a
 *    fresh job with the same spec trained for the trial's epochs.
 * 4. Cancel mid-sweep: every trial job has stopped within 1 s, the sweep ends `cancelled`, finished
 *    trials keep their weights.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startRedis, uniquePrefix, type TestRedis } from '../helpers/redis.js';
import {
  killAllProcesses,
  poll,
  startApiProcess,
  startWorkerProcess,
  type Proc,
} from '../helpers/processes.js';
import { createSweepRequestSchema } from '../../src/contracts/sweep.js';
import { planSweep } from '../../src/sweep/plan.js';
import { DEFAULT_LIMITS } from '../../src/contracts/limits.js';

let redis: TestRedis;
let r: Redis;
let api: Proc & { url: string };
const workers: (Proc & { workerId: string })[] = [];
const env: Record<string, string> = {};
const prefix = uniquePrefix('sweeps-e2e');

beforeAll(async () => {
  redis = await startRedis();
  r = new Redis(redis.url);
  Object.assign(env, {
    REDIS_URL: redis.url,
    DESCENT_PREFIX: prefix,
    // A killed worker's job is taken over within ~4 s.
    DESCENT_LOCK_MS: '3000',
    DESCENT_STALLED_MS: '1000',
    DESCENT_CHECKPOINT_MS: '200',
    DESCENT_HEARTBEAT_MS: '500',
  });
  const [a, w1, w2] = await Promise.all([
    startApiProcess(env),
    startWorkerProcess(env),
    startWorkerProcess(env),
  ]);
  api = a;
  workers.push(w1, w2);
}, 120_000);
afterAll(async () => {
  r?.disconnect();
  await killAllProcesses();
  await redis?.stop();
});

/** An iris MLP that trains in well under a second per trial on a loaded machine. */
const iris = (epochs: number, batchSize = 16) => ({
  model: { type: 'mlp', hidden: [8], activation: 'relu' },
  data: { builtin: 'iris' },
  loss: 'cross_entropy',
  optimizer: { type: 'sgd', lr: 0.05, momentum: 0 },
  training: { epochs, batchSize, shuffle: true, seed: 3, validationSplit: 0.2 },
});

/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies */
async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${api.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

async function createSweep(body: unknown): Promise<any> {
  const res = await call('POST', '/v1/sweeps', body);
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return res.json;
}

const TERMINAL = ['succeeded', 'failed', 'cancelled'];

/** Poll until the sweep has ended (the API may be restarting meanwhile: errors are retried). */
async function finishedSweep(id: string, timeoutMs = 150_000): Promise<any> {
  return poll(
    async () => {
      const s = await call('GET', `/v1/sweeps/${id}`);
      return s.status === 200 && TERMINAL.includes(s.json.status) ? s.json : null;
    },
    timeoutMs,
    100,
  );
}

async function allEvents(path: string): Promise<any[]> {
  const out: any[] = [];
  let after = '';
  for (;;) {
    const page = (await call('GET', `${path}?limit=1000${after ? `&after=${after}` : ''}`)).json;
    out.push(...page.data);
    if (!page.hasMore) return out;
    after = page.nextCursor;
  }
}

/** The leaderboard without ids (two sweeps have different ids). */
async function board(id: string): Promise<any[]> {
  const rows = (await call('GET', `/v1/sweeps/${id}/trials`)).json.data as any[];
  return rows.map(({ trialId: _t, jobId: _j, ...row }) => row);
}

async function jobHash(jobId: string): Promise<Record<string, string>> {
  return r.hgetall(`${prefix}:job:${jobId}`);
}

/**
 * The `sweep.ended` webhook events of a sweep in the outbox (no webhook process runs here, so
 * the entries stay), as the dispatcher will send them: tenant and data.
 */
async function sweepEndedEvents(id: string): Promise<{ tenant: string; data: any }[]> {
  const entries = await r.xrange(`${prefix}:webhook-outbox`, '-', '+');
  return entries
    .map(([, f]) => Object.fromEntries(f.flatMap((v, i) => (i % 2 ? [] : [[v, f[i + 1]]]))))
    .filter((e) => e.type === 'sweep.ended')
    .map((e) => ({ tenant: e.tenant, data: JSON.parse(e.data) }))
    .filter((e) => e.data.id === id);
}

test('grid: the trials are exactly the grid, run at most maxConcurrentTrials at once, on both workers', async () => {
  const lrs = [0.01, 0.05, 0.2];
  const moms = [0, 0.9];
  const sweep = await createSweep({
    spec: iris(60, 4),
    space: { 'optimizer.lr': { grid: lrs }, 'optimizer.momentum': { grid: moms } },
    searcher: { type: 'grid' },
    metric: 'valLoss',
    maxConcurrentTrials: 2,
  });
  const done = await finishedSweep(sweep.id);
  expect(done.status).toBe('succeeded');
  expect(done.counts.succeeded).toBe(6);
  // One sweep.ended webhook event, written with the decision that ended it: the sweep as GET shows it.
  expect(await sweepEndedEvents(sweep.id)).toEqual([{ tenant: 'default', data: done }]);
  const trials = (await call('GET', `/v1/sweeps/${sweep.id}/trials`)).json.data as any[];
  const configs = trials.map((t) => [t.params['optimizer.lr'], t.params['optimizer.momentum']]);
  expect(configs.sort()).toEqual(lrs.flatMap((lr) => moms.map((m) => [lr, m])).sort());

  // Run intervals from the job records: when each trial started and finished, and on which worker.
  const runs = await Promise.all(
    trials.map(async (t) => {
      const job = (await call('GET', `/v1/jobs/${t.jobId}`)).json;
      expect(job.sweepId).toBe(sweep.id);
      expect(job.trialId).toBe(t.trialId);
      expect(job.spec.optimizer.lr).toBe(t.params['optimizer.lr']);
      const h = await jobHash(t.jobId);
      return { worker: h.worker, start: Date.parse(job.startedAt), end: Date.parse(job.finishedAt) };
    }),
  );
  const overlapsOnTwoWorkers = runs.some((a, i) =>
    runs.some((b, j) => i < j && a.worker !== b.worker && a.start < b.end && b.start < a.end),
  );
  // Never more than 2 at once: at every start, count the runs in progress.
  const most = Math.max(...runs.map((a) => runs.filter((b) => b.start <= a.start && a.start < b.end).length));
  console.log(
    `grid: ${runs.length} trials on ${new Set(runs.map((x) => x.worker)).size} workers, at most ${most} at once`,
  );
  expect(new Set(runs.map((x) => x.worker)).size).toBe(2);
  expect(overlapsOnTwoWorkers).toBe(true);
  expect(most).toBeLessThanOrEqual(2);
}, 150_000);

test('random: the trials are the seeded sample, and the same seed gives the same configs', async () => {
  const body = {
    spec: iris(2),
    space: {
      'optimizer.lr': { logUniform: [0.001, 0.5] },
      'optimizer.momentum': { uniform: [0, 0.95] },
      'model.hidden.0': { intUniform: [2, 12] },
    },
    searcher: { type: 'random', trials: 5 },
    seed: 42,
    maxConcurrentTrials: 2,
  };
  const a = await createSweep(body);
  const b = await createSweep(body);
  const other = await createSweep({ ...body, seed: 43 });
  for (const s of [a, b, other]) await call('POST', `/v1/sweeps/${s.id}/cancel`);
  const params = async (id: string) =>
    ((await call('GET', `/v1/sweeps/${id}/trials`)).json.data as any[])
      .sort((x, y) => x.index - y.index)
      .map((t) => t.params);
  const expected = planSweep(createSweepRequestSchema(DEFAULT_LIMITS).parse(body), DEFAULT_LIMITS);
  if (!expected.ok) throw new Error(JSON.stringify(expected.issues));
  expect(await params(a.id)).toEqual(expected.plan.trials.map((t) => t.params));
  expect(await params(b.id)).toEqual(await params(a.id));
  expect(await params(other.id)).not.toEqual(await params(a.id));
}, 60_000);

const asha = {
  // Small batches: each segment trains long enough for a kill to land inside one.
  spec: iris(9, 2),
  space: { 'optimizer.lr': { logUniform: [0.002, 2] } },
  searcher: { type: 'asha', trials: 9, minEpochs: 1, maxEpochs: 9, reductionFactor: 3 },
  metric: 'valLoss',
  mode: 'min',
  maxConcurrentTrials: 2,
  seed: 11,
};

let undisturbed: { id: string; board: any[] } | null = null;

test('ASHA undisturbed, then with a worker killed -9 and the API killed mid-sweep: the same leaderboard, every trial terminal once', async () => {
  const first = await createSweep(asha);
  const ref = await finishedSweep(first.id);
  expect(ref.status).toBe('succeeded');
  undisturbed = { id: first.id, board: await board(first.id) };
  console.log(
    `ASHA: ${ref.budget.epochsUsed} of at most ${ref.budget.epochsMax} epochs; best ${ref.best?.value}`,
  );

  const second = await createSweep(asha);
  const trialJobs = async () =>
    ((await call('GET', `/v1/sweeps/${second.id}/trials`)).json.data as any[]).filter((t) => t.jobId);
  // Mid-sweep, mid-segment: some segments processed, and a trial training on the victim.
  const victim = workers.shift()!;
  const killedJob = await poll(
    async () => {
      const ev = (await call('GET', `/v1/sweeps/${second.id}/events?limit=1000`)).json.data as any[];
      if (ev.filter((e) => e.type === 'rung').length < 2) return null;
      for (const t of await trialJobs()) {
        const h = await jobHash(t.jobId);
        if (h.status === 'running' && h.worker === victim.workerId) return t.jobId as string;
      }
      return null;
    },
    60_000,
    10,
  );
  victim.killGroup('SIGKILL');
  await victim.exited;
  workers.push(await startWorkerProcess(env));
  await poll(async () => {
    const ev = (await call('GET', `/v1/sweeps/${second.id}/events?limit=1000`)).json.data as any[];
    return ev.filter((e) => e.type === 'rung').length >= 5;
  }, 90_000);
  api.killGroup('SIGKILL');
  await api.exited;
  api = await startApiProcess(env);
  const done = await finishedSweep(second.id);
  expect(done.status).toBe('succeeded');
  expect(await board(second.id)).toEqual(undisturbed.board);

  // Every trial terminal exactly once: one terminal `trial` event per trial, one job `end` each.
  const events = await allEvents(`/v1/sweeps/${second.id}/events`);
  const terminalTrialEvents = events.filter(
    (e) => e.type === 'trial' && ['stopped', 'succeeded', 'failed', 'cancelled'].includes(e.status),
  );
  expect(terminalTrialEvents.map((e) => e.trial).sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  expect(events.filter((e) => e.type === 'end')).toHaveLength(1);
  // The segment the kill interrupted was run again (from its checkpoint) by another attempt.
  const killedRow = (await trialJobs()).find((t) => t.jobId === killedJob)!;
  const starts = (await allEvents(`/v1/jobs/${killedJob}/events`)).filter(
    (e) => e.type === 'status' && e.status === 'running',
  ).length;
  console.log(
    `faults: ${killedJob} was training on the killed worker; ${starts} starts for ${killedRow.rung + 1} segment(s)`,
  );
  expect(starts).toBeGreaterThan(killedRow.rung + 1);
  for (const t of (await call('GET', `/v1/sweeps/${second.id}/trials`)).json.data as any[]) {
    const jobEvents = await allEvents(`/v1/jobs/${t.jobId}/events`);
    expect(
      jobEvents.filter((e) => e.type === 'end'),
      t.jobId,
    ).toHaveLength(1);
  }
}, 400_000);

test('a promoted trial’s weights equal a fresh job’s with the same spec trained for its epochs, bit for bit', async () => {
  expect(undisturbed).not.toBeNull();
  const rows = (await call('GET', `/v1/sweeps/${undisturbed!.id}/trials`)).json.data as any[];
  const promoted = rows.filter((t) => t.rung !== null && t.rung > 0);
  expect(promoted.length).toBeGreaterThan(0);
  for (const t of promoted.slice(0, 2)) {
    const trialJob = (await call('GET', `/v1/jobs/${t.jobId}`)).json;
    const spec = { ...trialJob.spec, training: { ...trialJob.spec.training, epochs: t.epochs } };
    const fresh = await call('POST', '/v1/jobs', spec);
    expect(fresh.status).toBe(201);
    await poll(
      async () => (await call('GET', `/v1/jobs/${fresh.json.id}`)).json.status === 'succeeded',
      60_000,
    );
    const bytes = async (id: string) =>
      Buffer.from(await (await fetch(`${api.url}/v1/jobs/${id}/weights?format=safetensors`)).arrayBuffer());
    const a = await bytes(t.jobId);
    const b = await bytes(fresh.json.id);
    // The safetensors metadata names the job; the tensors after the header must be equal.
    const body = (x: Buffer) => x.subarray(8 + Number(x.readBigUInt64LE(0)));
    expect(body(a).equals(body(b)), `trial ${t.index} (${t.epochs} epochs)`).toBe(true);
  }
}, 150_000);

test('cancel mid-sweep: no trial runs 1 s later, the sweep ends cancelled, finished trials keep their weights', async () => {
  const sweep = await createSweep({
    spec: iris(2),
    // Row-major in key order: two short trials first, then two that would train for minutes.
    space: { 'training.epochs': { grid: [2, 5000] }, 'optimizer.lr': { grid: [0.01, 0.1] } },
    searcher: { type: 'grid' },
    maxConcurrentTrials: 2,
  });
  const jobs = async () =>
    Promise.all(
      ((await call('GET', `/v1/sweeps/${sweep.id}/trials`)).json.data as any[])
        .filter((t) => t.jobId)
        .map(async (t) => ({ t, job: (await call('GET', `/v1/jobs/${t.jobId}`)).json })),
    );
  await poll(async () => {
    const js = await jobs();
    return (
      js.filter((j) => j.job.status === 'succeeded').length === 2 &&
      js.filter((j) => j.job.status === 'running' && j.job.progress).length === 2
    );
  }, 90_000);
  const ids = (await jobs()).map((j) => j.t.jobId as string);
  const t0 = Date.now();
  const cancelling = call('POST', `/v1/sweeps/${sweep.id}/cancel`);
  // Straight from the job records (an HTTP round trip per job would blur the figure).
  const stoppedAfter = await poll(
    async () => {
      const st = await Promise.all(ids.map((id) => r.hget(`${prefix}:job:${id}`, 'status')));
      return st.every((x) => TERMINAL.includes(x ?? '')) ? Date.now() - t0 : null;
    },
    10_000,
    10,
  );
  const res = await cancelling;
  expect(res.status).toBe(200);
  expect(res.json.status).toBe('cancelled');
  console.log(`cancel: every trial job stopped ${stoppedAfter} ms after POST /cancel`);
  expect(stoppedAfter).toBeLessThanOrEqual(1000);
  const js = await jobs();
  expect(js.filter((j) => j.job.status === 'cancelled')).toHaveLength(2);
  for (const j of js.filter((x) => x.job.status === 'succeeded'))
    expect((await fetch(`${api.url}/v1/jobs/${j.t.jobId}/weights`)).status).toBe(200);
  expect((await call('GET', `/v1/sweeps/${sweep.id}`)).json.status).toBe('cancelled');
  const ended = await sweepEndedEvents(sweep.id);
  expect(ended).toHaveLength(1);
  expect(ended[0].data).toMatchObject({ id: sweep.id, status: 'cancelled', finishedAt: res.json.finishedAt });
  // And nothing starts afterwards.
  await new Promise((res) => setTimeout(res, 1500));
  expect((await jobs()).every((j) => TERMINAL.includes(j.job.status))).toBe(true);
}, 150_000);
