/**
 * Shared types of the optimizer layer.
 *
 * Every optimizer is a pair of pure functions over an ordered list of flat parameter arrays (one per
 * parameter tensor, in state_dict order): `init(params, hp) → state` and
 * `step(params, grads, state, hp, ctx)`, which updates `params` and `state` in place and allocates
 * nothing after the first step. State is plain data (numbers, typed arrays, nulls, arrays and objects
 * of those), so {@link encodeOptimState} can turn it into JSON and back exactly.
 *
 * Float32 parameters are updated element by element in JS doubles and stored back into the
 * Float32Array (torch computes in float32; the two agree to ~1e-6 relative over many steps).
 */

/** A flat, contiguous parameter, gradient or state buffer. */
export type FloatArray = Float32Array | Float64Array;

/**
 * The gradients of one step, aligned with the parameters. `null` means "this parameter has no
 * gradient this step": like torch's `p.grad is None`, the parameter is skipped completely (no
 * weight decay, no state update, no step-counter increment).
 */
export type Grads = ReadonlyArray<FloatArray | null>;

/** Per-step inputs that a schedule controls. */
export interface StepContext {
  /** Learning rate for this step (from the schedule; the base lr when there is none). */
  lr: number;
  /**
   * Momentum override for this step, as OneCycleLR writes it into the param group: SGD / RMSprop
   * `momentum`, or β1 of Adam, AdamW, NAdam and RAdam. Ignored by Adagrad. Absent → the hp value.
   */
  momentum?: number;
}

/** Which hyper-parameter a {@link StepContext.momentum} override replaces (null: none). */
export type MomentumKind = 'momentum' | 'beta1' | null;

/** One optimizer: defaults + validation, state creation, and the in-place update. */
export interface Optimizer<H, S> {
  readonly type: string;
  readonly momentumKind: MomentumKind;
  /** Fill defaults and validate (throws {@link OptimConfigError} like torch's ValueErrors). */
  resolve(hp?: Partial<H>): H;
  /** Fresh state for these parameters (buffers get each parameter's dtype). */
  init(params: readonly FloatArray[], hp: H): S;
  /** One update, in place on `params` and `state`. */
  step(params: FloatArray[], grads: Grads, state: S, hp: H, ctx: StepContext): void;
}

/**
 * An invalid hyper-parameter. `param` is the camelCased name (for an API error path such as
 * `/optimizer/weightDecay`); the message follows torch's ValueError wording.
 */
export class OptimConfigError extends Error {
  readonly param: string;
  constructor(param: string, message: string) {
    super(message);
    this.name = 'OptimConfigError';
    this.param = param;
    Object.setPrototypeOf(this, new.target.prototype);
  }
}
