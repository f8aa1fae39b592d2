/**
 * Normalisation layers: torch.nn.BatchNorm1d, BatchNorm2d and LayerNorm. Layer norm is written with
 * Tensor ops (gradients and Hessian-vector products from autodiff); batch norm is the fused `batchNorm`
 * / `batchNormEval` ops (src/tensor/ops/batchnorm.ts), whose double backward goes through the same
 * op composite.
 *
 * Batch norm, per channel c over the batch (and length / height·width), n values per channel:
 *   training:  μ = mean(x),  σ² = mean((x − μ)²) (biased),  y = (x − μ)/√(σ² + ε) · γ + β;
 *              running_mean ← (1 − m)·running_mean + m·μ,
 *              running_var  ← (1 − m)·running_var  + m·σ²·n/(n − 1) (unbiased),
 *              num_batches_tracked += 1, and m = 1/num_batches_tracked when momentum is null
 *              (a cumulative average). The update is plain arithmetic on the buffers, outside the graph.
 *   eval:      y = (x − running_mean)/√(running_var + ε) · γ + β.
 * Layer norm, over the last dim: the same standardisation with the sample's own biased statistics.
 *
 * γ (`weight`, ones) and β (`bias`, zeros) exist only when `affine`; both are declared with
 * isWeight false: norm scales and shifts are not penalised by L1/L2 and `init.scheme` leaves them alone.
 */
import {
  add,
  batchNorm,
  batchNormEval,
  div,
  mean,
  mul,
  sqrt,
  sub,
  Tensor,
  type FloatArray,
} from '../../tensor/index.js';
import type { BufferDecl, BuiltLayer, LayerFamily, ParamDecl, Shape, SpecOf } from './types.js';
import { LayerShapeError } from './types.js';

const fmt = (s: Shape): string => `[${s.join(', ')}]`;

/** γ = 1 and β = 0 of size n, both outside regularisation. */
function affineParams(n: number): ParamDecl[] {
  return [
    { name: 'weight', shape: [n], isWeight: false, init: (out) => out.fill(1) },
    { name: 'bias', shape: [n], isWeight: false, init: (out) => out.fill(0) },
  ];
}

/** (x − μ)/√(σ² + ε) over the last dim, then ·γ + β when given: F.layer_norm. */
export function layerNorm(x: Tensor, eps: number, weight?: Tensor, bias?: Tensor): Tensor {
  const mu = mean(x, -1, true);
  const xc = sub(x, mu);
  const variance = mean(mul(xc, xc), -1, true);
  const y = div(xc, sqrt(add(variance, eps)));
  return weight && bias ? add(mul(y, weight), bias) : y;
}

function buildLayerNorm(spec: SpecOf<'layernorm'>, input: Shape): BuiltLayer {
  if (input.length === 0) throw new LayerShapeError('layernorm needs at least one input dim; got a scalar');
  const f = input[input.length - 1];
  return {
    outputShape: [...input],
    params: spec.affine ? affineParams(f) : [],
    buffers: [],
    forward: (x, state) =>
      spec.affine ? layerNorm(x, spec.eps, state.params.weight, state.params.bias) : layerNorm(x, spec.eps),
  };
}

type BatchNormSpec = SpecOf<'batchnorm1d' | 'batchnorm2d'>;

function batchNormBuffers(c: number): BufferDecl[] {
  return [
    { name: 'running_mean', shape: [c], fill: 0 },
    { name: 'running_var', shape: [c], fill: 1 },
    { name: 'num_batches_tracked', shape: [], fill: 0, integer: true },
  ];
}

function buildBatchNorm(spec: BatchNormSpec, input: Shape): BuiltLayer {
  const ok = spec.type === 'batchnorm1d' ? input.length === 1 || input.length === 2 : input.length === 3;
  if (!ok) {
    const want = spec.type === 'batchnorm1d' ? '[F] or [C, L]' : '[C, H, W]';
    throw new LayerShapeError(
      `${spec.type} expects ${want} per sample; the previous layer gives ${fmt(input)}`,
    );
  }
  const c = input[0];
  return {
    outputShape: [...input],
    params: spec.affine ? affineParams(c) : [],
    buffers: batchNormBuffers(c),
    forward(x, state, ctx) {
      const [weight, bias] = spec.affine ? [state.params.weight, state.params.bias] : [null, null];
      if (!ctx.training) {
        return batchNormEval(
          x,
          state.buffers.running_mean,
          state.buffers.running_var,
          spec.eps,
          weight,
          bias,
        );
      }
      const n = x.size / c;
      if (n <= 1) {
        // torch: "Expected more than 1 value per channel when training" — one value has no variance,
        // and the unbiased running variance would divide by n − 1 = 0.
        const got =
          input.length === 1
            ? `a batch of ${x.shape[0]}`
            : `${n} value per channel (batch ${x.shape[0]} × ${fmt(input.slice(1))})`;
        throw new RangeError(`${spec.type} needs more than one value per channel in training; got ${got}`);
      }
      // One fused op (normalisation and affine together) whose derivative is fused as well: the op
      // composite cost ~10 broadcasting graph nodes each way.
      const bn = batchNorm(x, spec.eps, weight, bias);
      updateRunningStats(state.buffers, bn.mean, bn.variance, n, spec.momentum);
      return bn.y;
    },
  };
}

/** torch's in-place running-statistics update of one training step (not part of the graph). */
function updateRunningStats(
  buffers: Record<string, FloatArray>,
  mu: ArrayLike<number>,
  biasedVar: ArrayLike<number>,
  n: number,
  momentum: number | null,
): void {
  const tracked = buffers.num_batches_tracked;
  tracked[0] += 1;
  const m = momentum ?? 1 / tracked[0];
  const rm = buffers.running_mean;
  const rv = buffers.running_var;
  for (let i = 0; i < mu.length; i++) {
    rm[i] = m * mu[i] + (1 - m) * rm[i];
    rv[i] = m * ((biasedVar[i] * n) / (n - 1)) + (1 - m) * rv[i];
  }
}

/** batchnorm1d ([F] or [C, L]), batchnorm2d ([C, H, W]) and layernorm (over the last dim). */
export const normLayers: LayerFamily<'batchnorm1d' | 'batchnorm2d' | 'layernorm'> = {
  batchnorm1d: buildBatchNorm,
  batchnorm2d: buildBatchNorm,
  layernorm: buildLayerNorm,
};
