/**
 * The sweep scheduler: which trial trains which segment next, ASHA's promotions, and when the sweep
 * ends. Pure and JSON-serializable: the service keeps {@link SchedulerState} in Redis and applies
 * each call's actions and events atomically with the new state (docs/sweeps.md).
 *
 * Determinism — the decisions depend only on the plan and the results, never on timing. ASHA's
 * asynchronous rule (Li et al. 2020) runs on a *virtual clock*:
 *
 * - a *segment* is (trial, rung): train the trial from its previous rung's epochs to this rung's.
 *   Segments are numbered in launch order;
 * - `maxConcurrentTrials` slots; a slot is held from a segment's launch until its completion is
 *   *processed*;
 * - completions are processed in launch order: segment j only once it has finished and segments
 *   0 … j−1 have been processed. A result that arrives early is recorded and waits;
 * - each processed completion frees a slot, and while a slot is free the next job is chosen: from
 *   the top-but-one rung down to rung 0, the best trial among the top ⌊n_k/η⌋ of the n_k results
 *   processed at rung k that has not been promoted from k yet (ties by trial index; a failed or NaN
 *   result ranks last and is never promoted; a trial that ended at rung k is not promotable) is
 *   promoted to rung k+1, as long as fewer than ⌊n_k/η⌋ trials were promoted from k so far;
 *   else the next unlaunched trial is launched at rung 0; else the slot stays free;
 * - nothing in flight and nothing to launch: the sweep ends. Trials paused below their last rung
 *   are stopped (their jobs succeed with the weights of that rung).
 *
 * So any order in which the real segments finish gives the same sequence of actions (a slow
 * segment delays the decisions behind it: the price of a reproducible leaderboard). Grid and random
 * are the same machine with one rung: each trial is one segment trained to its last epoch.
 */
import type { SweepCounts, SweepEventBody, SweepTrialStatus } from '../contracts/sweep.js';
import type { SweepPlan } from './plan.js';

/** What the service does for the scheduler, in order. */
export type SchedulerAction =
  /** Create trial `trial`'s job and train it to `untilEpoch` (pause there if below its epochs). */
  | { kind: 'launch'; trial: number; untilEpoch: number }
  /** Resume trial `trial`'s paused job from its checkpoint, to `untilEpoch` (rung `rung`). */
  | { kind: 'promote'; trial: number; rung: number; untilEpoch: number }
  /** Trial `trial` stays at its rung: its paused job ends `succeeded` with that rung's weights. */
  | { kind: 'stop'; trial: number }
  /** Cancel trial `trial`'s job (it is training). */
  | { kind: 'cancel'; trial: number }
  /** The sweep is over. */
  | { kind: 'end'; status: 'succeeded' | 'failed' | 'cancelled' };

/** One segment: trial `trial` trained from `fromEpoch` to `untilEpoch` (rung `rung`). */
interface Segment {
  trial: number;
  rung: number;
  fromEpoch: number;
  untilEpoch: number;
  /** Set when the segment's completion is reported. */
  result: SegmentResult | null;
}

interface SegmentResult {
  /** The metric, null when missing or not finite. */
  value: number | null;
  /** The trial ended in this segment (its last epoch, or its own early stopping). */
  final: boolean;
  /** How the trial's job ended, when not paused or succeeded. */
  outcome: 'ok' | 'failed' | 'cancelled';
  /** Epochs the trial had trained when the segment ended. */
  epochs: number;
}

interface TrialState {
  status: SweepTrialStatus;
  /** Highest rung whose result was processed. */
  rung: number | null;
  epochs: number;
  value: number | null;
  /** The trial cannot go further (ended, failed). */
  done: boolean;
}

/** The scheduler's whole state: plain JSON, stored by the service between calls. */
export interface SchedulerState {
  version: 1;
  status: 'running' | 'succeeded' | 'failed' | 'cancelled';
  rungs: number[];
  eta: number;
  mode: 'min' | 'max';
  maxConcurrentTrials: number;
  /** Epochs each trial's job trains in all (ASHA: maxEpochs; grid/random: its spec's epochs). */
  trialEpochs: number[];
  /** Next trial index to launch. */
  nextTrial: number;
  /** Every segment launched, in launch order. */
  segments: Segment[];
  /** Segments 0 … processed−1 have been processed. */
  processed: number;
  trials: TrialState[];
  /** Per rung: the results processed there (trial and its value at that rung), in processing order. */
  rungResults: { trial: number; value: number | null }[][];
  /** Per rung: the trials promoted from it. */
  promotedFrom: number[][];
  best: { trial: number; rung: number; value: number } | null;
}

/** What a call returns: the new state, the actions to carry out and the events to append. */
export interface SchedulerStep {
  state: SchedulerState;
  actions: SchedulerAction[];
  events: SweepEventBody[];
}

/** A finished segment, as the service reports it. */
export interface SegmentReport {
  trial: number;
  rung: number;
  /** The metric of the trial's result (src/sweep/metric.ts); null when absent or not finite. */
  value: number | null;
  /** The trial's job ended (early stopping, or its last epoch) rather than paused. */
  final?: boolean;
  /** The trial's job failed, or was cancelled from outside the sweep. Default: it trained. */
  outcome?: 'ok' | 'failed' | 'cancelled';
  /** Epochs trained when it ended (default: the segment's untilEpoch). */
  epochs?: number;
}

/** A leaderboard row. */
export interface LeaderboardRow {
  trial: number;
  status: SweepTrialStatus;
  rung: number | null;
  epochs: number;
  value: number | null;
}

/** A fresh scheduler for `plan`: the first segments to launch (up to maxConcurrentTrials). */
export function startScheduler(
  plan: Pick<SweepPlan, 'trials' | 'rungs' | 'reductionFactor' | 'mode' | 'maxConcurrentTrials'>,
): SchedulerStep {
  const state: SchedulerState = {
    version: 1,
    status: 'running',
    rungs: [...plan.rungs],
    eta: plan.reductionFactor,
    mode: plan.mode,
    maxConcurrentTrials: plan.maxConcurrentTrials,
    trialEpochs: plan.trials.map((t) => t.epochs),
    nextTrial: 0,
    segments: [],
    processed: 0,
    trials: plan.trials.map(() => ({ status: 'pending', rung: null, epochs: 0, value: null, done: false })),
    rungResults: plan.rungs.map(() => []),
    promotedFrom: plan.rungs.map(() => []),
    best: null,
  };
  const out: SchedulerStep = { state, actions: [], events: [{ type: 'status', status: 'running' }] };
  fill(out);
  return out;
}

/**
 * Record a finished segment and process every completion that is now due, in launch order.
 * Idempotent: a segment already reported, one never launched, or any report after the sweep ended
 * returns the state unchanged and no actions.
 */
export function reportSegment(prev: SchedulerState, report: SegmentReport): SchedulerStep {
  const state = structuredClone(prev);
  const out: SchedulerStep = { state, actions: [], events: [] };
  if (state.status !== 'running') return out;
  const seg = state.segments.find((s) => s.trial === report.trial && s.rung === report.rung);
  if (!seg || seg.result) return out;
  const value = report.value !== null && Number.isFinite(report.value) ? report.value : null;
  const outcome = report.outcome ?? 'ok';
  seg.result = {
    value: outcome === 'ok' ? value : null,
    final: outcome !== 'ok' || report.final === true || seg.untilEpoch >= state.trialEpochs[seg.trial],
    outcome,
    epochs: report.epochs ?? seg.untilEpoch,
  };
  while (state.processed < state.segments.length && state.segments[state.processed].result) {
    applyResult(out, state.segments[state.processed]);
    state.processed++;
    fill(out);
  }
  if (state.processed === state.segments.length) finish(out);
  return out;
}

/**
 * Cancel the sweep: trials training now are cancelled, paused ones are stopped (they keep their
 * weights), unlaunched ones become `cancelled`. Results reported but not yet processed are applied
 * to their trials first (no promotion is made). Idempotent after the end.
 */
export function cancelScheduler(prev: SchedulerState): SchedulerStep {
  const state = structuredClone(prev);
  const out: SchedulerStep = { state, actions: [], events: [] };
  if (state.status !== 'running') return out;
  for (let j = state.processed; j < state.segments.length; j++) {
    const seg = state.segments[j];
    if (seg.result) applyResult(out, seg);
    else {
      out.actions.push({ kind: 'cancel', trial: seg.trial });
      setTrial(out, seg.trial, { status: 'cancelled', done: true });
    }
  }
  state.processed = state.segments.length;
  for (let t = 0; t < state.trials.length; t++) {
    const tr = state.trials[t];
    if (tr.status === 'paused') stop(out, t);
    else if (tr.status === 'pending') setTrial(out, t, { status: 'cancelled', done: true });
  }
  end(out, 'cancelled');
  return out;
}

/** Every trial, best first: by value (mode), trials without a value last, ties by index. */
export function leaderboard(state: SchedulerState): LeaderboardRow[] {
  return state.trials
    .map((t, trial) => ({ trial, status: t.status, rung: t.rung, epochs: t.epochs, value: t.value }))
    .sort((a, b) => compare(state.mode, a.value, a.trial, b.value, b.trial));
}

/** The best trial so far: its index, the rung of its value and the value; null before any. */
export function bestOf(state: SchedulerState): { trial: number; rung: number; value: number } | null {
  return state.best ? { ...state.best } : null;
}

/** Trials by status. */
export function countsOf(state: SchedulerState): SweepCounts {
  const c: SweepCounts = {
    total: state.trials.length,
    pending: 0,
    running: 0,
    paused: 0,
    promoted: 0,
    stopped: 0,
    succeeded: 0,
    failed: 0,
    cancelled: 0,
  };
  for (const t of state.trials) c[t.status]++;
  return c;
}

/** Epochs trained so far, summed over the segments whose completion was reported. */
export function epochsUsed(state: SchedulerState): number {
  let n = 0;
  for (const s of state.segments) if (s.result) n += Math.max(0, s.result.epochs - s.fromEpoch);
  return n;
}

// ——— internals ———

/** Negative when (va, ia) ranks before (vb, ib): better value first, null last, then lower index. */
function compare(mode: 'min' | 'max', va: number | null, ia: number, vb: number | null, ib: number): number {
  if (va !== null && vb !== null && va !== vb) return mode === 'min' ? va - vb : vb - va;
  if (va === null && vb !== null) return 1;
  if (vb === null && va !== null) return -1;
  return ia - ib;
}

function setTrial(out: SchedulerStep, t: number, patch: Partial<TrialState>): void {
  const tr = Object.assign(out.state.trials[t], patch);
  out.events.push({
    type: 'trial',
    trial: t,
    status: tr.status,
    rung: tr.rung,
    epochs: tr.epochs,
    value: tr.value,
  });
}

function stop(out: SchedulerStep, t: number): void {
  out.actions.push({ kind: 'stop', trial: t });
  setTrial(out, t, { status: 'stopped', done: true });
}

/** A completion's effect on its trial (no decisions): rung, epochs, value, status; the best. */
function applyResult(out: SchedulerStep, seg: Segment): void {
  const { state } = out;
  const r = seg.result!;
  state.rungResults[seg.rung].push({ trial: seg.trial, value: r.value });
  out.events.push({
    type: 'rung',
    trial: seg.trial,
    rung: seg.rung,
    epochs: r.epochs,
    value: r.value,
    final: r.final,
  });
  const status: SweepTrialStatus =
    r.outcome === 'failed'
      ? 'failed'
      : r.outcome === 'cancelled'
        ? 'cancelled'
        : r.final
          ? 'succeeded'
          : 'paused';
  setTrial(out, seg.trial, { status, rung: seg.rung, epochs: r.epochs, value: r.value, done: r.final });
  updateBest(out);
}

/** The trial with the best current value (ties by index); an event when it changes. */
function updateBest(out: SchedulerStep): void {
  const { state } = out;
  let best: SchedulerState['best'] = null;
  state.trials.forEach((t, i) => {
    if (t.value === null || t.rung === null) return;
    if (!best || compare(state.mode, t.value, i, best.value, best.trial) < 0)
      best = { trial: i, rung: t.rung, value: t.value };
  });
  const b = best as SchedulerState['best'];
  const was = state.best;
  if (b && (!was || was.trial !== b.trial || was.rung !== b.rung || was.value !== b.value)) {
    state.best = b;
    out.events.push({ type: 'best', trial: b.trial, rung: b.rung, value: b.value });
  } else if (!b) state.best = null;
}

/** While a slot is free, ask for the next job; the slot stays free when there is none. */
function fill(out: SchedulerStep): void {
  const { state } = out;
  while (state.segments.length - state.processed < state.maxConcurrentTrials) {
    const next = nextJob(state);
    if (!next) return;
    const { trial, rung } = next;
    const untilEpoch = Math.min(state.rungs[rung], state.trialEpochs[trial]);
    const fromEpoch = rung === 0 ? 0 : state.trials[trial].epochs;
    state.segments.push({ trial, rung, fromEpoch, untilEpoch, result: null });
    if (rung === 0) {
      state.nextTrial++;
      out.actions.push({ kind: 'launch', trial, untilEpoch });
      setTrial(out, trial, { status: 'running' });
    } else {
      state.promotedFrom[rung - 1].push(trial);
      out.actions.push({ kind: 'promote', trial, rung, untilEpoch });
      setTrial(out, trial, { status: 'promoted' });
    }
  }
}

/** ASHA's get_job: a promotion (highest rung first), else a new trial, else nothing. */
function nextJob(state: SchedulerState): { trial: number; rung: number } | null {
  for (let k = state.rungs.length - 2; k >= 0; k--) {
    const results = state.rungResults[k];
    const quota = Math.floor(results.length / state.eta);
    // At most ⌊n_k/η⌋ promotions from rung k in all. Paper ASHA has no such cap, and a trial that
    // later falls out of the top 1/η stays promoted, so it can promote more; the cap is what makes
    // `epochsMax` (rungs.ts) a true bound on the budget.
    if (state.promotedFrom[k].length >= quota) continue;
    // Ranked by the value each trial had at rung k (a later rung's result does not re-rank it).
    const ranked = [...results]
      .sort((a, b) => compare(state.mode, a.value, a.trial, b.value, b.trial))
      .slice(0, quota);
    const promoted = new Set(state.promotedFrom[k]);
    const pick = ranked.find(
      (r) => r.value !== null && !promoted.has(r.trial) && !state.trials[r.trial].done,
    );
    if (pick) return { trial: pick.trial, rung: k + 1 };
  }
  if (state.nextTrial < state.trials.length) return { trial: state.nextTrial, rung: 0 };
  return null;
}

/** Nothing in flight and nothing to launch: stop the paused trials and end. */
function finish(out: SchedulerStep): void {
  const { state } = out;
  if (state.status !== 'running' || state.processed !== state.segments.length) return;
  if (nextJob(state)) return;
  state.trials.forEach((t, i) => {
    if (t.status === 'paused') stop(out, i);
  });
  const anyOk = state.trials.some((t) => t.status === 'succeeded' || t.status === 'stopped');
  end(out, anyOk ? 'succeeded' : 'failed');
}

function end(out: SchedulerStep, status: 'succeeded' | 'failed' | 'cancelled'): void {
  out.state.status = status;
  out.actions.push({ kind: 'end', status });
  out.events.push({ type: 'status', status }, { type: 'end', status });
}
