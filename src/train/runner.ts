/**
 * The runner every task's run goes through. A task supplies its unit of work (one mini-batch, one
 * Newton or L-BFGS iteration, one minimize step, one episode), a test for "nothing left to do",
 * a snapshot of its resume state and how it ends; the runner owns what they all share:
 *
 * - the clock: elapsed time across attempts (for wall-time limits and durationMs);
 * - between two units, in this order: yield to the event loop when due (so an abort or I/O can
 *   land), the abort signal → `stop('cancelled')`, the wall-time limit → `stop('timeout')`, and a
 *   checkpoint when the cadence says so (or, for tasks that ask, that checkpoint right after the
 *   unit, the last one included);
 * - progress throttling, the only one on the way to the job stream: at most one progress event
 *   per `progressEveryMs`, the newest kept and sent before the next other event, before each
 *   checkpoint and at the end of the run;
 * - the outcome constructors.
 *
 * A unit may end the run itself by returning an outcome (divergence, early stopping). Nothing here
 * knows a task's state or its numbers, so a task's bits do not depend on the runner.
 */

/** Why the runner ends a run: nothing left, the signal aborted, or the wall-time limit passed. */
export type StopReason = 'done' | 'cancelled' | 'timeout';

/** One run's clock: `elapsed()` counts the time of earlier attempts too. */
export interface RunClock {
  now(): number;
  /** Milliseconds of this run so far, earlier attempts included. */
  elapsed(): number;
}

/** Start a run's clock now; `elapsedBeforeMs` is the time earlier attempts already spent. */
export function startClock(now: () => number, elapsedBeforeMs = 0): RunClock {
  const t0 = now();
  return { now, elapsed: () => elapsedBeforeMs + (now() - t0) };
}

/**
 * At most one progress event per `everyMs`. `offer` sends when due and otherwise keeps the event
 * (the newest wins) until `flush`; `due` + `send` let a task that computes its progress fields only
 * when they are reported (the supervised step) decide first and always send (an epoch's last step).
 */
export class ProgressThrottle<E> {
  private last = -Infinity;
  private pending: E | null = null;

  constructor(
    private readonly emit: (e: E) => void,
    private readonly everyMs: number,
    private readonly now: () => number,
  ) {}

  /** Whether a progress event sent now would keep to the throttle. */
  due(): boolean {
    return this.now() - this.last >= this.everyMs;
  }

  /** Send `e` now, dropping any held one (it is older). */
  send(e: E): void {
    this.last = this.now();
    this.pending = null;
    this.emit(e);
  }

  /** Send `e` if due, else hold it until the next flush (replacing an older held one). */
  offer(e: E): void {
    if (this.due()) this.send(e);
    else this.pending = e;
  }

  /** Send the held event, if any. */
  flush(): void {
    if (this.pending !== null) this.send(this.pending);
  }
}

/** A unit's way of saying "that was the last one": the run ends with `stop('done')` at once. */
export const DONE: unique symbol = Symbol('done');

/** What a task plugs into the runner. `C` is its resume state, `O` its outcome. */
export interface RunnerTask<C, O> {
  /** Nothing left to do: the run ends with `stop('done')`, without the checks between units. */
  finished(): boolean;
  /**
   * One unit of work. Returning an outcome ends the run with it (divergence, early stopping);
   * {@link DONE} ends it with `stop('done')`, skipping even a cadence checkpoint after the unit.
   */
  step(): O | typeof DONE | undefined | Promise<O | typeof DONE | undefined>;
  /** A deep copy of the resume state as it is now (after the unit just done). */
  snapshot(): C;
  /** Build the outcome for `reason`; `run.checkpoint()` saves a final checkpoint if the task keeps one. */
  stop(reason: StopReason): O | Promise<O>;
}

export interface RunOptions<E, C> {
  clock: RunClock;
  signal?: AbortSignal;
  onEvent?(e: E): void;
  /** Minimum time between progress events (0: every one). */
  progressEveryMs: number;
  onCheckpoint?(c: C): void | Promise<void>;
  /** null: checkpoints only where the task's stop saves one; 0: after every unit; else the cadence. */
  checkpointEveryMs: number | null;
  /** Yield to the event loop at least this often (0: after every unit). */
  yieldEveryMs: number;
  /** Wall-time limit in ms over `clock.elapsed()` (Infinity: none). */
  wallLimitMs: number;
  /**
   * Check the signal and the wall time before the first unit too (a signal aborted before the
   * start stops at once). The cadence checkpoint is never taken before the first unit.
   */
  checkBeforeFirst?: boolean;
  /**
   * Take the cadence checkpoint right after each unit (the last one included), before the yield
   * and the signal are looked at, instead of after them (minimize and reinforce keep this order).
   */
  checkpointAfterUnit?: boolean;
}

const yieldNow = () => new Promise<void>((r) => setImmediate(r));

/** One run: its clock, events, checkpoints and the loop over a task's units. */
export class Run<E, C> {
  readonly clock: RunClock;
  readonly progress: ProgressThrottle<E>;
  readonly wallLimitMs: number;
  private readonly sink: (e: E) => void;

  constructor(private readonly opts: RunOptions<E, C>) {
    this.clock = opts.clock;
    this.wallLimitMs = opts.wallLimitMs;
    this.sink = opts.onEvent ?? (() => {});
    this.progress = new ProgressThrottle(this.sink, opts.progressEveryMs, opts.clock.now);
  }

  /** Emit a non-progress event, after any held progress event so the stream stays in order. */
  emit(e: E): void {
    this.progress.flush();
    this.sink(e);
  }

  /** Save `state` as a checkpoint, after any held progress event. No-op without a sink. */
  async checkpoint(state: C): Promise<void> {
    if (!this.opts.onCheckpoint) return;
    this.progress.flush();
    await this.opts.onCheckpoint(state);
  }

  /** Run `task` to its end: units, the checks between them, and its stop. */
  async loop<O>(task: RunnerTask<C, O>): Promise<O> {
    const { clock, signal, checkpointEveryMs, yieldEveryMs } = this.opts;
    let lastYield = clock.now();
    let lastCheckpoint = clock.now();
    const after = this.opts.checkpointAfterUnit === true;
    const end = async (o: O | Promise<O>) => {
      const out = await o;
      this.progress.flush();
      return out;
    };
    const cadence = async () => {
      if (
        checkpointEveryMs !== null &&
        this.opts.onCheckpoint &&
        clock.now() - lastCheckpoint >= checkpointEveryMs
      ) {
        await this.checkpoint(task.snapshot());
        lastCheckpoint = clock.now();
      }
    };
    for (let first = true; ; first = false) {
      if (task.finished()) return end(task.stop('done'));
      if (!first || this.opts.checkBeforeFirst) {
        if (clock.now() - lastYield >= yieldEveryMs) {
          await yieldNow();
          lastYield = clock.now();
        }
        if (signal?.aborted) return end(task.stop('cancelled'));
        if (clock.elapsed() > this.wallLimitMs) return end(task.stop('timeout'));
        // Never before the first unit: there is nothing new to save.
        if (!first && !after) await cadence();
      }
      const out = await task.step();
      if (out === DONE) return end(task.stop('done'));
      if (out !== undefined) return end(out);
      if (after) await cadence();
    }
  }
}

/** The run's wall-time limit in ms: the lower of the spec's and the server's caps (s), or Infinity. */
export function wallLimitMs(specSeconds: number | null | undefined, capSeconds: number | undefined): number {
  return Math.min(specSeconds ?? Infinity, capSeconds ?? Infinity) * 1000;
}

/** What a task's caller passes to shape its run (each task's options extend this). */
export interface TaskRunOptions<E, C> {
  signal?: AbortSignal;
  onEvent?(e: E): void;
  onCheckpoint?(c: C): void | Promise<void>;
  checkpointEveryMs?: number;
  yieldEveryMs?: number;
  progressEveryMs?: number;
  /** Server-wide wall-time cap in seconds (the spec's maxWallSeconds may be lower). */
  maxWallSeconds?: number;
}

/**
 * The run options of a task that runs one unit per step and checkpoints after it (minimize: one
 * optimizer step; reinforce: one episode): every progress event by default, a checkpoint every
 * 5 s, a yield every 20 ms, the wall limit from the spec and the server cap.
 */
export function unitRunOptions<E, C>(
  clock: RunClock,
  opts: TaskRunOptions<E, C>,
  specWallSeconds: number | null | undefined,
): RunOptions<E, C> {
  return {
    clock,
    signal: opts.signal,
    onEvent: opts.onEvent,
    progressEveryMs: opts.progressEveryMs ?? 0,
    onCheckpoint: opts.onCheckpoint,
    checkpointEveryMs: opts.checkpointEveryMs ?? 5000,
    yieldEveryMs: opts.yieldEveryMs ?? 20,
    wallLimitMs: wallLimitMs(specWallSeconds, opts.maxWallSeconds),
    checkBeforeFirst: true,
    checkpointAfterUnit: true,
  };
}

/** A task's error: a code from the job error catalogue and a message that says what to change. */
export interface RunError<Code extends string = string> {
  code: Code;
  message: string;
}

/** The outcome fields every task shares, built the same way for each. */
export const outcomes = {
  succeeded: <R>(result: R) => ({ status: 'succeeded' as const, result, error: null }),
  cancelled: <R = null>(result: R | null = null) => ({ status: 'cancelled' as const, result, error: null }),
  /** Stopped at `untilEpoch` with a result as of that epoch, resumable from its checkpoint. */
  paused: <R>(result: R) => ({ status: 'paused' as const, result, error: null }),
  failed: <Code extends string, R = null>(code: Code, message: string, result: R | null = null) => ({
    status: 'failed' as const,
    result,
    error: { code, message } as RunError<Code>,
  }),
};

/**
 * The TIMEOUT messages. Supervised runs name the step they stopped at; minimize and reinforce, whose
 * checkpoints keep no clock (each attempt has the whole limit), say what to change.
 */
export const timeoutMessage = {
  atStep: (limitMs: number, step: number) =>
    `training ran past its wall-time limit of ${limitMs / 1000} s at step ${step}`,
  job: (limitMs: number) =>
    `the job ran past its wall-time limit of ${limitMs / 1000} s; raise maxWallSeconds or make the job smaller`,
};
