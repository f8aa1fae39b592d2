/**
 * Acceptance 2 — fencing, in real worker processes against a real redis-server: a worker (and its
 * sandbox child) frozen with SIGSTOP past its lock loses the job to another worker; once revived
 * (SIGCONT) it can write nothing more for that job. A connected SSE client sees, after the first
 * event of the new attempt, no event of the stale one; checkpoints never go back to the stale
 * attempt; the job's weights equal an uninterrupted run's, bit for bit.
 *
 * Also graceful shutdown across processes: SIGTERM to the worker holding a job checkpoints it and
 * hands it back; the worker exits 0 and another resumes the job, again bit for bit.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { readSse, type SseMessage } from '../helpers/sse-client.js';
import { killAllProcesses, poll, startWorkerProcess, type Proc } from '../helpers/processes.js';
import { bitDifferences, optimizerJobs, referenceWeights } from '../helpers/optimizer-jobs.js';

const LOCK_MS = 1000;
let redis: TestRedis;
let t: TestApp;
let base: string;
const workers = new Map<string, Proc>();

beforeAll(async () => {
  redis = await startRedis();
  t = await makeTestApp(redis.url, 'fencing');
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
  const env = {
    REDIS_URL: redis.url,
    DESCENT_PREFIX: t.cfg.prefix,
    DESCENT_LOCK_MS: String(LOCK_MS),
    DESCENT_STALLED_MS: '500',
    DESCENT_CHECKPOINT_MS: '200',
    DESCENT_HEARTBEAT_MS: '500',
    DESCENT_SHUTDOWN_GRACE_MS: '5000',
  };
  const ws = await Promise.all([startWorkerProcess(env), startWorkerProcess(env)]);
  for (const w of ws) workers.set(w.workerId, w);
});
afterAll(async () => {
  for (const w of workers.values()) w.killGroup('SIGCONT');
  await killAllProcesses();
  await t?.close();
  await redis?.stop();
});

async function holder(id: string): Promise<{ worker: Proc; attempt: number } | null> {
  const h = await t.deps.jobs.getHash(id);
  const w = h && workers.get(h.worker);
  return h?.status === 'running' && w ? { worker: w, attempt: Number(h.attempt) } : null;
}

test('a stalled-then-revived worker writes nothing: after the takeover the client sees one attempt only', async () => {
  const spec = optimizerJobs(1.5).adam;
  const ref = await referenceWeights(spec);
  const id = (await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: spec })).json().id as string;
  const seen: SseMessage[] = [];
  const stream = readSse(`${base}/v1/jobs/${id}/events`, {
    timeoutMs: 60_000,
    onEvent: (m) => void seen.push(m),
  });
  const attemptOf = (m: SseMessage) => JSON.parse(m.data).attempt as number;
  await poll(() => seen.some((m) => m.event === 'checkpoint' && attemptOf(m) === 1), 30_000);
  const first = (await holder(id))!;
  expect(first.attempt).toBe(1);

  // Freeze the worker and its sandbox child: no lock renewal, no training, no writes.
  first.worker.killGroup('SIGSTOP');
  const frozenAt = Date.now();
  await poll(() => seen.some((m) => m.event === 'progress' && attemptOf(m) === 2), 30_000);
  const takeover = (await holder(id))!;
  expect(takeover.worker).not.toBe(first.worker);
  console.log(`takeover after ${Date.now() - frozenAt} ms frozen (lock ${LOCK_MS} ms)`);
  // Let the stale pair run again while attempt 2 trains.
  first.worker.killGroup('SIGCONT');

  const { events, closedByServer } = await stream;
  expect(closedByServer).toBe(true);
  const end = JSON.parse(events.at(-1)!.data);
  expect(events.at(-1)!.event).toBe('end');
  expect(end.status).toBe('succeeded');
  const firstOf2 = events.findIndex((m) => attemptOf(m) === 2);
  const staleAfter = events.slice(firstOf2).filter((m) => attemptOf(m) === 1);
  expect(staleAfter, 'events of the stale attempt after the takeover').toEqual([]);
  expect(events.slice(firstOf2).every((m) => attemptOf(m) === 2)).toBe(true);
  // The stored stream agrees, and so does the checkpoint list (newest first: attempts never rise).
  const stored = await t.deps.jobs.allEvents(id);
  expect(stored.map((e) => e.id)).toEqual(events.map((m) => m.id));
  const cps = await t.deps.jobs.checkpoints(id);
  expect(cps[0].attempt).toBe(2);
  for (let i = 1; i < cps.length; i++) expect(cps[i].attempt).toBeLessThanOrEqual(cps[i - 1].attempt);

  const job = (await t.app.inject({ url: `/v1/jobs/${id}` })).json();
  expect(job.attempt).toBe(2);
  const st = await t.app.inject({ url: `/v1/jobs/${id}/weights?format=safetensors` });
  expect(bitDifferences(st.rawPayload, ref)).toEqual([]);
  // The revived worker noticed it had lost the job, stopped it, and is still serving.
  await poll(() => /lost the lock of job|is stale/.test(first.worker.output()), 10_000);
  console.log(
    first.worker
      .output()
      .split('\n')
      .filter((l) => /lost the lock|stale/.test(l))
      .join('\n'),
  );
  expect(first.worker.proc.exitCode).toBeNull();
}, 90_000);

test('SIGTERM to the worker holding a job: it checkpoints, hands the job back and exits 0; another resumes it bit for bit', async () => {
  const spec = optimizerJobs(1.5).rmsprop;
  const ref = await referenceWeights(spec);
  const id = (await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: spec })).json().id as string;
  await poll(async () => (await t.deps.jobs.checkpoints(id)).length > 0, 30_000);
  const h = (await holder(id))!;
  const t0 = Date.now();
  h.worker.proc.kill('SIGTERM');
  const exit = await h.worker.exited;
  console.log(`worker stopped in ${Date.now() - t0} ms`);
  expect(exit.code).toBe(0);
  const job = await poll(async () => {
    const j = (await t.app.inject({ url: `/v1/jobs/${id}` })).json();
    return j.status === 'succeeded' || j.status === 'failed' ? j : null;
  }, 60_000);
  expect(job.status).toBe('succeeded');
  const statuses = (await t.deps.jobs.allEvents(id)).filter((e) => e.type === 'status').map((e) => e.status);
  expect(statuses.slice(0, 4)).toEqual(['queued', 'running', 'queued', 'running']);
  const st = await t.app.inject({ url: `/v1/jobs/${id}/weights?format=safetensors` });
  expect(bitDifferences(st.rawPayload, ref)).toEqual([]);
}, 90_000);
