/** Learning-rate schedules (torch.optim.lr_scheduler). */
import { z } from 'zod';
import { nonNeg, per, posInt, positive } from './common.js';

export const StepScheduleSchema = z
  .strictObject({
    type: z.literal('step'),
    stepSize: posInt('stepSize').describe('Multiply the lr by gamma every stepSize schedule steps.'),
    gamma: positive('gamma').default(0.1).describe('Multiplicative factor.'),
    per,
  })
  .describe('StepLR.');

export const ExponentialScheduleSchema = z
  .strictObject({
    type: z.literal('exponential'),
    gamma: positive('gamma').describe('Multiplicative factor per schedule step.'),
    per,
  })
  .describe('ExponentialLR.');

export const CosineScheduleSchema = z
  .strictObject({
    type: z.literal('cosine'),
    tMax: posInt('tMax').describe('Half period in schedule steps.'),
    etaMin: nonNeg('etaMin').default(0).describe('Minimum learning rate.'),
    per,
  })
  .describe('CosineAnnealingLR.');

export const LinearScheduleSchema = z
  .strictObject({
    type: z.literal('linear'),
    startFactor: z
      .number()
      .gt(0, { error: 'startFactor must be in (0, 1]' })
      .max(1, { error: 'startFactor must be in (0, 1]' })
      .default(1 / 3)
      .describe('Factor of the base lr at the first step.'),
    endFactor: z
      .number()
      .min(0, { error: 'endFactor must be in [0, 1]' })
      .max(1, { error: 'endFactor must be in [0, 1]' })
      .default(1)
      .describe('Factor reached after totalIters steps.'),
    totalIters: posInt('totalIters')
      .default(5)
      .describe('Schedule steps over which the factor changes linearly.'),
    per,
  })
  .describe('LinearLR.');

export const OneCycleScheduleSchema = z
  .strictObject({
    type: z.literal('onecycle'),
    maxLr: positive('maxLr').describe(
      'Peak learning rate (replaces the optimizer lr; the cycle starts at maxLr / divFactor).',
    ),
    totalSteps: posInt('totalSteps')
      .optional()
      .describe(
        'Schedule steps in the cycle; default: epochs (per "epoch") or epochs × steps per epoch (per "step").',
      ),
    pctStart: z
      .number()
      .min(0, { error: 'pctStart must be in [0, 1]' })
      .max(1, { error: 'pctStart must be in [0, 1]' })
      .default(0.3)
      .describe('Fraction of the cycle spent increasing the lr.'),
    annealStrategy: z.enum(['cos', 'linear']).default('cos').describe('Annealing shape.'),
    cycleMomentum: z
      .boolean()
      .default(true)
      .describe('Cycle momentum (SGD/RMSprop momentum, Adam-family β1) inversely to the lr.'),
    baseMomentum: nonNeg('baseMomentum').default(0.85).describe('Lower momentum bound.'),
    maxMomentum: nonNeg('maxMomentum').default(0.95).describe('Upper momentum bound.'),
    divFactor: positive('divFactor').default(25).describe('Initial lr = maxLr / divFactor.'),
    finalDivFactor: positive('finalDivFactor')
      .default(1e4)
      .describe('Final lr = initial lr / finalDivFactor.'),
    threePhase: z.boolean().default(false).describe('Use the three-phase variant.'),
    per,
  })
  .describe('OneCycleLR.');

export const ScheduleSpecSchema = z
  .discriminatedUnion('type', [
    StepScheduleSchema,
    ExponentialScheduleSchema,
    CosineScheduleSchema,
    LinearScheduleSchema,
    OneCycleScheduleSchema,
  ])
  .describe('Learning-rate schedule (torch.optim.lr_scheduler semantics).');

export type StepScheduleSpec = z.output<typeof StepScheduleSchema>;
export type ExponentialScheduleSpec = z.output<typeof ExponentialScheduleSchema>;
export type CosineScheduleSpec = z.output<typeof CosineScheduleSchema>;
export type LinearScheduleSpec = z.output<typeof LinearScheduleSchema>;
export type OneCycleScheduleSpec = z.output<typeof OneCycleScheduleSchema>;
export type ScheduleSpec = z.output<typeof ScheduleSpecSchema>;
