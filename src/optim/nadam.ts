/**
 * NAdam (Adam with Nesterov momentum, Dozat 2016), as `torch.optim.NAdam` with the CORRECT
 * formula: torch ≥ 2.0, equal to torch 1.13's foreach path. (torch 1.13's for-loop path used
 * Π·μ_t·μ_{t+1} in the second denominator, a bug fixed by PyTorch PR #92699.)
 *
 * With γ the lr, ψ the momentum decay, λ the (L2) weight decay and t the per-parameter step:
 *
 * ```
 * μ_t     = β1·(1 − ½·0.96^(t·ψ))
 * μ_{t+1} = β1·(1 − ½·0.96^((t+1)·ψ))
 * Π ← Π·μ_t                                     Π starts at 1
 * d ← ±g + λ·θ
 * m ← β1·m + (1−β1)·d;   v ← β2·v + (1−β2)·d²
 * den ← √v/√(1 − β2^t) + ε
 * θ ← θ − γ(1−μ_t)/(1−Π) · d/den − γ·μ_{t+1}/(1 − Π·μ_{t+1}) · m/den
 * ```
 *
 * Π is rounded to float32 after every product, because torch keeps `mu_product` in a float32
 * scalar tensor even for float64 parameters; without the rounding our float64 trajectory drifts
 * from torch's by ~1.6e-9 relative in 12 steps (golden `nadam`), with it by ~1e-16.
 * `maximize` is an extension (torch 1.13 NAdam has none; torch ≥ 2.0 does).
 */
import { adamFamilyStepContext, nonNegative, resolveAdamFamily, zerosLike } from './util.js';
import type { FloatArray, Grads, Optimizer, StepContext } from './types.js';
import { NADAM as TORCH_DEFAULTS } from '../catalog/optimizers.js';

export interface NadamHyper {
  /** Learning rate γ (default 2e-3). */
  lr: number;
  /** (β1, β2) (default [0.9, 0.999]). */
  betas: [number, number];
  /** Added to the root (default 1e-8). */
  eps: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay: number;
  /** Momentum decay ψ (default 4e-3). */
  momentumDecay: number;
  /** Ascend instead of descend (default false). */
  maximize: boolean;
}

export interface NadamState {
  step: number[];
  /** Π of the momentum schedule per parameter (float32-rounded, as torch stores it). */
  muProduct: number[];
  expAvg: FloatArray[];
  expAvgSq: FloatArray[];
}

export const NADAM_DEFAULTS: NadamHyper = { ...TORCH_DEFAULTS, betas: [...TORCH_DEFAULTS.betas] };

export function resolveNadam(hp: Partial<NadamHyper> = {}): NadamHyper {
  const common = resolveAdamFamily(hp, NADAM_DEFAULTS);
  const momentumDecay = hp.momentumDecay ?? NADAM_DEFAULTS.momentumDecay;
  nonNegative('momentumDecay', momentumDecay, 'momentumDecay value');
  return { ...common, momentumDecay };
}

export function initNadam(params: readonly FloatArray[], _hp: NadamHyper): NadamState {
  return {
    step: params.map(() => 0),
    muProduct: params.map(() => 1),
    expAvg: params.map(zerosLike),
    expAvgSq: params.map(zerosLike),
  };
}

export function stepNadam(
  params: FloatArray[],
  grads: Grads,
  state: NadamState,
  hp: NadamHyper,
  ctx: StepContext,
): void {
  const { lr, beta1, beta2 } = adamFamilyStepContext(params, grads, state.step.length, hp, ctx);
  const { eps, weightDecay: wd, momentumDecay: psi, maximize } = hp;
  for (let i = 0; i < params.length; i++) {
    const g = grads[i];
    if (!g) continue;
    const p = params[i];
    const m = state.expAvg[i];
    const v = state.expAvgSq[i];
    const t = ++state.step[i];
    const bc2Sqrt = Math.sqrt(1 - beta2 ** t);
    const mu = beta1 * (1 - 0.5 * 0.96 ** (t * psi));
    const muNext = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi));
    // torch: float32 scalar tensor times a Python float → float32 multiply
    const prod = Math.fround(state.muProduct[i] * Math.fround(mu));
    state.muProduct[i] = prod;
    const sizeGrad = -((lr * (1 - mu)) / (1 - prod));
    const sizeAvg = -((lr * muNext) / (1 - prod * muNext));
    for (let j = 0; j < p.length; j++) {
      let d = maximize ? -g[j] : g[j];
      if (wd !== 0) d = d + wd * p[j];
      m[j] = beta1 * m[j] + (1 - beta1) * d;
      v[j] = beta2 * v[j] + (1 - beta2) * (d * d);
      const den = Math.sqrt(v[j]) / bc2Sqrt + eps;
      p[j] = p[j] + sizeGrad * (d / den);
      p[j] = p[j] + sizeAvg * (m[j] / den);
    }
  }
}

export const nadam: Optimizer<NadamHyper, NadamState> = {
  type: 'nadam',
  momentumKind: 'beta1',
  resolve: resolveNadam,
  init: initNadam,
  step: stepNadam,
};
