/** A stored sweep as the API shows it: the record plus what the scheduler's state says. */
import type { Sweep, SweepTrial } from '../contracts/sweep.js';
import { trialIdOf, trialJobId } from './ids.js';
import type { SweepRecord } from './sweep-store.js';
import { bestOf, countsOf, epochsUsed, leaderboard, type SchedulerState } from '../sweep/scheduler.js';

/** `GET /v1/sweeps/{id}` (and every route answering a sweep). */
export function sweepView(sw: SweepRecord): Sweep {
  const r = sw.request as Record<string, unknown>;
  const state = sw.state as SchedulerState;
  const best = bestOf(state);
  return {
    id: sw.id,
    object: 'sweep',
    status: sw.status,
    createdAt: sw.createdAt,
    startedAt: sw.startedAt,
    finishedAt: sw.finishedAt,
    spec: r.spec as Record<string, unknown>,
    space: r.space as Record<string, unknown>,
    searcher: r.searcher as Record<string, unknown>,
    metric: String(r.metric),
    mode: r.mode as 'min' | 'max',
    maxConcurrentTrials: Number(r.maxConcurrentTrials),
    seed: Number(r.seed),
    rungs: sw.rungs,
    counts: countsOf(state),
    best: best
      ? {
          trialId: trialIdOf(sw.id, best.trial),
          jobId: trialJobId(sw.id, best.trial),
          params: sw.params[best.trial] ?? {},
          value: best.value,
        }
      : null,
    budget: { epochsUsed: epochsUsed(state), epochsMax: sw.epochsMax },
    metadata: (r.metadata as Record<string, unknown>) ?? {},
  };
}

/** `GET /v1/sweeps/{id}/trials`: the leaderboard, best first, with each trial's ids. */
export function sweepTrials(sw: SweepRecord): SweepTrial[] {
  const state = sw.state as SchedulerState;
  // A trial has a job once a segment of it was launched (a trial cancelled before it never has).
  const launched = new Set(state.segments.map((s) => s.trial));
  return leaderboard(state).map((row) => ({
    trialId: trialIdOf(sw.id, row.trial),
    jobId: launched.has(row.trial) ? trialJobId(sw.id, row.trial) : null,
    index: row.trial,
    params: sw.params[row.trial] ?? {},
    status: row.status,
    rung: row.rung,
    epochs: row.epochs,
    value: row.value,
  }));
}
