import type { FloatArray } from '../types.js';

/**
 * Per-array Adam/AdamW update, the inner loop of src/optim/adam.ts `adamUpdate` with its per-step scalars
 * precomputed: stepSize = lr / (1 − β1ᵗ), bc2Sqrt = √(1 − β2ᵗ), l2 = Adam's weightDecay (0 for AdamW),
 * decay = 1 − lr·weightDecay applied first when `applyDecay` (AdamW with weightDecay ≠ 0).
 */
export interface AdamKernelArgs {
  beta1: number;
  beta2: number;
  eps: number;
  l2: number;
  decay: number;
  applyDecay: boolean;
  stepSize: number;
  bc2Sqrt: number;
  amsgrad: boolean;
  maximize: boolean;
}

/** Per-array SGD update, the inner loop of src/optim/sgd.ts `stepSgd` (`buf` null when momentum is 0). */
export interface SgdKernelArgs {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
  /** First step of this buffer: it is set to the gradient, as torch does. */
  first: boolean;
}

/**
 * OPTIONAL kernels of the native and wasm backends (not in types.ts): optimizer updates in place, giving exactly
 * the bits of the TypeScript loops in src/optim (doubles for temporaries, rounding on store, same order, no FMA
 * contraction). They return false — and do nothing — when they decline (mixed element types, fewer than ~1024
 * elements, where the call overhead outweighs the loop); the caller then runs its own loop. Native works on the
 * JS arrays in place; wasm copies them in and out (zero-copy for arrays from `WasmKernels.alloc`).
 */
export interface OptimizerKernels {
  adamUpdate(
    p: FloatArray,
    g: FloatArray,
    m: FloatArray,
    v: FloatArray,
    vmax: FloatArray | null,
    h: AdamKernelArgs,
  ): boolean;
  sgdUpdate(p: FloatArray, g: FloatArray, buf: FloatArray | null, h: SgdKernelArgs): boolean;
}

/** @deprecated name kept for callers written against the native-only version. */
export type NativeOptimizerKernels = OptimizerKernels;

/**
 * OPTIONAL loss kernel (wasm and native backends): binary cross-entropy on logits, value and gradient in one pass,
 * the per-element form of torch's stable BCEWithLogits: loss_i = (1 − y_i)·x_i + max(−x_i, 0) + log1p(e^(−|x_i|)),
 * grad_i = (σ(x_i) − y_i)·gradScale. Returns Σ loss_i (the caller divides by n for the mean), or null when it
 * declines (fewer than ~256 elements, mixed element types) — then run the TypeScript loop. Not bit-identical to
 * that loop: exp/log1p come from SIMD polynomials (wasm) or libm (native), within ~1e-15 relative of V8's Math.exp
 * and Math.log1p; the sum is accumulated in a different order.
 */
export interface LossKernels {
  bceWithLogits(logits: FloatArray, targets: FloatArray, grad: FloatArray, gradScale: number): number | null;
}
