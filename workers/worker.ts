import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'bullmq';
import type { ServiceConfig } from '../src/queue/config.js';
import { createKeys } from '../src/queue/keys.js';
import { createRedis, startupWarnings, waitReadyForever } from '../src/queue/redis.js';
import { createHeartbeats } from '../src/queue/heartbeats.js';
import { newId } from '../src/queue/ids.js';
import { createJobStore, type JobStore } from '../src/queue/job-store.js';
import type { TrainJobData } from '../src/queue/training-queue.js';
import { CHILD_CONFIG_ENV, WORKER_ID_ENV, configToEnv } from './sandbox.js';
import { LOCK_LOST_REASON, SHUTDOWN_REASON, type AttemptResult } from './attempt.js';

/**
 * The default sandboxed processor file. Compiled (dist/workers/worker.js): the compiled
 * sandbox-main.js. From TypeScript sources (tests, `node --import tsx`): the .mjs shim that
 * registers tsx in the child first, then loads sandbox-main.ts.
 */
export const DEFAULT_PROCESSOR = fileURLToPath(
  new URL(import.meta.url.endsWith('.js') ? './sandbox-main.js' : './sandbox-main-tsx.mjs', import.meta.url),
);

export interface StartWorkerOptions {
  /** Processor file forked for each job (tests pass a stand-in). */
  processorFile?: string;
  /** Kernel backend name reported in heartbeats (shown by /readyz). */
  backend?: string;
  /** Jobs this worker trains at once (each in its own child process). */
  concurrency?: number;
  log?(msg: string): void;
}

/**
 * A training worker: a BullMQ Worker whose processor runs sandboxed in a child process, a
 * subscriber that turns cancel messages into `worker.cancelJob` for jobs this worker holds, and a
 * heartbeat for `/readyz`.
 */
export async function startWorker(cfg: ServiceConfig, opts: StartWorkerOptions = {}) {
  const log = opts.log ?? ((m: string) => console.log(m));
  const keys = createKeys(cfg.prefix);
  const connection = createRedis(cfg.redisUrl, 'blocking');
  const sub = createRedis(cfg.redisUrl, 'blocking');
  const cmd = createRedis(cfg.redisUrl, 'blocking');
  // Started before Redis (or during a restart): wait for it instead of exiting.
  await Promise.all([connection, sub, cmd].map((r) => waitReadyForever(r, log, `worker ${process.pid}`)));
  for (const warning of await startupWarnings(cmd)) log(`WARNING: ${warning}`);

  const id = newId('job').replace('job_', 'w_');
  const info = {
    id,
    pid: process.pid,
    host: hostname(),
    backend: opts.backend ?? 'unknown',
    startedAt: new Date().toISOString(),
  };
  const heartbeats = createHeartbeats(cmd, keys, cfg.heartbeatMs);

  const worker = new Worker<TrainJobData>(cfg.queueName, opts.processorFile ?? DEFAULT_PROCESSOR, {
    connection,
    prefix: cfg.prefix,
    concurrency: opts.concurrency ?? 1,
    lockDuration: cfg.lockDurationMs,
    lockRenewTime: cfg.lockRenewMs,
    stalledInterval: cfg.stalledIntervalMs,
    // Stalls re-run the job from its checkpoint; the job's own start count (DESCENT_MAX_STARTS,
    // checked when a run starts) gives it up, with a terminal record, before BullMQ would fail it
    // silently ("stalled more than allowable limit" leaves no trace in our job record).
    maxStalledCount: cfg.maxStarts > 0 ? cfg.maxStarts + 1 : 1_000_000,
    useWorkerThreads: false,
    workerForkOptions: {
      env: { ...process.env, [CHILD_CONFIG_ENV]: configToEnv(cfg), [WORKER_ID_ENV]: id },
    },
  });
  worker.on('error', (err) => log(`worker error: ${err.message}`));
  // A lost lock means the job may already run elsewhere: stop ours now. Its writes are refused
  // anyway (fenced by attempt); this only saves the CPU.
  worker.on('lockRenewalFailed', (ids) => {
    for (const jobId of ids) {
      log(`lost the lock of job ${jobId}; stopping it here`);
      try {
        worker.cancelJob(jobId, LOCK_LOST_REASON);
      } catch {
        /* already gone */
      }
    }
  });
  const jobs = createJobStore(cmd, keys, cfg);
  worker.on('failed', (job, err) => {
    log(`job ${job?.id ?? '?'} failed in the worker: ${err.message}`);
    // The processor finishes jobs itself; landing here means the sandbox died (crash, OOM, kill).
    // BullMQ retries until attempts run out; then our record must say failed, not stay running.
    if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) {
      const message = `the training process died ${job.attemptsMade} time(s); last: ${err.message}`;
      jobs.finish(job.data.jobId, '*', 'failed', { error: { code: 'WORKER_LOST', message } }).catch(() => {});
    }
  });

  // One line per job start and end in the terminal, so a user running `npm start` sees what trains.
  worker.on('active', (job) =>
    log(`job ${job.data.jobId} started on ${id} (attempt ${job.attemptsMade + 1})`),
  );
  worker.on('completed', (job, out: AttemptResult | undefined) => {
    void jobLine(jobs, job.data.jobId, out).then(log, () => {});
  });

  await sub.subscribe(keys.cancelChannel);
  sub.on('message', (_channel, jobId: string) => {
    // Only the worker holding the job has its lock; the others answer false and ignore it.
    let ours = false;
    try {
      ours = worker.cancelJob(jobId, 'cancelled by request');
    } catch {
      /* not ours */
    }
    if (ours) {
      log(`job ${jobId} cancelling (cancel requested)`);
      watchCancel(jobId);
    }
  });

  /**
   * Cancel watchdog: the training loop sees the abort at its next yield (milliseconds). If it has
   * not stopped within `cancelGraceMs` — a step that never yields — kill the training process and
   * end the job `cancelled` here, fenced by the attempt that was running.
   */
  function watchCancel(jobId: string) {
    const timer = setTimeout(async () => {
      try {
        const h = await jobs.getHash(jobId);
        if (!h || h.status !== 'cancelling' || h.worker !== id || !h.pid) return;
        log(
          `job ${jobId} did not stop within ${cfg.cancelGraceMs} ms of its cancel; killing its training process ${h.pid}`,
        );
        try {
          process.kill(Number(h.pid), 'SIGKILL');
        } catch {
          /* already gone */
        }
        await jobs.finish(jobId, Number(h.attempt), 'cancelled', {});
      } catch (err) {
        log(`cancel watchdog for ${jobId}: ${(err as Error).message}`);
      }
    }, cfg.cancelGraceMs);
    timer.unref();
  }

  const beat = () => heartbeats.beat(info).catch(() => {});
  await beat();
  const timer = setInterval(beat, cfg.heartbeatMs);
  timer.unref();
  await worker.waitUntilReady();

  let closing: Promise<void> | null = null;
  return {
    worker,
    id,
    /**
     * Stop taking jobs; the running one checkpoints and is handed back to the queue (`queued`),
     * within `graceMs`. Past that, BullMQ's stalled check hands it to another worker, which also
     * resumes from the last checkpoint.
     */
    close(graceMs = 10_000): Promise<void> {
      closing ??= (async () => {
        clearInterval(timer);
        await heartbeats.remove(id).catch(() => {});
        // Ask the running job to stop at its next step: it checkpoints and goes back to the queue,
        // where another worker resumes it. Then wait (bounded) for BullMQ to settle.
        worker.cancelAllJobs(SHUTDOWN_REASON);
        await Promise.race([worker.close(), new Promise((r) => setTimeout(r, graceMs))]);
        await Promise.race([worker.close(true).catch(() => {}), new Promise((r) => setTimeout(r, 2000))]);
        sub.disconnect();
        cmd.disconnect();
        connection.disconnect();
      })();
      return closing;
    },
  };
}

export type RunningWorker = Awaited<ReturnType<typeof startWorker>>;

/**
 * "job job_… succeeded in 2.1 s: supervised, loss 0.0412, accuracy 0.973" — or failed with its code
 * and message, cancelled, or handed back to the queue by a worker that is stopping.
 */
async function jobLine(jobs: JobStore, jobId: string, out: AttemptResult | undefined): Promise<string> {
  if (out?.status === 'requeued') return `job ${jobId} checkpointed and handed back to the queue`;
  if (out?.status === 'skipped') return `job ${jobId} skipped (already finished or taken over)`;
  const job = await jobs.get(jobId);
  if (!job) return `job ${jobId} ended`;
  const took =
    job.startedAt && job.finishedAt
      ? ` in ${((Date.parse(job.finishedAt) - Date.parse(job.startedAt)) / 1000).toFixed(1)} s`
      : '';
  const task = (job.spec as { task?: string }).task ?? 'supervised';
  if (job.status === 'failed')
    return `job ${jobId} failed${took}: ${task}, ${job.error?.code} ${job.error?.message}`;
  if (job.status !== 'succeeded') return `job ${jobId} ${job.status}${took}: ${task}`;
  const r = (job.result ?? {}) as { loss?: number | null; metrics?: Record<string, number | null> };
  const figures = [
    task,
    ...(typeof r.loss === 'number' ? [`loss ${r.loss.toPrecision(4)}`] : []),
    ...Object.entries(r.metrics ?? {})
      .filter(([, v]) => typeof v === 'number')
      .map(([k, v]) => `${k} ${(v as number).toPrecision(4)}`),
  ];
  return `job ${jobId} succeeded${took}: ${figures.join(', ')}`;
}
