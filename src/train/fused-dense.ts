/**
 * A fused training step for the dense models (linear and MLP): forward, loss and backward written
 * out by hand over preallocated buffers, through the kernel backend (matmul with transpose flags,
 * row broadcasts, column sums). It computes what the autodiff path computes — the equivalence test
 * (test/unit/train/fused-dense.test.ts) holds the two to 1e-12 in float64 — without building a
 * graph or allocating per step, which is what makes small-batch training fast.
 *
 * Layer l: Z = H·Wᵀ + b, A = act(Z) (·mask/(1−p) with dropout), H₀ = X, the last layer has no activation.
 * Backward: dZ = dA ⊙ act'(Z); dW = dZᵀ·H; db = Σ_rows dZ; dH = dZ·W.
 */
import type { DenseConfig } from '../models/dense.js';
import type { LossName } from '../models/losses.js';
import type { Rng } from '../rng/rng.js';
import {
  ACTIVATIONS,
  allocate,
  kernels,
  type Activation,
  type DType,
  type FloatArray,
  type LossKernels,
} from '../tensor/index.js';

/** Batch targets: values [rows × targets] (regression, bce) or class indices (cross_entropy). */
export type FlatTargets = FloatArray | Int32Array;

interface LayerBuffers {
  z: FloatArray;
  a: FloatArray;
  mask: FloatArray | null;
  dz: FloatArray;
  dh: FloatArray;
}

/** Reusable buffers and the step function for one model shape. */
export class FusedDense {
  readonly grads: FloatArray[];
  private readonly sizes: number[];
  private readonly activation: Activation | null;
  private readonly dropout: number;
  private buffers: LayerBuffers[] = [];
  private capacity = 0;

  constructor(
    config: DenseConfig,
    inFeatures: number,
    outWidth: number,
    private readonly dtype: DType,
    private readonly loss: LossName,
    private readonly huberDelta: number,
    private readonly l1: number,
    private readonly l2: number,
  ) {
    this.sizes = config.type === 'linear' ? [inFeatures, outWidth] : [inFeatures, ...config.hidden, outWidth];
    this.activation = config.type === 'mlp' ? config.activation : null;
    this.dropout = config.type === 'mlp' ? config.dropout : 0;
    this.grads = [];
    for (let l = 0; l + 1 < this.sizes.length; l++) {
      this.grads.push(allocate(dtype, this.sizes[l + 1] * this.sizes[l]));
      this.grads.push(allocate(dtype, this.sizes[l + 1]));
    }
  }

  /** The outputs (logits or regression values) of the last step's first `rows` rows. */
  output(rows: number): FloatArray {
    return this.buffers[this.buffers.length - 1].z.subarray(0, rows * this.sizes[this.sizes.length - 1]);
  }

  private ensure(rows: number): void {
    if (rows <= this.capacity) return;
    this.capacity = rows;
    this.buffers = [];
    for (let l = 1; l < this.sizes.length; l++) {
      const n = rows * this.sizes[l];
      const hidden = l < this.sizes.length - 1;
      this.buffers.push({
        z: allocate(this.dtype, n),
        a: hidden ? allocate(this.dtype, n) : allocate(this.dtype, 0),
        mask: hidden && this.dropout > 0 ? allocate(this.dtype, n) : null,
        dz: allocate(this.dtype, n),
        dh: allocate(this.dtype, rows * this.sizes[l - 1]),
      });
    }
  }

  /**
   * One forward and backward pass on `rows` rows of `x` (row-major [rows × inFeatures]). Fills
   * `this.grads` (aligned with the parameters) and returns the data loss and the penalty.
   */
  step(
    params: readonly FloatArray[],
    x: FloatArray,
    targets: FlatTargets,
    rows: number,
    training: boolean,
    rng: Rng | null,
  ): { dataLoss: number; penalty: number } {
    this.ensure(rows);
    const k = kernels();
    const L = this.sizes.length - 1;
    // Forward.
    let h: FloatArray = x.subarray(0, rows * this.sizes[0]);
    for (let l = 0; l < L; l++) {
      const inW = this.sizes[l];
      const outW = this.sizes[l + 1];
      const buf = this.buffers[l];
      const z = buf.z.subarray(0, rows * outW);
      k.matmul(h, params[2 * l], z, rows, outW, inW, false, true, false);
      k.binaryRow('add', z, params[2 * l + 1], z, rows, outW);
      if (l < L - 1) {
        const a = buf.a.subarray(0, rows * outW);
        activate(this.activation!, z, a);
        if (buf.mask && training) {
          const m = buf.mask.subarray(0, rows * outW);
          const p = this.dropout;
          const scale = 1 / (1 - p);
          for (let i = 0; i < m.length; i++) {
            m[i] = rng!.next() < p ? 0 : scale;
            a[i] *= m[i];
          }
        }
        h = a;
      } else {
        h = z;
      }
    }
    // Loss and its gradient w.r.t. the output.
    const out = h;
    const last = this.buffers[L - 1];
    const dOut = last.dz.subarray(0, out.length);
    const dataLoss = lossAndGrad(this.loss, out, targets, rows, this.sizes[L], this.huberDelta, dOut);
    // Backward.
    for (let l = L - 1; l >= 0; l--) {
      const inW = this.sizes[l];
      const outW = this.sizes[l + 1];
      const buf = this.buffers[l];
      const dz = buf.dz.subarray(0, rows * outW);
      const hPrev = l === 0 ? x.subarray(0, rows * inW) : this.buffers[l - 1].a.subarray(0, rows * inW);
      k.matmul(dz, hPrev, this.grads[2 * l], outW, inW, rows, true, false, false);
      k.sumRows(dz, this.grads[2 * l + 1], rows, outW);
      if (l > 0) {
        const prev = this.buffers[l - 1];
        const dh = buf.dh.subarray(0, rows * inW);
        k.matmul(dz, params[2 * l], dh, rows, inW, outW, false, false, false);
        // through dropout, then the activation, into the previous layer's dZ
        if (prev.mask && training) {
          const m = prev.mask;
          for (let i = 0; i < dh.length; i++) dh[i] *= m[i];
        }
        activationBackward(
          this.activation!,
          prev.z.subarray(0, rows * inW),
          prev.a,
          prev.mask && training ? prev.mask : null,
          dh,
          prev.dz.subarray(0, rows * inW),
        );
      }
    }
    // Penalty on weights: l1·Σ|w| + l2·Σw²; gradient l1·sign(w) + 2·l2·w.
    let penalty = 0;
    if (this.l1 > 0 || this.l2 > 0) {
      for (let l = 0; l < L; l++) {
        const w = params[2 * l];
        const g = this.grads[2 * l];
        let s1 = 0;
        let s2 = 0;
        for (let i = 0; i < w.length; i++) {
          const v = w[i];
          s1 += Math.abs(v);
          s2 += v * v;
          g[i] += this.l1 * (v > 0 ? 1 : v < 0 ? -1 : 0) + 2 * this.l2 * v;
        }
        penalty += this.l1 * s1 + this.l2 * s2;
      }
    }
    return { dataLoss, penalty };
  }
}

// One loop per activation below, each calling one table entry: V8 inlines a call that only ever
// sees one function, while a single loop over `ACTIVATIONS[act]` would see all seven (measurably
// slower on small layers).
const { relu, tanh, sigmoid, leaky_relu: leaky, elu, gelu, softplus } = ACTIVATIONS;

/** A = act(Z), values from the activation table. */
function activate(act: Activation, z: FloatArray, a: FloatArray): void {
  const n = a.length;
  switch (act) {
    case 'relu':
      for (let i = 0; i < n; i++) a[i] = relu.value(z[i]);
      return;
    case 'tanh':
      for (let i = 0; i < n; i++) a[i] = tanh.value(z[i]);
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) a[i] = sigmoid.value(z[i]);
      return;
    case 'leaky_relu':
      for (let i = 0; i < n; i++) a[i] = leaky.value(z[i]);
      return;
    case 'elu':
      for (let i = 0; i < n; i++) a[i] = elu.value(z[i]);
      return;
    case 'gelu':
      for (let i = 0; i < n; i++) a[i] = gelu.value(z[i]);
      return;
    case 'softplus':
      for (let i = 0; i < n; i++) a[i] = softplus.value(z[i]);
      return;
  }
}

/**
 * dZ = dA ⊙ act'(Z), derivatives from the activation table. For tanh and sigmoid the derivative is
 * taken from the activation value, which with dropout has been scaled by the mask: recompute it
 * from Z then (mask 0 rows get dA = 0 anyway).
 */
function activationBackward(
  act: Activation,
  z: FloatArray,
  aBuf: FloatArray,
  mask: FloatArray | null,
  da: FloatArray,
  dz: FloatArray,
): void {
  const n = dz.length;
  switch (act) {
    case 'relu':
      for (let i = 0; i < n; i++) dz[i] = da[i] * relu.derivative(z[i], 0);
      return;
    case 'leaky_relu':
      for (let i = 0; i < n; i++) dz[i] = da[i] * leaky.derivative(z[i], 0);
      return;
    case 'elu':
      for (let i = 0; i < n; i++) dz[i] = da[i] * elu.derivative(z[i], 0);
      return;
    case 'gelu':
      for (let i = 0; i < n; i++) dz[i] = da[i] * gelu.derivative(z[i], 0);
      return;
    case 'softplus':
      for (let i = 0; i < n; i++) dz[i] = da[i] * softplus.derivative(z[i], 0);
      return;
    case 'tanh':
      for (let i = 0; i < n; i++) dz[i] = da[i] * tanh.derivative(z[i], mask ? tanh.value(z[i]) : aBuf[i]);
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++)
        dz[i] = da[i] * sigmoid.derivative(z[i], mask ? sigmoid.value(z[i]) : aBuf[i]);
      return;
  }
}

/** The mean-reduced loss of `out` [rows × width] and its gradient, written into `d`. */
function lossAndGrad(
  loss: LossName,
  out: FloatArray,
  t: FlatTargets,
  rows: number,
  width: number,
  delta: number,
  d: FloatArray,
): number {
  const n = out.length;
  let s = 0;
  switch (loss) {
    case 'mse': {
      const inv = 1 / n;
      for (let i = 0; i < n; i++) {
        const e = out[i] - t[i];
        s += e * e;
        d[i] = 2 * (e * inv);
      }
      return s / n;
    }
    case 'mae': {
      const inv = 1 / n;
      for (let i = 0; i < n; i++) {
        const e = out[i] - t[i];
        s += Math.abs(e);
        d[i] = (e > 0 ? 1 : e < 0 ? -1 : 0) * inv;
      }
      return s / n;
    }
    case 'huber': {
      const inv = 1 / n;
      for (let i = 0; i < n; i++) {
        const e = out[i] - t[i];
        const a = Math.abs(e);
        if (a < delta) {
          s += e * e * 0.5;
          d[i] = e * inv;
        } else {
          s += (a - 0.5 * delta) * delta;
          d[i] = delta * (e > 0 ? 1 : -1) * inv;
        }
      }
      return s / n;
    }
    case 'bce': {
      // The backend's kernel when it has one (SIMD exp/log1p; within ~1e-15 of the loop below).
      const r = (kernels() as Partial<LossKernels>).bceWithLogits?.(out, t as FloatArray, d, 1 / n);
      if (r !== undefined && r !== null) return r / n;
      // torch's stable value (1 − y)x + max(−x, 0) + log(1 + e^(−|x|)), written with one exp and
      // one log1p per element (the same quantity as torch's form); gradient σ(x) − y.
      const inv = 1 / n;
      for (let i = 0; i < n; i++) {
        const x = out[i];
        const y = t[i];
        const e = Math.exp(-Math.abs(x));
        s += (1 - y) * x + (x < 0 ? -x : 0) + Math.log1p(e);
        const sig = x >= 0 ? 1 / (1 + e) : e / (1 + e);
        d[i] = (sig - y) * inv;
      }
      return s / n;
    }
    case 'cross_entropy': {
      // −mean log softmax(x)[i, yᵢ]; gradient (softmax − onehot)/rows
      const inv = 1 / rows;
      for (let r = 0; r < rows; r++) {
        const o = r * width;
        let m = -Infinity;
        for (let c = 0; c < width; c++) if (out[o + c] > m) m = out[o + c];
        if (!Number.isFinite(m)) m = 0;
        let z = 0;
        for (let c = 0; c < width; c++) z += Math.exp(out[o + c] - m);
        const lz = Math.log(z);
        const y = t[r];
        s -= out[o + y] - m - lz;
        for (let c = 0; c < width; c++) d[o + c] = (Math.exp(out[o + c] - m) / z - (c === y ? 1 : 0)) * inv;
      }
      return s / rows;
    }
  }
}
