/**
 * A small multilayer perceptron on flat typed arrays with a hand-written forward and backward pass,
 * used for the policy (and value) networks of REINFORCE. Acting calls the network once per
 * environment step — hundreds of thousands of tiny forward passes per job — so this stays free of
 * graph bookkeeping; its gradient is checked against the Tensor engine's autodiff in the tests.
 *
 * Layout follows torch's nn.Sequential of nn.Linear layers (state_dict order): for each layer l,
 * `weight` [out, in] row-major then `bias` [out]. Initialization is nn.Linear's default,
 * U(−1/√fan_in, 1/√fan_in) for weights and biases (kaiming_uniform with a = √5), drawn from our RNG.
 * Hidden layers apply the activation; the output layer is linear.
 */
import type { Rng } from '../rng/rng.js';
import { ACTIVATIONS, type Activation } from '../tensor/ops/activations.js';

/** The activations of the hidden layers: the models' own (one table, src/tensor/ops/activations.ts). */
export type MlpActivation = Activation;
export type MlpArray = Float32Array | Float64Array;

export interface Mlp {
  /** Layer widths, input first, output last. */
  readonly sizes: readonly number[];
  readonly activation: MlpActivation;
  /** [W0, b0, W1, b1, …]; updated in place by the optimizer. */
  readonly params: MlpArray[];
}

/** Activations and pre-activations of one forward pass, for the backward pass. */
export interface MlpTrace {
  /** inputs[l]: the input of layer l (inputs[0] is the observation). */
  inputs: Float64Array[];
  /** pre[l]: W_l·input + b_l of hidden layer l (before the activation). */
  pre: Float64Array[];
}

/** Create an MLP with torch's default nn.Linear initialization. */
export function createMlp(
  sizes: readonly number[],
  activation: MlpActivation,
  rng: Rng,
  dtype: 'float32' | 'float64' = 'float64',
): Mlp {
  if (sizes.length < 2) throw new RangeError('an MLP needs at least input and output sizes');
  const params: MlpArray[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const fanIn = sizes[l]!;
    const out = sizes[l + 1]!;
    const bound = 1 / Math.sqrt(fanIn);
    const w = dtype === 'float64' ? new Float64Array(out * fanIn) : new Float32Array(out * fanIn);
    for (let i = 0; i < w.length; i++) w[i] = rng.uniform(-bound, bound);
    const b = dtype === 'float64' ? new Float64Array(out) : new Float32Array(out);
    for (let i = 0; i < b.length; i++) b[i] = rng.uniform(-bound, bound);
    params.push(w, b);
  }
  return { sizes: [...sizes], activation, params };
}

/** Names of the parameters in torch's state_dict style: `${prefix}.{2l}.weight`, `.bias`. */
export function mlpParamNames(mlp: Mlp, prefix: string): string[] {
  const names: string[] = [];
  for (let l = 0; l + 1 < mlp.sizes.length; l++)
    names.push(`${prefix}.${2 * l}.weight`, `${prefix}.${2 * l}.bias`);
  return names;
}

/** Forward pass of one input vector; with `trace`, records what the backward pass needs. */
export function mlpForward(mlp: Mlp, x: ArrayLike<number>, trace?: MlpTrace): Float64Array {
  let h = Float64Array.from(x);
  const L = mlp.sizes.length - 1;
  for (let l = 0; l < L; l++) {
    const nIn = mlp.sizes[l]!;
    const nOut = mlp.sizes[l + 1]!;
    const w = mlp.params[2 * l]!;
    const b = mlp.params[2 * l + 1]!;
    const z = new Float64Array(nOut);
    for (let o = 0; o < nOut; o++) {
      let s = b[o]!;
      const row = o * nIn;
      for (let i = 0; i < nIn; i++) s += w[row + i]! * h[i]!;
      z[o] = s;
    }
    if (trace) trace.inputs.push(h);
    if (l < L - 1) {
      if (trace) trace.pre.push(z);
      const y = new Float64Array(nOut);
      const { value } = ACTIVATIONS[mlp.activation];
      for (let o = 0; o < nOut; o++) y[o] = value(z[o]!);
      h = y;
    } else h = z;
  }
  return h;
}

/** Fresh zero gradients shaped like the parameters (always float64 accumulators). */
export function zeroGrads(mlp: Mlp): Float64Array[] {
  return mlp.params.map((p) => new Float64Array(p.length));
}

/**
 * Backward pass for one traced forward: adds ∂(dOutᵀ·output)/∂params into `grads`.
 */
export function mlpBackward(mlp: Mlp, trace: MlpTrace, dOut: ArrayLike<number>, grads: Float64Array[]): void {
  const L = mlp.sizes.length - 1;
  let delta = Float64Array.from(dOut);
  for (let l = L - 1; l >= 0; l--) {
    const nIn = mlp.sizes[l]!;
    const nOut = mlp.sizes[l + 1]!;
    const input = trace.inputs[l]!;
    const gw = grads[2 * l]!;
    const gb = grads[2 * l + 1]!;
    for (let o = 0; o < nOut; o++) {
      const d = delta[o]!;
      if (d === 0) continue;
      gb[o]! += d;
      const row = o * nIn;
      for (let i = 0; i < nIn; i++) gw[row + i]! += d * input[i]!;
    }
    if (l === 0) break;
    const w = mlp.params[2 * l]!;
    const pre = trace.pre[l - 1]!;
    const next = new Float64Array(nIn);
    for (let o = 0; o < nOut; o++) {
      const d = delta[o]!;
      if (d === 0) continue;
      const row = o * nIn;
      for (let i = 0; i < nIn; i++) next[i]! += d * w[row + i]!;
    }
    const { derivative } = ACTIVATIONS[mlp.activation];
    for (let i = 0; i < nIn; i++) next[i]! *= derivative(pre[i]!, input[i]!);
    delta = next;
  }
}

/** Numerically stable softmax of logits. */
export function softmaxOf(z: ArrayLike<number>): Float64Array {
  let m = -Infinity;
  for (let i = 0; i < z.length; i++) if (z[i]! > m) m = z[i]!;
  const p = new Float64Array(z.length);
  let s = 0;
  for (let i = 0; i < z.length; i++) {
    p[i] = Math.exp(z[i]! - m);
    s += p[i]!;
  }
  for (let i = 0; i < z.length; i++) p[i]! /= s;
  return p;
}
