/**
 * Stochastic gradient descent with momentum, as `torch.optim.SGD` (`_single_tensor_sgd`, torch 1.13).
 *
 * With γ the lr, λ the weight decay, μ the momentum, τ the dampening, per element:
 *
 * ```
 * d ← maximize ? −g : g            negate first, so weight decay still shrinks θ under maximize
 * d ← d + λ·θ                      (λ ≠ 0)
 * if μ ≠ 0:
 *   b ← first step ? d : μ·b + (1−τ)·d      first buffer is d itself, without the (1−τ) factor
 *   d ← nesterov ? d + μ·b : b
 * θ ← θ − γ·d                      lr outside the velocity (differs from Sutskever's form once γ changes)
 * ```
 *
 * The momentum buffer of a parameter is created (as a copy of d) the first time it is used, so a
 * OneCycle momentum override on an SGD configured with momentum 0 behaves as in torch.
 */
import { checkBoolean, checkLr, checkAligned, nonNegative, zerosLike } from './util.js';
import { OptimConfigError, type FloatArray, type Grads, type Optimizer, type StepContext } from './types.js';
import { kernels, type OptimizerKernels } from '../tensor/index.js';
import { SGD as TORCH_DEFAULTS } from '../catalog/optimizers.js';

export interface SgdHyper {
  /** Learning rate γ. torch requires it; the API default is 0.01. */
  lr: number;
  /** Momentum factor μ (default 0). */
  momentum: number;
  /** Dampening τ of the momentum (default 0). */
  dampening: number;
  /** Nesterov momentum (default false; needs μ > 0 and τ = 0). */
  nesterov: boolean;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay: number;
  /** Ascend instead of descend (default false). */
  maximize: boolean;
}

export interface SgdState {
  /** Steps taken per parameter. */
  step: number[];
  /** Momentum buffer per parameter; null until momentum is first used. */
  momentumBuffer: (FloatArray | null)[];
}

export const SGD_DEFAULTS: SgdHyper = { ...TORCH_DEFAULTS };

export function resolveSgd(hp: Partial<SgdHyper> = {}): SgdHyper {
  const r: SgdHyper = {
    lr: hp.lr ?? SGD_DEFAULTS.lr,
    momentum: hp.momentum ?? SGD_DEFAULTS.momentum,
    dampening: hp.dampening ?? SGD_DEFAULTS.dampening,
    nesterov: hp.nesterov ?? SGD_DEFAULTS.nesterov,
    weightDecay: hp.weightDecay ?? SGD_DEFAULTS.weightDecay,
    maximize: hp.maximize ?? SGD_DEFAULTS.maximize,
  };
  checkLr(r.lr);
  nonNegative('momentum', r.momentum);
  nonNegative('weightDecay', r.weightDecay);
  if (typeof r.dampening !== 'number' || !Number.isFinite(r.dampening)) {
    throw new OptimConfigError('dampening', `Invalid dampening value: ${String(r.dampening)}`);
  }
  checkBoolean('nesterov', r.nesterov);
  checkBoolean('maximize', r.maximize);
  if (r.nesterov && (r.momentum <= 0 || r.dampening !== 0)) {
    throw new OptimConfigError('nesterov', 'Nesterov momentum requires a momentum and zero dampening');
  }
  return r;
}

export function initSgd(params: readonly FloatArray[], _hp: SgdHyper): SgdState {
  return { step: params.map(() => 0), momentumBuffer: params.map(() => null) };
}

export function stepSgd(
  params: FloatArray[],
  grads: Grads,
  state: SgdState,
  hp: SgdHyper,
  ctx: StepContext,
): void {
  checkAligned(params, grads, state.step.length);
  const lr = ctx.lr;
  const mu = ctx.momentum ?? hp.momentum;
  const { dampening, nesterov, weightDecay: wd, maximize } = hp;
  const kern = kernels() as Partial<OptimizerKernels>;
  for (let i = 0; i < params.length; i++) {
    const g = grads[i];
    if (!g) continue;
    const p = params[i];
    state.step[i]++;
    if (mu === 0) {
      if (
        kern.sgdUpdate?.(p, g, null, {
          lr,
          momentum: 0,
          dampening,
          weightDecay: wd,
          nesterov,
          maximize,
          first: false,
        })
      )
        continue;
      for (let j = 0; j < p.length; j++) {
        let d = maximize ? -g[j] : g[j];
        if (wd !== 0) d = d + wd * p[j];
        p[j] = p[j] - lr * d;
      }
      continue;
    }
    let buf = state.momentumBuffer[i];
    const first = buf === null;
    if (buf === null) buf = state.momentumBuffer[i] = zerosLike(p);
    // The backend's kernel (native/wasm) gives the same bits as the loop below, or declines.
    if (
      kern.sgdUpdate?.(p, g, buf, { lr, momentum: mu, dampening, weightDecay: wd, nesterov, maximize, first })
    )
      continue;
    for (let j = 0; j < p.length; j++) {
      let d = maximize ? -g[j] : g[j];
      if (wd !== 0) d = d + wd * p[j];
      buf[j] = first ? d : mu * buf[j] + (1 - dampening) * d;
      const b = buf[j]; // read back: the buffer is stored in the parameter's dtype, as in torch
      d = nesterov ? d + mu * b : b;
      p[j] = p[j] - lr * d;
    }
  }
}

export const sgd: Optimizer<SgdHyper, SgdState> = {
  type: 'sgd',
  momentumKind: 'momentum',
  resolve: resolveSgd,
  init: initSgd,
  step: stepSgd,
};
