/**
 * kill -9 workers at seeded random moments across a set of jobs, in real worker processes
 * (`workers/main.ts`, real trainer, sandboxed child) against a real redis-server: every kill must
 * take the worker's sandbox child with it (no orphan keeps training), every job must end
 * `succeeded`, and its weights must equal, bit for bit, those of an uninterrupted `train()` of the
 * same spec in this process. Used by test/integration/crash-resume*.test.ts, each with its own jobs.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startRedis, type TestRedis } from './redis.js';
import { makeTestApp, type TestApp } from './app.js';
import { alive, childrenOf, killAllProcesses, poll, startWorkerProcess, type Proc } from './processes.js';
import { bitDifferences, referenceWeights } from './optimizer-jobs.js';
import { createRng } from '../../src/rng/rng.js';

export interface CrashRun {
  /** The jobs, by name. */
  specs: Record<string, Record<string, unknown>>;
  kills: number;
  /** Jobs that must have been killed at least once. */
  minKilled: number;
  /** The names started first (their state is the most to lose). */
  first?: string[];
  seed?: number;
  prefix: string;
}

/** Registers the Redis/app lifecycle and one test that runs the kills. */
export function crashResumeTest(title: string, run: CrashRun): void {
  const KILLS = run.kills;
  const SEED = run.seed ?? 20261126;
  let redis: TestRedis;
  let t: TestApp;
  let env: Record<string, string>;

  beforeAll(async () => {
    redis = await startRedis();
    t = await makeTestApp(redis.url, run.prefix);
    env = {
      REDIS_URL: redis.url,
      DESCENT_PREFIX: t.cfg.prefix,
      DESCENT_LOCK_MS: '600',
      DESCENT_STALLED_MS: '300',
      DESCENT_CHECKPOINT_MS: '150',
      DESCENT_HEARTBEAT_MS: '500',
      DESCENT_MAX_STARTS: '0',
      DESCENT_ATTEMPTS: '5',
    };
  });
  afterAll(async () => {
    await killAllProcesses();
    await t?.close();
    await redis?.stop();
  });

  test(
    title,
    async () => {
      const specs = run.specs;
      const t0 = Date.now();
      const refs = Object.fromEntries(
        await Promise.all(
          Object.entries(specs).map(async ([k, s]) => [k, await referenceWeights(s)] as const),
        ),
      );
      console.log(`reference runs: ${Date.now() - t0} ms`);

      const workers = new Map<string, Proc>();
      const spawnOne = async () => {
        const w = await startWorkerProcess(env);
        workers.set(w.workerId, w);
      };
      // Three workers, so several jobs run (and can be killed) at once.
      await Promise.all([spawnOne(), spawnOne(), spawnOne()]);

      const ids: Record<string, string> = {};
      // Second-order jobs first: their state (Hessian damping, L-BFGS history) is the most to lose.
      const first = run.first ?? [];
      const order = [...first, ...Object.keys(specs).filter((n) => !first.includes(n))];
      for (const name of order) {
        const spec = specs[name];
        const res = await t.app.inject({
          method: 'POST',
          url: '/v1/jobs',
          payload: { ...spec, metadata: { name } },
        });
        expect(res.statusCode, res.body).toBe(201);
        ids[name] = res.json().id;
      }
      const names = Object.keys(ids);
      const kills: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
      const rng = createRng(SEED);
      const spawning: Promise<void>[] = [];
      const tKill = Date.now();
      let orphansChecked = 0;

      for (let k = 0; k < KILLS;) {
        if (Date.now() - tKill > 150_000) throw new Error(`only ${k} kills in 150 s`);
        await new Promise((r) => setTimeout(r, rng.uniform(100, 400)));
        // Running jobs, the live worker that holds each, and whether this attempt has checkpointed
        // yet: only those are candidates, so every job keeps moving between kills and ends.
        // At most two kills per job until every job has had one (or ended), so that every optimizer
        // is interrupted; then up to four.
        const hashes = await Promise.all(names.map((n) => t.deps.jobs.getHash(ids[n])));
        const spread = names.every((n, i) => kills[n] > 0 || hashes[i]?.status === 'succeeded');
        const running: { name: string; worker: Proc; attempt: number }[] = [];
        for (const [i, name] of names.entries()) {
          const h = hashes[i];
          const w = h && workers.get(h.worker);
          if (h?.status !== 'running' || !w || !alive(w.pid) || kills[name] >= (spread ? 4 : 2)) continue;
          const [latest] = await t.deps.jobs.checkpoints(ids[name]);
          if (latest?.attempt === Number(h.attempt))
            running.push({ name, worker: w, attempt: Number(h.attempt) });
        }
        if (running.length === 0) {
          if (await allDone()) break;
          continue;
        }
        // The least-killed running job (seeded tie-break) dies now, with its worker.
        const fewest = Math.min(...running.map((r) => kills[r.name]));
        const pool = running.filter((r) => kills[r.name] === fewest);
        const target = pool[rng.int(pool.length)];
        const children = childrenOf(target.worker.pid);
        process.kill(target.worker.pid, 'SIGKILL');
        for (const [wid, p] of workers) if (p === target.worker) workers.delete(wid);
        kills[target.name]++;
        k++;
        spawning.push(spawnOne());
        // No orphan: the sandbox children go with their worker.
        expect(children.length, `worker ${target.worker.pid} had no sandbox child`).toBeGreaterThan(0);
        await poll(() => children.every((pid) => !alive(pid)), 3000, 20).catch(() => {
          throw new Error(
            `orphaned sandbox children of ${target.worker.pid}: ${children.filter(alive).join(', ')}`,
          );
        });
        orphansChecked += children.length;
      }
      await Promise.all(spawning);
      const killed = Object.values(kills).reduce((a, b) => a + b, 0);
      console.log(
        `kills per job: ${JSON.stringify(kills)} (${killed} in ${Date.now() - tKill} ms, ${orphansChecked} children checked gone)`,
      );
      expect(killed).toBe(KILLS);

      async function allDone() {
        for (const name of names) {
          const s = await t.deps.jobs.status(ids[name]);
          if (s !== 'succeeded' && s !== 'failed' && s !== 'cancelled') return false;
        }
        return true;
      }
      await poll(allDone, 90_000, 100);
      console.log(`all jobs done ${Date.now() - t0} ms after the start`);

      for (const name of names) {
        const job = (await t.app.inject({ url: `/v1/jobs/${ids[name]}` })).json();
        expect(job.status, `${name}: ${JSON.stringify(job.error)}`).toBe('succeeded');
        if (kills[name] > 0) expect(job.attempt, name).toBeGreaterThan(1);
        const st = await t.app.inject({ url: `/v1/jobs/${ids[name]}/weights?format=safetensors` });
        expect(st.statusCode).toBe(200);
        expect(
          bitDifferences(st.rawPayload, refs[name]),
          `${name}: tensors differing from the uninterrupted run`,
        ).toEqual([]);
        const events = await t.deps.jobs.allEvents(ids[name]);
        expect(events.filter((e) => e.type === 'end')).toHaveLength(1);
        // Attempts never go backwards in the stream: a stale attempt wrote nothing after a newer one.
        let max = 0;
        for (const e of events) {
          expect(
            e.attempt,
            `${name}: an event of attempt ${e.attempt} after attempt ${max}`,
          ).toBeGreaterThanOrEqual(max);
          max = Math.max(max, e.attempt);
        }
      }
      // (Nearly) every job was interrupted, and resumed from a checkpoint.
      expect(names.filter((n) => kills[n] > 0).length).toBeGreaterThanOrEqual(run.minKilled);
    },
    300_000,
  );
}
