/**
 * Recurrent layers: `rnn`, `lstm`, `gru`, with the semantics of torch.nn.RNN / LSTM / GRU
 * (batch_first=True, zero initial state, inter-layer dropout, bidirectional), parameter names and
 * order of their state_dict, and the gate orders of torch's kernels.
 *
 * Per time step t, with x_t the layer's input and h the previous hidden state (0 at the start):
 * - rnn:  h′ = act(W_ih x_t + b_ih + W_hh h + b_hh), act = tanh or relu
 * - lstm: [i, f, g, o] = W_ih x_t + b_ih + W_hh h + b_hh;  i, f, o ← σ(·), g ← tanh(g);
 *         c′ = f ⊙ c + i ⊙ g,  h′ = o ⊙ tanh(c′)
 * - gru:  [r, z] = σ(W_i{r,z} x_t + b_i{r,z} + W_h{r,z} h + b_h{r,z});
 *         n = tanh(W_in x_t + b_in + r ⊙ (W_hn h + b_hn));  h′ = (h − n) ⊙ z + n
 * The reverse direction runs t = T−1 … 0 and writes its h at index t; layer l > 0 takes the
 * concatenation of both directions' outputs at each t (2H features).
 *
 * Everything is differentiable by autodiff to any order. Layers pass the sequence time-major,
 * [T·N, D]. LSTM, the benchmarked one, runs each direction as one fused op (`lstmSequence` in
 * src/tensor/ops/recurrent-cell.ts: the input gates of all steps are one matmul, then T small matmuls
 * and raw loops, with a fused backward pass); so do GRU (`gruSequence`) and the Elman RNN
 * (`rnnSequence`). Under double backward those ops differentiate the same recurrence built from
 * Tensor ops, so Hessian-vector products are exact too.
 */
import type { Rng } from '../../rng/rng.js';
import {
  add,
  concat,
  dropout,
  gruSequence,
  linear,
  lstmSequence,
  reshape,
  rnnSequence,
  slice,
  transpose,
  type FloatArray,
  type Tensor,
} from '../../tensor/index.js';
import {
  LayerShapeError,
  type BuiltLayer,
  type ForwardContext,
  type LayerFamily,
  type LayerSpec,
  type LayerState,
  type ParamDecl,
  type Shape,
} from './types.js';

/** The one spec shape the three recurrent types share. */
type RecurrentSpec = Extract<LayerSpec, { hidden: number }>;
type Cell = RecurrentSpec['type'];

/** Rows of W_ih per hidden unit: the number of gates stacked in torch's weight matrices. */
const GATES: Record<Cell, number> = { rnn: 1, lstm: 4, gru: 3 };

/** The four (or, without bias, two) tensors of one layer and direction. */
interface DirParams {
  wih: Tensor;
  whh: Tensor;
  bih?: Tensor;
  bhh?: Tensor;
}

/** state_dict names of layer l, direction d (d = 1: `_reverse`), in torch's order. */
function namesOf(l: number, d: number, bias: boolean): string[] {
  const sfx = `_l${l}${d === 1 ? '_reverse' : ''}`;
  const names = [`weight_ih${sfx}`, `weight_hh${sfx}`];
  if (bias) names.push(`bias_ih${sfx}`, `bias_hh${sfx}`);
  return names;
}

function checkSpec(spec: RecurrentSpec, input: Shape): { T: number; F: number } {
  const kind = spec.type;
  if (input.length !== 2) {
    throw new LayerShapeError(`${kind} expects [T, F], the previous layer gives [${input.join(', ')}]`);
  }
  const [T, F] = input;
  if (!(T >= 1 && F >= 1)) {
    throw new LayerShapeError(
      `${kind} expects [T, F] with T ≥ 1 and F ≥ 1, the previous layer gives [${T}, ${F}]`,
    );
  }
  if (!(Number.isInteger(spec.hidden) && spec.hidden >= 1)) {
    throw new LayerShapeError(`${kind} needs hidden ≥ 1 (an integer); got ${spec.hidden}`);
  }
  if (!(Number.isInteger(spec.layers) && spec.layers >= 1)) {
    throw new LayerShapeError(`${kind} needs layers ≥ 1 (an integer); got ${spec.layers}`);
  }
  // dropout > 0 with one layer is allowed (torch only warns): there is no layer boundary to drop at.
  if (!(spec.dropout >= 0 && spec.dropout <= 1)) {
    throw new LayerShapeError(`${kind} needs dropout in [0, 1]; got ${spec.dropout}`);
  }
  return { T, F };
}

/**
 * torch's RNNBase.reset_parameters: every tensor, weights and biases alike, from
 * U(−1/√hidden, 1/√hidden), drawn in state_dict order.
 */
function uniformInit(hidden: number): (out: FloatArray, rng: Rng) => void {
  const bound = 1 / Math.sqrt(hidden);
  return (out, rng) => {
    for (let i = 0; i < out.length; i++) out[i] = rng.uniform(-bound, bound);
  };
}

/** Builds one recurrent layer type; the three differ only in the cell. */
function buildRecurrent(spec: RecurrentSpec, input: Shape): BuiltLayer {
  const { T, F } = checkSpec(spec, input);
  const cell = spec.type;
  const H = spec.hidden;
  const dirs = spec.bidirectional ? 2 : 1;
  const G = GATES[cell] * H;
  const init = uniformInit(H);
  const params: ParamDecl[] = [];
  for (let l = 0; l < spec.layers; l++) {
    const fin = l === 0 ? F : H * dirs;
    for (let d = 0; d < dirs; d++) {
      const [wih, whh, bih, bhh] = namesOf(l, d, spec.bias);
      params.push({ name: wih, shape: [G, fin], isWeight: true, fan: { in: fin, out: G }, init });
      params.push({ name: whh, shape: [G, H], isWeight: true, fan: { in: H, out: G }, init });
      if (spec.bias) {
        params.push({ name: bih, shape: [G], isWeight: false, init });
        params.push({ name: bhh, shape: [G], isWeight: false, init });
      }
    }
  }
  const relu = spec.nonlinearity === 'relu';
  return {
    outputShape: spec.output === 'sequence' ? [T, H * dirs] : [H * dirs],
    params,
    buffers: [],
    forward(x: Tensor, state: LayerState, ctx: ForwardContext): Tensor {
      if (x.ndim !== 3 || x.shape[1] !== T || x.shape[2] !== F) {
        throw new LayerShapeError(`${cell} expects [N, ${T}, ${F}], got [${x.shape.join(', ')}]`);
      }
      const N = x.shape[0];
      // Layers pass the sequence time-major, [T·N, D] (row block t = step t): one step is a row range.
      let seq = reshape(transpose(x, 0, 1), [T * N, F]);
      for (let l = 0; l < spec.layers; l++) {
        const outs: Tensor[] = [];
        for (let d = 0; d < dirs; d++) {
          const [wih, whh, bih, bhh] = namesOf(l, d, spec.bias).map((n) => state.params[n]);
          outs.push(runDirection(cell, seq, { wih, whh, bih, bhh }, d === 1, N, relu));
        }
        seq = dirs === 1 ? outs[0] : concat(outs, 1);
        // Between layers only, as torch; the mask is drawn over the time-major [T, N, D] layout.
        if (l + 1 < spec.layers && ctx.training && spec.dropout > 0)
          seq = dropout(seq, spec.dropout, ctx.rng, true);
      }
      const D = H * dirs;
      if (spec.output === 'sequence') return transpose(reshape(seq, [T, N, D]), 0, 1);
      // torch's output[:, -1]: the forward direction's last step, the reverse direction's first processed one.
      return slice(seq, 0, (T - 1) * N, T * N);
    },
  };
}

/**
 * One direction of one layer over the time-major input [T·N, F]: the hidden state of every step,
 * time-major [T·N, H] (row block t = step t, also when reversed).
 */
function runDirection(
  cell: Cell,
  seq: Tensor,
  p: DirParams,
  reverse: boolean,
  N: number,
  relu: boolean,
): Tensor {
  // torch adds b_ih and b_hh to every step's gates: adding their sum once is the same to rounding.
  const bias = cell !== 'gru' && p.bih && p.bhh ? add(p.bih, p.bhh) : undefined;
  // LSTM: the input gates of all steps in one product, then the fused recurrence (one op).
  if (cell === 'lstm') return lstmSequence(linear(seq, p.wih, bias), p.whh, N, reverse);
  // GRU: r multiplies W_hn h + b_hn, so b_hh stays apart from b_ih, inside the fused op.
  if (cell === 'gru') return gruSequence(linear(seq, p.wih, p.bih), p.whh, p.bhh ?? null, N, reverse);
  return rnnSequence(linear(seq, p.wih, bias), p.whh, N, reverse, relu);
}

const build = (spec: RecurrentSpec, input: Shape): BuiltLayer => buildRecurrent(spec, input);

/** The builders of `rnn`, `lstm` and `gru`, for the layer registry. */
export const recurrentLayers: LayerFamily<'rnn' | 'lstm' | 'gru'> = { rnn: build, lstm: build, gru: build };
