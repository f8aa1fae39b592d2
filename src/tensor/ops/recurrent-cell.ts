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
 *
 * In float32 a backend may run both passes as one call per sequence (Kernels.lstmForward/lstmBackward; the
 * wasm kernels do, and the native backend hands them to wasm): the loops below then do not run. Its forward
 * gate maths is vectorised float32 within 4 ulps per activation; its backward is these loops' arithmetic.
 * float64 always runs the loops here.
 */
import { grad } from '../autodiff.js';
import { allocate, type FloatArray } from '../dtype.js';
import { kernels } from '../kernels/active.js';
import { Tensor, isGradEnabled, result } from '../tensor.js';
import { relu as reluOp, sigmoid, tanh } from './activations.js';
import { add, mul, sub } from './elementwise.js';
import { linear } from './matmul.js';
import { concat, slice } from './movement.js';

/** Steps in processing order: 0 … T−1, or T−1 … 0 for the reverse direction. */
function orderOf(T: number, reverse: boolean): number[] {
  return Array.from({ length: T }, (_, k) => (reverse ? T - 1 - k : k));
}

/** T and H of a fused op's inputs: xg [T·n, gates·H], whh [gates·H, H]. */
function check(op: string, gates: number, xg: Tensor, whh: Tensor, n: number): { T: number; H: number } {
  const H = whh.shape[1];
  if (whh.ndim !== 2 || whh.shape[0] !== gates * H) {
    throw new RangeError(`${op}: W_hh must be [${gates}H, H]; got [${whh.shape.join(', ')}]`);
  }
  if (xg.ndim !== 2 || xg.shape[1] !== gates * H || n < 1 || xg.shape[0] % n !== 0) {
    throw new RangeError(`${op}: xg must be [T·${n}, ${gates * H}]; got [${xg.shape.join(', ')}]`);
  }
  return { T: xg.shape[0] / n, H };
}

/** `x` as an array of `dtype` (itself when it already is): every array a kernel sees has one dtype. */
function asDtype(x: FloatArray, dtype: 'float32' | 'float64'): FloatArray {
  if ((dtype === 'float64') === x instanceof Float64Array) return x;
  const out = allocate(dtype, x.length);
  out.set(x);
  return out;
}

/**
 * ∂W_hh = Σ_t ∂a_tᵀ·h_prev(t) as one matmul, ∂a [T·n, G] and h [T·n, H] time-major. h_prev(t) is
 * h_{t−1} (h_{t+1} reversed) and 0 at the first processed step, so the sum pairs row blocks 1…T−1
 * of ∂a with blocks 0…T−2 of h (reversed: blocks 0…T−2 with 1…T−1): contiguous views, no copy.
 */
function recurrentWeightGrad(
  da: FloatArray,
  hs: FloatArray,
  G: number,
  H: number,
  n: number,
  order: number[],
  dtype: 'float32' | 'float64',
): FloatArray {
  const T = order.length;
  const out = allocate(dtype, G * H);
  if (T === 1) return out;
  const rows = (T - 1) * n;
  const reverse = order[0] !== 0;
  const a = reverse ? da.subarray(0, rows * G) : da.subarray(n * G);
  const b = reverse ? hs.subarray(n * H) : hs.subarray(0, rows * H);
  kernels().matmul(a, b, out, G, H, rows, true, false, false);
  return out;
}

/**
 * The result of a fused sequence op. Its derivative rule is the fused backward pass, except while
 * the backward pass is itself recorded (double backward): then it is autodiff's vector-Jacobian
 * product of `withOps`, the same function built from Tensor ops, so every order stays exact.
 */
function fusedResult(
  op: string,
  data: FloatArray,
  shape: number[],
  inputs: Tensor[],
  withOps: () => Tensor,
  fusedVjp: (g: FloatArray) => (FloatArray | null)[],
): Tensor {
  return result(op, data, shape, inputs, (g) => {
    if (isGradEnabled() && (g.requiresGrad || inputs.some((x) => x.requiresGrad))) {
      const wanted = inputs.filter((x) => x.requiresGrad);
      const gs = grad(withOps(), wanted, { gradOutput: g, createGraph: true });
      let k = 0;
      return inputs.map((x) => (x.requiresGrad ? gs[k++] : null));
    }
    const gs = fusedVjp(g.data);
    return inputs.map((x, i) => {
      const gi = gs[i];
      return x.requiresGrad && gi ? new Tensor(gi, x.shape) : null;
    });
  });
}

/**
 * Hidden states of one LSTM direction over a whole sequence (see the file header for the maths):
 * xg [T·n, 4H] time-major input gates, whh [4H, H], n the batch size; returns [T·n, H] time-major.
 */
export function lstmSequence(xg: Tensor, whh: Tensor, n: number, reverse: boolean): Tensor {
  const { T, H } = check('lstmSequence', 4, xg, whh, n);
  const dtype = xg.dtype === 'float64' || whh.dtype === 'float64' ? 'float64' : 'float32';
  const xd = xg.data;
  const wd = asDtype(whh.data, dtype);
  const G = 4 * H;
  const acts = allocate(dtype, T * n * G); // i, f, g, o after their activations
  const cs = allocate(dtype, T * n * H);
  const tcs = allocate(dtype, T * n * H); // tanh(c)
  const hs = allocate(dtype, T * n * H);
  const kern = kernels();
  const order = orderOf(T, reverse);
  // float32: the backend's one-call sequence kernel when it has one (T matmuls and vectorised float32 gate
  // maths within 4 ulps, see Kernels.lstmForward); float64 always takes the loop below, whose double
  // Math.exp/Math.tanh the 1e-12 torch goldens are held to.
  const fused =
    dtype === 'float32' &&
    kern.lstmForward !== undefined &&
    kern.lstmForward(
      xd as Float32Array,
      wd as Float32Array,
      acts as Float32Array,
      cs as Float32Array,
      tcs as Float32Array,
      hs as Float32Array,
      T,
      n,
      H,
      reverse,
    );
  let prev = -1;
  for (const t of fused ? [] : order) {
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
  return fusedResult(
    'lstmSequence',
    hs,
    [T * n, H],
    [xg, whh],
    () => lstmSequenceOps(xg, whh, n, reverse),
    (g) => {
      const { dxg, dwhh } = lstmBackward(
        asDtype(g, dtype),
        acts,
        cs,
        tcs,
        hs,
        wd,
        order,
        n,
        H,
        dtype,
        whh.requiresGrad,
      );
      return [dxg, dwhh];
    },
  );
}

/** Backpropagation through time over the saved activations (the header's formulas). */
function lstmBackward(
  gh: FloatArray,
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
  const dxg = allocate(dtype, T * n * G);
  const dh = allocate(dtype, n * H); // carried ∂L/∂h from the later step
  const dc = allocate(dtype, n * H); // carried ∂L/∂c
  const kern = kernels();
  // float32: the backend's one-call version of the loop below (the same double arithmetic in the same order).
  const fused =
    dtype === 'float32' &&
    kern.lstmBackward !== undefined &&
    kern.lstmBackward(
      gh as Float32Array,
      acts as Float32Array,
      cs as Float32Array,
      tcs as Float32Array,
      wd as Float32Array,
      dxg as Float32Array,
      T,
      n,
      H,
      order[0] !== 0,
    );
  for (let s = fused ? -1 : T - 1; s >= 0; s--) {
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
  const dwhh = recurrentWeightGrad(dxg, hs, G, H, n, order, dtype);
  return { dxg, dwhh };
}

/**
 * The same function as {@link lstmSequence} written with Tensor ops (about fifteen per step): the
 * derivative rule of the fused op under double backward, and an independent oracle in tests.
 */
export function lstmSequenceOps(xg: Tensor, whh: Tensor, n: number, reverse: boolean): Tensor {
  const { T, H } = check('lstmSequence', 4, xg, whh, n);
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

/**
 * Hidden states of one GRU direction over a whole sequence, as one op. xg [T·n, 3H] time-major
 * holds x_t·W_ihᵀ + b_ih; whh [3H, H]; bhh [3H] or null (no bias). With h = 0 before the first
 * processed step and gh = h·W_hhᵀ + b_hh (torch's gate order r, z, n):
 *   r = σ(xg_r + gh_r),  z = σ(xg_z + gh_z),  n = tanh(xg_n + r ⊙ gh_n),  h′ = (h − n) ⊙ z + n.
 * Backward, with dh = ∂L/∂h_t + (carried):
 *   ∂a_n = dh ⊙ (1 − z) ⊙ (1 − n²),  ∂a_z = dh ⊙ (h − n) ⊙ z(1−z),  ∂a_r = ∂a_n ⊙ gh_n ⊙ r(1−r);
 *   ∂xg_t = [∂a_r, ∂a_z, ∂a_n],  ∂gh_t = [∂a_r, ∂a_z, ∂a_n ⊙ r],  carried dh = dh ⊙ z + ∂gh_t·W_hh,
 *   ∂W_hh = Σ_t ∂gh_tᵀ·h_{t−1},  ∂b_hh = Σ_t Σ_rows ∂gh_t.
 */
export function gruSequence(
  xg: Tensor,
  whh: Tensor,
  bhh: Tensor | null,
  n: number,
  reverse: boolean,
): Tensor {
  const { T, H } = check('gruSequence', 3, xg, whh, n);
  if (bhh && (bhh.ndim !== 1 || bhh.shape[0] !== 3 * H)) {
    throw new RangeError(`gruSequence: b_hh must be [${3 * H}]; got [${bhh.shape.join(', ')}]`);
  }
  const dtype = [xg, whh, bhh].some((x) => x?.dtype === 'float64') ? 'float64' : 'float32';
  const xd = xg.data;
  const wd = asDtype(whh.data, dtype);
  const G = 3 * H;
  const gates = allocate(dtype, T * n * G); // r, z, n after their activations
  const ghs = allocate(dtype, T * n * H); // gh_n = (h·W_hhᵀ + b_hh)_n, which r multiplies
  const hs = allocate(dtype, T * n * H);
  const gh = allocate(dtype, n * G);
  const kern = kernels();
  const order = orderOf(T, reverse);
  let prev = -1;
  for (const t of order) {
    for (let r = 0; r < n; r++) {
      if (bhh) gh.set(bhh.data, r * G);
      else gh.fill(0, r * G, (r + 1) * G);
    }
    if (prev >= 0)
      kern.matmul(hs.subarray(prev * n * H, (prev + 1) * n * H), wd, gh, n, G, H, false, true, true);
    for (let r = 0; r < n; r++) {
      const xr = (t * n + r) * G;
      const gr = r * G;
      const hr = (t * n + r) * H;
      const pr = (prev * n + r) * H;
      for (let j = 0; j < H; j++) {
        const rg = 1 / (1 + Math.exp(-(xd[xr + j] + gh[gr + j])));
        const zg = 1 / (1 + Math.exp(-(xd[xr + H + j] + gh[gr + H + j])));
        const ghn = gh[gr + 2 * H + j];
        const ng = Math.tanh(xd[xr + 2 * H + j] + rg * ghn);
        gates[xr + j] = rg;
        gates[xr + H + j] = zg;
        gates[xr + 2 * H + j] = ng;
        ghs[hr + j] = ghn;
        // torch's gru_cell: (h − n)·z + n
        hs[hr + j] = ((prev >= 0 ? hs[pr + j] : 0) - ng) * zg + ng;
      }
    }
    prev = t;
  }
  const inputs = bhh ? [xg, whh, bhh] : [xg, whh];
  return fusedResult(
    'gruSequence',
    hs,
    [T * n, H],
    inputs,
    () => gruSequenceOps(xg, whh, bhh, n, reverse),
    (g) => gruBackward(asDtype(g, dtype), gates, ghs, hs, wd, order, n, H, dtype, !!bhh),
  );
}

/** The GRU's backpropagation through time (gruSequence's formulas): [∂xg, ∂W_hh, ∂b_hh]. */
function gruBackward(
  g: FloatArray,
  gates: FloatArray,
  ghs: FloatArray,
  hs: FloatArray,
  wd: FloatArray,
  order: number[],
  n: number,
  H: number,
  dtype: 'float32' | 'float64',
  bias: boolean,
): FloatArray[] {
  const G = 3 * H;
  const T = order.length;
  const dxg = allocate(dtype, T * n * G);
  const dgh = allocate(dtype, T * n * G); // ∂L/∂gh_t for every t, for ∂W_hh and ∂b_hh at the end
  const dh = allocate(dtype, n * H);
  const kern = kernels();
  for (let s = T - 1; s >= 0; s--) {
    const t = order[s];
    const prev = s > 0 ? order[s - 1] : -1;
    for (let r = 0; r < n; r++) {
      const xr = (t * n + r) * G;
      const hr = (t * n + r) * H;
      const pr = (prev * n + r) * H;
      for (let j = 0; j < H; j++) {
        const rg = gates[xr + j];
        const zg = gates[xr + H + j];
        const ng = gates[xr + 2 * H + j];
        const hp = prev >= 0 ? hs[pr + j] : 0;
        const dhj = g[hr + j] + dh[r * H + j];
        const dan = dhj * (1 - zg) * (1 - ng * ng);
        const daz = dhj * (hp - ng) * zg * (1 - zg);
        const dar = dan * ghs[hr + j] * rg * (1 - rg);
        dxg[xr + j] = dar;
        dxg[xr + H + j] = daz;
        dxg[xr + 2 * H + j] = dan;
        dgh[xr + j] = dar;
        dgh[xr + H + j] = daz;
        dgh[xr + 2 * H + j] = dan * rg;
        dh[r * H + j] = dhj * zg;
      }
    }
    // carried dh += ∂gh_t · W_hh ([n, 3H] × [3H, H])
    if (prev >= 0) kern.matmul(dgh.subarray(t * n * G, (t + 1) * n * G), wd, dh, n, H, G, false, false, true);
  }
  const dwhh = recurrentWeightGrad(dgh, hs, G, H, n, order, dtype);
  if (!bias) return [dxg, dwhh];
  const dbhh = allocate(dtype, G);
  kern.sumRows(dgh, dbhh, T * n, G);
  return [dxg, dwhh, dbhh];
}

/**
 * The same function as {@link gruSequence} written with Tensor ops: its rule under double backward,
 * and an oracle in tests. At the first step h = 0 and gh is b_hh alone (broadcast over the batch).
 */
export function gruSequenceOps(
  xg: Tensor,
  whh: Tensor,
  bhh: Tensor | null,
  n: number,
  reverse: boolean,
): Tensor {
  const { T, H } = check('gruSequence', 3, xg, whh, n);
  const b = bhh ?? undefined;
  const out: Tensor[] = new Array<Tensor>(T);
  let h: Tensor | null = null;
  for (const t of orderOf(T, reverse)) {
    const gi = slice(xg, 0, t * n, (t + 1) * n);
    const gh = h === null ? b : linear(h, whh, b);
    const irz = slice(gi, -1, 0, 2 * H);
    const rz = sigmoid(gh ? add(irz, slice(gh, -1, 0, 2 * H)) : irz);
    const r = slice(rz, -1, 0, H);
    const z = slice(rz, -1, H, 2 * H);
    const inn = slice(gi, -1, 2 * H, 3 * H);
    const nn = tanh(gh ? add(inn, mul(r, slice(gh, -1, 2 * H, 3 * H))) : inn);
    // torch's gru_cell: (h − n)·z + n; with h = 0 that is n − z·n, the same rounding.
    h = h === null ? sub(nn, mul(z, nn)) : add(mul(sub(h, nn), z), nn);
    out[t] = h;
  }
  return concat(out, 0);
}

/**
 * Hidden states of one Elman RNN direction over a whole sequence, as one op: xg [T·n, H] time-major
 * holds x_t·W_ihᵀ + b_ih + b_hh, whh [H, H]; h′ = act(xg_t + h·W_hhᵀ), act = tanh or relu, h = 0
 * before the first processed step. Backward: ∂a = (∂L/∂h_t + carried) ⊙ act′, with tanh′ = 1 − h′²
 * and relu′ = [h′ > 0] (0 at the kink, as torch; 1 at NaN, as torch's relu); carried = ∂a·W_hh;
 * ∂xg_t = ∂a;  ∂W_hh = Σ_t ∂a_tᵀ·h_{t−1}.
 */
export function rnnSequence(xg: Tensor, whh: Tensor, n: number, reverse: boolean, relu: boolean): Tensor {
  const { T, H } = check('rnnSequence', 1, xg, whh, n);
  const dtype = xg.dtype === 'float64' || whh.dtype === 'float64' ? 'float64' : 'float32';
  const wd = asDtype(whh.data, dtype);
  const hs = allocate(dtype, T * n * H);
  hs.set(xg.data);
  const kern = kernels();
  const order = orderOf(T, reverse);
  let prev = -1;
  for (const t of order) {
    const a = hs.subarray(t * n * H, (t + 1) * n * H);
    if (prev >= 0)
      kern.matmul(hs.subarray(prev * n * H, (prev + 1) * n * H), wd, a, n, H, H, false, true, true);
    // the activations' own scalar forms (src/tensor/ops/activations.ts): relu keeps NaN, as torch
    if (relu) for (let i = 0; i < a.length; i++) a[i] = !(a[i] <= 0) ? a[i] : 0;
    else for (let i = 0; i < a.length; i++) a[i] = Math.tanh(a[i]);
    prev = t;
  }
  return fusedResult(
    'rnnSequence',
    hs,
    [T * n, H],
    [xg, whh],
    () => rnnSequenceOps(xg, whh, n, reverse, relu),
    (g) => rnnBackward(asDtype(g, dtype), hs, wd, order, n, H, dtype, relu),
  );
}

/** The Elman RNN's backpropagation through time (rnnSequence's formulas): [∂xg, ∂W_hh]. */
function rnnBackward(
  g: FloatArray,
  hs: FloatArray,
  wd: FloatArray,
  order: number[],
  n: number,
  H: number,
  dtype: 'float32' | 'float64',
  relu: boolean,
): FloatArray[] {
  const T = order.length;
  const dxg = allocate(dtype, T * n * H);
  const dh = allocate(dtype, n * H);
  const kern = kernels();
  for (let s = T - 1; s >= 0; s--) {
    const t = order[s];
    const o = t * n * H;
    for (let i = 0; i < n * H; i++) {
      const y = hs[o + i];
      const d = g[o + i] + dh[i];
      dxg[o + i] = relu ? (y <= 0 ? 0 : d) : d * (1 - y * y);
    }
    if (s > 0) kern.matmul(dxg.subarray(o, o + n * H), wd, dh, n, H, H, false, false, false);
  }
  const dwhh = recurrentWeightGrad(dxg, hs, H, H, n, order, dtype);
  return [dxg, dwhh];
}

/** The same function as {@link rnnSequence} written with Tensor ops: its rule under double backward. */
export function rnnSequenceOps(xg: Tensor, whh: Tensor, n: number, reverse: boolean, relu: boolean): Tensor {
  const { T } = check('rnnSequence', 1, xg, whh, n);
  const act = relu ? reluOp : tanh;
  const out: Tensor[] = new Array<Tensor>(T);
  let h: Tensor | null = null;
  for (const t of orderOf(T, reverse)) {
    const xt = slice(xg, 0, t * n, (t + 1) * n);
    h = act(h === null ? xt : add(xt, linear(h, whh)));
    out[t] = h;
  }
  return concat(out, 0);
}
