import { Queue, type ConnectionOptions } from 'bullmq';
import type { ServiceConfig } from './config.js';

/** BullMQ queue of webhook deliveries: its own queue, so deliveries never wait behind training. */
export const WEBHOOK_QUEUE = 'webhooks';
/** The custom backoff type the delivery worker implements (src/webhooks/backoff.ts). */
export const WEBHOOK_BACKOFF = 'webhook';

/** What a delivery job carries: only the id; the record in Redis holds the rest. */
export interface WebhookJobData {
  deliveryId: string;
}

/** The producer side of the `webhooks` queue (dispatcher, and the API for redeliveries). */
export function createWebhookQueue(
  connection: ConnectionOptions,
  cfg: Pick<ServiceConfig, 'prefix' | 'webhookAttempts'>,
) {
  const queue = new Queue<WebhookJobData>(WEBHOOK_QUEUE, {
    connection,
    prefix: cfg.prefix,
    streams: { events: { maxLen: 1000 } },
  });
  queue.on('error', () => {});
  const opts = (jobId: string, attempts: number) => ({
    // jobId = the delivery id: adding it again while it waits or retries is a no-op.
    jobId,
    attempts,
    backoff: { type: WEBHOOK_BACKOFF },
    // The delivery record holds the state and the log; BullMQ's copy is only needed while it runs.
    removeOnComplete: true,
    removeOnFail: true,
  });
  return {
    queue,
    /** Enqueue first deliveries (their ids are their job ids). */
    async enqueue(deliveryIds: string[]): Promise<void> {
      if (!deliveryIds.length) return;
      await queue.addBulk(
        deliveryIds.map((id) => ({
          name: 'deliver',
          data: { deliveryId: id },
          opts: opts(id, cfg.webhookAttempts),
        })),
      );
    },
    /** A manual redelivery: one attempt, under a job id of its own (`<delivery>_r<n>`). */
    async redeliver(deliveryId: string, n: number): Promise<void> {
      await queue.add('deliver', { deliveryId }, opts(`${deliveryId}_r${n}`, 1));
    },
    async close(): Promise<void> {
      await queue.close();
    },
  };
}

export type WebhookQueue = ReturnType<typeof createWebhookQueue>;
