import type { Redis } from 'ioredis';
import type { Limits } from '../contracts/limits.js';
import type { JobSpec } from '../contracts/job-spec.js';
import type { StepSpeed } from '../contracts/speed.js';
import type { ServiceConfig } from '../queue/config.js';
import { createKeys, type Keys } from '../queue/keys.js';
import { createRedis, waitReady } from '../queue/redis.js';
import { createJobStore, type JobStore } from '../queue/job-store.js';
import { createDatasetStore, type DatasetStore } from '../queue/dataset-store.js';
import { createIdempotency } from '../queue/idempotency.js';
import { createHeartbeats } from '../queue/heartbeats.js';
import { createTrainingQueue, type TrainJobData } from '../queue/training-queue.js';
import { createTailer, type Tailer } from '../queue/tailer.js';
import type { NamedWeights } from '../models/index.js';
import { createWebhookStore, type WebhookStore } from '../queue/webhook-store.js';
import { createWebhookQueue } from '../queue/webhook-queue.js';
import { systemResolver, type Resolver } from '../webhooks/address-guard.js';
import { createSweepStore, type SweepStore } from '../queue/sweep-store.js';
import { createSweepExecutor, type SweepExecutor } from '../queue/sweep-executor.js';
import { sweepScheduler } from '../queue/sweep-scheduler.js';

/** `predict` of src/models, injected so the API layer can be tested without the engine. */
export type PredictFn = (
  spec: JobSpec,
  weights: NamedWeights,
  inputs: number[][],
) => { outputs: number[][]; classes?: number[] };

/** `inputGradients` of src/models: per-sample Jacobian of the predicted outputs w.r.t. the inputs. */
export type GradientsFn = (
  spec: JobSpec,
  weights: NamedWeights,
  inputs: number[][],
) => { outputs: number[][]; jacobian: number[][][] };

/** Everything a route touches, built once per process and closed on shutdown. */
export interface AppDeps {
  cfg: ServiceConfig;
  limits: Readonly<Limits>;
  keys: Keys;
  redis: Redis;
  jobs: JobStore;
  datasets: DatasetStore;
  idempotency: ReturnType<typeof createIdempotency>;
  heartbeats: ReturnType<typeof createHeartbeats>;
  queue: {
    enqueue(data: TrainJobData, queueId?: string): Promise<void>;
    removeWaiting(jobId: string): Promise<number>;
    counts(): Promise<Record<string, number>>;
    /** The Redis key of BullMQ's wait list (see `queuePosition`). */
    waitKey: string;
  };
  tailer: Tailer;
  /** Webhook endpoints, secrets and the delivery log. */
  webhooks: WebhookStore;
  /** The `webhooks` queue's producer, for manual redeliveries. */
  webhookQueue: { redeliver(deliveryId: string, n: number): Promise<void> };
  /** DNS for the webhook URL check (injected in tests: they never resolve real names). */
  resolveHost: Resolver;
  /** Sweep records, and the executor that carries out their decisions (src/queue/sweep-executor.ts). */
  sweeps: SweepStore;
  sweepExec: SweepExecutor;
  publishCancel(jobId: string): Promise<void>;
  predict: PredictFn;
  gradients: GradientsFn;
  /**
   * This server's measured training speed (memoized), used to refuse jobs that cannot finish in
   * their wall-time limit; absent, that check is skipped.
   */
  speed?: SpeedFn;
  close(): Promise<void>;
}

/** Resolves to the measured training speed of this build and machine (null: unknown). */
export type SpeedFn = () => Promise<StepSpeed | null>;

/**
 * Open the API process's connections: one for commands, one for the SSE tailer's blocking read,
 * and BullMQ's producer. Waits until Redis answers (or throws after `readyTimeoutMs`).
 */
export async function createDeps(
  cfg: ServiceConfig,
  limits: Readonly<Limits>,
  fns: { predict: PredictFn; gradients: GradientsFn; speed?: SpeedFn; resolveHost?: Resolver },
  readyTimeoutMs = 10_000,
): Promise<AppDeps> {
  const keys = createKeys(cfg.prefix);
  const redis = createRedis(cfg.redisUrl, 'command');
  const blocking = createRedis(cfg.redisUrl, 'blocking');
  const bull = createRedis(cfg.redisUrl, 'command', { maxRetriesPerRequest: 1 });
  try {
    await Promise.all([
      waitReady(redis, readyTimeoutMs),
      waitReady(blocking, readyTimeoutMs),
      waitReady(bull, readyTimeoutMs),
    ]);
  } catch (err) {
    redis.disconnect();
    blocking.disconnect();
    bull.disconnect();
    throw err;
  }
  const queue = createTrainingQueue(bull, cfg);
  const webhookQueue = createWebhookQueue(bull, cfg);
  const tailer = createTailer({ blocking, command: redis });
  tailer.start();
  const jobs = createJobStore(redis, keys, cfg);
  const sweeps = createSweepStore(redis, keys, cfg);
  const publishCancel = async (jobId: string) => {
    await redis.publish(keys.cancelChannel, jobId);
  };
  const sweepExec = createSweepExecutor({
    redis,
    keys,
    jobs,
    sweeps,
    queue,
    publishCancel,
    scheduler: sweepScheduler,
  });
  return {
    cfg,
    limits,
    keys,
    redis,
    jobs,
    sweeps,
    sweepExec,
    datasets: createDatasetStore(redis, keys),
    idempotency: createIdempotency(redis, keys, cfg.idempotencyTtlMs),
    heartbeats: createHeartbeats(redis, keys, cfg.heartbeatMs),
    queue,
    tailer,
    webhooks: createWebhookStore(redis, keys, cfg.retentionMs),
    webhookQueue,
    resolveHost: fns.resolveHost ?? systemResolver,
    publishCancel,
    predict: fns.predict,
    gradients: fns.gradients,
    speed: fns.speed,
    async close() {
      await tailer.stop();
      await queue.close().catch(() => {});
      await webhookQueue.close().catch(() => {});
      redis.disconnect();
      blocking.disconnect();
      bull.disconnect();
    },
  };
}
