import type { JobEvent } from '../src/contracts/events.js';
import type { JobProgress } from '../src/contracts/job.js';
import type { JobStore } from '../src/queue/job-store.js';
import { storedEvent } from '../src/train/stream-event.js';
import type { TaskEvent } from '../src/train/tasks/index.js';

/**
 * Turns task events (src/train/stream-event.ts) into stream events of one attempt, in order, without ever blocking the
 * trainer: appends are chained on one promise. Progress arrives already throttled (the runner of
 * src/train/runner.ts sends at most one per `progressEveryMs`, and every epoch's last step), so
 * every event is written. If Redis says the attempt is stale (another worker took the job over),
 * `onStale` fires so the run can stop.
 */
export function createEventWriter(opts: {
  store: JobStore;
  jobId: string;
  attempt: number;
  epochs: number;
  totalSteps: number;
  onStale(): void;
  onError(err: unknown): void;
}) {
  const { store, jobId, attempt } = opts;
  let chain: Promise<void> = Promise.resolve();
  let stale = false;
  let lastLoss: number | null = null;
  // Write numbers: a write resent after a Redis reconnect is applied once (see SEQ_CHECK).
  let seq = 0;
  const now = () => new Date().toISOString();

  function append(ev: JobEvent, progress?: JobProgress) {
    const n = ++seq;
    chain = chain.then(async () => {
      if (stale) return;
      try {
        const id = await store.appendEvent(jobId, attempt, ev, progress, n);
        if (id === null) {
          stale = true;
          opts.onStale();
        }
      } catch (err) {
        opts.onError(err);
      }
    });
  }

  function sendProgress(ev: JobEvent & { type: 'progress' }) {
    append(ev, {
      epoch: ev.epoch,
      epochs: opts.epochs,
      step: ev.step,
      totalSteps: opts.totalSteps,
      loss: ev.loss,
    });
  }

  return {
    /** Append a task event: its stream form in this attempt's envelope. */
    onEvent(e: TaskEvent) {
      const ev = storedEvent(e, { jobId, attempt, time: now() });
      if (ev.type === 'progress') {
        if (ev.loss !== null) lastLoss = ev.loss;
        sendProgress(ev);
      } else append(ev);
    },
    /**
     * Save a checkpoint in order with the events before it, fenced by this attempt: resolves true
     * when stored, false when the attempt is stale (then `onStale` has fired and nothing was
     * written).
     */
    saveCheckpoint(state: unknown, step: number, epoch: number): Promise<boolean> {
      const n = ++seq;
      const done = chain.then(async () => {
        if (stale) return false;
        try {
          const id = await store.saveCheckpoint(jobId, attempt, state, { step, epoch, loss: lastLoss }, n);
          if (id === null) {
            stale = true;
            opts.onStale();
            return false;
          }
          return true;
        } catch (err) {
          opts.onError(err);
          return false;
        }
      });
      chain = done.then(() => {});
      return done;
    },
    log(level: 'debug' | 'info' | 'warn' | 'error', message: string) {
      append({ type: 'log', jobId, attempt, time: now(), level, message });
    },
    /** Wait for every append. */
    async flush() {
      await chain;
    },
    get stale() {
      return stale;
    },
  };
}
