/**
 * The webhook process's work (`npm run start:webhooks`, and one child of `npm start`): the outbox
 * dispatcher and the BullMQ worker of the `webhooks` queue. It runs apart from the training
 * workers, so a delivery never waits for a training step, and a stuck receiver never slows one.
 */
import { hostname } from 'node:os';
import { Worker } from 'bullmq';
import type { ServiceConfig } from '../queue/config.js';
import { createKeys } from '../queue/keys.js';
import { createRedis, waitReadyForever } from '../queue/redis.js';
import { createWebhookQueue, WEBHOOK_QUEUE, type WebhookJobData } from '../queue/webhook-queue.js';
import { createWebhookStore } from '../queue/webhook-store.js';
import { systemResolver, type Resolver } from './address-guard.js';
import { backoffFor, createDeliveryProcessor } from './deliver.js';
import { createDispatcher } from './dispatcher.js';

export interface WebhookService {
  close(): Promise<void>;
}

export async function startWebhookService(
  cfg: ServiceConfig,
  opts: { resolve?: Resolver; log?: (msg: string) => void } = {},
): Promise<WebhookService> {
  const log = opts.log ?? ((m: string) => console.log(m));
  const keys = createKeys(cfg.prefix);
  // Background loops: every connection waits for Redis (a restart) rather than failing.
  const command = createRedis(cfg.redisUrl, 'blocking');
  const blocking = createRedis(cfg.redisUrl, 'blocking');
  const bull = createRedis(cfg.redisUrl, 'blocking');
  const bullWorker = createRedis(cfg.redisUrl, 'blocking');
  for (const r of [command, blocking, bull, bullWorker]) await waitReadyForever(r, log, 'webhooks');
  const store = createWebhookStore(command, keys, cfg.retentionMs);
  const queue = createWebhookQueue(bull, cfg);
  const dispatcher = createDispatcher({
    blocking,
    command,
    keys,
    store,
    queue,
    consumer: `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
    claimIdleMs: Math.max(2000, cfg.lockDurationMs),
    log,
  });
  const worker = new Worker<WebhookJobData>(
    WEBHOOK_QUEUE,
    createDeliveryProcessor(store, cfg, opts.resolve ?? systemResolver),
    {
      connection: bullWorker,
      prefix: cfg.prefix,
      concurrency: cfg.webhookConcurrency,
      lockDuration: cfg.lockDurationMs,
      lockRenewTime: cfg.lockRenewMs,
      stalledInterval: cfg.stalledIntervalMs,
      // a delivery cut off by a crash is simply tried again (at-least-once)
      maxStalledCount: 5,
      settings: { backoffStrategy: backoffFor(cfg) },
    },
  );
  worker.on('error', (err) => log(`webhooks: worker error: ${err.message}`));
  dispatcher.start();
  return {
    async close() {
      await dispatcher.stop();
      await worker.close();
      await queue.close().catch(() => {});
      for (const r of [command, blocking, bull, bullWorker]) r.disconnect();
    },
  };
}
