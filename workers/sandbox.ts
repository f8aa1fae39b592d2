import { WaitingError, type SandboxedJob } from 'bullmq';
import { DEFAULT_LIMITS, limitsFromEnv } from '../src/contracts/limits.js';
import { loadConfig, type ServiceConfig } from '../src/queue/config.js';
import { createKeys } from '../src/queue/keys.js';
import { createRedis, waitReady } from '../src/queue/redis.js';
import { createJobStore } from '../src/queue/job-store.js';
import { createDatasetStore } from '../src/queue/dataset-store.js';
import { createUsageStore } from '../src/queue/usage-store.js';
import { runAttempt, type AttemptDeps, type AttemptResult } from './attempt.js';
import type { Trainer } from './trainer.js';

/** Env var through which a worker hands its exact configuration to its sandbox children. */
export const CHILD_CONFIG_ENV = 'DESCENT_CHILD_CONFIG';
/** Env var naming the worker that forked the child (recorded on the jobs it runs). */
export const WORKER_ID_ENV = 'DESCENT_WORKER_ID';

/** Serialize a config for the child (the api key map is not needed there). */
export function configToEnv(cfg: ServiceConfig): string {
  return JSON.stringify({ ...cfg, apiKeys: [] });
}

function configFromEnv(): ServiceConfig {
  const raw = process.env[CHILD_CONFIG_ENV];
  if (!raw) return loadConfig(process.env);
  return { ...(JSON.parse(raw) as ServiceConfig), apiKeys: new Map() };
}

let watching = false;

/**
 * A sandbox child must not outlive the worker that forked it (even one killed by SIGKILL, which
 * runs no handler): an orphan would keep training a job another worker takes over, and keep the
 * CPU. Two signals, either suffices: the IPC channel closes (`disconnect`), or we are re-parented
 * (`process.ppid` changes). The training loop yields every few ms, so both are seen promptly.
 */
function exitWithParent(): void {
  if (watching || !process.send) return;
  watching = true;
  const parent = process.ppid;
  process.once('disconnect', () => process.exit(1));
  const timer = setInterval(() => {
    if (process.ppid !== parent) process.exit(1);
  }, 250);
  timer.unref();
}

/**
 * Build the function a sandboxed child runs for each job. The child is reused across jobs, so its
 * Redis connection and trainer are created on the first job and kept.
 */
export function createProcessor(loadTrainer: (cfg: ServiceConfig) => Promise<Trainer>) {
  exitWithParent();
  // Ctrl-C in a terminal sends SIGINT to every process of the foreground group, this child too.
  // Dying here would lose the step in flight and its checkpoint; the worker that forked us is
  // signalled as well and stops the job cleanly (cancel → checkpoint → back to the queue).
  process.on('SIGINT', () => {});
  let ready: Promise<AttemptDeps> | null = null;
  async function init(): Promise<AttemptDeps> {
    const cfg = configFromEnv();
    const redis = createRedis(cfg.redisUrl, 'blocking');
    await waitReady(redis, 30_000);
    const keys = createKeys(cfg.prefix);
    return {
      jobs: createJobStore(redis, keys, cfg),
      datasets: createDatasetStore(redis, keys),
      usage: createUsageStore(redis, keys),
      trainer: await loadTrainer(cfg),
      limits: limitsFromEnv(process.env, DEFAULT_LIMITS),
      progressEveryMs: cfg.progressEveryMs,
      checkpointEveryMs: cfg.checkpointEveryMs,
      workerId: process.env[WORKER_ID_ENV] ?? '',
      log: (m) => console.error(m),
    };
  }
  return async function process(
    job: SandboxedJob,
    token?: string,
    signal?: AbortSignal,
  ): Promise<AttemptResult> {
    ready ??= init().catch((err) => {
      ready = null;
      throw err;
    });
    const result = await runAttempt(job.data, signal, await ready);
    if (result.status === 'requeued') {
      // Back to the wait list without using up an attempt; WaitingError tells BullMQ we moved it.
      await (job as unknown as { moveToWait(token?: string): Promise<void> }).moveToWait(token);
      throw new WaitingError();
    }
    return result;
  };
}
