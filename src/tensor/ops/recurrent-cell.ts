/**
 * A whole LSTM direction as one op, so that a sequence costs T small matmuls and two raw loops per
 * step instead of ~15 graph nodes per step (and as many again in the backward pass).
 *
 * Input: the input gates of every step, time-major, xg [T·N, 4H] (row block t holds
 * x_t·W_ihᵀ + b_ih + b_hh for the N samples), and W_hh [4H, H]. Output: h_t for every t,
 * time-major [T·N, H]. With h = c = 0 before the first processed step (t = 0, or T−1 reversed):
 *   a = xg_t + h·W_hhᵀ,  [i, f, g, o] = [σ(a_i), σ(a_f), tanh(a_g), σ(a_o)]   (torch's gate order)
 *   c′ = f ⊙ c + i ⊙ g,   h′ = o ⊙ tanh(c′)
 *
 * First-order backward (backpropagation through time), fused the same way: going back over the
 * steps with dh = ∂L/∂h_t + (carried), dc = dh ⊙ o ⊙ (1 − tanh²c′) + (carried),
 *   ∂a_i = dc ⊙ g ⊙ i(1−i),  ∂a_f = dc ⊙ c ⊙ f(1−f),  ∂a_g = dc ⊙ i ⊙ (1−g²),  ∂a_o = dh ⊙ tanh c′ ⊙ o(1−o),
 *   carried dh = ∂a·W_hh,  carried dc = dc ⊙ f;   ∂xg_t = ∂a,   ∂W_hh = Σ_t ∂a_tᵀ·h_{t−1} (one matmul).
 * When the backward pass itself is being recorded (double backward, Hessian-vector products), the
 * rule instead rebuilds the same recurrence from Tensor ops ({@link lstmSequenceOps}) and takes its
 * vector-Jacobian product with autodiff, so derivatives of any order stay exact.
 */
import { grad } from '../autodiff.js';
import { allocate, type FloatArray } from '../dtype.js';
import { kernels } from '../kernels/active.js';
import { Tensor, isGradEnabled, result } from '../tensor.js';
import { tanh, sigmoid } from './activations.js';
import { add, mul } from './elementwise.js';
import { linear } from './matmul.js';
import { concat, slice } from './movement.js';

/** Steps in processing order: 0 … T−1, or T−1 … 0 for the reverse direction. */
function orderOf(T: number, reverse: boolean): number[] {
  return Array.from({ length: T }, (_, k) => (reverse ? T - 1 - k : k));
}

function check(xg: Tensor, whh: Tensor, n: number): { T: number; H: number } {
  const H = whh.shape[1];
  if (whh.ndim !== 2 || whh.shape[0] !== 4 * H) {
    throw new RangeError(`lstmSequence: W_hh must be [4H, H]; got [${whh.shape.join(', ')}]`);
  }
  if (xg.ndim !== 2 || xg.shape[1] !== 4 * H || n < 1 || xg.shape[0] % n !== 0) {
    throw new RangeError(`lstmSequence: xg must be [T·${n}, ${4 * H}]; got [${xg.shape.join(', ')}]`);
  }
  return { T: xg.shape[0] / n, H };
}

/**
 * Hidden states of one LSTM direction over a whole sequence (see the file header for the maths):
 * xg [T·n, 4H] time-major input gates, whh [4H, H], n the batch size; returns [T·n, H] time-major.
 */
export function lstmSequence(xg: Tensor, whh: Tensor, n: number, reverse: boolean): Tensor {
  const { T, H } = check(xg, whh, n);
  const dtype = xg.dtype === 'float64' || whh.dtype === 'float64' ? 'float64' : 'float32';
  const xd = xg.data;
  // One dtype for every array a kernel sees (backends may assume it).
  const wd = whh.dtype === dtype ? whh.data : allocate(dtype, whh.size);
  if (wd !== whh.data) wd.set(whh.data);
  const G = 4 * H;
  const acts = allocate(dtype, T * n * G); // i, f, g, o after their activations
  const cs = allocate(dtype, T * n * H);
  const tcs = allocate(dtype, T * n * H); // tanh(c)
  const hs = allocate(dtype, T * n * H);
  const kern = kernels();
  const order = orderOf(T, reverse);
  let prev = -1;
  for (const t of order) {
    const a = acts.subarray(t * n * G, (t + 1) * n * G);
    a.set(xd.subarray(t * n * G, (t + 1) * n * G));
    if (prev >= 0)
      kern.matmul(hs.subarray(prev * n * H, (prev + 1) * n * H), wd, a, n, G, H, false, true, true);
    for (let r = 0; r < n; r++) {
      const ar = r * G;
      const hr = (t * n + r) * H;
      const pr = (prev * n + r) * H;
      for (let j = 0; j < H; j++) {
        const i = 1 / (1 + Math.exp(-a[ar + j]));
        const f = 1 / (1 + Math.exp(-a[ar + H + j]));
        const g = Math.tanh(a[ar + 2 * H + j]);
        const o = 1 / (1 + Math.exp(-a[ar + 3 * H + j]));
        a[ar + j] = i;
        a[ar + H + j] = f;
        a[ar + 2 * H + j] = g;
        a[ar + 3 * H + j] = o;
        // torch's lstm_cell: c′ = f·c + i·g (f·0 + i·g = i·g exactly at the first step)
        const c = prev >= 0 ? f * cs[pr + j] + i * g : i * g;
        cs[hr + j] = c;
        const tc = Math.tanh(c);
        tcs[hr + j] = tc;
        hs[hr + j] = o * tc;
      }
    }
    prev = t;
  }
  return result('lstmSequence', hs, [T * n, H], [xg, whh], (gh) => {
    if (isGradEnabled() && (gh.requiresGrad || xg.requiresGrad || whh.requiresGrad)) {
      // Recorded backward (double backward): the same recurrence with ops, differentiated by autodiff.
      const wanted = [xg, whh].filter((x) => x.requiresGrad);
      const gs = grad(lstmSequenceOps(xg, whh, n, reverse), wanted, { gradOutput: gh, createGraph: true });
      return [xg.requiresGrad ? gs[0] : null, whh.requiresGrad ? gs[gs.length - 1] : null];
    }
    const { dxg, dwhh } = lstmBackward(gh.data, acts, cs, tcs, hs, wd, order, n, H, dtype, whh.requiresGrad);
    return [xg.requiresGrad ? new Tensor(dxg, xg.shape) : null, dwhh ? new Tensor(dwhh, whh.shape) : null];
  });
}

/** Backpropagation through time over the saved activations (the header's formulas). */
function lstmBackward(
  ghData: FloatArray,
  acts: FloatArray,
  cs: FloatArray,
  tcs: FloatArray,
  hs: FloatArray,
  wd: FloatArray,
  order: number[],
  n: number,
  H: number,
  dtype: 'float32' | 'float64',
  wantW: boolean,
): { dxg: FloatArray; dwhh: FloatArray | null } {
  const G = 4 * H;
  const T = order.length;
  const gh = ghData.constructor === hs.constructor ? ghData : allocate(dtype, ghData.length);
  if (gh !== ghData) gh.set(ghData);
  const dxg = allocate(dtype, T * n * G);
  const dh = allocate(dtype, n * H); // carried ∂L/∂h from the later step
  const dc = allocate(dtype, n * H); // carried ∂L/∂c
  const kern = kernels();
  for (let s = T - 1; s >= 0; s--) {
    const t = order[s];
    const prev = s > 0 ? order[s - 1] : -1;
    for (let r = 0; r < n; r++) {
      const ar = (t * n + r) * G;
      const hr = (t * n + r) * H;
      const pr = (prev * n + r) * H;
      for (let j = 0; j < H; j++) {
        const i = acts[ar + j];
        const f = acts[ar + H + j];
        const g = acts[ar + 2 * H + j];
        const o = acts[ar + 3 * H + j];
        const tc = tcs[hr + j];
        const dhj = gh[hr + j] + dh[r * H + j];
        const dcj = dhj * o * (1 - tc * tc) + dc[r * H + j];
        dxg[ar + j] = dcj * g * i * (1 - i);
        dxg[ar + H + j] = prev >= 0 ? dcj * cs[pr + j] * f * (1 - f) : 0;
        dxg[ar + 2 * H + j] = dcj * i * (1 - g * g);
        dxg[ar + 3 * H + j] = dhj * tc * o * (1 - o);
        dc[r * H + j] = dcj * f;
      }
    }
    // The carried dh for the earlier step: ∂a_t · W_hh ([n, 4H] × [4H, H]).
    if (prev >= 0)
      kern.matmul(dxg.subarray(t * n * G, (t + 1) * n * G), wd, dh, n, H, G, false, false, false);
  }
  if (!wantW) return { dxg, dwhh: null };
  // ∂W_hh = Σ_t ∂a_tᵀ·h_prev(t): h_prev laid out by t (zeros at the first processed step), one matmul.
  const hprev = allocate(dtype, T * n * H);
  for (let s = 1; s < T; s++)
    hprev.set(hs.subarray(order[s - 1] * n * H, (order[s - 1] + 1) * n * H), order[s] * n * H);
  const dwhh = allocate(dtype, G * H);
  kern.matmul(dxg, hprev, dwhh, G, H, T * n, true, false, false);
  return { dxg, dwhh };
}

/**
 * The same function as {@link lstmSequence} written with Tensor ops (about fifteen per step): the
 * derivative rule of the fused op under double backward, and an independent oracle in tests.
 */
export function lstmSequenceOps(xg: Tensor, whh: Tensor, n: number, reverse: boolean): Tensor {
  const { T, H } = check(xg, whh, n);
  const out: Tensor[] = new Array<Tensor>(T);
  let h: Tensor | null = null;
  let c: Tensor | null = null;
  for (const t of orderOf(T, reverse)) {
    const xt = slice(xg, 0, t * n, (t + 1) * n);
    const a = h === null ? xt : add(xt, linear(h, whh));
    const ifo = sigmoid(concat([slice(a, 1, 0, 2 * H), slice(a, 1, 3 * H, 4 * H)], 1));
    const g = tanh(slice(a, 1, 2 * H, 3 * H));
    const ig = mul(slice(ifo, 1, 0, H), g);
    c = c === null ? ig : add(mul(slice(ifo, 1, H, 2 * H), c), ig);
    h = mul(slice(ifo, 1, 2 * H, 3 * H), tanh(c));
    out[t] = h;
  }
  return concat(out, 0);
}
