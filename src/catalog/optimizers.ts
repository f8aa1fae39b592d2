/**
 * The default hyper-parameters of every optimizer, as `torch.optim` has them (camelCased). The one
 * source for both the job contract (src/contracts: the `.default(…)` a spec is normalized with, and
 * what the OpenAPI document shows) and the optimizers themselves (src/optim: what a caller that
 * omits a value gets). Plain data; imports nothing.
 */

/** torch.optim.SGD. `lr` has no torch default: a spec must give it; the optimizer falls back to 0.01. */
export const SGD = {
  lr: 0.01,
  momentum: 0,
  dampening: 0,
  nesterov: false,
  weightDecay: 0,
  maximize: false,
} as const;

/** torch.optim.Adagrad. */
export const ADAGRAD = {
  lr: 1e-2,
  lrDecay: 0,
  initialAccumulatorValue: 0,
  eps: 1e-10,
  weightDecay: 0,
  maximize: false,
} as const;

/** torch.optim.RMSprop. */
export const RMSPROP = {
  lr: 1e-2,
  alpha: 0.99,
  eps: 1e-8,
  momentum: 0,
  centered: false,
  weightDecay: 0,
  maximize: false,
} as const;

/** torch.optim.Adam. */
export const ADAM = {
  lr: 1e-3,
  betas: [0.9, 0.999],
  eps: 1e-8,
  weightDecay: 0,
  amsgrad: false,
  maximize: false,
} as const;

/** torch.optim.AdamW: Adam's, with a decoupled weight decay of 0.01. */
export const ADAMW = { ...ADAM, weightDecay: 1e-2 } as const;

/** torch.optim.NAdam. */
export const NADAM = {
  lr: 2e-3,
  betas: [0.9, 0.999],
  eps: 1e-8,
  weightDecay: 0,
  momentumDecay: 4e-3,
  maximize: false,
} as const;

/** torch.optim.RAdam. */
export const RADAM = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, maximize: false } as const;

/** Our damped Newton's method (no torch counterpart). */
export const NEWTON = {
  damping: 1e-4,
  lineSearch: true,
  cgThreshold: 500,
  armijoC: 1e-4,
  maxBacktracks: 30,
  maxDampingIncreases: 40,
  cgMaxIter: null,
} as const;

/** torch.optim.LBFGS (`maxEval` defaults to ⌊maxIter·5/4⌋). */
export const LBFGS = {
  lr: 1,
  maxIter: 20,
  toleranceGrad: 1e-7,
  toleranceChange: 1e-9,
  historySize: 100,
  lineSearchFn: null,
} as const;
