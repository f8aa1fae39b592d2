/**
 * Contained jobs (issue 20, point 5): each job trains in a worker thread whose memory is bounded,
 * so a job that would exhaust memory fails with `OUT_OF_MEMORY` and the sandbox child, the worker
 * and the worker's other jobs carry on.
 *
 * Two bounds, one limit: V8's heap of the thread (`resourceLimits.maxOldGenerationSizeMb`; V8
 * stops the thread when it is reached, `ERR_WORKER_OUT_OF_MEMORY`), and a watchdog in the thread
 * on heap + external memory (typed arrays: a tensor's storage is an ArrayBuffer outside the V8
 * heap, which the heap limit alone would never see). The limit is derived from the job's
 * estimate with generous headroom (estimates are rough for some models) and capped by
 * `DESCENT_JOB_MAX_HEAP_MB`; the error names both.
 *
 * A thread takes a second or two to load the trainer, so a thread whose job ended normally is
 * kept for the next job with the same limit (limits are rounded up to 256 MB steps, so small jobs
 * share one), and one is started ahead for the smallest limit when the trainer is created. A
 * thread that ran out of memory or crashed is never reused.
 */
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import type { JobSpec } from '../src/contracts/job-spec.js';
import type { Dataset } from '../src/data/index.js';
import type { TaskOptions, TaskOutcome } from '../src/train/index.js';
import type { Trainer, TrainerJob } from './trainer.js';
import {
  OOM_EXIT_CODE,
  type FromThread,
  type ThreadInput,
  type ToThread,
} from './trainer-thread-protocol.js';

const MB = 1024 * 1024;

/** Headroom over the estimate: the limit is `ESTIMATE_FACTOR` × estimate + `BASE_MB`, in `STEP_MB` steps, at least `MIN_MB`. */
const ESTIMATE_FACTOR = 4;
const BASE_MB = 256;
const STEP_MB = 256;
const MIN_MB = 512;

/** The thread's entry: compiled next to this file, or from sources through a shim that registers tsx. */
const THREAD_FILE = fileURLToPath(
  new URL(
    import.meta.url.endsWith('.js') ? './trainer-thread.js' : './trainer-thread-tsx.mjs',
    import.meta.url,
  ),
);

/** The memory limit (MB) of a job whose trainer is estimated to need `estimateBytes`. */
export function jobMemoryLimitMb(estimateBytes: number, ceilingMb: number): number {
  const derived = Math.ceil((ESTIMATE_FACTOR * Math.max(0, estimateBytes)) / MB) + BASE_MB;
  return Math.min(ceilingMb, Math.max(MIN_MB, Math.ceil(derived / STEP_MB) * STEP_MB));
}

const mb = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`;

function outOfMemory(job: TrainerJob, limitMb: number, ceilingMb: number, what: string): TaskOutcome {
  const capped = limitMb >= ceilingMb;
  return {
    status: 'failed',
    result: null,
    weights: {},
    error: {
      code: 'OUT_OF_MEMORY',
      message:
        `the job needed more memory than its limit of ${limitMb} MB (${what}); its estimate was ${mb(job.estimateBytes)} ` +
        `(estimate.bytes of POST /v1/jobs/validate), and the limit is ${ESTIMATE_FACTOR} × the estimate + ${BASE_MB} MB in ${STEP_MB} MB steps` +
        (capped
          ? `, capped by DESCENT_JOB_MAX_HEAP_MB = ${ceilingMb}`
          : ` (DESCENT_JOB_MAX_HEAP_MB = ${ceilingMb})`) +
        `. Use a smaller model, batch or dataset, or raise DESCENT_JOB_MAX_HEAP_MB.`,
    },
  };
}

/** What a thread reports to the run it is serving (none while it waits in the pool). */
interface RunHandlers {
  message(m: FromThread): void;
  error(err: Error & { code?: string }): void;
  exit(code: number): void;
}

/** One training thread: its limit, and the run it serves now. */
interface Slot {
  thread: Worker;
  limitMb: number;
  run: RunHandlers | null;
  dead: boolean;
}

function startThread(limitMb: number): Slot {
  const thread = new Worker(THREAD_FILE, { resourceLimits: { maxOldGenerationSizeMb: limitMb } });
  const slot: Slot = { thread, limitMb, run: null, dead: false };
  thread.on('message', (m: FromThread) => slot.run?.message(m));
  thread.on('error', (err) => {
    slot.dead = true;
    slot.run?.error(err);
  });
  thread.on('exit', (code) => {
    slot.dead = true;
    slot.run?.exit(code);
  });
  // A waiting thread must not keep the sandbox child alive on its own.
  thread.unref();
  return slot;
}

/**
 * A trainer that runs each job in a worker thread with the memory limit of that job. The
 * trainer's callbacks cross the thread boundary as messages: events one way; checkpoints one way
 * and acknowledged once stored (the thread waits, as `onCheckpoint` is awaited in-process); an
 * abort the other way.
 */
export function containedTrainer(opts: { maxHeapMb: number; backend: () => string }): Trainer {
  let idle: Slot | null = startThread(jobMemoryLimitMb(0, opts.maxHeapMb));

  function take(limitMb: number): Slot {
    const warm = idle;
    idle = null;
    if (warm && !warm.dead && warm.limitMb === limitMb) return warm;
    if (warm && !warm.dead) void warm.thread.terminate();
    return startThread(limitMb);
  }

  return {
    backend: opts.backend,
    run(spec: JobSpec, data: Dataset | null, o: TaskOptions, job?: TrainerJob): Promise<TaskOutcome> {
      const estimate: TrainerJob = job ?? { estimateBytes: 0 };
      const limitMb = jobMemoryLimitMb(estimate.estimateBytes, opts.maxHeapMb);
      const input: ThreadInput = {
        spec,
        data,
        limitBytes: limitMb * MB,
        opts: {
          progressEveryMs: o.progressEveryMs,
          maxWallSeconds: o.maxWallSeconds,
          checkpointEveryMs: o.checkpointEveryMs,
          untilEpoch: o.untilEpoch,
          resume: o.resume,
          ...(o.fromJob ? { fromJob: o.fromJob } : {}),
        },
      };
      const slot = take(limitMb);
      return new Promise<TaskOutcome>((resolve, reject) => {
        let over: string | null = null;
        const send = (m: ToThread) => {
          try {
            slot.thread.postMessage(m);
          } catch {
            /* the thread has gone */
          }
        };
        const onAbort = () => send({ type: 'abort' });
        const settle = (fn: () => void, reusable: boolean) => {
          if (slot.run !== handlers) return;
          slot.run = null;
          o.signal?.removeEventListener('abort', onAbort);
          if (reusable && !slot.dead && idle === null) idle = slot;
          else if (!slot.dead) void slot.thread.terminate();
          fn();
        };
        const handlers: RunHandlers = {
          message(m) {
            if (m.type === 'event') o.onEvent?.(m.event);
            else if (m.type === 'checkpoint')
              Promise.resolve(o.onCheckpoint?.(m.checkpoint))
                .then(() => send({ type: 'ack', id: m.id }))
                .catch((err: Error) => send({ type: 'ack', id: m.id, error: err.message }));
            else if (m.type === 'over') over = m.what;
            else if (m.type === 'done') settle(() => resolve(m.outcome), true);
            else if (m.type === 'crash') settle(() => reject(new Error(m.message)), false);
          },
          error(err) {
            if (err.code === 'ERR_WORKER_OUT_OF_MEMORY')
              settle(
                () =>
                  resolve(outOfMemory(estimate, limitMb, opts.maxHeapMb, 'the V8 heap limit was reached')),
                false,
              );
            else settle(() => reject(err), false);
          },
          exit(code) {
            if (code === OOM_EXIT_CODE)
              settle(
                () =>
                  resolve(
                    outOfMemory(estimate, limitMb, opts.maxHeapMb, over ?? 'heap and typed arrays passed it'),
                  ),
                false,
              );
            else
              settle(
                () => reject(new Error(`the training thread exited with code ${code} before it finished`)),
                false,
              );
          },
        };
        slot.run = handlers;
        // A thread that died while it waited in the pool (it should not): report it as the run's.
        if (slot.dead) return handlers.exit(-1);
        slot.thread.ref();
        if (o.signal?.aborted) onAbort();
        o.signal?.addEventListener('abort', onAbort, { once: true });
        send({ type: 'run', input });
      }).finally(() => {
        if (idle === slot) slot.thread.unref();
      });
    },
  };
}
