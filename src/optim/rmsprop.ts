/**
 * RMSprop, as `torch.optim.RMSprop` (`_single_tensor_rmsprop`, torch 1.13).
 *
 * With γ the lr, α the smoothing constant, μ the momentum and λ the weight decay:
 *
 * ```
 * d ← ±g + λ·θ
 * v ← α·v + (1−α)·d²                               v starts at 0, no bias correction
 * centered:  ḡ ← α·ḡ + (1−α)·d;  den ← √(v − ḡ²) + ε
 * otherwise:                      den ← √v + ε        ε outside the square root
 * μ > 0:     b ← μ·b + d/den;     θ ← θ − γ·b          b starts at 0; lr outside the buffer
 * μ = 0:                          θ ← θ − γ·d/den
 * ```
 *
 * The first step is therefore ≈ γ/√(1−α)·sign(g), i.e. 10·γ with α = 0.99.
 */
import { checkBoolean, checkLr, checkAligned, nonNegative, zerosLike } from './util.js';
import type { FloatArray, Grads, Optimizer, StepContext } from './types.js';
import { RMSPROP as TORCH_DEFAULTS } from '../catalog/optimizers.js';

export interface RmspropHyper {
  /** Learning rate γ (default 1e-2). */
  lr: number;
  /** Smoothing constant α (default 0.99). */
  alpha: number;
  /** Added to the root (default 1e-8). */
  eps: number;
  /** Momentum μ (default 0). */
  momentum: number;
  /** Normalize by the estimated variance instead of the raw second moment (default false). */
  centered: boolean;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay: number;
  /** Ascend instead of descend (default false). */
  maximize: boolean;
}

export interface RmspropState {
  step: number[];
  squareAvg: FloatArray[];
  /** Running mean of d (centered only, else null). */
  gradAvg: (FloatArray | null)[];
  /** Momentum buffer; null until a step runs with μ > 0. */
  momentumBuffer: (FloatArray | null)[];
}

export const RMSPROP_DEFAULTS: RmspropHyper = { ...TORCH_DEFAULTS };

export function resolveRmsprop(hp: Partial<RmspropHyper> = {}): RmspropHyper {
  const d = RMSPROP_DEFAULTS;
  const r: RmspropHyper = {
    lr: hp.lr ?? d.lr,
    alpha: hp.alpha ?? d.alpha,
    eps: hp.eps ?? d.eps,
    momentum: hp.momentum ?? d.momentum,
    centered: hp.centered ?? d.centered,
    weightDecay: hp.weightDecay ?? d.weightDecay,
    maximize: hp.maximize ?? d.maximize,
  };
  checkLr(r.lr);
  nonNegative('eps', r.eps, 'epsilon value');
  nonNegative('momentum', r.momentum);
  nonNegative('weightDecay', r.weightDecay, 'weightDecay value');
  nonNegative('alpha', r.alpha);
  checkBoolean('centered', r.centered);
  checkBoolean('maximize', r.maximize);
  return r;
}

export function initRmsprop(params: readonly FloatArray[], hp: RmspropHyper): RmspropState {
  return {
    step: params.map(() => 0),
    squareAvg: params.map(zerosLike),
    gradAvg: params.map((p) => (hp.centered ? zerosLike(p) : null)),
    momentumBuffer: params.map((p) => (hp.momentum > 0 ? zerosLike(p) : null)),
  };
}

export function stepRmsprop(
  params: FloatArray[],
  grads: Grads,
  state: RmspropState,
  hp: RmspropHyper,
  ctx: StepContext,
): void {
  checkAligned(params, grads, state.step.length);
  const lr = ctx.lr;
  const mu = ctx.momentum ?? hp.momentum;
  const { alpha, eps, centered, weightDecay: wd, maximize } = hp;
  for (let i = 0; i < params.length; i++) {
    const g = grads[i];
    if (!g) continue;
    const p = params[i];
    const v = state.squareAvg[i];
    state.step[i]++;
    let ga = state.gradAvg[i];
    if (centered && ga === null) ga = state.gradAvg[i] = zerosLike(p);
    let buf = state.momentumBuffer[i];
    if (mu > 0 && buf === null) buf = state.momentumBuffer[i] = zerosLike(p);
    for (let j = 0; j < p.length; j++) {
      let d = maximize ? -g[j] : g[j];
      if (wd !== 0) d = d + wd * p[j];
      v[j] = alpha * v[j] + (1 - alpha) * (d * d);
      let den: number;
      if (centered) {
        ga![j] = alpha * ga![j] + (1 - alpha) * d;
        const m = ga![j];
        den = Math.sqrt(v[j] - m * m) + eps;
      } else {
        den = Math.sqrt(v[j]) + eps;
      }
      if (mu > 0) {
        buf![j] = mu * buf![j] + d / den;
        p[j] = p[j] - lr * buf![j];
      } else {
        p[j] = p[j] - lr * (d / den);
      }
    }
  }
}

export const rmsprop: Optimizer<RmspropHyper, RmspropState> = {
  type: 'rmsprop',
  momentumKind: 'momentum',
  resolve: resolveRmsprop,
  init: initRmsprop,
  step: stepRmsprop,
};
