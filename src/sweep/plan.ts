/**
 * Planning a sweep: the trials (grid multiplied out, values sampled, set into the spec, every spec
 * validated), the rungs and the worst-case budget, or the issues that refuse the request.
 */
import type { JobSpec } from '../contracts/job-spec.js';

/** One trial of a plan: its sampled values, its validated JobSpec and the epochs its job trains. */
export interface SweepPlanTrial {
  index: number;
  /** Dotted path → value, in the space's key order. */
  params: Record<string, unknown>;
  /** The normalized JobSpec of the trial's job (ASHA: training.epochs = maxEpochs). */
  spec: JobSpec;
  /** Epochs the job trains in all (1 for minimize and reinforce, which have no epochs). */
  epochs: number;
}

/** A validated sweep: what the scheduler runs. */
export interface SweepPlan {
  trials: SweepPlanTrial[];
  /** Epochs of each rung, strictly increasing (grid/random: one rung, the longest trial's epochs). */
  rungs: number[];
  /** η (1 for grid/random: nothing is promoted). */
  reductionFactor: number;
  metric: string;
  mode: 'min' | 'max';
  maxConcurrentTrials: number;
  /** Worst-case epochs over all trials. */
  epochsMax: number;
}
