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
 * Everything is written with Tensor ops, so gradients and Hessian-vector products come from
 * autodiff. The per-step ops are kept few: the input and recurrent products are one matmul of
 * [x_t, h] by [W_ih, W_hh] (concatenated once per forward), with b_ih + b_hh added as one bias.
 */
import type { Rng } from '../../rng/rng.js';
import {
  add,
  concat,
  dropout,
  linear,
  mul,
  relu,
  reshape,
  sigmoid,
  slice,
  sub,
  tanh,
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
  const act = spec.nonlinearity === 'relu' ? relu : tanh;
  return {
    outputShape: spec.output === 'sequence' ? [T, H * dirs] : [H * dirs],
    params,
    buffers: [],
    forward(x: Tensor, state: LayerState, ctx: ForwardContext): Tensor {
      if (x.ndim !== 3 || x.shape[1] !== T || x.shape[2] !== F) {
        throw new LayerShapeError(`${cell} expects [N, ${T}, ${F}], got [${x.shape.join(', ')}]`);
      }
      const N = x.shape[0];
      let steps = timeSteps(x, N, T);
      let outs: Tensor[][] = [];
      for (let l = 0; l < spec.layers; l++) {
        outs = [];
        for (let d = 0; d < dirs; d++) {
          const [wih, whh, bih, bhh] = namesOf(l, d, spec.bias).map((n) => state.params[n]);
          const p: DirParams = { wih, whh, bih, bhh };
          outs.push(runDirection(cell, steps, p, d === 1, H, act));
        }
        if (l + 1 < spec.layers) {
          if (ctx.training && spec.dropout > 0) {
            // Dropout on the whole [N, T, D] output, as torch applies it between layers: the mask is
            // drawn in that row-major order, so it does not depend on how the steps are computed.
            const seq = dropout(stack(outs, N, T), spec.dropout, ctx.rng, true);
            steps = timeSteps(seq, N, T);
          } else {
            steps = Array.from({ length: T }, (_, t) =>
              dirs === 1 ? outs[0][t] : concat([outs[0][t], outs[1][t]], 1),
            );
          }
        }
      }
      if (spec.output === 'sequence') return stack(outs, N, T);
      // torch's output[:, -1]: the forward direction's last step, the reverse direction's first processed one.
      return dirs === 1 ? outs[0][T - 1] : concat([outs[0][T - 1], outs[1][T - 1]], 1);
    },
  };
}

/** x [N, T, F] as T tensors [N, F] (time-major rows, one transpose for all steps). */
function timeSteps(x: Tensor, N: number, T: number): Tensor[] {
  const F = x.shape[2];
  if (T === 1) return [reshape(x, [N, F])];
  const tm = reshape(transpose(x, 0, 1), [T * N, F]);
  return Array.from({ length: T }, (_, t) => slice(tm, 0, t * N, (t + 1) * N));
}

/** Per-direction step outputs [dir][t] ([N, H] each) as torch's output [N, T, H·dirs]. */
function stack(outs: Tensor[][], N: number, T: number): Tensor {
  const parts: Tensor[] = [];
  for (let t = 0; t < T; t++) for (const o of outs) parts.push(o[t]);
  // Row n of the concatenation along features is h_0[n], h_1[n], …: exactly [N, T, D] row-major.
  const D = outs.reduce((a, o) => a + o[0].shape[1], 0);
  return reshape(concat(parts, 1), [N, T, D]);
}

/** One direction of one layer: the hidden state at every t (indexed by t, also when reversed). */
function runDirection(
  cell: Cell,
  xs: Tensor[],
  p: DirParams,
  reverse: boolean,
  H: number,
  act: (x: Tensor) => Tensor,
): Tensor[] {
  const T = xs.length;
  const order = Array.from({ length: T }, (_, k) => (reverse ? T - 1 - k : k));
  if (cell === 'gru') return gruDirection(xs, p, order, H);
  // torch adds b_ih and b_hh to every step's gates: adding their sum once is the same to rounding.
  const bias = p.bih && p.bhh ? add(p.bih, p.bhh) : undefined;
  const w = concat([p.wih, p.whh], 1);
  if (cell === 'lstm') return lstmDirection(xs, p.wih, w, bias, order, H);
  const out: Tensor[] = new Array<Tensor>(T);
  let h: Tensor | null = null;
  for (const t of order) {
    h = act(h === null ? linear(xs[t], p.wih, bias) : linear(concat([xs[t], h], 1), w, bias));
    out[t] = h;
  }
  return out;
}

/** LSTM with ops: gates [i, f, g, o] from one product per step; c = 0 and h = 0 at the start. */
function lstmDirection(
  xs: Tensor[],
  wih: Tensor,
  w: Tensor,
  bias: Tensor | undefined,
  order: number[],
  H: number,
): Tensor[] {
  const out: Tensor[] = new Array<Tensor>(xs.length);
  let h: Tensor | null = null;
  let c: Tensor | null = null;
  for (const t of order) {
    const a = h === null ? linear(xs[t], wih, bias) : linear(concat([xs[t], h], 1), w, bias);
    const ifo = sigmoid(concat([slice(a, 1, 0, 2 * H), slice(a, 1, 3 * H, 4 * H)], 1));
    const g = tanh(slice(a, 1, 2 * H, 3 * H));
    const ig = mul(slice(ifo, 1, 0, H), g);
    // torch's lstm_cell: c′ = f·c + i·g, h′ = o·tanh(c′)
    c = c === null ? ig : add(mul(slice(ifo, 1, H, 2 * H), c), ig);
    h = mul(slice(ifo, 1, 2 * H, 3 * H), tanh(c));
    out[t] = h;
  }
  return out;
}

/**
 * GRU: n needs W_hn h + b_hn apart from the input term, so the two products stay separate. At the
 * first step h = 0 and the recurrent term is b_hh alone (broadcast over the batch).
 */
function gruDirection(xs: Tensor[], p: DirParams, order: number[], H: number): Tensor[] {
  const out: Tensor[] = new Array<Tensor>(xs.length);
  let h: Tensor | null = null;
  for (const t of order) {
    const gi = linear(xs[t], p.wih, p.bih);
    const gh = h === null ? p.bhh : linear(h, p.whh, p.bhh);
    const irz = slice(gi, -1, 0, 2 * H);
    const rz = sigmoid(gh ? add(irz, slice(gh, -1, 0, 2 * H)) : irz);
    const r = slice(rz, -1, 0, H);
    const z = slice(rz, -1, H, 2 * H);
    const inn = slice(gi, -1, 2 * H, 3 * H);
    const n = tanh(gh ? add(inn, mul(r, slice(gh, -1, 2 * H, 3 * H))) : inn);
    // torch's gru_cell: (h − n)·z + n; with h = 0 that is n − z·n, the same rounding.
    h = h === null ? sub(n, mul(z, n)) : add(mul(sub(h, n), z), n);
    out[t] = h;
  }
  return out;
}

const build = (spec: RecurrentSpec, input: Shape): BuiltLayer => buildRecurrent(spec, input);

/** The builders of `rnn`, `lstm` and `gru`, for the layer registry. */
export const recurrentLayers: LayerFamily<'rnn' | 'lstm' | 'gru'> = { rnn: build, lstm: build, gru: build };
