/**
 * The model interface every supervised consumer uses (training, diagnostics, predict, the flat
 * objective of second-order methods), whatever the model type: `linear`, `mlp` (dense.ts) or
 * `sequential` (sequential.ts).
 */
import type { Rng } from '../rng/rng.js';
import type { Activation, FloatArray, Tensor } from '../tensor/index.js';
import type { LayerSpec } from './layers/types.js';

/** A `sequential` layer as the spec gives it: the last `linear` may leave `out` to the output-width rule. */
export type SequentialLayerSpec =
  Exclude<LayerSpec, { type: 'linear' }> | { type: 'linear'; out?: number; bias: boolean };

/** What the sequential builder needs of a `sequential` model spec. */
export interface SequentialConfig {
  type: 'sequential';
  /** One sample's shape (no batch dim); a flat data row holds prod(input) values, row-major. */
  input: readonly number[];
  layers: readonly SequentialLayerSpec[];
}

/** The dense models: one Linear layer, or Linear layers with an activation and dropout between. */
export type DenseConfig =
  { type: 'linear' } | { type: 'mlp'; hidden: readonly number[]; activation: Activation; dropout: number };

/** What the model builder needs of a model spec. */
export type ModelConfig = DenseConfig | SequentialConfig;

/** A parameter: its state_dict name and its tensor (a leaf that requires a gradient). */
export interface NamedParam {
  name: string;
  tensor: Tensor;
  /** True for weights (penalized by L1/L2 regularization), false for biases. */
  isWeight: boolean;
}

/** A buffer: state saved with the weights but not trained (batchnorm's running statistics). */
export interface NamedBuffer {
  name: string;
  shape: number[];
  /** Updated in place by the forward pass in training mode. */
  data: FloatArray;
  /** int64 in torch's state_dict (num_batches_tracked). */
  integer: boolean;
}

/** One layer as `POST /v1/jobs/validate` reports it. */
export interface LayerReport {
  index: number;
  type: string;
  /** One sample's shape after the layer. */
  outputShape: number[];
  /** Trained values the layer holds. */
  parameters: number;
}

/** Forward options: training mode (dropout on, batch statistics) needs the dropout generator. */
export interface ForwardOptions {
  training?: boolean;
  rng?: Rng;
}

/** A built model: ordered parameters, buffers and a forward function. */
export interface Model {
  readonly config: ModelConfig;
  readonly params: NamedParam[];
  /** Buffers in state_dict order (none for linear and mlp). */
  readonly buffers: NamedBuffer[];
  /** Values of one flat data row. */
  readonly inFeatures: number;
  readonly outWidth: number;
  /** The layers with their output shapes and parameter counts. */
  readonly layers: LayerReport[];
  /** Logits (or regression outputs) [N, outWidth] for inputs [N, inFeatures]. */
  forward(x: Tensor, opts?: ForwardOptions): Tensor;
  /**
   * The forward pass with explicit parameter tensors in `params` order — what second-order
   * methods differentiate twice, with the parameters cut from one flat vector.
   */
  forwardWith(params: readonly Tensor[], x: Tensor, opts?: ForwardOptions): Tensor;
}

/**
 * The builder's config of a parsed model spec: the spec itself (extra fields such as `classes`
 * are ignored), a linear one reduced to its type.
 */
export function modelConfigOf(model: ModelConfig): ModelConfig {
  return model.type === 'linear' ? { type: 'linear' } : model;
}
