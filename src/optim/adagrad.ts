/**
 * Adagrad, as `torch.optim.Adagrad` (`_single_tensor_adagrad`, torch 1.13).
 *
 * With γ the lr, η the lr decay, λ the weight decay and t the per-parameter step (from 1):
 *
 * ```
 * d ← ±g + λ·θ
 * γ_t ← γ / (1 + (t−1)·η)          step 1 uses the full lr
 * s ← s + d²                        s starts at initialAccumulatorValue
 * θ ← θ − γ_t · d / (√s + ε)        ε outside the square root, default 1e-10
 * ```
 *
 * Adagrad has no momentum: a OneCycle momentum override is ignored.
 */
import { checkBoolean, checkLr, checkAligned, fullLike, nonNegative } from './util.js';
import type { FloatArray, Grads, Optimizer, StepContext } from './types.js';
import { ADAGRAD as TORCH_DEFAULTS } from '../catalog/optimizers.js';

export interface AdagradHyper {
  /** Learning rate γ (default 1e-2). */
  lr: number;
  /** Learning-rate decay η (default 0). */
  lrDecay: number;
  /** Starting value of the squared-gradient sum (default 0). */
  initialAccumulatorValue: number;
  /** Added to √s (default 1e-10). */
  eps: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay: number;
  /** Ascend instead of descend (default false). */
  maximize: boolean;
}

export interface AdagradState {
  step: number[];
  /** Running sum of squared (decayed) gradients per parameter. */
  sum: FloatArray[];
}

export const ADAGRAD_DEFAULTS: AdagradHyper = { ...TORCH_DEFAULTS };

export function resolveAdagrad(hp: Partial<AdagradHyper> = {}): AdagradHyper {
  const d = ADAGRAD_DEFAULTS;
  const r: AdagradHyper = {
    lr: hp.lr ?? d.lr,
    lrDecay: hp.lrDecay ?? d.lrDecay,
    initialAccumulatorValue: hp.initialAccumulatorValue ?? d.initialAccumulatorValue,
    eps: hp.eps ?? d.eps,
    weightDecay: hp.weightDecay ?? d.weightDecay,
    maximize: hp.maximize ?? d.maximize,
  };
  checkLr(r.lr);
  nonNegative('lrDecay', r.lrDecay, 'lrDecay value');
  nonNegative('weightDecay', r.weightDecay, 'weightDecay value');
  nonNegative('initialAccumulatorValue', r.initialAccumulatorValue, 'initialAccumulatorValue value');
  nonNegative('eps', r.eps, 'epsilon value');
  checkBoolean('maximize', r.maximize);
  return r;
}

export function initAdagrad(params: readonly FloatArray[], hp: AdagradHyper): AdagradState {
  return { step: params.map(() => 0), sum: params.map((p) => fullLike(p, hp.initialAccumulatorValue)) };
}

export function stepAdagrad(
  params: FloatArray[],
  grads: Grads,
  state: AdagradState,
  hp: AdagradHyper,
  ctx: StepContext,
): void {
  checkAligned(params, grads, state.step.length);
  const { lrDecay, eps, weightDecay: wd, maximize } = hp;
  for (let i = 0; i < params.length; i++) {
    const g = grads[i];
    if (!g) continue;
    const p = params[i];
    const s = state.sum[i];
    const t = ++state.step[i];
    const clr = ctx.lr / (1 + (t - 1) * lrDecay);
    for (let j = 0; j < p.length; j++) {
      let d = maximize ? -g[j] : g[j];
      if (wd !== 0) d = d + wd * p[j];
      s[j] = s[j] + d * d;
      p[j] = p[j] - clr * (d / (Math.sqrt(s[j]) + eps));
    }
  }
}

export const adagrad: Optimizer<AdagradHyper, AdagradState> = {
  type: 'adagrad',
  momentumKind: null,
  resolve: resolveAdagrad,
  init: initAdagrad,
  step: stepAdagrad,
};
