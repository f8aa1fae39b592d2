/**
 * `rnn`, `lstm`, `gru` → ONNX's RNN / LSTM / GRU ops, one per layer (both directions in one op when
 * bidirectional), time-major (layout 0). torch stacks the gate rows i, f, g, o (LSTM) and r, z, n
 * (GRU); ONNX wants i, o, f, c and z, r, h, so the row blocks are reordered. GRU sets
 * `linear_before_reset = 1`: torch's r multiplies (W_hn h + b_hn), bias included. B is
 * [dirs, 2·G] = the input biases then the hidden ones; without bias it is left out (zeros).
 */
import type { LayerSpec } from '../models/layers/types.js';
import { need, type LayerInput } from './onnx-graph.js';

type RecurrentSpec = Extract<LayerSpec, { type: 'rnn' | 'lstm' | 'gru' }>;

/** ONNX's gate order as indices of torch's gate blocks. */
const ORDER: Record<RecurrentSpec['type'], number[]> = { rnn: [0], lstm: [0, 3, 1, 2], gru: [1, 0, 2] };

/** The row blocks of a [G·H, cols] (or [G·H]) tensor in ONNX's gate order, appended to `out`. */
function reorder(
  data: ArrayLike<number>,
  hidden: number,
  cols: number,
  order: number[],
  out: number[],
): void {
  for (const g of order) {
    const from = g * hidden * cols;
    for (let i = 0; i < hidden * cols; i++) out.push(data[from + i]);
  }
}

/** The layer's recurrent stack: returns [N, T, H·dirs] (`sequence`) or [N, H·dirs] (`last`). */
export function recurrentLayer(l: LayerInput, spec: RecurrentSpec): string {
  const { b, hint } = l;
  const [T, F] = l.inShape;
  const H = spec.hidden;
  const dirs = spec.bidirectional ? 2 : 1;
  const order = ORDER[spec.type];
  const G = order.length;
  // [N, T, F] → time-major [T, N, F]
  let seq = b.op('Transpose', [l.x], { perm: [1, 0, 2] });
  for (let layer = 0; layer < spec.layers; layer++) {
    const fin = layer === 0 ? F : H * dirs;
    const w: number[] = [];
    const r: number[] = [];
    const bias: number[] = [];
    for (let d = 0; d < dirs; d++) {
      const sfx = `_l${layer}${d === 1 ? '_reverse' : ''}`;
      reorder(need(l.tensors, `weight_ih${sfx}`).data, H, fin, order, w);
      reorder(need(l.tensors, `weight_hh${sfx}`).data, H, H, order, r);
      if (spec.bias) {
        reorder(need(l.tensors, `bias_ih${sfx}`).data, H, 1, order, bias);
        reorder(need(l.tensors, `bias_hh${sfx}`).data, H, 1, order, bias);
      }
    }
    const inputs = [
      seq,
      b.constant(`${hint}.W_l${layer}`, [dirs, G * H, fin], w),
      b.constant(`${hint}.R_l${layer}`, [dirs, G * H, H], r),
    ];
    if (spec.bias) inputs.push(b.constant(`${hint}.B_l${layer}`, [dirs, 2 * G * H], bias));
    const attrs: Record<string, number | string | string[]> = {
      hidden_size: H,
      direction: spec.bidirectional ? 'bidirectional' : 'forward',
    };
    if (spec.type === 'gru') attrs.linear_before_reset = 1;
    if (spec.type === 'rnn') {
      const act = spec.nonlinearity === 'relu' ? 'Relu' : 'Tanh';
      attrs.activations = dirs === 2 ? [act, act] : [act];
    }
    const op = spec.type === 'rnn' ? 'RNN' : spec.type === 'lstm' ? 'LSTM' : 'GRU';
    // Y [T, dirs, N, H] → [T, N, dirs, H] → [T, N, dirs·H]: each step's features, forward then reverse.
    const y = b.op(op, inputs, attrs);
    const tnd = b.op('Transpose', [y], { perm: [0, 2, 1, 3] });
    seq = b.op('Reshape', [tnd, b.ints('shape', [0, 0, dirs * H])]);
    // Inter-layer dropout is the identity in eval mode.
  }
  if (spec.output === 'sequence') return b.op('Transpose', [seq], { perm: [1, 0, 2] });
  // output[:, -1]: the last time index (the reverse direction's first processed step).
  return b.op('Gather', [seq, b.ints('t', [T - 1], true)], { axis: 0 });
}
