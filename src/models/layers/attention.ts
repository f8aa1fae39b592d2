/**
 * Self-attention layers: torch.nn.MultiheadAttention (batch_first, q = k = v = x, only the output
 * flows on) and torch.nn.TransformerEncoderLayer (batch_first), with torch 1.13's composite maths.
 *
 * Multi-head self-attention over x [T, E] with H heads of width d = E/H:
 *   [Q K V] = x·W_inᵀ + b_in                  (W_in = in_proj_weight [3E, E], rows q, k, v)
 *   A_h = softmax(Q_h K_hᵀ/√d + M)            (per head; Q is scaled before the product, as torch;
 *                                             M = −∞ above the diagonal when causal, else 0)
 *   out = concat_h(dropout(A_h)·V_h)·W_outᵀ + b_out
 * Dropout acts on the attention weights, in training only.
 *
 * Encoder layer (post-norm, normFirst false):  x = LN₁(x + SA(x));  x = LN₂(x + FF(x))
 *               (pre-norm, normFirst true):    x = x + SA(LN₁(x));  x = x + FF(LN₂(x))
 * with FF(x) = linear2(dropout(act(linear1(x)))), and dropout after SA and FF (dropout1, dropout2).
 */
import {
  add,
  dropout,
  gelu,
  linear,
  matmul,
  relu,
  reshape,
  slice,
  softmax,
  Tensor,
  transpose,
  where,
  allocate,
  div,
  type FloatArray,
} from '../../tensor/index.js';
import type { Rng } from '../../rng/rng.js';
import type { BuiltLayer, ForwardContext, LayerFamily, ParamDecl, Shape, SpecOf } from './types.js';
import { LayerShapeError } from './types.js';
import { layerNorm } from './norm.js';

const fmt = (s: Shape): string => `[${s.join(', ')}]`;

function uniform(bound: number): (out: FloatArray, rng: Rng) => void {
  return (out, rng) => {
    for (let i = 0; i < out.length; i++) out[i] = rng.uniform(-bound, bound);
  };
}
const zeros = (out: FloatArray): void => {
  out.fill(0);
};
const ones = (out: FloatArray): void => {
  out.fill(1);
};

/**
 * MultiheadAttention's parameters, names prefixed by `prefix`, torch's init:
 * in_proj_weight xavier_uniform_ (fan_in E, fan_out 3E: U(±√(6/4E))), in_proj_bias 0,
 * out_proj.weight nn.Linear's kaiming_uniform(a = √5) = U(±1/√E), out_proj.bias 0.
 * The two matrices are weights (isWeight true: L1/L2, init.scheme); the biases are not.
 */
function attentionParams(e: number, bias: boolean, prefix = ''): ParamDecl[] {
  const ps: ParamDecl[] = [
    {
      name: `${prefix}in_proj_weight`,
      shape: [3 * e, e],
      isWeight: true,
      fan: { in: e, out: 3 * e },
      init: uniform(Math.sqrt(6 / (e + 3 * e))),
    },
  ];
  if (bias) ps.push({ name: `${prefix}in_proj_bias`, shape: [3 * e], isWeight: false, init: zeros });
  ps.push({
    name: `${prefix}out_proj.weight`,
    shape: [e, e],
    isWeight: true,
    fan: { in: e, out: e },
    init: uniform(1 / Math.sqrt(e)),
  });
  if (bias) ps.push({ name: `${prefix}out_proj.bias`, shape: [e], isWeight: false, init: zeros });
  return ps;
}

/** nn.Linear(in, out)'s parameters under `prefix`: weight and bias both U(±1/√in). */
function linearParams(prefix: string, fanIn: number, out: number): ParamDecl[] {
  const init = uniform(1 / Math.sqrt(fanIn));
  return [
    { name: `${prefix}.weight`, shape: [out, fanIn], isWeight: true, fan: { in: fanIn, out }, init },
    { name: `${prefix}.bias`, shape: [out], isWeight: false, init },
  ];
}

/** A [T, T] constant: 1 where key j may be seen from query i (j ≤ i), 0 above the diagonal. */
function causalKeep(t: number, dtype: Tensor['dtype']): Tensor {
  const d = allocate(dtype, t * t);
  for (let i = 0; i < t; i++) for (let j = 0; j <= i; j++) d[i * t + j] = 1;
  return new Tensor(d, [t, t]);
}

interface AttentionWeights {
  inW: Tensor;
  inB?: Tensor;
  outW: Tensor;
  outB?: Tensor;
}

/** Multi-head self-attention of x [N, T, E] (F.multi_head_attention_forward's maths path). */
function selfAttention(
  x: Tensor,
  w: AttentionWeights,
  heads: number,
  causal: boolean,
  p: number,
  ctx: ForwardContext,
): Tensor {
  const [n, t, e] = x.shape;
  const d = e / heads;
  const qkv = linear(x, w.inW, w.inB);
  // [N, T, E] → [N, H, T, d]: head h owns features h·d … (h+1)·d − 1, as torch's view(T, N·H, d).
  const split = (from: number): Tensor =>
    transpose(reshape(slice(qkv, -1, from, from + e), [n, t, heads, d]), 1, 2);
  const q = div(split(0), Math.sqrt(d));
  const k = split(e);
  const v = split(2 * e);
  let scores = matmul(q, transpose(k, -2, -1));
  if (causal) scores = where(causalKeep(t, x.dtype), scores, -Infinity);
  const attn = dropout(softmax(scores, -1), p, ctx.rng, ctx.training);
  const merged = reshape(transpose(matmul(attn, v), 1, 2), [n, t, e]);
  return linear(merged, w.outW, w.outB);
}

function checkHeads(type: string, e: number, heads: number): void {
  if (!(Number.isInteger(heads) && heads >= 1))
    throw new LayerShapeError(`${type} heads must be a positive integer; got ${heads}`);
  if (e % heads !== 0) {
    throw new LayerShapeError(
      `${type}: the embedding dim ${e} is not divisible by heads ${heads} (each head takes E/heads features)`,
    );
  }
}

function buildAttention(spec: SpecOf<'attention'>, input: Shape): BuiltLayer {
  if (input.length !== 2) {
    throw new LayerShapeError(`attention expects [T, E] per sample; the previous layer gives ${fmt(input)}`);
  }
  const e = input[1];
  checkHeads('attention', e, spec.heads);
  return {
    outputShape: [...input],
    params: attentionParams(e, spec.bias),
    buffers: [],
    forward: (x, state, ctx) => {
      const ps = state.params;
      const w = {
        inW: ps.in_proj_weight,
        inB: ps.in_proj_bias,
        outW: ps['out_proj.weight'],
        outB: ps['out_proj.bias'],
      };
      return selfAttention(x, w, spec.heads, spec.causal, spec.dropout, ctx);
    },
  };
}

function buildEncoder(spec: SpecOf<'transformer_encoder'>, input: Shape): BuiltLayer {
  if (input.length !== 2) {
    throw new LayerShapeError(
      `transformer_encoder expects [T, dModel] per sample; the previous layer gives ${fmt(input)}`,
    );
  }
  const e = spec.dModel;
  if (input[1] !== e) {
    throw new LayerShapeError(
      `transformer_encoder has dModel ${e} but the previous layer gives ${input[1]} features (${fmt(input)})`,
    );
  }
  checkHeads('transformer_encoder', e, spec.heads);
  const norm = (name: string): ParamDecl[] => [
    { name: `${name}.weight`, shape: [e], isWeight: false, init: ones },
    { name: `${name}.bias`, shape: [e], isWeight: false, init: zeros },
  ];
  // state_dict order of nn.TransformerEncoderLayer: self_attn, linear1, linear2, norm1, norm2.
  const params = [
    ...attentionParams(e, true, 'self_attn.'),
    ...linearParams('linear1', e, spec.ff),
    ...linearParams('linear2', spec.ff, e),
    ...norm('norm1'),
    ...norm('norm2'),
  ];
  const act = spec.activation === 'gelu' ? gelu : relu;
  return {
    outputShape: [...input],
    params,
    buffers: [],
    forward(x, state, ctx) {
      const ps = state.params;
      const p = spec.dropout;
      const drop = (h: Tensor): Tensor => dropout(h, p, ctx.rng, ctx.training);
      const w = {
        inW: ps['self_attn.in_proj_weight'],
        inB: ps['self_attn.in_proj_bias'],
        outW: ps['self_attn.out_proj.weight'],
        outB: ps['self_attn.out_proj.bias'],
      };
      const sa = (h: Tensor): Tensor => drop(selfAttention(h, w, spec.heads, spec.causal, p, ctx));
      const ff = (h: Tensor): Tensor =>
        drop(
          linear(
            drop(act(linear(h, ps['linear1.weight'], ps['linear1.bias']))),
            ps['linear2.weight'],
            ps['linear2.bias'],
          ),
        );
      const ln1 = (h: Tensor): Tensor => layerNorm(h, spec.eps, ps['norm1.weight'], ps['norm1.bias']);
      const ln2 = (h: Tensor): Tensor => layerNorm(h, spec.eps, ps['norm2.weight'], ps['norm2.bias']);
      if (spec.normFirst) {
        const h = add(x, sa(ln1(x)));
        return add(h, ff(ln2(h)));
      }
      const h = ln1(add(x, sa(x)));
      return ln2(add(h, ff(h)));
    },
  };
}

/** attention (nn.MultiheadAttention self-attention) and transformer_encoder (nn.TransformerEncoderLayer). */
export const attentionLayers: LayerFamily<'attention' | 'transformer_encoder'> = {
  attention: buildAttention,
  transformer_encoder: buildEncoder,
};
