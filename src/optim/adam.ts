/**
 * Adam, as `torch.optim.Adam` (`_single_tensor_adam`, non-capturable path, torch 1.13).
 *
 * With γ the lr, λ the weight decay and t the per-parameter step (from 1):
 *
 * ```
 * d ← ±g + λ·θ                                   L2 enters both moments (coupled)
 * m ← β1·m + (1−β1)·d
 * v ← β2·v + (1−β2)·d²
 * bc1 ← 1 − β1^t;  bc2 ← 1 − β2^t
 * u ← amsgrad ? (v_max ← max(v_max, v)) : v      the max is over the raw, uncorrected v
 * θ ← θ − (γ/bc1) · m / (√u/√bc2 + ε)            ε added after bias correction (not the ε-hat form)
 * ```
 *
 * A OneCycle momentum override replaces β1 for the step.
 */
import { adamFamilyStepContext, checkBoolean, resolveAdamFamily, zerosLike } from './util.js';
import type { FloatArray, Grads, Optimizer, StepContext } from './types.js';
import { kernels, type OptimizerKernels } from '../tensor/index.js';
import { ADAM as TORCH_DEFAULTS } from '../catalog/optimizers.js';

export interface AdamHyper {
  /** Learning rate γ (default 1e-3). */
  lr: number;
  /** Decay rates (β1, β2) of the moment estimates (default [0.9, 0.999]). */
  betas: [number, number];
  /** Added to the root (default 1e-8). */
  eps: number;
  /** Adam: L2 penalty added to the gradient (default 0). AdamW: decoupled decay (default 1e-2). */
  weightDecay: number;
  /** Use the running maximum of v (default false). */
  amsgrad: boolean;
  /** Ascend instead of descend (default false). */
  maximize: boolean;
}

export interface AdamState {
  step: number[];
  expAvg: FloatArray[];
  expAvgSq: FloatArray[];
  /** Running max of expAvgSq (amsgrad only, else null). */
  maxExpAvgSq: (FloatArray | null)[];
}

export const ADAM_DEFAULTS: AdamHyper = { ...TORCH_DEFAULTS, betas: [...TORCH_DEFAULTS.betas] };

/** Shared by Adam and AdamW (which differ only in the weightDecay default). */
export function resolveAdamLike(hp: Partial<AdamHyper>, defaults: AdamHyper): AdamHyper {
  const common = resolveAdamFamily(hp, defaults);
  const amsgrad = hp.amsgrad ?? defaults.amsgrad;
  checkBoolean('amsgrad', amsgrad);
  return { ...common, amsgrad };
}

export function resolveAdam(hp: Partial<AdamHyper> = {}): AdamHyper {
  return resolveAdamLike(hp, ADAM_DEFAULTS);
}

export function initAdam(params: readonly FloatArray[], hp: AdamHyper): AdamState {
  return {
    step: params.map(() => 0),
    expAvg: params.map(zerosLike),
    expAvgSq: params.map(zerosLike),
    maxExpAvgSq: params.map((p) => (hp.amsgrad ? zerosLike(p) : null)),
  };
}

/**
 * The Adam update; with `decoupled` (AdamW) the weight decay is θ ← θ·(1 − γλ) applied first and
 * the moments see the raw gradient.
 */
export function adamUpdate(
  params: FloatArray[],
  grads: Grads,
  state: AdamState,
  hp: AdamHyper,
  ctx: StepContext,
  decoupled: boolean,
): void {
  const { lr, beta1, beta2 } = adamFamilyStepContext(params, grads, state.step.length, hp, ctx);
  const { eps, weightDecay: wd, amsgrad, maximize } = hp;
  const l2 = decoupled ? 0 : wd;
  const decay = decoupled ? 1 - lr * wd : 1;
  const kern = kernels() as Partial<OptimizerKernels>;
  for (let i = 0; i < params.length; i++) {
    const g = grads[i];
    if (!g) continue;
    const p = params[i];
    const m = state.expAvg[i];
    const v = state.expAvgSq[i];
    let vmax = state.maxExpAvgSq[i];
    if (amsgrad && vmax === null) vmax = state.maxExpAvgSq[i] = zerosLike(p);
    const t = ++state.step[i];
    const bc1 = 1 - beta1 ** t;
    const bc2 = 1 - beta2 ** t;
    const stepSize = lr / bc1;
    const bc2Sqrt = Math.sqrt(bc2);
    // The backend's kernel (native/wasm) gives the same bits as the loop below, or declines.
    if (
      kern.adamUpdate?.(p, g, m, v, vmax ?? null, {
        beta1,
        beta2,
        eps,
        l2,
        decay,
        applyDecay: decoupled && wd !== 0,
        stepSize,
        bc2Sqrt,
        amsgrad,
        maximize,
      })
    )
      continue;
    for (let j = 0; j < p.length; j++) {
      if (decoupled && wd !== 0) p[j] = p[j] * decay;
      let d = maximize ? -g[j] : g[j];
      if (l2 !== 0) d = d + l2 * p[j];
      m[j] = beta1 * m[j] + (1 - beta1) * d;
      v[j] = beta2 * v[j] + (1 - beta2) * (d * d);
      let u = v[j];
      if (amsgrad) {
        if (!(vmax![j] >= u)) vmax![j] = u; // NaN propagates, as torch.maximum
        u = vmax![j];
      }
      p[j] = p[j] - stepSize * (m[j] / (Math.sqrt(u) / bc2Sqrt + eps));
    }
  }
}

export function stepAdam(
  params: FloatArray[],
  grads: Grads,
  state: AdamState,
  hp: AdamHyper,
  ctx: StepContext,
): void {
  adamUpdate(params, grads, state, hp, ctx, false);
}

export const adam: Optimizer<AdamHyper, AdamState> = {
  type: 'adam',
  momentumKind: 'beta1',
  resolve: resolveAdam,
  init: initAdam,
  step: stepAdam,
};
