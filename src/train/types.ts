/** What the training loop reports and what it can resume from. */
import type { RngStateFull } from '../rng/rng.js';
import type { FloatArray, NamedWeights } from '../tensor/index.js';
import type { Split } from './batches.js';

/** A progress event: throttled in time, and always at the last step of an epoch. */
export interface ProgressEvent {
  type: 'progress';
  /** Optimizer steps done so far (1-based after the first step). */
  step: number;
  /** The epoch in progress, 1-based. */
  epoch: number;
  epochs: number;
  totalSteps: number;
  /** Loss of the last batch (data loss plus penalty). */
  loss: number;
  /** Learning rate applied at that step. */
  lr: number;
  /** Global L2 norm of the gradient before clipping. */
  gradNorm: number;
  /** ‖Δθ‖ / ‖θ‖ of that step. */
  updateRatio: number;
}

/** End of an epoch: mean training loss, validation loss and metrics. */
export interface EpochEvent {
  type: 'epoch';
  epoch: number;
  /** Mean data loss over the epoch's batches, weighted by batch size (penalty excluded). */
  loss: number;
  valLoss: number | null;
  /**
   * Validation metrics when there is a validation split; otherwise training metrics accumulated
   * over the epoch's batches (each batch scored by the weights it was trained from).
   */
  metrics: Record<string, number>;
  /** Newton's method: this iteration's diagnostics. */
  newton?: Record<string, number | boolean>;
}

export interface LogEvent {
  type: 'log';
  level: 'info' | 'warn' | 'error';
  message: string;
}

export type TrainEvent = ProgressEvent | EpochEvent | LogEvent;

/**
 * Everything needed to continue a run exactly: parameters, optimizer state, generator states,
 * data cursor and running accumulators. Resuming from it gives the same weights, bit for bit, as
 * a run that never stopped.
 */
export interface ResumeState {
  version: 1;
  /** Optimizer steps done. */
  step: number;
  /** Completed epochs. */
  epoch: number;
  /** Batches of the current epoch already done. */
  batchInEpoch: number;
  names: string[];
  params: FloatArray[];
  /** The model's buffers (batchnorm's running statistics) in state_dict order, when it has any. */
  buffers?: FloatArray[];
  /** Optimizer state (optimizer-specific plain data). */
  optimizer: unknown;
  /** The shuffling generator as it was at the start of the current epoch (to redraw its order). */
  shuffleRngAtEpochStart: RngStateFull;
  /** The dropout generator as it is now. */
  dropoutRng: RngStateFull;
  /** Running sums of the current epoch's data loss and rows. */
  epochLossSum: number;
  epochRows: number;
  /** Running training-metric accumulators of the current epoch. */
  epochMetrics?: number[];
  /** Early stopping: best monitored value, its epoch, epochs since, and the best weights if kept. */
  best: { value: number; epoch: number; since: number; params: FloatArray[] | null; buffers?: FloatArray[] };
  /** Training time so far, for wall-time limits and durationMs. */
  elapsedMs: number;
}

export interface TrainResult {
  loss: number;
  valLoss: number | null;
  metrics: Record<string, number>;
  parameters: number;
  durationMs: number;
  steps: number;
  epochs: number;
  /** Why training stopped before its last epoch, if it did (early stopping). */
  stoppedEarly?: string;
  /** Which input features matter (null when diagnostics are off). */
  sensitivity?: Sensitivity | null;
  /** Hessian spectrum of the loss at the trained weights (null when off or over budget). */
  curvature?: Curvature | null;
}

export interface TrainError {
  code: 'DIVERGED' | 'TIMEOUT' | 'INVALID_SPEC' | 'INTERNAL';
  message: string;
}

export interface TrainOutcome {
  /**
   * `paused`: the run reached `untilEpoch` (its end-of-epoch work done) and stopped there, after
   * delivering the checkpoint it resumes from; `result` and `weights` are as of that epoch.
   */
  status: 'succeeded' | 'cancelled' | 'failed' | 'paused';
  result: TrainResult | null;
  error: TrainError | null;
  weights: NamedWeights;
  state: ResumeState;
}

export interface TrainOptions {
  signal?: AbortSignal;
  onEvent?(e: TrainEvent): void;
  onCheckpoint?(state: ResumeState): void | Promise<void>;
  /** Checkpoint cadence in ms (0 or absent: only at stop). */
  checkpointEveryMs?: number;
  resume?: ResumeState;
  /** Minimum time between progress events (default 100 ms). */
  progressEveryMs?: number;
  /** Yield to the event loop at least this often (default 20 ms), so aborts and I/O get through. */
  yieldEveryMs?: number;
  /** Server-wide wall-time cap in seconds (the spec's maxWallSeconds may be lower). */
  maxWallSeconds?: number;
  /**
   * Pause after this epoch (1-based count of completed epochs), a sweep's rung: once the epoch's
   * end-of-epoch work (validation, metrics, early stopping) is done, the run delivers a checkpoint
   * through `onCheckpoint` and ends `paused` with the weights and result of that epoch. Resuming
   * from that checkpoint with a later `untilEpoch` (or none) continues bit for bit as if the run
   * had never stopped. At or past `training.epochs` it changes nothing; a resume that is already
   * at or past it pauses again at once (a replayed segment gets the same outcome).
   * Supervised jobs only (minimize and reinforce ignore it).
   */
  untilEpoch?: number;
  /**
   * End-of-run diagnostics (input sensitivity; loss curvature when parameters × rows × 300 HVPs
   * fit the budget). Default true.
   */
  diagnostics?: boolean;
  /**
   * How gradients are computed for the dense models: 'fused' (default; hand-written forward and
   * backward over reused buffers) or 'autodiff' (the general engine; the reference the fused path
   * is tested against).
   */
  engine?: 'fused' | 'autodiff';
  /** A clock, for tests. */
  now?: () => number;
  /**
   * The train / validation split, already drawn (src/train/tables.ts: after the test split and
   * with preprocessed rows); absent, `train` draws it from the seed.
   */
  split?: Split;
}

/** Per-feature sensitivities, in feature order, and the features ranked most important first. */
export interface Sensitivity {
  features: string[];
  /** mean over samples and outputs of |∂output_k/∂x_j| */
  output: number[];
  /** mean over samples of |∂ℓᵢ/∂x_j|, ℓᵢ the sample's loss */
  loss: number[];
  /** Feature indices sorted by output sensitivity, largest first. */
  ranking: number[];
  /** Rows the means were taken over (validation rows when there are any). */
  rows: number;
}

/** Curvature of the training loss at the trained weights. */
export interface Curvature {
  /** Largest eigenvalue of the Hessian, by power iteration on Hessian-vector products. */
  maxEigenvalue: number;
  powerIterations: number;
  /** From the full Hessian when the model is small enough (else null). */
  minEigenvalue: number | null;
  /** |λmax| / |λmin| over the full spectrum, or null. */
  conditionNumber: number | null;
  /** All eigenvalues ≥ −1e-8·|λmax|: locally convex. Null without the full spectrum. */
  locallyConvex: boolean | null;
  parameters: number;
}
