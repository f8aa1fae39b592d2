import { segmentQueueId } from './ids.js';
import type { JobStore } from './job-store.js';

/** What cancelling needs: the job records, the queue, and the pub/sub cancel to workers. */
export interface CancelDeps {
  jobs: JobStore;
  queue: { removeWaiting(queueId: string): Promise<number> };
  publishCancel(jobId: string): Promise<void>;
}

/**
 * Cancel a job that is not finished (the API's `POST /v1/jobs/{id}/cancel`, and a sweep cancelling
 * its trials). Waiting, delayed for a retry after a crash, or a paused sweep trial: no worker holds
 * its lock, so BullMQ lets us remove its queue entry (a running job's lock makes that a no-op) and
 * it is finished here (a paused trial keeps its weights). Running: marked `cancelling` and its
 * worker told, which stops it within about a second.
 */
export async function cancelJob(deps: CancelDeps, id: string): Promise<void> {
  const hash = await deps.jobs.getHash(id);
  if (!hash) return;
  if ((await deps.queue.removeWaiting(segmentQueueId(id, hash))) === 1) {
    await deps.jobs.finish(id, '*', 'cancelled', {});
    return;
  }
  await deps.jobs.requestCancel(id);
  await deps.publishCancel(id);
}
