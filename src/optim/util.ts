/** Small helpers shared by the optimizers: validation in torch's words, buffers, argument checks. */
import { OptimConfigError, type FloatArray, type Grads } from './types.js';

/** Throws unless `value` is a finite number ≥ 0 (torch: `if not 0.0 <= value: raise ValueError`). */
export function nonNegative(param: string, value: number, label = `${param} value`): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || !(value >= 0)) {
    throw new OptimConfigError(param, `Invalid ${label}: ${String(value)}`);
  }
}

/** Learning rate check, message as torch's. */
export function checkLr(lr: number): void {
  nonNegative('lr', lr, 'learning rate');
}

/** β pair check: both in [0, 1), messages as torch's ("Invalid beta parameter at index 0: 1"). */
export function checkBetas(betas: readonly [number, number]): void {
  if (!Array.isArray(betas) || betas.length !== 2) {
    throw new OptimConfigError('betas', `Invalid betas: expected two numbers, got ${JSON.stringify(betas)}`);
  }
  for (let i = 0; i < 2; i++) {
    const b = betas[i];
    if (typeof b !== 'number' || !(b >= 0 && b < 1)) {
      throw new OptimConfigError('betas', `Invalid beta parameter at index ${i}: ${String(b)}`);
    }
  }
}

export function checkBoolean(param: string, value: unknown): void {
  if (typeof value !== 'boolean')
    throw new OptimConfigError(param, `Invalid ${param} value: ${String(value)}`);
}

/** A zero buffer of the parameter's dtype. */
/** The hyper-parameters Adam, NAdam and RAdam share. */
export interface AdamFamilyHyper {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  maximize: boolean;
}

/**
 * Resolve and check the hyper-parameters the Adam family shares, against that optimizer's
 * `defaults` (torch's messages: "Invalid beta parameter at index 0", "Invalid epsilon value").
 */
export function resolveAdamFamily(hp: Partial<AdamFamilyHyper>, defaults: AdamFamilyHyper): AdamFamilyHyper {
  const betas = hp.betas ?? defaults.betas;
  checkBetas(betas);
  const r: AdamFamilyHyper = {
    lr: hp.lr ?? defaults.lr,
    betas: [betas[0], betas[1]],
    eps: hp.eps ?? defaults.eps,
    weightDecay: hp.weightDecay ?? defaults.weightDecay,
    maximize: hp.maximize ?? defaults.maximize,
  };
  checkLr(r.lr);
  nonNegative('eps', r.eps, 'epsilon value');
  nonNegative('weightDecay', r.weightDecay, 'weightDecay value');
  checkBoolean('maximize', r.maximize);
  return r;
}

/**
 * The start of every Adam-family step: the arrays line up with the state, and this step's lr and
 * β1 (a schedule may drive them: OneCycle cycles the momentum, i.e. β1) and β2.
 */
export function adamFamilyStepContext(
  params: readonly FloatArray[],
  grads: Grads,
  stateLength: number,
  hp: { betas: readonly [number, number] },
  ctx: { lr: number; momentum?: number },
): { lr: number; beta1: number; beta2: number } {
  checkAligned(params, grads, stateLength);
  return { lr: ctx.lr, beta1: ctx.momentum ?? hp.betas[0], beta2: hp.betas[1] };
}

export function zerosLike(p: FloatArray): FloatArray {
  return p instanceof Float32Array ? new Float32Array(p.length) : new Float64Array(p.length);
}

/** A buffer of the parameter's dtype filled with `value`. */
export function fullLike(p: FloatArray, value: number): FloatArray {
  const out = zerosLike(p);
  if (value !== 0) out.fill(value);
  return out;
}

/** Params, grads and state must line up; cheap (per tensor, not per element). */
export function checkAligned(params: readonly FloatArray[], grads: Grads, stateLength: number): void {
  if (grads.length !== params.length || stateLength !== params.length) {
    throw new Error(
      `optimizer step: ${params.length} parameters, ${grads.length} gradients, state for ${stateLength}`,
    );
  }
  for (let i = 0; i < params.length; i++) {
    const g = grads[i];
    if (g !== null && g !== undefined && g.length !== params[i].length) {
      throw new Error(
        `optimizer step: gradient ${i} has ${g.length} elements, parameter has ${params[i].length}`,
      );
    }
  }
}
