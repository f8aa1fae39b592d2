/**
 * The supervised models: `linear` (one dense layer; linear, logistic or softmax regression by the
 * loss) and `mlp` (dense layers with an activation and optional dropout between them).
 *
 * Parameter names are those of the equivalent PyTorch module's state_dict, so weights load into it:
 * linear → `weight` [out, in], `bias` [out]; mlp → torch.nn.Sequential(Linear, Act, [Dropout,] Linear, …)
 * → `0.weight`, `0.bias`, `2.weight`, … (or `3.weight` when dropout layers take indices).
 */
import type { Rng } from '../rng/rng.js';
import {
  ACTIVATIONS,
  allocate,
  dropout,
  linear,
  Tensor,
  type Activation,
  type DType,
  type FloatArray,
} from '../tensor/index.js';
import { initDense, type InitScheme } from './init.js';

export type { Activation };

/** What the model builder needs of a model spec. */
export type ModelConfig =
  { type: 'linear' } | { type: 'mlp'; hidden: readonly number[]; activation: Activation; dropout: number };

/** A parameter: its state_dict name and its tensor (a leaf that requires a gradient). */
export interface NamedParam {
  name: string;
  tensor: Tensor;
  /** True for weights (penalized by L1/L2 regularization), false for biases. */
  isWeight: boolean;
}

/** A built model: ordered parameters and a forward function. */
export interface Model {
  readonly config: ModelConfig;
  readonly params: NamedParam[];
  readonly inFeatures: number;
  readonly outWidth: number;
  /** Logits (or regression outputs) [N, outWidth] for inputs [N, inFeatures]. */
  forward(x: Tensor, opts?: { training?: boolean; rng?: Rng }): Tensor;
}

/** Names and shapes of the parameters, in state_dict order. */
export function parameterLayout(
  model: ModelConfig,
  inFeatures: number,
  outWidth: number,
): { name: string; shape: [number, number] | [number]; isWeight: boolean }[] {
  const sizes = model.type === 'linear' ? [inFeatures, outWidth] : [inFeatures, ...model.hidden, outWidth];
  const perBlock = model.type === 'mlp' && model.dropout > 0 ? 3 : 2; // Linear, Act[, Dropout]
  const out: { name: string; shape: [number, number] | [number]; isWeight: boolean }[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const prefix = model.type === 'linear' ? '' : `${l * perBlock}.`;
    out.push({ name: `${prefix}weight`, shape: [sizes[l + 1], sizes[l]], isWeight: true });
    out.push({ name: `${prefix}bias`, shape: [sizes[l + 1]], isWeight: false });
  }
  return out;
}

/**
 * Build a model with freshly initialized parameters (seeded), or with the given values
 * (`values[name]`, e.g. from `init.weights` or a checkpoint) where present.
 */
export function buildModel(
  config: ModelConfig,
  inFeatures: number,
  outWidth: number,
  dtype: DType,
  init: { scheme: InitScheme; rng: Rng; values?: Record<string, FloatArray> },
): Model {
  const layout = parameterLayout(config, inFeatures, outWidth);
  const params: NamedParam[] = [];
  for (let i = 0; i < layout.length; i += 2) {
    const w = layout[i];
    const b = layout[i + 1];
    const wd = allocate(dtype, w.shape[0] * (w.shape[1] ?? 1));
    const bd = allocate(dtype, b.shape[0]);
    // Always draw, even when values are given, so that the other layers' draws do not depend on
    // which subset of weights the user supplied.
    initDense(wd, bd, w.shape[1]!, w.shape[0], init.scheme, init.rng);
    const wv = init.values?.[w.name];
    const bv = init.values?.[b.name];
    if (wv) wd.set(wv);
    if (bv) bd.set(bv);
    params.push({ name: w.name, tensor: new Tensor(wd, w.shape, true), isWeight: true });
    params.push({ name: b.name, tensor: new Tensor(bd, b.shape, true), isWeight: false });
  }
  return {
    config,
    params,
    inFeatures,
    outWidth,
    forward(x: Tensor, opts: { training?: boolean; rng?: Rng } = {}): Tensor {
      return forwardDense(
        config,
        params.map((p) => p.tensor),
        x,
        opts,
      );
    },
  };
}

/**
 * The forward pass with explicit parameter tensors [W0, b0, W1, b1, …] — what second-order methods
 * differentiate twice, with the parameters cut from one flat vector.
 */
export function forwardDense(
  config: ModelConfig,
  params: readonly Tensor[],
  x: Tensor,
  opts: { training?: boolean; rng?: Rng } = {},
): Tensor {
  let h = x;
  const layers = params.length / 2;
  for (let l = 0; l < layers; l++) {
    h = linear(h, params[2 * l], params[2 * l + 1]); // y = x·Wᵀ + b, as nn.Linear
    if (config.type === 'mlp' && l < layers - 1) {
      h = ACTIVATIONS[config.activation].op(h);
      if (config.dropout > 0 && opts.training) {
        if (!opts.rng) throw new Error('dropout in training needs an rng');
        h = dropout(h, config.dropout, opts.rng, true);
      }
    }
  }
  return h;
}
