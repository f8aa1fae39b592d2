/**
 * Learning-rate schedules in closed form, matching `torch.optim.lr_scheduler` (torch 1.13).
 *
 * `scheduleAt(schedule, baseLr, k)` is the lr (and, for OneCycle with cycleMomentum, the momentum)
 * in the optimizer after k `scheduler.step()` calls: optimizer step k+1 uses it. k = 0 is the value
 * right after the scheduler is constructed. With η0 the base lr:
 *
 * | type        | η(k) |
 * |-------------|------|
 * | step        | η0·γ^⌊k/stepSize⌋ |
 * | exponential | η0·γ^k |
 * | cosine      | ηmin + (η0−ηmin)(1 + cos(πk/tMax))/2 — not clamped: past tMax it rises again (period 2·tMax) |
 * | linear      | η0·(s + (e−s)·min(k, n)/n) — already s·η0 at k = 0 |
 * | onecycle    | phases below |
 *
 * OneCycle: η_init = maxLr/divFactor, η_min = η_init/finalDivFactor. Two phases end at
 * e1 = pctStart·T − 1 (a float, so the peak is usually missed) and e2 = T − 1: lr η_init→maxLr→η_min
 * while momentum goes maxMomentum→baseMomentum→maxMomentum. Three phases end at e1, 2·pctStart·T − 2
 * and T − 1: lr η_init→maxLr→η_init→η_min, momentum max→base→max→max. Within a phase
 * pct = (k − start)/(end − start) and cos: end + (start−end)/2·(1+cos(π·pct)); linear: start + pct·(end−start).
 * k may reach T (torch allows T scheduler steps); k > T throws.
 *
 * torch computes step/exponential/cosine/linear recursively; the closed forms agree to ~1e-15 relative.
 */
import { OptimConfigError } from './types.js';

export interface StepSchedule {
  type: 'step';
  /** Decay every `stepSize` scheduler steps (positive integer). */
  stepSize: number;
  /** Multiplicative factor (default 0.1). */
  gamma?: number;
}
export interface ExponentialSchedule {
  type: 'exponential';
  gamma: number;
}
export interface CosineSchedule {
  type: 'cosine';
  /** Half period in scheduler steps (positive). */
  tMax: number;
  /** Minimum lr (default 0). */
  etaMin?: number;
}
export interface LinearSchedule {
  type: 'linear';
  /** Factor at k = 0, in (0, 1] (default 1/3). */
  startFactor?: number;
  /** Factor from k = totalIters on, in [0, 1] (default 1). */
  endFactor?: number;
  /** Steps of the ramp (positive integer, default 5). */
  totalIters?: number;
}
export interface OneCycleSchedule {
  type: 'onecycle';
  /** Peak lr (torch's required max_lr). Default: the optimizer's base lr. */
  maxLr?: number;
  /** Length of the cycle in scheduler steps. Default: the `totalSteps` argument of scheduleAt. */
  totalSteps?: number;
  /** Fraction of the cycle spent increasing the lr (default 0.3). */
  pctStart?: number;
  /** 'cos' (default) or 'linear'. */
  annealStrategy?: 'cos' | 'linear';
  /** Cycle the momentum / β1 inversely to the lr (default true). */
  cycleMomentum?: boolean;
  /** Lowest momentum (default 0.85). */
  baseMomentum?: number;
  /** Highest momentum (default 0.95). */
  maxMomentum?: number;
  /** η_init = maxLr / divFactor (default 25). */
  divFactor?: number;
  /** η_min = η_init / finalDivFactor (default 1e4). */
  finalDivFactor?: number;
  /** Use the three-phase variant (default false). */
  threePhase?: boolean;
}

/** Schedule spec; extra keys (such as the JobSpec's `per`) are ignored. */
export type ScheduleSpec = (
  StepSchedule | ExponentialSchedule | CosineSchedule | LinearSchedule | OneCycleSchedule
) & {
  per?: 'epoch' | 'step';
};

export interface ScheduleValue {
  lr: number;
  /** OneCycle with cycleMomentum: the momentum (SGD/RMSprop) or β1 (Adam family) for this step. */
  momentum?: number;
}

function bad(param: string, message: string): never {
  throw new OptimConfigError(param, message);
}

function finite(param: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) bad(param, `Invalid ${param} value: ${String(v)}`);
  return v;
}

function positiveInt(param: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    bad(param, `Expected positive integer ${param}, but got ${String(v)}`);
  }
  return v;
}

interface Phase {
  end: number;
  startLr: number;
  endLr: number;
  startMom: number;
  endMom: number;
}

interface OneCycleResolved {
  total: number;
  phases: Phase[];
  linear: boolean;
  cycleMomentum: boolean;
}

function resolveOneCycle(
  s: OneCycleSchedule,
  baseLr: number,
  totalSteps: number | undefined,
): OneCycleResolved {
  const total = positiveInt('totalSteps', s.totalSteps ?? totalSteps);
  const maxLr = finite('maxLr', s.maxLr ?? baseLr);
  const pct = finite('pctStart', s.pctStart ?? 0.3);
  if (pct < 0 || pct > 1) bad('pctStart', `Expected float between 0 and 1 pctStart, but got ${pct}`);
  const strategy = s.annealStrategy ?? 'cos';
  if (strategy !== 'cos' && strategy !== 'linear') {
    bad('annealStrategy', `annealStrategy must be one of 'cos' or 'linear', instead got ${String(strategy)}`);
  }
  const divFactor = finite('divFactor', s.divFactor ?? 25);
  const finalDivFactor = finite('finalDivFactor', s.finalDivFactor ?? 1e4);
  if (divFactor <= 0) bad('divFactor', `divFactor must be positive, got ${divFactor}`);
  if (finalDivFactor <= 0) bad('finalDivFactor', `finalDivFactor must be positive, got ${finalDivFactor}`);
  const baseMom = finite('baseMomentum', s.baseMomentum ?? 0.85);
  const maxMom = finite('maxMomentum', s.maxMomentum ?? 0.95);
  const initialLr = maxLr / divFactor;
  const minLr = initialLr / finalDivFactor;
  const e1 = pct * total - 1;
  const phases: Phase[] = s.threePhase
    ? [
        { end: e1, startLr: initialLr, endLr: maxLr, startMom: maxMom, endMom: baseMom },
        { end: 2 * pct * total - 2, startLr: maxLr, endLr: initialLr, startMom: baseMom, endMom: maxMom },
        { end: total - 1, startLr: initialLr, endLr: minLr, startMom: maxMom, endMom: maxMom },
      ]
    : [
        { end: e1, startLr: initialLr, endLr: maxLr, startMom: maxMom, endMom: baseMom },
        { end: total - 1, startLr: maxLr, endLr: minLr, startMom: baseMom, endMom: maxMom },
      ];
  let start = 0;
  for (const ph of phases) {
    if (ph.end === start) {
      bad(
        'pctStart',
        `OneCycle phase of zero length (pctStart ${pct}, totalSteps ${total}): change pctStart or totalSteps`,
      );
    }
    start = ph.end;
  }
  return { total, phases, linear: strategy === 'linear', cycleMomentum: s.cycleMomentum ?? true };
}

function anneal(linear: boolean, start: number, end: number, pct: number): number {
  if (linear) return (end - start) * pct + start;
  const cosOut = Math.cos(Math.PI * pct) + 1;
  return end + ((start - end) / 2.0) * cosOut;
}

/**
 * Validate a schedule spec (throws {@link OptimConfigError}); `totalSteps` is needed for a OneCycle
 * spec without its own. Returns nothing: scheduleAt validates too, this is for early 422s.
 */
export function validateSchedule(schedule: ScheduleSpec, baseLr: number, totalSteps?: number): void {
  scheduleAt(schedule, baseLr, 0, totalSteps);
}

/**
 * lr (and momentum) after `k` scheduler steps. A null/undefined schedule returns the base lr.
 * Throws {@link OptimConfigError} for an invalid spec, and a plain Error when a OneCycle schedule is
 * stepped past its totalSteps.
 */
export function scheduleAt(
  schedule: ScheduleSpec | null | undefined,
  baseLr: number,
  k: number,
  totalSteps?: number,
): ScheduleValue {
  if (!Number.isInteger(k) || k < 0)
    throw new Error(`scheduleAt: k must be a non-negative integer, got ${k}`);
  if (!schedule) return { lr: baseLr };
  switch (schedule.type) {
    case 'step': {
      const size = positiveInt('stepSize', schedule.stepSize);
      const gamma = finite('gamma', schedule.gamma ?? 0.1);
      return { lr: baseLr * gamma ** Math.floor(k / size) };
    }
    case 'exponential': {
      const gamma = finite('gamma', schedule.gamma);
      return { lr: baseLr * gamma ** k };
    }
    case 'cosine': {
      const tMax = finite('tMax', schedule.tMax);
      if (tMax <= 0) bad('tMax', `tMax must be positive, got ${tMax}`);
      const etaMin = finite('etaMin', schedule.etaMin ?? 0);
      if (k === 0) return { lr: baseLr };
      return { lr: etaMin + ((baseLr - etaMin) * (1 + Math.cos((Math.PI * k) / tMax))) / 2 };
    }
    case 'linear': {
      const s = finite('startFactor', schedule.startFactor ?? 1 / 3);
      const e = finite('endFactor', schedule.endFactor ?? 1);
      const n = positiveInt('totalIters', schedule.totalIters ?? 5);
      // torch accepts startFactor 0 but then divides by zero at the first step
      if (!(s > 0 && s <= 1)) bad('startFactor', `startFactor must be in (0, 1], got ${s}`);
      if (!(e >= 0 && e <= 1)) bad('endFactor', `endFactor must be in [0, 1], got ${e}`);
      return { lr: baseLr * (s + ((e - s) * Math.min(k, n)) / n) };
    }
    case 'onecycle': {
      const oc = resolveOneCycle(schedule, baseLr, totalSteps);
      if (k > oc.total) {
        throw new Error(
          `OneCycle schedule stepped ${k} times but its totalSteps is ${oc.total}: ` +
            'totalSteps must cover every optimizer step (epochs × batches per epoch)',
        );
      }
      let start = 0;
      for (let i = 0; i < oc.phases.length; i++) {
        const ph = oc.phases[i];
        if (k <= ph.end || i === oc.phases.length - 1) {
          const pct = (k - start) / (ph.end - start);
          const lr = anneal(oc.linear, ph.startLr, ph.endLr, pct);
          return oc.cycleMomentum ? { lr, momentum: anneal(oc.linear, ph.startMom, ph.endMom, pct) } : { lr };
        }
        start = ph.end;
      }
      throw new Error('unreachable');
    }
    default:
      return bad('type', `Unknown schedule type: ${String((schedule as { type?: unknown }).type)}`);
  }
}
