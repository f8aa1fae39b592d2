import type { Redis } from 'ioredis';
import type { Job } from '../contracts/job.js';

/**
 * 1-based place of a job in BullMQ's wait list: 1 = the next job a free worker takes, or null
 * when the job is not in the list (running, finished, or delayed for a retry after a crash).
 *
 * BullMQ 6 adds a job with LPUSH (FIFO, `lifo` unset: addStandardJob.lua) and a worker takes the
 * rightmost one (RPOPLPUSH wait → active: moveToActive.lua / fetchNextJob.lua), so the job at
 * 0-based index i from the left is taken after the len − 1 − i jobs to its right:
 * position = LLEN − LPOS. Both read in one MULTI, so they describe the same list. The search
 * runs from the right (RANK −1), where the jobs about to start are, and ids are unique.
 */
export async function queuePosition(redis: Redis, waitKey: string, jobId: string): Promise<number | null> {
  const res = await redis.multi().llen(waitKey).lpos(waitKey, jobId, 'RANK', -1).exec();
  const len = Number(res?.[0]?.[1] ?? 0);
  const pos = res?.[1]?.[1] as number | null | undefined;
  return pos === null || pos === undefined ? null : len - pos;
}

/**
 * Seconds left of a running job, extrapolated from the pace so far: elapsed × (total − done) / done,
 * elapsed counted from `startedAt` (the first start; time lost to a crash and resume counts as
 * slow progress). Null when not running, before the first progress report, and when the report
 * does not fit (a step beyond `totalSteps`: nothing sound can be said).
 */
export function etaSeconds(
  job: Pick<Job, 'status' | 'startedAt' | 'progress'>,
  nowMs: number,
): number | null {
  if (job.status !== 'running' || !job.progress || !job.startedAt) return null;
  const { step, totalSteps } = job.progress;
  const started = Date.parse(job.startedAt);
  if (!(step > 0) || !(totalSteps >= step) || !Number.isFinite(started)) return null;
  const elapsed = Math.max(0, nowMs - started) / 1000;
  return Math.round(((elapsed * (totalSteps - step)) / step) * 10) / 10;
}

/** The job with `queuePosition` and `etaSeconds` filled in (null where they do not apply). */
export async function withLiveFields(redis: Redis, waitKey: string, job: Job): Promise<Job> {
  const queued = job.status === 'queued' ? await queuePosition(redis, waitKey, job.id) : null;
  return { ...job, queuePosition: queued, etaSeconds: etaSeconds(job, Date.now()) };
}
