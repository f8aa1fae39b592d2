/**
 * The first-order optimizers by name, and `createOptimizer(spec)`, which binds validated
 * hyper-parameters so the training loop only passes params, grads, state and the step context.
 * Newton (`newton.ts`) and L-BFGS (`lbfgs.ts`) need closures over the loss and have their own entry points.
 */
import { adagrad, type AdagradHyper, type AdagradState } from './adagrad.js';
import { adam, type AdamHyper, type AdamState } from './adam.js';
import { adamw, type AdamwHyper } from './adamw.js';
import { nadam, type NadamHyper, type NadamState } from './nadam.js';
import { radam, type RadamHyper, type RadamState } from './radam.js';
import { rmsprop, type RmspropHyper, type RmspropState } from './rmsprop.js';
import { sgd, type SgdHyper, type SgdState } from './sgd.js';
import {
  OptimConfigError,
  type FloatArray,
  type Grads,
  type MomentumKind,
  type Optimizer,
  type StepContext,
} from './types.js';

/** Optimizer spec as in the JobSpec: `type` plus any subset of the hyper-parameters (defaults fill the rest). */
export type OptimizerSpec =
  | ({ type: 'sgd' } & Partial<SgdHyper>)
  | ({ type: 'adagrad' } & Partial<AdagradHyper>)
  | ({ type: 'rmsprop' } & Partial<RmspropHyper>)
  | ({ type: 'adam' } & Partial<AdamHyper>)
  | ({ type: 'adamw' } & Partial<AdamwHyper>)
  | ({ type: 'nadam' } & Partial<NadamHyper>)
  | ({ type: 'radam' } & Partial<RadamHyper>);

export type OptimizerType = OptimizerSpec['type'];

/** Any first-order optimizer's state (plain data; see encodeOptimState). */
export type OptimState = SgdState | AdagradState | RmspropState | AdamState | NadamState | RadamState;

/** The registry: type → optimizer. */
export const OPTIMIZERS = { sgd, adagrad, rmsprop, adam, adamw, nadam, radam } as const;

export const OPTIMIZER_TYPES = Object.keys(OPTIMIZERS) as OptimizerType[];

/** An optimizer with its hyper-parameters bound (resolved: defaults filled, validated). */
export interface BoundOptimizer {
  readonly type: OptimizerType;
  /** Resolved hyper-parameters (includes the base `lr` that schedules scale). */
  readonly hp: Readonly<Record<string, unknown>> & { lr: number };
  /** What a OneCycle momentum override replaces; null → OneCycle with cycleMomentum must be rejected. */
  readonly momentumKind: MomentumKind;
  init(params: readonly FloatArray[]): OptimState;
  /** One in-place update; `ctx.lr` is this step's lr. */
  step(params: FloatArray[], grads: Grads, state: OptimState, ctx: StepContext): void;
}

/**
 * Validate a spec and bind it. Throws {@link OptimConfigError} (with `param`) for invalid values or
 * an unknown type. Keys that are not hyper-parameters of the chosen optimizer are ignored.
 */
export function createOptimizer(spec: OptimizerSpec): BoundOptimizer {
  const type = (spec as { type?: unknown }).type;
  if (type === 'newton' || type === 'lbfgs') {
    throw new OptimConfigError(
      'type',
      `"${type}" is not a first-order optimizer: use ${type === 'newton' ? 'newtonStep (src/optim/newton.ts)' : 'lbfgsStep (src/optim/lbfgs.ts)'}`,
    );
  }
  if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(OPTIMIZERS, type)) {
    throw new OptimConfigError(
      'type',
      `Unknown optimizer type: ${String(type)} (known: ${OPTIMIZER_TYPES.join(', ')})`,
    );
  }
  // The union of concrete optimizers is erased to one shape here; each resolve() checks its own hp.
  const opt = OPTIMIZERS[type as OptimizerType] as unknown as Optimizer<{ lr: number }, OptimState>;
  const hp = opt.resolve(spec as Partial<{ lr: number }>);
  return {
    type: type as OptimizerType,
    hp: hp as BoundOptimizer['hp'],
    momentumKind: opt.momentumKind,
    init: (params) => opt.init(params, hp),
    step: (params, grads, state, ctx) => opt.step(params, grads, state, hp, ctx),
  };
}

/**
 * torch's OneCycleLR check: with `cycleMomentum` (the default) the optimizer must have a momentum or
 * β1 to cycle, so Adagrad is rejected ("optimizer must support momentum with `cycleMomentum` option enabled").
 */
export function assertScheduleCompatible(
  optimizer: Pick<BoundOptimizer, 'type' | 'momentumKind'>,
  schedule: { type: string; cycleMomentum?: boolean } | null | undefined,
): void {
  if (schedule?.type === 'onecycle' && (schedule.cycleMomentum ?? true) && optimizer.momentumKind === null) {
    throw new OptimConfigError(
      'cycleMomentum',
      `${optimizer.type} has no momentum to cycle: set schedule.cycleMomentum to false for OneCycle`,
    );
  }
}
