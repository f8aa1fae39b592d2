import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BinaryOp, FloatArray, Kernels } from '../types.js';
import { checkBatched, type WasmKernels } from '../wasm/index.js';
import type { LossKernels, NativeOptimizerKernels } from '../wasm/optim-types.js';

export type { NativeOptimizerKernels } from '../wasm/optim-types.js';

/** What native/descent_blas.c exports. */
interface BlasAddon {
  matmul(
    a: FloatArray,
    b: FloatArray,
    c: FloatArray,
    m: number,
    n: number,
    k: number,
    ta: boolean,
    tb: boolean,
    acc: boolean,
  ): void;
  /** Absent from addon builds older than the batched kernel. */
  matmulBatched?(
    a: FloatArray,
    b: FloatArray,
    c: FloatArray,
    batch: number,
    m: number,
    n: number,
    k: number,
    ta: boolean,
    tb: boolean,
    sa: number,
    sb: number,
    sc: number,
  ): void;
  binary(op: number, a: FloatArray, b: FloatArray, out: FloatArray): void;
  binaryRow(op: number, a: FloatArray, row: FloatArray, out: FloatArray, rows: number, cols: number): void;
  sumRows(a: FloatArray, out: FloatArray, rows: number, cols: number): void;
  adam(
    p: FloatArray,
    g: FloatArray,
    m: FloatArray,
    v: FloatArray,
    vmax: FloatArray | null,
    beta1: number,
    beta2: number,
    eps: number,
    l2: number,
    decay: number,
    stepSize: number,
    bc2Sqrt: number,
    flags: number,
  ): void;
  sgd(
    p: FloatArray,
    g: FloatArray,
    buf: FloatArray | null,
    lr: number,
    mu: number,
    dampening: number,
    wd: number,
    flags: number,
  ): void;
  bceWithLogits?(x: FloatArray, y: FloatArray, grad: FloatArray, scale: number): number;
  setThreads(n: number): void;
  getThreads(): number;
  config(): string;
}

/**
 * Below this many flops (2·m·n·k) a GEMM goes to the fallback: OpenBLAS's per-call setup (~1 µs) costs more
 * than the wasm kernel's whole run on tiny shapes (W3's 32×13·13×64). Measured with bench/kernels.ts.
 */
const NATIVE_MIN_FLOPS = 2 * 32 * 32 * 32;
/** Elementwise work below this many elements stays in JS (an N-API call costs ~0.2–0.5 µs). */
const NATIVE_MIN_ELEMENTS = 1024;
const OP: Record<BinaryOp, number> = { add: 0, sub: 1, mul: 2, div: 3 };

/** Below this many parameters the N-API call costs more than the JS loop. */
export const OPTIM_MIN_ELEMENTS = 1024;

/** Where the addon is: $DESCENT_NATIVE_ADDON, else native/build/descent_blas.node above this file. */
function addonPath(): string | null {
  const env = process.env.DESCENT_NATIVE_ADDON;
  if (env) return existsSync(env) ? env : null;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const p = join(dir, 'native', 'build', 'descent_blas.node');
    if (existsSync(p)) return p;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return null;
}

let addon: BlasAddon | null | undefined;

function loadAddon(): BlasAddon | null {
  if (addon === undefined) {
    addon = null;
    const p = addonPath();
    if (p) {
      try {
        addon = createRequire(import.meta.url)(p) as BlasAddon;
        const threads = Number(process.env.DESCENT_BLAS_THREADS ?? 1);
        addon.setThreads(Number.isInteger(threads) && threads > 0 ? threads : 1);
      } catch {
        addon = null;
      }
    }
  }
  return addon;
}

/**
 * The optional OpenBLAS backend (Tier 2, built by `npm install` when a compiler and libopenblas are
 * present): matmul by cblas_?gemm/?gemv straight on the JS typed arrays (no copies), everything else and
 * tiny products by `fallback` (the wasm backend). Null when the addon is not built or fails to load.
 */
export function createNativeKernels(
  fallback: Kernels,
  opts: { minFlops?: number; minElements?: number } = {},
):
  (Kernels & NativeOptimizerKernels & LossKernels & Partial<Pick<WasmKernels, 'allocate' | 'scope'>>) | null {
  const blas = loadAddon();
  if (!blas) return null;
  const minFlops = opts.minFlops ?? NATIVE_MIN_FLOPS;
  const minElements = opts.minElements ?? NATIVE_MIN_ELEMENTS;
  const minOptim = opts.minElements ?? OPTIM_MIN_ELEMENTS;
  const minLoss = opts.minElements ?? 256;
  return {
    name: 'native',
    matmul(a, b, c, m, n, k, transA, transB, accumulate) {
      if (2 * m * n * k < minFlops) fallback.matmul(a, b, c, m, n, k, transA, transB, accumulate);
      else blas.matmul(a, b, c, m, n, k, transA, transB, accumulate);
    },
    // Products too small for OpenBLAS go to the fallback as one batch (the wasm backend then makes one call and
    // one copy for all of them); the others loop over cblas inside the addon, one N-API call for the batch.
    matmulBatched(a, b, c, batch, m, n, k, transA, transB, strideA, strideB, strideC) {
      if (2 * m * n * k < minFlops) {
        fallback.matmulBatched(a, b, c, batch, m, n, k, transA, transB, strideA, strideB, strideC);
        return;
      }
      if (blas.matmulBatched) {
        blas.matmulBatched(a, b, c, batch, m, n, k, transA, transB, strideA, strideB, strideC);
        return;
      }
      // An old addon build: per-product calls on views, checked first as the addon would.
      const span = (s: number, size: number): number => (batch === 0 ? 0 : (batch - 1) * s + size);
      checkBatched(
        a,
        b,
        c,
        span(strideA, m * k),
        span(strideB, k * n),
        span(strideC, m * n),
        m * n,
        strideA,
        strideB,
        strideC,
      );
      for (let t = 0; t < batch; t++)
        blas.matmul(
          a.subarray(t * strideA, t * strideA + m * k),
          b.subarray(t * strideB, t * strideB + k * n),
          c.subarray(t * strideC, t * strideC + m * n),
          m,
          n,
          k,
          transA,
          transB,
          false,
        );
    },
    // Elementwise ops run in C straight on the JS arrays (no copies); tiny ones stay in the fallback. An old
    // addon build without them falls back entirely.
    binary: blas.binary
      ? (op, a, b, out) => {
          if (out.length < minElements || !sameKind(a, b, out)) fallback.binary(op, a, b, out);
          else blas.binary(OP[op], a, b, out);
        }
      : (op, a, b, out) => fallback.binary(op, a, b, out),
    binaryRow: blas.binaryRow
      ? (op, a, row, out, rows, cols) => {
          if (rows * cols < minElements || !sameKind(a, row, out))
            fallback.binaryRow(op, a, row, out, rows, cols);
          else blas.binaryRow(OP[op], a, row, out, rows, cols);
        }
      : (op, a, row, out, rows, cols) => fallback.binaryRow(op, a, row, out, rows, cols),
    sumRows: blas.sumRows
      ? (a, out, rows, cols) => {
          if (rows * cols < minElements || !sameKind(a, out, out)) fallback.sumRows(a, out, rows, cols);
          else blas.sumRows(a, out, rows, cols);
        }
      : (a, out, rows, cols) => fallback.sumRows(a, out, rows, cols),
    // The wasm kernels' one call per sequence, forward and backward: the per-step products then run in wasm's
    // sgemm instead of one N-API + OpenBLAS call each, next to the vectorised gate maths (W6: ~2× the whole
    // training step over the TypeScript loop with OpenBLAS products). Declined when the fallback lacks them.
    lstmForward: (xg, whh, acts, cs, tcs, hs, T, n, H, reverse) =>
      fallback.lstmForward ? fallback.lstmForward(xg, whh, acts, cs, tcs, hs, T, n, H, reverse) : false,
    lstmBackward: (gh, acts, cs, tcs, whh, dxg, T, n, H, reverse) =>
      fallback.lstmBackward ? fallback.lstmBackward(gh, acts, cs, tcs, whh, dxg, T, n, H, reverse) : false,
    // The arena of the wasm fallback (views on its shared memory), for per-step temporaries: OpenBLAS and the C
    // loops read those arrays in place like any other typed array.
    ...arenaOf(fallback),
    bceWithLogits(logits, targets, grad, gradScale) {
      const n = logits.length;
      if (
        !blas.bceWithLogits ||
        n < minLoss ||
        !sameKind(logits, targets, grad) ||
        targets.length < n ||
        grad.length < n
      )
        return null;
      return blas.bceWithLogits(logits, targets, grad, gradScale);
    },
    adamUpdate(p, g, m, v, vmax, h) {
      if (!blas.adam || p.length < minOptim || !sameKind(p, g, m) || !sameKind(p, v, vmax ?? p)) return false;
      if (
        g.length < p.length ||
        m.length < p.length ||
        v.length < p.length ||
        (vmax && vmax.length < p.length)
      )
        return false;
      const flags = (h.maximize ? 1 : 0) | (h.amsgrad ? 2 : 0) | (h.applyDecay ? 4 : 0);
      if (h.amsgrad && !vmax) return false;
      blas.adam(p, g, m, v, vmax, h.beta1, h.beta2, h.eps, h.l2, h.decay, h.stepSize, h.bc2Sqrt, flags);
      return true;
    },
    sgdUpdate(p, g, buf, h) {
      if (!blas.sgd || p.length < minOptim || !sameKind(p, g, buf ?? p)) return false;
      if (g.length < p.length || (buf && buf.length < p.length)) return false;
      const flags = (h.maximize ? 1 : 0) | (h.nesterov ? 2 : 0) | (h.first ? 4 : 0);
      blas.sgd(p, g, buf, h.lr, buf ? h.momentum : 0, h.dampening, h.weightDecay, flags);
      return true;
    },
  };
}

/** `allocate`/`scope` of a fallback that has them (the wasm backend), bound to it; nothing otherwise. */
function arenaOf(k: Kernels): Partial<Pick<WasmKernels, 'allocate' | 'scope'>> {
  const w = k as Partial<WasmKernels>;
  if (typeof w.allocate !== 'function' || typeof w.scope !== 'function') return {};
  return { allocate: w.allocate.bind(w), scope: w.scope.bind(w) as WasmKernels['scope'] };
}

/** All Float32Array or all Float64Array (the C side takes one element type per call). */
function sameKind(a: FloatArray, b: FloatArray, c: FloatArray): boolean {
  return a instanceof Float64Array
    ? b instanceof Float64Array && c instanceof Float64Array
    : !(b instanceof Float64Array) && !(c instanceof Float64Array);
}

/** The addon's OpenBLAS configuration string, or null when the native tier is absent. */
export function nativeInfo(): { config: string; threads: number } | null {
  const blas = loadAddon();
  return blas ? { config: blas.config().trim(), threads: blas.getThreads() } : null;
}
