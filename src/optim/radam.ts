/**
 * RAdam (rectified Adam, Liu et al. 2019), as `torch.optim.RAdam` (`_single_tensor_radam`, torch 1.13).
 *
 * With γ the lr, λ the (L2) weight decay and t the per-parameter step:
 *
 * ```
 * d ← ±g + λ·θ
 * m ← β1·m + (1−β1)·d;   v ← β2·v + (1−β2)·d²
 * m̂ ← m/(1 − β1^t);   bc2 ← 1 − β2^t
 * ρ∞ = 2/(1−β2) − 1;   ρ_t = ρ∞ − 2t·β2^t / bc2
 * ρ_t > 5:  r = √((ρ_t−4)(ρ_t−2)ρ∞ / ((ρ∞−4)(ρ∞−2)ρ_t));   θ ← θ − γ·m̂·r·√bc2/(√v + ε)
 * else:     θ ← θ − γ·m̂                                      (bias-corrected momentum SGD)
 * ```
 *
 * ε is added to the raw √v and then scaled by √bc2 (unlike Adam). The cut-off is 5: with β2 = 0.999
 * rectification starts at step 6. `maximize` is an extension (torch ≥ 2.0 has it, 1.13 does not).
 */
import { adamFamilyStepContext, resolveAdamFamily, zerosLike } from './util.js';
import type { FloatArray, Grads, Optimizer, StepContext } from './types.js';
import { RADAM as TORCH_DEFAULTS } from '../catalog/optimizers.js';

export interface RadamHyper {
  /** Learning rate γ (default 1e-3). */
  lr: number;
  /** (β1, β2) (default [0.9, 0.999]). */
  betas: [number, number];
  /** Added to √v (default 1e-8). */
  eps: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay: number;
  /** Ascend instead of descend (default false). */
  maximize: boolean;
}

export interface RadamState {
  step: number[];
  expAvg: FloatArray[];
  expAvgSq: FloatArray[];
}

export const RADAM_DEFAULTS: RadamHyper = { ...TORCH_DEFAULTS, betas: [...TORCH_DEFAULTS.betas] };

export function resolveRadam(hp: Partial<RadamHyper> = {}): RadamHyper {
  return resolveAdamFamily(hp, RADAM_DEFAULTS);
}

export function initRadam(params: readonly FloatArray[], _hp: RadamHyper): RadamState {
  return { step: params.map(() => 0), expAvg: params.map(zerosLike), expAvgSq: params.map(zerosLike) };
}

export function stepRadam(
  params: FloatArray[],
  grads: Grads,
  state: RadamState,
  hp: RadamHyper,
  ctx: StepContext,
): void {
  const { lr, beta1, beta2 } = adamFamilyStepContext(params, grads, state.step.length, hp, ctx);
  const { eps, weightDecay: wd, maximize } = hp;
  const rhoInf = 2 / (1 - beta2) - 1;
  for (let i = 0; i < params.length; i++) {
    const g = grads[i];
    if (!g) continue;
    const p = params[i];
    const m = state.expAvg[i];
    const v = state.expAvgSq[i];
    const t = ++state.step[i];
    const bc1 = 1 - beta1 ** t;
    const bc2 = 1 - beta2 ** t;
    const rhoT = rhoInf - (2 * t * beta2 ** t) / bc2;
    const rectified = rhoT > 5;
    const rect = rectified
      ? Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT))
      : 0;
    const bc2Sqrt = Math.sqrt(bc2);
    for (let j = 0; j < p.length; j++) {
      let d = maximize ? -g[j] : g[j];
      if (wd !== 0) d = d + wd * p[j];
      m[j] = beta1 * m[j] + (1 - beta1) * d;
      v[j] = beta2 * v[j] + (1 - beta2) * (d * d);
      const mHat = m[j] / bc1;
      if (rectified) {
        const adaptive = bc2Sqrt / (Math.sqrt(v[j]) + eps);
        p[j] = p[j] - mHat * lr * adaptive * rect;
      } else {
        p[j] = p[j] - mHat * lr;
      }
    }
  }
}

export const radam: Optimizer<RadamHyper, RadamState> = {
  type: 'radam',
  momentumKind: 'beta1',
  resolve: resolveRadam,
  init: initRadam,
  step: stepRadam,
};
