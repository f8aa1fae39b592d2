/**
 * The basic layer family: `linear` (over the last dimension, as nn.Linear), `flatten`
 * (nn.Flatten(start_dim=1)), `dropout` and the element-wise activations. Activations and dropout
 * have no parameters and keep the shape; each forward is written with Tensor ops, so autodiff
 * differentiates it to any order.
 */
import type { Rng } from '../../rng/rng.js';
import {
  add,
  dropout,
  elu,
  gelu,
  leakyRelu,
  linear,
  mul,
  relu,
  reshape,
  sigmoid,
  softplus,
  tanh,
  type FloatArray,
  type Tensor,
} from '../../tensor/index.js';
import { LayerShapeError, type BuiltLayer, type LayerFamily, type Shape } from './types.js';

/** U(−bound, bound) into `out`, in index order (the order dense.ts has always drawn in). */
function uniformFill(out: FloatArray, bound: number, rng: Rng): void {
  for (let i = 0; i < out.length; i++) out[i] = rng.uniform(-bound, bound);
}

/** A layer without parameters that keeps the shape: an activation. */
function pointwise(input: Shape, f: (x: Tensor) => Tensor): BuiltLayer {
  return { outputShape: [...input], params: [], buffers: [], forward: (x) => f(x) };
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** gelu(approximate="tanh"): ½x(1 + tanh(√(2/π)(x + 0.044715x³))), as torch writes it. */
function geluTanh(x: Tensor): Tensor {
  const inner = mul(add(x, mul(mul(mul(x, x), x), 0.044715)), SQRT_2_OVER_PI);
  return mul(mul(x, 0.5), add(tanh(inner), 1));
}

/** The builders of the basic layer types. */
export const basicLayers: LayerFamily<
  | 'linear'
  | 'flatten'
  | 'dropout'
  | 'relu'
  | 'tanh'
  | 'sigmoid'
  | 'silu'
  | 'leaky_relu'
  | 'elu'
  | 'gelu'
  | 'softplus'
> = {
  linear(spec, input) {
    if (input.length === 0) throw new LayerShapeError('linear needs an input with at least one dimension');
    const inF = input[input.length - 1];
    // torch's kaiming_uniform(a=√5) on [out, in] is U(±1/√in); the bias uses the same bound.
    const bound = inF > 0 ? 1 / Math.sqrt(inF) : 0;
    const init = (out: FloatArray, rng: Rng) => uniformFill(out, bound, rng);
    return {
      outputShape: [...input.slice(0, -1), spec.out],
      params: [
        { name: 'weight', shape: [spec.out, inF], isWeight: true, fan: { in: inF, out: spec.out }, init },
        ...(spec.bias ? [{ name: 'bias', shape: [spec.out], isWeight: false, init }] : []),
      ],
      buffers: [],
      forward: (x, state) => linear(x, state.params.weight, state.params.bias),
    };
  },
  flatten(_spec, input) {
    const size = input.reduce((a, b) => a * b, 1);
    return {
      outputShape: [size],
      params: [],
      buffers: [],
      forward: (x) => reshape(x, [x.shape[0], size]),
    };
  },
  dropout(spec, input) {
    return {
      outputShape: [...input],
      params: [],
      buffers: [],
      // Inverted dropout from the run's dropout generator; identity in eval mode.
      forward: (x, _state, ctx) => dropout(x, spec.p, ctx.rng, ctx.training),
    };
  },
  relu: (_spec, input) => pointwise(input, relu),
  tanh: (_spec, input) => pointwise(input, tanh),
  sigmoid: (_spec, input) => pointwise(input, sigmoid),
  // x·σ(x), torch.nn.SiLU; autodiff gives σ(x)(1 + x(1 − σ(x))).
  silu: (_spec, input) => pointwise(input, (x) => mul(x, sigmoid(x))),
  leaky_relu: (spec, input) => pointwise(input, (x) => leakyRelu(x, spec.slope)),
  elu: (spec, input) => pointwise(input, (x) => elu(x, spec.alpha)),
  gelu: (spec, input) => pointwise(input, spec.approximate === 'tanh' ? geluTanh : gelu),
  softplus: (spec, input) => pointwise(input, (x) => softplus(x, spec.beta, spec.threshold)),
};

/** The basic layer types: dense-like in cost per parameter (the diagnostics' work budget assumes it). */
export const BASIC_LAYER_TYPES: ReadonlySet<string> = new Set(Object.keys(basicLayers));
