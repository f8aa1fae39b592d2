/**
 * TensorFlow.js side of `npm run bench` (@tensorflow/tfjs 4.22, backends `wasm` = XNNPACK and `cpu` = plain JS).
 * usage: node --import tsx bench/tfjs/workloads.ts W1|W2|W3|W4|W5|W6|sgemm wasm|cpu [seconds]
 * One thread (setThreadsCount(1)). Models are written with tf ops + optimizer.minimize (faster than layers.fit).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { digitsLike, emit, gaussian, rate, sineWindows, SPEC, timed, type Rate } from '../common.js';

const [name, backend = 'wasm', secArg] = process.argv.slice(2);
const seconds = Number(secArg ?? 2);

async function init(): Promise<void> {
  if (backend === 'wasm') {
    const require = createRequire(import.meta.url);
    const dir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
    setWasmPaths(join(dir, 'dist') + '/');
    setThreadsCount(1);
  }
  await tf.setBackend(backend);
  await tf.ready();
}

function randn(rows: number, cols: number, seed: number): tf.Tensor2D {
  const g = gaussian(seed);
  const d = new Float32Array(rows * cols);
  for (let i = 0; i < d.length; i++) d[i] = g();
  return tf.tensor2d(d, [rows, cols]);
}

function dense(sizes: number[], seed: number): tf.Variable[] {
  const vars: tf.Variable[] = [];
  for (let i = 0; i < sizes.length - 1; i++) {
    const s = 1 / Math.sqrt(sizes[i]);
    vars.push(tf.variable(randn(sizes[i], sizes[i + 1], seed + i).mul(s)));
    vars.push(tf.variable(tf.zeros([sizes[i + 1]])));
  }
  return vars;
}

function forward(vars: tf.Variable[], x: tf.Tensor): tf.Tensor2D {
  let h = x as tf.Tensor2D;
  for (let i = 0; i < vars.length; i += 2) {
    h = tf.add(tf.matMul(h, vars[i] as tf.Tensor2D), vars[i + 1]) as tf.Tensor2D;
    if (i < vars.length - 2) h = tf.relu(h);
  }
  return h;
}

/** Shuffled minibatches, one optimizer step each; returns samples/s. */
function minibatches(
  x: tf.Tensor2D,
  y: tf.Tensor,
  batch: number,
  step: (xb: tf.Tensor2D, yb: tf.Tensor) => void,
): Rate {
  const rows = x.shape[0];
  let perm = new Int32Array(rows).map((_, i) => i);
  let pos = rows;
  const t = timed(() => {
    if (pos + batch > rows) {
      tf.util.shuffle(perm);
      pos = 0;
    }
    const idx = tf.tensor1d(perm.subarray(pos, pos + batch), 'int32');
    pos += batch;
    tf.tidy(() => step(tf.gather(x, idx) as tf.Tensor2D, tf.gather(y, idx)));
    idx.dispose();
  }, seconds);
  perm = new Int32Array(0);
  return rate(t, batch);
}

async function main(): Promise<void> {
  await init();
  const sys = `tfjs-${backend}`;
  const base = { workload: name, system: sys, version: tf.version.tfjs, threads: 1 };
  if (name === 'W1') {
    const { rows, features, lr } = SPEC.W1;
    const x = randn(rows, features, 1);
    const y = tf.tensor2d(
      Float32Array.from({ length: rows }, (_, i) => (i * 7919) % 2),
      [rows, 1],
    );
    const w = tf.variable(tf.zeros([features, 1]));
    const b = tf.variable(tf.zeros([1]));
    const opt = tf.train.sgd(lr);
    const t = timed(() => {
      tf.tidy(() => {
        opt.minimize(() => tf.losses.sigmoidCrossEntropy(y, tf.add(tf.matMul(x, w), b)) as tf.Scalar);
      });
    }, seconds);
    emit({ ...base, ...rate(t, 1), unit: 'steps/s' });
  } else if (name === 'W2' || name === 'W3') {
    const sp = name === 'W2' ? SPEC.W2 : SPEC.W3;
    const x = randn(sp.rows, sp.features, 2);
    const vars = dense([sp.features, ...sp.hidden, name === 'W2' ? SPEC.W2.classes : 1], 3);
    let r;
    if (name === 'W2') {
      const labels = tf.tensor1d(
        Int32Array.from({ length: sp.rows }, (_, i) => (i * 31) % 10),
        'int32',
      );
      const y = tf.oneHot(labels, 10).toFloat();
      const opt = tf.train.adam(sp.lr);
      r = minibatches(x, y, sp.batch, (xb, yb) => {
        opt.minimize(() => tf.losses.softmaxCrossEntropy(yb, forward(vars, xb)) as tf.Scalar, false, vars);
      });
    } else {
      const y = randn(sp.rows, 1, 4);
      const opt = tf.train.momentum(sp.lr, SPEC.W3.momentum);
      r = minibatches(x, y, sp.batch, (xb, yb) => {
        opt.minimize(() => tf.losses.meanSquaredError(yb, forward(vars, xb)) as tf.Scalar, false, vars);
      });
    }
    emit({ ...base, ...r, unit: 'samples/s' });
  } else if (name === 'W5') {
    // NHWC (tfjs's layout). Batchnorm in training mode: batch statistics over N, H, W (running stats omitted: they
    // are not on the gradient path, and tfjs has no fused training-mode batchnorm).
    const s = SPEC.W5;
    const d = digitsLike(s.rows, 8);
    const x = tf.tensor4d(d.x, [s.rows, 8, 8, 1]) as unknown as tf.Tensor2D;
    const y = tf.oneHot(tf.tensor1d(d.y, 'int32'), s.classes).toFloat();
    const g = gaussian(9);
    const init = (shape: number[], fanIn: number): tf.Variable =>
      tf.variable(
        tf.tensor(
          Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => g() / Math.sqrt(fanIn)),
          shape,
        ),
      );
    const kernel = init([3, 3, 1, s.channels], 9);
    const kbias = tf.variable(tf.zeros([s.channels]));
    const gamma = tf.variable(tf.ones([s.channels]));
    const beta = tf.variable(tf.zeros([s.channels]));
    const w = init([128, s.classes], 128);
    const b = tf.variable(tf.zeros([s.classes]));
    const vars = [kernel, kbias, gamma, beta, w, b];
    const opt = tf.train.adam(s.lr);
    const r = minibatches(x, y, s.batch, (xb, yb) => {
      opt.minimize(
        () => {
          const c = tf.add(conv3x3(xb as unknown as tf.Tensor4D, kernel as tf.Tensor4D), kbias);
          const { mean, variance } = tf.moments(c, [0, 1, 2]);
          const n = tf.batchNorm(c, mean, variance, beta, gamma, 1e-5);
          const p = tf.maxPool(tf.relu(n) as tf.Tensor4D, 2, 2, 'valid');
          const logits = tf.add(tf.matMul(tf.reshape(p, [-1, 128]) as tf.Tensor2D, w as tf.Tensor2D), b);
          return tf.losses.softmaxCrossEntropy(yb, logits) as tf.Scalar;
        },
        false,
        vars,
      );
    });
    emit({ ...base, ...r, unit: 'samples/s' });
  } else if (name === 'W6') {
    // LSTM with tf.basicLSTMCell (gates i, j, f, o; one [F+H, 4H] kernel), unrolled over the 20 steps.
    const s = SPEC.W6;
    const d = sineWindows(s.rows, s.steps, 10);
    const x = tf.tensor3d(d.x, [s.rows, s.steps, 1]) as unknown as tf.Tensor2D;
    const y = tf.tensor2d(d.y, [s.rows, 1]);
    const g = gaussian(11);
    const k = 1 / Math.sqrt(s.hidden);
    const u = (shape: number[]): tf.Variable =>
      tf.variable(
        tf.tensor(
          Float32Array.from({ length: shape.reduce((a, c) => a * c, 1) }, () => k * Math.tanh(g())),
          shape,
        ),
      );
    const kernel = u([1 + s.hidden, 4 * s.hidden]);
    const bias = u([4 * s.hidden]);
    const w = u([s.hidden, 1]);
    const b = tf.variable(tf.zeros([1]));
    const opt = tf.train.adam(s.lr);
    const r = minibatches(x, y, s.batch, (xb, yb) => {
      opt.minimize(
        () => {
          const seq = xb as unknown as tf.Tensor3D;
          let c: tf.Tensor2D = tf.zeros([s.batch, s.hidden]);
          let h: tf.Tensor2D = tf.zeros([s.batch, s.hidden]);
          const steps = tf.unstack(seq, 1) as tf.Tensor2D[];
          for (const xt of steps)
            [c, h] = tf.basicLSTMCell(1, kernel as tf.Tensor2D, bias as tf.Tensor1D, xt, c, h);
          return tf.losses.meanSquaredError(yb, tf.add(tf.matMul(h, w as tf.Tensor2D), b)) as tf.Scalar;
        },
        false,
        [kernel, bias, w, b],
      );
    });
    emit({ ...base, ...r, unit: 'samples/s' });
  } else if (name === 'W4') {
    // tfjs is float32-only and has no generic Hessian, so this is the closed form H = Xᵀ diag(p(1−p)) X / n;
    // the 50×50 solve runs in JS (Cholesky).
    const { rows, features, iterations } = SPEC.W4;
    const x = randn(rows, features, 5);
    const y = tf.tensor2d(
      Float32Array.from({ length: rows }, (_, i) => (i * 7919) % 2),
      [rows, 1],
    );
    const run = (): void => {
      let w = new Float32Array(features);
      for (let it = 0; it < iterations; it++) {
        const [g, h] = tf.tidy(() => {
          const wt = tf.tensor2d(w, [features, 1]);
          const p = tf.sigmoid(tf.matMul(x, wt));
          const gr = tf.div(tf.matMul(x, tf.sub(p, y), true, false), rows);
          const s = tf.mul(p, tf.sub(1, p));
          const hs = tf.div(tf.matMul(x, tf.mul(x, s), true, false), rows);
          return [gr.dataSync(), hs.dataSync()];
        });
        const step = choleskySolve(Float64Array.from(h), Float64Array.from(g), features);
        w = w.map((v, i) => v - step[i]);
      }
    };
    const t = timed(run, seconds, 0.5);
    emit({ ...base, ...rate(t, iterations), unit: 'iterations/s', note: 'float32, closed-form Hessian' });
  } else if (name === 'sgemm') {
    const N = SPEC.gemm.n;
    const a = randn(N, N, 6);
    const b = randn(N, N, 7);
    const reps = 20;
    const t = timed(() => {
      let last: tf.Tensor | null = null;
      for (let r = 0; r < reps; r++) {
        last?.dispose();
        last = tf.matMul(a, b);
      }
      last!.dataSync();
      last!.dispose();
    }, seconds);
    emit({ ...base, ...rate(t, (2 * N ** 3 * reps) / 1e9), unit: 'GFLOPS' });
  } else {
    throw new Error(`unknown workload ${name}`);
  }
}

/**
 * A 3×3 'same' convolution of NHWC input. On the cpu backend this is tf.conv2d; the wasm backend registers no
 * Conv2DBackpropFilter kernel (tfjs 4.22), so there it is im2col written with ops that do have wasm kernels and
 * gradients: pad, nine shifted slices concatenated along channels, one matMul with the [9·C, out] kernel.
 */
function conv3x3(x: tf.Tensor4D, kernel: tf.Tensor4D): tf.Tensor4D {
  if (backend !== 'wasm') return tf.conv2d(x, kernel, 1, 'same');
  const [n, h, w, c] = x.shape;
  const p = tf.pad(x, [
    [0, 0],
    [1, 1],
    [1, 1],
    [0, 0],
  ]);
  const patches: tf.Tensor4D[] = [];
  for (let di = 0; di < 3; di++)
    for (let dj = 0; dj < 3; dj++) patches.push(tf.slice(p, [0, di, dj, 0], [n, h, w, c]));
  const cols = tf.reshape(tf.concat(patches, 3), [n * h * w, 9 * c]) as tf.Tensor2D;
  const out = kernel.shape[3];
  return tf.reshape(tf.matMul(cols, tf.reshape(kernel, [9 * c, out]) as tf.Tensor2D), [
    n,
    h,
    w,
    out,
  ]) as tf.Tensor4D;
}

/** Solve H·s = g for symmetric positive definite H (n×n row-major), with a tiny ridge for safety. */
function choleskySolve(h: Float64Array, g: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = h[i * n + j] + (i === j ? 1e-8 : 0);
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      l[i * n + j] = i === j ? Math.sqrt(Math.max(s, 1e-300)) : s / l[j * n + j];
    }
  }
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = g[i];
    for (let k = 0; k < i; k++) s -= l[i * n + k] * z[k];
    z[i] = s / l[i * n + i];
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = z[i];
    for (let k = i + 1; k < n; k++) s -= l[k * n + i] * x[k];
    x[i] = s / l[i * n + i];
  }
  return x;
}

await main();
