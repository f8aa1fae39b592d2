/**
 * AdamW, as `torch.optim.AdamW` (`_single_tensor_adamw`, torch 1.13): Adam with decoupled weight decay.
 *
 * ```
 * θ ← θ·(1 − γ·λ)       first, with this step's (scheduled) lr γ; applied even when g = 0
 * then Adam's update with the raw gradient (m, v never see λθ), same ε and amsgrad rules
 * ```
 *
 * Note the decay is multiplied by the lr (torch), not by the schedule multiplier alone (the paper).
 * Default weightDecay is 1e-2 (Adam's is 0).
 */
import { adamUpdate, initAdam, resolveAdamLike, type AdamHyper, type AdamState } from './adam.js';
import type { FloatArray, Grads, Optimizer, StepContext } from './types.js';
import { ADAMW } from '../catalog/optimizers.js';

export type AdamwHyper = AdamHyper;
export type AdamwState = AdamState;

export const ADAMW_DEFAULTS: AdamwHyper = { ...ADAMW, betas: [...ADAMW.betas] };

export function resolveAdamw(hp: Partial<AdamwHyper> = {}): AdamwHyper {
  return resolveAdamLike(hp, ADAMW_DEFAULTS);
}

export function stepAdamw(
  params: FloatArray[],
  grads: Grads,
  state: AdamwState,
  hp: AdamwHyper,
  ctx: StepContext,
): void {
  adamUpdate(params, grads, state, hp, ctx, true);
}

export const adamw: Optimizer<AdamwHyper, AdamwState> = {
  type: 'adamw',
  momentumKind: 'beta1',
  resolve: resolveAdamw,
  init: initAdam,
  step: stepAdamw,
};
