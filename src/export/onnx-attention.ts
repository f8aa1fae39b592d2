/**
 * `attention` and `transformer_encoder` decomposed into opset-17 ops (there is no standard
 * multi-head attention op at 17): Q, K, V from the rows of in_proj_weight, heads by Reshape +
 * Transpose, Q scaled by 1/√d before Q·Kᵀ (as torch), an additive −∞ mask above the diagonal when
 * causal, Softmax over the keys, then the output projection. The encoder layer composes it with
 * LayerNormalization and the feed-forward block, post-norm or pre-norm (src/models/layers/attention.ts).
 */
import type { LayerSpec } from '../models/layers/types.js';
import { geluExact, layerNorm, linearOp, need, type LayerInput } from './onnx-graph.js';

/** Rows [from, from + rows) of a [*, cols] matrix as its own [rows, cols] weight. */
function rows(t: { data: ArrayLike<number> }, from: number, count: number, cols: number) {
  return { shape: [count, cols], data: Array.from(t.data).slice(from * cols, (from + count) * cols) };
}

function selfAttention(
  l: LayerInput,
  x: string,
  prefix: string,
  e: number,
  heads: number,
  causal: boolean,
  bias: boolean,
): string {
  const { b, hint } = l;
  const t = l.inShape[0];
  const d = e / heads;
  const inW = need(l.tensors, `${prefix}in_proj_weight`);
  const inB = bias ? need(l.tensors, `${prefix}in_proj_bias`).data : undefined;
  const project = (k: number, name: string) => {
    const y = linearOp(
      b,
      x,
      rows(inW, k * e, e, e),
      inB ? Array.from(inB).slice(k * e, (k + 1) * e) : undefined,
      `${hint}.${name}`,
    );
    // [N, T, E] → [N, T, H, d] → [N, H, T, d]
    return b.op('Transpose', [b.op('Reshape', [y, b.ints('shape', [0, 0, heads, d])])], {
      perm: [0, 2, 1, 3],
    });
  };
  const q = b.op('Div', [project(0, 'q'), b.scalar(Math.sqrt(d))]);
  const kT = b.op('Transpose', [project(1, 'k')], { perm: [0, 1, 3, 2] });
  const v = project(2, 'v');
  let scores = b.op('MatMul', [q, kT]);
  if (causal) {
    const mask = new Float32Array(t * t);
    for (let i = 0; i < t; i++) for (let j = i + 1; j < t; j++) mask[i * t + j] = -Infinity;
    scores = b.op('Add', [scores, b.constant(`${hint}.causal_mask`, [t, t], mask)]);
  }
  const attn = b.op('Softmax', [scores], { axis: -1 });
  const merged = b.op('Reshape', [
    b.op('Transpose', [b.op('MatMul', [attn, v])], { perm: [0, 2, 1, 3] }),
    b.ints('shape', [0, 0, e]),
  ]);
  const outB = bias ? need(l.tensors, `${prefix}out_proj.bias`).data : undefined;
  return linearOp(b, merged, need(l.tensors, `${prefix}out_proj.weight`), outB, `${hint}.out_proj`);
}

/** nn.MultiheadAttention as self-attention (q = k = v = x). */
export function attentionLayer(l: LayerInput, spec: Extract<LayerSpec, { type: 'attention' }>): string {
  return selfAttention(l, l.x, '', l.inShape[1], spec.heads, spec.causal, spec.bias);
}

/** nn.TransformerEncoderLayer (batch_first), eval mode. */
export function transformerEncoderLayer(
  l: LayerInput,
  spec: Extract<LayerSpec, { type: 'transformer_encoder' }>,
): string {
  const { b, hint } = l;
  const e = spec.dModel;
  const ln = (x: string, name: string) =>
    layerNorm(
      b,
      x,
      e,
      spec.eps,
      need(l.tensors, `${name}.weight`).data,
      need(l.tensors, `${name}.bias`).data,
      `${hint}.${name}`,
    );
  const sa = (x: string) => selfAttention(l, x, 'self_attn.', e, spec.heads, spec.causal, true);
  const ff = (x: string) => {
    const h = linearOp(
      b,
      x,
      need(l.tensors, 'linear1.weight'),
      need(l.tensors, 'linear1.bias').data,
      `${hint}.linear1`,
    );
    const act = spec.activation === 'gelu' ? geluExact(b, h) : b.op('Relu', [h]);
    return linearOp(
      b,
      act,
      need(l.tensors, 'linear2.weight'),
      need(l.tensors, 'linear2.bias').data,
      `${hint}.linear2`,
    );
  };
  if (spec.normFirst) {
    const h = b.op('Add', [l.x, sa(ln(l.x, 'norm1'))]);
    return b.op('Add', [h, ff(ln(h, 'norm2'))]);
  }
  const h = ln(b.op('Add', [l.x, sa(l.x)]), 'norm1');
  return ln(b.op('Add', [h, ff(h)]), 'norm2');
}
