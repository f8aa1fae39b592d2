/**
 * The sweep scheduler (src/sweep/scheduler.ts): grid/random as one rung, ASHA's promotions, the
 * virtual clock (any arrival order of the real completions gives the same actions), the budget
 * bound, idempotent reports, cancel, and a state that survives JSON (the service stores it in Redis).
 */
import { describe, expect, it } from 'vitest';
import { createRng, type Rng } from '../../../src/rng/rng.js';
import { ashaEpochsMax, rungEpochs } from '../../../src/sweep/rungs.js';
import {
  cancelScheduler,
  countsOf,
  epochsUsed,
  leaderboard,
  reportSegment,
  startScheduler,
  type SchedulerAction,
  type SchedulerState,
  type SegmentReport,
  type SchedulerStep,
} from '../../../src/sweep/scheduler.js';
import type { SweepPlan } from '../../../src/sweep/plan.js';

type MiniPlan = Pick<SweepPlan, 'trials' | 'rungs' | 'reductionFactor' | 'mode' | 'maxConcurrentTrials'>;

function plan(n: number, rungs: number[], eta: number, k: number, mode: 'min' | 'max' = 'min'): MiniPlan {
  const epochs = rungs[rungs.length - 1];
  return {
    trials: Array.from({ length: n }, (_, index) => ({ index, params: {}, spec: {} as never, epochs })),
    rungs,
    reductionFactor: eta,
    mode,
    maxConcurrentTrials: k,
  };
}

/** What a trial reports at a rung: a deterministic function of (trial, rung). */
type Outcome = (trial: number, rung: number) => Omit<SegmentReport, 'trial' | 'rung'>;

interface Run {
  actions: SchedulerAction[];
  state: SchedulerState;
  maxInFlight: number;
  terminalEvents: Map<number, number>;
}

/**
 * Drive the scheduler: the segments it launched finish in an order `pick` chooses (a seeded
 * generator: a random arrival order; none: launch order). Every state goes through JSON.
 */
function simulate(p: MiniPlan, outcome: Outcome, rng?: Rng): Run {
  const json = (s: SchedulerState) => JSON.parse(JSON.stringify(s)) as SchedulerState;
  const actions: SchedulerAction[] = [];
  const terminalEvents = new Map<number, number>();
  const inFlight: { trial: number; rung: number }[] = [];
  let maxInFlight = 0;
  const take = (step: SchedulerStep) => {
    for (const a of step.actions) {
      actions.push(a);
      if (a.kind === 'launch') inFlight.push({ trial: a.trial, rung: 0 });
      if (a.kind === 'promote') inFlight.push({ trial: a.trial, rung: a.rung });
    }
    for (const e of step.events)
      if (e.type === 'trial' && ['stopped', 'succeeded', 'failed', 'cancelled'].includes(e.status))
        terminalEvents.set(e.trial, (terminalEvents.get(e.trial) ?? 0) + 1);
    return json(step.state);
  };
  let state = take(startScheduler(p));
  // launched but unprocessed segments hold a slot; this counts the ones not yet reported
  while (inFlight.length) {
    maxInFlight = Math.max(maxInFlight, inFlight.length);
    const i = rng ? rng.int(inFlight.length) : 0;
    const [seg] = inFlight.splice(i, 1);
    state = take(reportSegment(state, { trial: seg.trial, rung: seg.rung, ...outcome(seg.trial, seg.rung) }));
  }
  return { actions, state, maxInFlight, terminalEvents };
}

/** A pseudo-random but fixed metric per (trial, rung), improving with the rung. */
const noisy =
  (seed: number): Outcome =>
  (t, r) => {
    const g = createRng(seed * 100_003 + t * 31 + r);
    return { value: g.next() / (1 + r) };
  };

describe('rungs and budget', () => {
  it('rungs are r·η^k capped at R, strictly increasing', () => {
    expect(rungEpochs(1, 9, 3)).toEqual([1, 3, 9]);
    expect(rungEpochs(2, 10, 3)).toEqual([2, 6, 10]);
    expect(rungEpochs(5, 5, 3)).toEqual([5]);
    expect(rungEpochs(1, 100, 4)).toEqual([1, 4, 16, 64, 100]);
  });
  it('the worst case sums min(n, ⌊n/η^i⌋) trials over each rung step', () => {
    // 27 trials: 27·1 + 9·(3−1) + 3·(9−3) = 63
    expect(ashaEpochsMax(27, [1, 3, 9], 3)).toBe(63);
    expect(ashaEpochsMax(10, [1, 3, 9], 3)).toBe(10 + 3 * 2 + 1 * 6);
  });
});

describe('grid and random: one rung', () => {
  it('launches every trial once in plan order, at most k at a time, and ends succeeded', () => {
    const run = simulate(plan(7, [5], 1, 3), () => ({ value: 1 }), createRng(1));
    const launches = run.actions.filter((a) => a.kind === 'launch');
    expect(launches.map((a) => a.trial)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(launches.every((a) => a.kind === 'launch' && a.untilEpoch === 5)).toBe(true);
    expect(run.actions.some((a) => a.kind === 'promote' || a.kind === 'stop')).toBe(false);
    expect(run.maxInFlight).toBe(3);
    expect(run.actions.at(-1)).toEqual({ kind: 'end', status: 'succeeded' });
    expect(countsOf(run.state)).toMatchObject({ total: 7, succeeded: 7 });
    expect(epochsUsed(run.state)).toBe(35);
  });

  it('trials of different lengths train their own epochs', () => {
    const p = plan(2, [8], 1, 2);
    p.trials[0].epochs = 3;
    const run = simulate(p, () => ({ value: 0 }));
    expect(run.actions.slice(0, 2)).toEqual([
      { kind: 'launch', trial: 0, untilEpoch: 3 },
      { kind: 'launch', trial: 1, untilEpoch: 8 },
    ]);
    expect(epochsUsed(run.state)).toBe(11);
  });
});

describe('ASHA', () => {
  it('promotes the best of the top 1/η once a rung has η results, highest rung first', () => {
    // one slot: completions come one at a time; trial t scores t (lower is better)
    const run = simulate(plan(9, [1, 3, 9], 3, 1), (t) => ({ value: t }));
    const firstPromote = run.actions.findIndex((a) => a.kind === 'promote');
    expect(run.actions.slice(0, firstPromote + 1)).toEqual([
      { kind: 'launch', trial: 0, untilEpoch: 1 },
      { kind: 'launch', trial: 1, untilEpoch: 1 },
      { kind: 'launch', trial: 2, untilEpoch: 1 },
      { kind: 'promote', trial: 0, rung: 1, untilEpoch: 3 },
    ]);
    const promotes = run.actions.filter((a) => a.kind === 'promote');
    // rung 0 → 1: the top third of 9 (trials 0, 1, 2); rung 1 → 2: the best of them
    expect(promotes.filter((a) => a.kind === 'promote' && a.rung === 1).map((a) => a.trial)).toEqual([
      0, 1, 2,
    ]);
    expect(promotes.filter((a) => a.kind === 'promote' && a.rung === 2).map((a) => a.trial)).toEqual([0]);
    const board = leaderboard(run.state);
    expect(board[0]).toMatchObject({ trial: 0, status: 'succeeded', rung: 2, epochs: 9, value: 0 });
    expect(board.find((r) => r.trial === 1)).toMatchObject({ status: 'stopped', rung: 1, epochs: 3 });
    expect(board.find((r) => r.trial === 8)).toMatchObject({ status: 'stopped', rung: 0, epochs: 1 });
    // every paused trial is stopped at the end, before `end`
    const stops = run.actions.filter((a) => a.kind === 'stop').map((a) => a.trial);
    expect(stops.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(run.actions.at(-1)).toEqual({ kind: 'end', status: 'succeeded' });
    expect(epochsUsed(run.state)).toBe(9 * 1 + 3 * 2 + 1 * 6);
  });

  it('mode max ranks the largest first', () => {
    const run = simulate(plan(3, [1, 3], 3, 1, 'max'), (t) => ({ value: t }));
    expect(run.actions.find((a) => a.kind === 'promote')).toEqual({
      kind: 'promote',
      trial: 2,
      rung: 1,
      untilEpoch: 3,
    });
  });

  it('never promotes a failed, NaN or early-stopped trial; they rank last', () => {
    // trials 0 and 1 would be best but fail / give NaN; trial 2 stopped early at rung 0
    const out: Outcome = (t) =>
      t === 0
        ? { value: null, outcome: 'failed' }
        : t === 1
          ? { value: NaN }
          : t === 2
            ? { value: 0.5, final: true, epochs: 1 }
            : { value: t };
    const run = simulate(plan(6, [1, 3], 3, 1), out);
    const promoted = run.actions.filter((a) => a.kind === 'promote').map((a) => a.trial);
    // top ⌊6/3⌋ = 2 of rung 0 by value: trial 2 (0.5, final: not promotable), trial 3 (3)
    expect(promoted).toEqual([3]);
    const board = leaderboard(run.state);
    expect(board.map((r) => r.trial)).toEqual([2, 3, 4, 5, 0, 1]);
    expect(board.find((r) => r.trial === 0)!.status).toBe('failed');
    expect(board.find((r) => r.trial === 2)!.status).toBe('succeeded');
  });

  it('a sweep whose trials all fail ends failed', () => {
    const run = simulate(plan(4, [1, 3], 3, 2), () => ({ value: null, outcome: 'failed' }));
    expect(run.actions.at(-1)).toEqual({ kind: 'end', status: 'failed' });
    expect(countsOf(run.state).failed).toBe(4);
  });

  it('any arrival order of the completions gives the same actions and leaderboard (virtual clock)', () => {
    const cases: [MiniPlan, Outcome][] = [
      [plan(27, [1, 3, 9], 3, 4), noisy(1)],
      [plan(30, [2, 6, 18, 20], 3, 7, 'max'), noisy(2)],
      [plan(16, [1, 2, 4, 8], 2, 3), noisy(3)],
      [
        plan(20, [1, 3, 9], 3, 5),
        (t, r) =>
          t % 7 === 3
            ? { value: null, outcome: 'failed' }
            : t % 5 === 1
              ? { value: 0.01, final: true, epochs: r + 1 }
              : noisy(4)(t, r),
      ],
    ];
    for (const [p, out] of cases) {
      const fifo = simulate(p, out);
      for (let seed = 0; seed < 25; seed++) {
        const shuffled = simulate(p, out, createRng(seed));
        expect(shuffled.actions).toEqual(fifo.actions);
        expect(leaderboard(shuffled.state)).toEqual(leaderboard(fifo.state));
        expect(shuffled.maxInFlight).toBeLessThanOrEqual(p.maxConcurrentTrials);
      }
    }
  });

  it('stays within the worst-case budget and ends every trial exactly once', () => {
    const g = createRng(99);
    for (let i = 0; i < 60; i++) {
      const eta = 2 + g.int(3);
      const r = 1 + g.int(3);
      const R = r * eta ** (1 + g.int(3)) - g.int(2);
      const rungs = rungEpochs(r, Math.max(r, R), eta);
      const n = 1 + g.int(40);
      const p = plan(n, rungs, eta, 1 + g.int(8), g.int(2) ? 'min' : 'max');
      const run = simulate(p, noisy(i), createRng(i));
      expect(epochsUsed(run.state)).toBeLessThanOrEqual(ashaEpochsMax(n, rungs, eta));
      expect(run.actions.filter((a) => a.kind === 'end')).toHaveLength(1);
      expect(run.actions.filter((a) => a.kind === 'launch')).toHaveLength(n);
      for (let t = 0; t < n; t++) expect(run.terminalEvents.get(t)).toBe(1);
      const c = countsOf(run.state);
      expect(c.stopped + c.succeeded).toBe(n);
    }
  });
});

describe('reports and cancel', () => {
  it('a repeated, unknown or late report changes nothing', () => {
    const p = plan(9, [1, 3, 9], 3, 2);
    const s0 = startScheduler(p).state;
    const s1 = reportSegment(s0, { trial: 0, rung: 0, value: 1 });
    expect(s1.actions).toEqual([{ kind: 'launch', trial: 2, untilEpoch: 1 }]);
    const again = reportSegment(s1.state, { trial: 0, rung: 0, value: 5 });
    expect(again.actions).toEqual([]);
    expect(again.events).toEqual([]);
    expect(again.state).toEqual(s1.state);
    expect(reportSegment(s1.state, { trial: 7, rung: 0, value: 1 }).actions).toEqual([]);
    expect(reportSegment(s1.state, { trial: 1, rung: 2, value: 1 }).actions).toEqual([]);
  });

  it('a result that arrives early waits for the ones launched before it', () => {
    const s0 = startScheduler(plan(9, [1, 3, 9], 3, 2)).state;
    const early = reportSegment(s0, { trial: 1, rung: 0, value: 1 });
    expect(early.actions).toEqual([]);
    const due = reportSegment(early.state, { trial: 0, rung: 0, value: 2 });
    expect(due.actions).toEqual([
      { kind: 'launch', trial: 2, untilEpoch: 1 },
      { kind: 'launch', trial: 3, untilEpoch: 1 },
    ]);
  });

  it('cancel: training trials are cancelled, paused ones stopped, unlaunched ones cancelled; then nothing', () => {
    const p = plan(9, [1, 3, 9], 3, 2);
    let s = startScheduler(p).state; // 0, 1 training
    s = reportSegment(s, { trial: 0, rung: 0, value: 1 }).state; // 0 paused; 2 launched
    s = reportSegment(s, { trial: 2, rung: 0, value: 3 }).state; // recorded, waits for 1
    const c = cancelScheduler(s);
    expect(c.actions).toEqual([
      { kind: 'cancel', trial: 1 },
      { kind: 'stop', trial: 0 },
      { kind: 'stop', trial: 2 },
      { kind: 'end', status: 'cancelled' },
    ]);
    expect(countsOf(c.state)).toMatchObject({ stopped: 2, cancelled: 7 });
    expect(c.events.at(-1)).toEqual({ type: 'end', status: 'cancelled' });
    expect(reportSegment(c.state, { trial: 1, rung: 0, value: 0 }).actions).toEqual([]);
    expect(cancelScheduler(c.state).actions).toEqual([]);
  });

  it('events tell the story: status running, trial/rung/best, then status and end', () => {
    const st = startScheduler(plan(1, [2], 1, 1));
    expect(st.events).toEqual([
      { type: 'status', status: 'running' },
      { type: 'trial', trial: 0, status: 'running', rung: null, epochs: 0, value: null },
    ]);
    const done = reportSegment(st.state, { trial: 0, rung: 0, value: 0.25 });
    expect(done.events).toEqual([
      { type: 'rung', trial: 0, rung: 0, epochs: 2, value: 0.25, final: true },
      { type: 'trial', trial: 0, status: 'succeeded', rung: 0, epochs: 2, value: 0.25 },
      { type: 'best', trial: 0, rung: 0, value: 0.25 },
      { type: 'status', status: 'succeeded' },
      { type: 'end', status: 'succeeded' },
    ]);
  });
});
