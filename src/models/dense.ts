/**
 * The supervised models: `linear` (one dense layer; linear, logistic or softmax regression by the
 * loss) and `mlp` (dense layers with an activation and optional dropout between them).
 *
 * Parameter names are those of the equivalent PyTorch module's state_dict, so weights load into it:
 * linear → `weight` [out, in], `bias` [out]; mlp → torch.nn.Sequential(Linear, Act, [Dropout,] Linear, …)
 * → `0.weight`, `0.bias`, `2.weight`, … (or `3.weight` when dropout layers take indices).
 * {@link buildModel} builds every model type: `sequential` through sequential.ts.
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

import type { DenseConfig, LayerReport, Model, ModelConfig, NamedParam } from './model.js';
import { buildSequential } from './sequential.js';

export type { Activation };
export type { DenseConfig, LayerReport, Model, ModelConfig, NamedParam } from './model.js';

/** Names and shapes of the parameters, in state_dict order. */
export function parameterLayout(
  model: DenseConfig,
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
  if (config.type === 'sequential') return buildSequential(config, outWidth, dtype, init);
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
    buffers: [],
    inFeatures,
    outWidth,
    layers: denseLayerReport(config, inFeatures, outWidth),
    forward(x: Tensor, opts: { training?: boolean; rng?: Rng } = {}): Tensor {
      return forwardDense(
        config,
        params.map((p) => p.tensor),
        x,
        opts,
      );
    },
    forwardWith: (ts, x, opts) => forwardDense(config, ts, x, opts),
  };
}

/** The layers of a linear or mlp model as the torch.nn.Sequential they are (validate reports them). */
export function denseLayerReport(config: DenseConfig, inFeatures: number, outWidth: number): LayerReport[] {
  const sizes = config.type === 'linear' ? [inFeatures, outWidth] : [inFeatures, ...config.hidden, outWidth];
  const out: LayerReport[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const width = sizes[l + 1];
    out.push({ index: out.length, type: 'linear', outputShape: [width], parameters: (sizes[l] + 1) * width });
    if (config.type === 'mlp' && l + 2 < sizes.length) {
      out.push({ index: out.length, type: config.activation, outputShape: [width], parameters: 0 });
      if (config.dropout > 0)
        out.push({ index: out.length, type: 'dropout', outputShape: [width], parameters: 0 });
    }
  }
  return out;
}

/**
 * The forward pass with explicit parameter tensors [W0, b0, W1, b1, …] — what second-order methods
 * differentiate twice, with the parameters cut from one flat vector.
 */
export function forwardDense(
  config: DenseConfig,
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
