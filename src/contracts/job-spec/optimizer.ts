/** Optimizer specs: torch.optim's, camelCased, with defaults from src/catalog/optimizers.ts. */
import { z } from 'zod';
import * as D from '../../catalog/optimizers.js';
import { ONLY_CLEAN } from '../xy-shape.js';
import { betas, eps, maximize, nonNeg, posInt, weightDecay } from './common.js';

export const SgdSchema = z
  .strictObject({
    type: z.literal('sgd'),
    lr: nonNeg('lr').describe('Learning rate (required: torch.optim.SGD has no default).'),
    momentum: nonNeg('momentum').default(D.SGD.momentum).describe('Momentum factor μ.'),
    dampening: nonNeg('dampening').default(D.SGD.dampening).describe('Dampening τ for momentum.'),
    nesterov: z
      .boolean()
      .default(D.SGD.nesterov)
      .describe('Nesterov momentum; needs momentum > 0 and dampening 0.'),
    weightDecay: weightDecay(D.SGD.weightDecay),
    maximize,
  })
  .superRefine((o, ctx) => {
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) {
      ctx.addIssue({
        code: 'custom',
        path: ['nesterov'],
        message: `nesterov needs momentum > 0 and dampening 0 (got momentum ${o.momentum}, dampening ${o.dampening})`,
      });
    }
  }, ONLY_CLEAN)
  .describe('Stochastic gradient descent with optional (Nesterov) momentum: torch.optim.SGD.');

export const AdagradSchema = z
  .strictObject({
    type: z.literal('adagrad'),
    lr: nonNeg('lr').default(D.ADAGRAD.lr).describe('Learning rate.'),
    lrDecay: nonNeg('lrDecay')
      .default(D.ADAGRAD.lrDecay)
      .describe('Learning-rate decay: lr / (1 + (t − 1)·lrDecay).'),
    initialAccumulatorValue: nonNeg('initialAccumulatorValue')
      .default(D.ADAGRAD.initialAccumulatorValue)
      .describe('Initial value of the sum of squared gradients.'),
    eps: eps(D.ADAGRAD.eps),
    weightDecay: weightDecay(D.ADAGRAD.weightDecay),
    maximize,
  })
  .describe('torch.optim.Adagrad.');

export const RmspropSchema = z
  .strictObject({
    type: z.literal('rmsprop'),
    lr: nonNeg('lr').default(D.RMSPROP.lr).describe('Learning rate.'),
    alpha: nonNeg('alpha')
      .default(D.RMSPROP.alpha)
      .describe('Smoothing constant of the squared-gradient average.'),
    eps: eps(D.RMSPROP.eps),
    momentum: nonNeg('momentum').default(D.RMSPROP.momentum).describe('Momentum factor.'),
    centered: z
      .boolean()
      .default(D.RMSPROP.centered)
      .describe('Normalize by the estimated variance of the gradient.'),
    weightDecay: weightDecay(D.RMSPROP.weightDecay),
    maximize,
  })
  .describe('torch.optim.RMSprop (no bias correction).');

const adamFields = (type: 'adam' | 'adamw', wd: number) => ({
  type: z.literal(type),
  lr: nonNeg('lr').default(D.ADAM.lr).describe('Learning rate.'),
  betas,
  eps: eps(D.ADAM.eps),
  weightDecay:
    type === 'adamw'
      ? nonNeg('weightDecay')
          .default(wd)
          .describe('Decoupled weight decay: θ ← θ·(1 − lr·λ) before the Adam step.')
      : weightDecay(wd),
  amsgrad: z
    .boolean()
    .default(D.ADAM.amsgrad)
    .describe('Use the maximum of past raw second moments (AMSGrad).'),
  maximize,
});

export const AdamSchema = z
  .strictObject(adamFields('adam', D.ADAM.weightDecay))
  .describe('torch.optim.Adam (L2 weight decay coupled into the moments).');
export const AdamwSchema = z
  .strictObject(adamFields('adamw', D.ADAMW.weightDecay))
  .describe('torch.optim.AdamW (decoupled weight decay, default 0.01).');

export const NadamSchema = z
  .strictObject({
    type: z.literal('nadam'),
    lr: nonNeg('lr').default(D.NADAM.lr).describe('Learning rate.'),
    betas,
    eps: eps(D.NADAM.eps),
    weightDecay: weightDecay(D.NADAM.weightDecay),
    momentumDecay: nonNeg('momentumDecay').default(D.NADAM.momentumDecay).describe('Momentum decay ψ.'),
  })
  .describe('torch.optim.NAdam (torch ≥ 2.0 formula).');

export const RadamSchema = z
  .strictObject({
    type: z.literal('radam'),
    lr: nonNeg('lr').default(D.RADAM.lr).describe('Learning rate.'),
    betas,
    eps: eps(D.RADAM.eps),
    weightDecay: weightDecay(D.RADAM.weightDecay),
  })
  .describe('torch.optim.RAdam (rectification once ρ_t > 5).');

export const NewtonSchema = z
  .strictObject({
    type: z.literal('newton'),
    damping: nonNeg('damping')
      .default(D.NEWTON.damping)
      .describe('Levenberg-style damping λ: solve (H + λI)·d = −g.'),
    lineSearch: z
      .boolean()
      .default(D.NEWTON.lineSearch)
      .describe('Backtracking (Armijo) line search along the Newton direction.'),
    cgThreshold: z
      .int()
      .min(0, { error: 'cgThreshold must be an integer ≥ 0' })
      .default(D.NEWTON.cgThreshold)
      .describe(
        'Up to this many parameters the dense Hessian is built and solved; above it, conjugate gradient on Hessian-vector products.',
      ),
    maxIter: posInt('maxIter')
      .optional()
      .describe('Most conjugate-gradient iterations per step (default: the parameter count).'),
  })
  .describe('Damped Newton\'s method on the full batch (needs training.batchSize "full").');

export const LbfgsSchema = z
  .strictObject({
    type: z.literal('lbfgs'),
    lr: nonNeg('lr').default(D.LBFGS.lr).describe('Learning rate (step length).'),
    maxIter: posInt('maxIter').default(D.LBFGS.maxIter).describe('Inner iterations per optimizer step.'),
    maxEval: posInt('maxEval')
      .optional()
      .describe('Most function evaluations per step (torch default: maxIter·5/4).'),
    toleranceGrad: nonNeg('toleranceGrad')
      .default(D.LBFGS.toleranceGrad)
      .describe('Stop when the gradient max-norm is at most this.'),
    toleranceChange: nonNeg('toleranceChange')
      .default(D.LBFGS.toleranceChange)
      .describe('Stop when the loss or step changes less than this.'),
    historySize: posInt('historySize').default(D.LBFGS.historySize).describe('Update history kept.'),
    lineSearchFn: z
      .enum(['strong_wolfe'])
      .nullable()
      .default(D.LBFGS.lineSearchFn)
      .describe('null: fixed step lr; "strong_wolfe": line search.'),
  })
  .describe('torch.optim.LBFGS on the full batch (needs training.batchSize "full").');

export const OptimizerSpecSchema = z
  .discriminatedUnion('type', [
    SgdSchema,
    AdagradSchema,
    RmspropSchema,
    AdamSchema,
    AdamwSchema,
    NadamSchema,
    RadamSchema,
    NewtonSchema,
    LbfgsSchema,
  ])
  .describe('The optimizer and its hyper-parameters (PyTorch names camelCased, PyTorch defaults).');

export type SgdSpec = z.output<typeof SgdSchema>;
export type AdagradSpec = z.output<typeof AdagradSchema>;
export type RmspropSpec = z.output<typeof RmspropSchema>;
export type AdamSpec = z.output<typeof AdamSchema>;
export type AdamwSpec = z.output<typeof AdamwSchema>;
export type NadamSpec = z.output<typeof NadamSchema>;
export type RadamSpec = z.output<typeof RadamSchema>;
export type NewtonSpec = z.output<typeof NewtonSchema>;
export type LbfgsSpec = z.output<typeof LbfgsSchema>;
export type OptimizerSpec = z.output<typeof OptimizerSpecSchema>;
export type OptimizerType = OptimizerSpec['type'];

/** Optimizers that need the full batch (each step evaluates the whole objective). */
export const FULL_BATCH_OPTIMIZERS: readonly OptimizerType[] = ['newton', 'lbfgs'];
