/**
 * The runner every task goes through, driven by a fake task (a counter) and a fake clock: the
 * order of the checks between units, abort, wall time across attempts, checkpoint cadence,
 * yielding, progress throttling and the outcome constructors.
 */
import { describe, expect, it } from 'vitest';
import {
  DONE,
  outcomes,
  ProgressThrottle,
  Run,
  startClock,
  wallLimitMs,
  type RunOptions,
  type RunnerTask,
  type StopReason,
} from '../../../src/train/runner.js';

/** A clock the test moves by hand; `tick` ms pass at every unit. */
function fakeClock(start = 1000) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => void (t += ms),
  };
}

type Ev = { type: 'progress'; n: number } | { type: 'epoch'; n: number };
type Outcome = { reason: StopReason | 'unit'; n: number };

/** A task counting to `units`, each unit taking `unitMs` of fake time; `log` records what happened. */
function counter(
  clock: ReturnType<typeof fakeClock>,
  opts: { units: number; unitMs?: number; onUnit?(n: number): Outcome | typeof DONE | undefined },
) {
  const log: string[] = [];
  let n = 0;
  let run: Run<Ev, { n: number }>;
  const task: RunnerTask<{ n: number }, Outcome> = {
    finished: () => n >= opts.units,
    step() {
      clock.advance(opts.unitMs ?? 1);
      n++;
      log.push(`unit ${n}`);
      run.progress.offer({ type: 'progress', n });
      return opts.onUnit?.(n);
    },
    snapshot: () => ({ n }),
    async stop(reason) {
      log.push(`stop ${reason}`);
      if (reason === 'cancelled') await run.checkpoint({ n });
      return { reason, n };
    },
  };
  const start = (o: Partial<RunOptions<Ev, { n: number }>> = {}) => {
    run = new Run<Ev, { n: number }>({
      clock: startClock(clock.now),
      progressEveryMs: 0,
      checkpointEveryMs: null,
      yieldEveryMs: 20,
      wallLimitMs: Infinity,
      onEvent: (e) => log.push(`${e.type} ${e.n}`),
      onCheckpoint: (c) => void log.push(`checkpoint ${c.n}`),
      ...o,
    });
    return run.loop(task);
  };
  return {
    log,
    start,
    get run() {
      return run;
    },
  };
}

describe('runner loop', () => {
  it('runs every unit and stops with done, without checks after the last unit', async () => {
    const clock = fakeClock();
    const c = counter(clock, { units: 3 });
    const out = await c.start({ checkpointEveryMs: 0 });
    expect(out).toEqual({ reason: 'done', n: 3 });
    // cadence 0: a checkpoint between units, none before the first nor after the last
    expect(c.log).toEqual([
      'unit 1',
      'progress 1',
      'checkpoint 1',
      'unit 2',
      'progress 2',
      'checkpoint 2',
      'unit 3',
      'progress 3',
      'stop done',
    ]);
  });

  it('an abort is seen between units: the unit in flight finishes, then stop(cancelled) checkpoints', async () => {
    const clock = fakeClock();
    const ac = new AbortController();
    const c = counter(clock, { units: 100, onUnit: (n) => (n === 4 ? void ac.abort() : undefined) });
    const out = await c.start({ signal: ac.signal });
    expect(out).toEqual({ reason: 'cancelled', n: 4 });
    expect(c.log.slice(-3)).toEqual(['progress 4', 'stop cancelled', 'checkpoint 4']);
  });

  it('a signal aborted before the start: one unit first by default, none with checkBeforeFirst', async () => {
    const clock = fakeClock();
    const ac = new AbortController();
    ac.abort();
    expect(await counter(clock, { units: 5 }).start({ signal: ac.signal })).toEqual({
      reason: 'cancelled',
      n: 1,
    });
    expect(await counter(clock, { units: 5 }).start({ signal: ac.signal, checkBeforeFirst: true })).toEqual({
      reason: 'cancelled',
      n: 0,
    });
  });

  it('wall time: stop(timeout) once elapsed (earlier attempts included) passes the limit', async () => {
    const clock = fakeClock();
    const c = counter(clock, { units: 1000, unitMs: 100 });
    // 2.5 s spent by an earlier attempt, a 3 s limit: 0.5 s left, so the 6th unit passes it
    const out = await c.start({ clock: startClock(clock.now, 2500), wallLimitMs: 3000 });
    expect(out).toEqual({ reason: 'timeout', n: 6 });
    expect(c.log.at(-1)).toBe('stop timeout');
    expect(c.log).not.toContain('checkpoint 6');
  });

  it('checks run in order: yield, abort, wall time, checkpoint', async () => {
    const clock = fakeClock();
    const ac = new AbortController();
    // abort and wall limit both due after unit 2: abort wins, and the due checkpoint is not taken
    const c = counter(clock, {
      units: 10,
      unitMs: 50,
      onUnit: (n) => (n === 2 ? void ac.abort() : undefined),
    });
    const out = await c.start({ signal: ac.signal, wallLimitMs: 60, checkpointEveryMs: 10 });
    expect(out.reason).toBe('cancelled');
    expect(c.log.filter((l) => l.startsWith('checkpoint'))).toEqual(['checkpoint 1', 'checkpoint 2']);
    // …the last of which is the stop's own: the cadence one after unit 1 came after its checks
    expect(c.log.indexOf('checkpoint 1')).toBe(c.log.indexOf('unit 2') - 1);
  });

  it('checkpoint cadence: at least checkpointEveryMs apart; null: only where stop saves one', async () => {
    const clock = fakeClock();
    const c = counter(clock, { units: 10, unitMs: 30 });
    await c.start({ checkpointEveryMs: 100 });
    // checks after units 1..9 at t = 30, 60, …, 270: due at 120 (unit 4) and 240 (unit 8)
    expect(c.log.filter((l) => l.startsWith('checkpoint'))).toEqual(['checkpoint 4', 'checkpoint 8']);
    const none = counter(clock, { units: 10, unitMs: 30 });
    await none.start({ checkpointEveryMs: null });
    expect(none.log.some((l) => l.startsWith('checkpoint'))).toBe(false);
  });

  it('checkpointAfterUnit: the cadence checkpoint follows each unit, the last included, but not a DONE', async () => {
    const clock = fakeClock();
    const c = counter(clock, { units: 3 });
    await c.start({ checkpointEveryMs: 0, checkpointAfterUnit: true });
    expect(c.log.filter((l) => l.startsWith('checkpoint'))).toEqual([
      'checkpoint 1',
      'checkpoint 2',
      'checkpoint 3',
    ]);
    const d = counter(clock, { units: 10, onUnit: (n) => (n === 2 ? DONE : undefined) });
    expect(await d.start({ checkpointEveryMs: 0, checkpointAfterUnit: true })).toEqual({
      reason: 'done',
      n: 2,
    });
    expect(d.log.filter((l) => l.startsWith('checkpoint'))).toEqual(['checkpoint 1']);
  });

  it('a unit that returns an outcome ends the run with it, without stop', async () => {
    const clock = fakeClock();
    const c = counter(clock, { units: 10, onUnit: (n) => (n === 3 ? { reason: 'unit', n } : undefined) });
    expect(await c.start()).toEqual({ reason: 'unit', n: 3 });
    expect(c.log.some((l) => l.startsWith('stop'))).toBe(false);
  });

  it('yields to the event loop when due, so an abort from a timer lands', async () => {
    const clock = fakeClock();
    const ac = new AbortController();
    // Only a macrotask can abort: without yielding the loop would run all 10^6 units first.
    setImmediate(() => ac.abort());
    const c = counter(clock, { units: 1_000_000, unitMs: 5 });
    const out = await c.start({ signal: ac.signal, yieldEveryMs: 20, progressEveryMs: Infinity });
    expect(out.reason).toBe('cancelled');
    expect(out.n).toBeLessThanOrEqual(5);
  });
});

describe('progress throttling', () => {
  it('at most one event per progressEveryMs; the held newest goes out before the next other event and at the end', async () => {
    const clock = fakeClock();
    const c = counter(clock, {
      units: 10,
      unitMs: 30,
      onUnit: (n) => {
        if (n === 4) c.run.emit({ type: 'epoch', n });
        return undefined;
      },
    });
    await c.start({ progressEveryMs: 100 });
    // units end at t = 1030, 1060, …, 1300
    expect(c.log.filter((l) => !l.startsWith('unit'))).toEqual([
      'progress 1', // 1030: the first is always due
      'progress 4', // 1120: held (90 ms after the last), sent before the epoch event
      'epoch 4',
      'progress 8', // 1240: 120 ms after the last; 5, 6 and 7 were held and replaced
      'stop done',
      'progress 10', // held, sent when the run ends
    ]);
  });

  it('send drops an older held event; due tells a task whether to build one', () => {
    const clock = fakeClock();
    const sent: number[] = [];
    const p = new ProgressThrottle<number>((e) => sent.push(e), 100, clock.now);
    expect(p.due()).toBe(true);
    p.offer(1);
    clock.advance(10);
    expect(p.due()).toBe(false);
    p.offer(2);
    p.offer(3);
    p.send(4); // an epoch's last step: always sent, and 3 is older than it
    p.flush();
    clock.advance(100);
    expect(p.due()).toBe(true);
    expect(sent).toEqual([1, 4]);
  });

  it('checkpoints wait for the held progress event, so the stream stays in order', async () => {
    const clock = fakeClock();
    const c = counter(clock, { units: 3, unitMs: 1 });
    await c.start({ progressEveryMs: 1000, checkpointEveryMs: 0 });
    expect(c.log).toEqual([
      'unit 1',
      'progress 1',
      'checkpoint 1',
      'unit 2',
      'progress 2', // held until the checkpoint after it
      'checkpoint 2',
      'unit 3',
      'stop done',
      'progress 3',
    ]);
  });
});

describe('outcome constructors and limits', () => {
  it('build the shared fields', () => {
    expect(outcomes.succeeded({ a: 1 })).toEqual({ status: 'succeeded', result: { a: 1 }, error: null });
    expect(outcomes.cancelled()).toEqual({ status: 'cancelled', result: null, error: null });
    expect(outcomes.failed('TIMEOUT', 'too long', { a: 1 })).toEqual({
      status: 'failed',
      result: { a: 1 },
      error: { code: 'TIMEOUT', message: 'too long' },
    });
  });
  it('wall limit: the lower of the spec and the server cap, in ms', () => {
    expect(wallLimitMs(2, 10)).toBe(2000);
    expect(wallLimitMs(null, 10)).toBe(10_000);
    expect(wallLimitMs(undefined, undefined)).toBe(Infinity);
  });
});
