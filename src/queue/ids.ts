import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';
let lastMs = 0;
let seq = 0;

function randomBase36(n: number): string {
  const bytes = randomBytes(n);
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHABET[bytes[i] % 36];
  return s;
}

/**
 * A new id `<prefix>_<time><seq><random>`: the first 9 characters are the creation time in
 * base 36 and the next 3 a per-process sequence, so ids sort by creation (the newest-first index
 * relies on it); the random tail makes them unguessable. Never digits only, never a `:`.
 */
export function newId(prefix: 'job' | 'ds' | 'wh' | 'swp'): string {
  const now = Date.now();
  if (now === lastMs) seq++;
  else {
    lastMs = now;
    seq = 0;
  }
  return `${prefix}_${now.toString(36).padStart(9, '0')}${(seq % 46656).toString(36).padStart(3, '0')}${randomBase36(10)}`;
}

/**
 * The job of trial `index` of sweep `sweepId`: derived, not drawn, so carrying out a `launch`
 * twice (a process died between doing it and recording it) finds the job it made the first time.
 * It keeps the sweep's creation-time prefix, so trial jobs sort with their sweep.
 */
export function trialJobId(sweepId: string, index: number): string {
  return `job_${sweepId.slice('swp_'.length)}${index.toString(36).padStart(3, '0')}`;
}

/** The id of trial `index` of a sweep, as the API shows it (`GET /v1/jobs/{id}` `trialId`). */
export function trialIdOf(sweepId: string, index: number): string {
  return `${sweepId}.t${index}`;
}

/**
 * BullMQ's id for one segment of a job: the job id itself for an ordinary job, `<jobId>-r<rung>`
 * for a sweep trial (each rung is its own queue entry, so a promoted trial is queued again even
 * though BullMQ still remembers its earlier segment).
 */
export function segmentQueueId(jobId: string, hash: { sweepId?: string; segRung?: string }): string {
  return hash.sweepId ? `${jobId}-r${hash.segRung ?? '0'}` : jobId;
}
