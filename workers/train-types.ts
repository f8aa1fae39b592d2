/**
 * The shape of `train()` from src/train as the worker uses it (interfaces.md), restated
 * structurally so the worker path can be exercised with a stand-in trainer in tests.
 */
import type { JobErrorCode } from '../src/contracts/problem.js';
import type { JobSpec } from '../src/contracts/job-spec.js';
import type { Dataset } from '../src/data/index.js';
import type { NamedWeights } from '../src/queue/safetensors.js';

export type TrainEventLike =
  | {
      type: 'progress';
      step: number;
      epoch: number;
      loss: number;
      lr: number;
      gradNorm: number;
      /** Task-specific fields added to the event (minimize: point, value; reinforce: return, …). */
      extra?: Record<string, unknown>;
    }
  | {
      type: 'epoch';
      epoch: number;
      loss: number;
      valLoss: number | null;
      metrics: Record<string, number>;
      /** Task-specific fields added to the event (Newton diagnostics). */
      extra?: Record<string, unknown>;
    }
  | { type: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; message: string };

export interface TrainOutcomeLike {
  status: 'succeeded' | 'cancelled' | 'failed';
  result: {
    loss: number | null;
    valLoss: number | null;
    metrics: Record<string, number>;
    parameters: number;
    durationMs: number;
    steps: number;
    [extra: string]: unknown;
  } | null;
  error: { code: JobErrorCode; message: string } | null;
  weights: NamedWeights;
  state?: unknown;
}

export interface TrainOptionsLike {
  signal?: AbortSignal;
  onEvent?(e: TrainEventLike): void;
  onCheckpoint?(state: unknown): void | Promise<void>;
  checkpointEveryMs?: number;
  resume?: unknown;
  progressEveryMs?: number;
  /** Server-wide wall-time cap in seconds (a spec's maxWallSeconds may be lower). */
  maxWallSeconds?: number;
}

/** The trainer and its checkpoint codec, injected into the job runner. */
export interface Trainer {
  train(spec: JobSpec, dataset: Dataset | null, opts: TrainOptionsLike): Promise<TrainOutcomeLike>;
  encodeResumeState(state: unknown): unknown;
  decodeResumeState(obj: unknown): unknown;
  /** Name of the kernel backend this process trains with (shown by /readyz). */
  backend(): string;
}
