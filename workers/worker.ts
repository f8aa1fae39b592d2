import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'bullmq';
import type { ServiceConfig } from '../src/queue/config.js';
import { createKeys } from '../src/queue/keys.js';
import { createRedis, startupWarnings, waitReadyForever } from '../src/queue/redis.js';
import { createHeartbeats } from '../src/queue/heartbeats.js';
import { newId, segmentQueueId } from '../src/queue/ids.js';
import { createJobStore, type JobStore } from '../src/queue/job-store.js';
import { createTrainingQueue, type TrainJobData } from '../src/queue/training-queue.js';
import { createSweepStore } from '../src/queue/sweep-store.js';
import { createSweepExecutor } from '../src/queue/sweep-executor.js';
import { sweepScheduler } from '../src/queue/sweep-scheduler.js';
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

/** How often a worker reconciles every running sweep (the safety net behind the per-attempt report). */
const SWEEP_RECONCILE_MS = 2000;

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

  // Sweeps: after each trial attempt this worker reports its segment (and carries out what its
  // sweep decides next); every few seconds, and now at start, it reconciles every running sweep,
  // so a decision a killed process never carried out is carried out by the next one.
  const producer = createRedis(cfg.redisUrl, 'command', { maxRetriesPerRequest: 1 });
  const sweepQueue = createTrainingQueue(producer, cfg);
  const sweepExec = createSweepExecutor({
    redis: cmd,
    keys,
    jobs,
    sweeps: createSweepStore(cmd, keys, cfg),
    queue: sweepQueue,
    publishCancel: async (jobId) => void (await cmd.publish(keys.cancelChannel, jobId)),
    scheduler: sweepScheduler,
    log,
  });
  const reconcileTrial = async (jobId: string) => {
    const sweepId = await cmd.hget(keys.job(jobId), 'sweepId');
    if (sweepId) await sweepExec.reconcile(sweepId);
  };
  const reconcileAll = () =>
    sweepExec.reconcileAll().catch((err) => log(`sweep reconcile failed: ${(err as Error).message}`));
  worker.on('completed', (job) => {
    reconcileTrial(job.data.jobId).catch((err) => log(`sweep report failed: ${(err as Error).message}`));
  });

  worker.on('failed', (job, err) => {
    log(`job ${job?.id ?? '?'} failed in the worker: ${err.message}`);
    // The processor finishes jobs itself; landing here means the sandbox died (crash, OOM, kill).
    // BullMQ retries until attempts run out; then our record must say failed, not stay running.
    if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) {
      const message = `the training process died ${job.attemptsMade} time(s); last: ${err.message}`;
      jobs
        .finish(job.data.jobId, '*', 'failed', { error: { code: 'WORKER_LOST', message } })
        .then(() => reconcileTrial(job.data.jobId))
        .catch(() => {});
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
    const cancel = (queueId: string) => {
      try {
        return worker.cancelJob(queueId, 'cancelled by request');
      } catch {
        return false; // not ours
      }
    };
    if (cancel(jobId)) {
      log(`job ${jobId} cancelling (cancel requested)`);
      return watchCancel(jobId);
    }
    // A sweep trial's queue entry is per segment (`<jobId>-r<rung>`): look its rung up.
    void cmd
      .hmget(keys.job(jobId), 'sweepId', 'segRung')
      .then(([sweepId, segRung]) => {
        if (sweepId && cancel(segmentQueueId(jobId, { sweepId, segRung: segRung ?? '0' })))
          watchCancel(jobId);
      })
      .catch(() => {});
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
  void reconcileAll();
  const sweepTimer = setInterval(reconcileAll, SWEEP_RECONCILE_MS);
  sweepTimer.unref();
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
        clearInterval(sweepTimer);
        await heartbeats.remove(id).catch(() => {});
        // Ask the running job to stop at its next step: it checkpoints and goes back to the queue,
        // where another worker resumes it. Then wait (bounded) for BullMQ to settle.
        worker.cancelAllJobs(SHUTDOWN_REASON);
        await Promise.race([worker.close(), new Promise((r) => setTimeout(r, graceMs))]);
        await Promise.race([worker.close(true).catch(() => {}), new Promise((r) => setTimeout(r, 2000))]);
        await sweepQueue.close().catch(() => {});
        producer.disconnect();
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
