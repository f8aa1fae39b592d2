import { Queue, type ConnectionOptions } from 'bullmq';
import type { ServiceConfig } from './config.js';

import type { TrainJobData } from '../contracts/job.js';

export type { TrainJobData } from '../contracts/job.js';

export const TRAIN_JOB_NAME = 'train';

/** The producer side of the training queue (API process). */
export function createTrainingQueue(
  connection: ConnectionOptions,
  cfg: Pick<ServiceConfig, 'prefix' | 'queueName' | 'attempts' | 'retentionMs'>,
) {
  // BullMQ's queue-wide event stream is not read by Descent (each job has its own stream); keep it
  // short so it costs little memory.
  const queue = new Queue<TrainJobData>(cfg.queueName, {
    connection,
    prefix: cfg.prefix,
    streams: { events: { maxLen: 1000 } },
  });
  queue.on('error', () => {});
  return {
    queue,
    /**
     * Add the job under our id (a sweep trial: one id per segment, see `segmentQueueId`): BullMQ
     * ignores a second add with the same id while the first is still there.
     */
    async enqueue(data: TrainJobData, queueId: string = data.jobId): Promise<void> {
      await queue.add(TRAIN_JOB_NAME, data, {
        jobId: queueId,
        attempts: cfg.attempts,
        backoff: { type: 'exponential', delay: 1000 },
        // Our own keys hold the job's state; BullMQ's copy is only needed while it runs.
        removeOnComplete: true,
        removeOnFail: { age: Math.max(60, Math.round(cfg.retentionMs / 1000)) },
      });
    },
    /** Remove a job that no worker holds. 1 when removed, 0 when locked by a worker (running). */
    async removeWaiting(jobId: string): Promise<number> {
      return queue.remove(jobId);
    },
    /** BullMQ's wait list (LPUSHed by `add`, taken from the right by workers: RPOPLPUSH). */
    waitKey: queue.keys.wait,
    async counts(): Promise<Record<string, number>> {
      return queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized');
    },
    async close(): Promise<void> {
      await queue.close();
    },
  };
}
