/**
 * src/optim against torch 1.13 (fixtures from scripts/fixtures/optim_fixtures.py).
 *
 * Trajectories are replayed with torch's own gradients, so only the optimizer arithmetic is tested:
 * ≤ 1e-10 relative in float64, ≤ 1e-5 in float32 (we compute in doubles, torch in float32).
 */
import { describe, expect, it } from 'vitest';
import {
  createOptimizer,
  decodeOptimState,
  encodeOptimState,
  OptimConfigError,
  OPTIMIZER_TYPES,
  scheduleAt,
  type FloatArray,
  type OptimizerSpec,
} from '../../src/optim/index.js';
import { fixture, fixtureF32, initialParams, replay, typed, type Trajectory } from './optim-fixture.js';

function rel(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
}

describe('optimizer trajectories match torch', () => {
  it('covers every optimizer in both dtypes', () => {
    const types = new Set(fixture.trajectories.map((t) => t.type));
    expect([...types].sort()).toEqual([...OPTIMIZER_TYPES].sort());
    expect(fixtureF32.trajectories.map((t) => t.name)).toEqual(fixture.trajectories.map((t) => t.name));
    expect(fixture.trajectories.every((t) => t.steps >= 10)).toBe(true);
  });

  it.each(fixture.trajectories.map((t) => [t.name, t] as const))('float64 %s ≤ 1e-10', (_name, t) => {
    expect(replay(t).maxErr).toBeLessThanOrEqual(1e-10);
  });

  it.each(fixtureF32.trajectories.map((t) => [t.name, t] as const))('float32 %s ≤ 1e-5', (_name, t) => {
    expect(replay(t).maxErr).toBeLessThanOrEqual(1e-5);
  });

  it.each(fixture.trajectories.filter((t) => t.schedule).map((t) => [t.name, t] as const))(
    '%s: the schedule gives the lr and momentum torch used at every step',
    (_name, t) => {
      const { lrs, momenta } = replay(t);
      lrs.forEach((lr, k) => expect(rel(lr, t.lrs![k])).toBeLessThanOrEqual(1e-12));
      if (t.schedule!.type === 'onecycle') {
        momenta.forEach((m, k) => expect(rel(m!, t.momenta![k]!)).toBeLessThanOrEqual(1e-12));
      }
    },
  );

  it('the harness discriminates: a 1e-6 relative nudge of eps fails the 1e-10 bar', () => {
    // Sanity check of the harness: perturbing one hyper-parameter slightly must fail the 1e-10 bar.
    const t = fixture.trajectories.find((x) => x.name === 'adam_weight_decay_eps')!;
    const nudged: Trajectory = { ...t, hp: { ...t.hp, eps: (t.hp.eps as number) * (1 + 1e-6) } };
    expect(replay(nudged).maxErr).toBeGreaterThan(1e-10);
  });
});

describe('schedules match torch sequences', () => {
  it.each(fixture.schedules.map((s) => [s.name, s] as const))('%s', (_name, s) => {
    s.lrs.forEach((lr, k) => {
      const v = scheduleAt(s.schedule, s.baseLr, k);
      expect(rel(v.lr, lr)).toBeLessThanOrEqual(1e-12);
      if (s.momenta) expect(rel(v.momentum!, s.momenta[k])).toBeLessThanOrEqual(1e-12);
      else expect(v.momentum).toBeUndefined();
    });
    if (s.stepPastTotalRaises) {
      expect(() => scheduleAt(s.schedule, s.baseLr, s.lrs.length)).toThrow(
        /OneCycle schedule stepped \d+ times/,
      );
    }
  });

  it('OneCycle takes totalSteps from the argument when the spec has none', () => {
    const s = fixture.schedules.find((x) => x.name === 'onecycle')!;
    const { totalSteps, ...rest } = s.schedule as { totalSteps: number };
    for (let k = 0; k <= totalSteps; k++) {
      expect(scheduleAt({ ...rest, type: 'onecycle' }, 0.1, k, totalSteps)).toEqual(
        scheduleAt(s.schedule, 0.1, k),
      );
    }
    expect(() => scheduleAt({ ...rest, type: 'onecycle' }, 0.1, 0)).toThrow(/totalSteps/);
  });
});

describe('validation errors like torch ValueErrors', () => {
  const cases: [OptimizerSpec, string, RegExp][] = [
    [{ type: 'sgd', lr: -0.1 }, 'lr', /Invalid learning rate: -0.1/],
    [{ type: 'sgd', momentum: -0.5 }, 'momentum', /Invalid momentum value: -0.5/],
    [{ type: 'sgd', weightDecay: -1 }, 'weightDecay', /Invalid weightDecay value: -1/],
    [{ type: 'sgd', nesterov: true }, 'nesterov', /Nesterov momentum requires a momentum and zero dampening/],
    [{ type: 'sgd', nesterov: true, momentum: 0.9, dampening: 0.1 }, 'nesterov', /zero dampening/],
    [{ type: 'adagrad', lrDecay: -0.5 }, 'lrDecay', /Invalid lrDecay value: -0.5/],
    [
      { type: 'adagrad', initialAccumulatorValue: -1 },
      'initialAccumulatorValue',
      /Invalid initialAccumulatorValue/,
    ],
    [{ type: 'adagrad', eps: -1e-10 }, 'eps', /Invalid epsilon value/],
    [{ type: 'rmsprop', alpha: -0.1 }, 'alpha', /Invalid alpha value: -0.1/],
    [{ type: 'rmsprop', momentum: -1 }, 'momentum', /Invalid momentum value/],
    [{ type: 'adam', betas: [1, 0.999] }, 'betas', /Invalid beta parameter at index 0: 1/],
    [{ type: 'adam', betas: [0.9, -0.1] }, 'betas', /Invalid beta parameter at index 1: -0.1/],
    [{ type: 'adam', eps: -1 }, 'eps', /Invalid epsilon value: -1/],
    [{ type: 'adamw', weightDecay: -0.01 }, 'weightDecay', /Invalid weightDecay value/],
    [{ type: 'nadam', momentumDecay: -1 }, 'momentumDecay', /Invalid momentumDecay value: -1/],
    [{ type: 'radam', lr: NaN }, 'lr', /Invalid learning rate: NaN/],
    [{ type: 'adam', lr: Infinity }, 'lr', /Invalid learning rate: Infinity/],
    [{ type: 'lion' } as unknown as OptimizerSpec, 'type', /Unknown optimizer type: lion/],
    [{ type: 'newton' } as unknown as OptimizerSpec, 'type', /newtonStep/],
  ];
  it.each(cases)('%j → %s', (spec, param, message) => {
    let err: unknown;
    try {
      createOptimizer(spec);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OptimConfigError);
    expect((err as OptimConfigError).param).toBe(param);
    expect((err as Error).message).toMatch(message);
  });

  it('fills torch defaults', () => {
    expect(createOptimizer({ type: 'adamw' }).hp).toMatchObject({
      lr: 1e-3,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weightDecay: 1e-2,
    });
    expect(createOptimizer({ type: 'adam' }).hp).toMatchObject({
      weightDecay: 0,
      amsgrad: false,
      maximize: false,
    });
    expect(createOptimizer({ type: 'nadam' }).hp).toMatchObject({ lr: 2e-3, momentumDecay: 4e-3 });
    expect(createOptimizer({ type: 'rmsprop' }).hp).toMatchObject({
      lr: 1e-2,
      alpha: 0.99,
      eps: 1e-8,
      centered: false,
    });
    expect(createOptimizer({ type: 'adagrad' }).hp).toMatchObject({
      lr: 1e-2,
      eps: 1e-10,
      initialAccumulatorValue: 0,
    });
  });

  it.each([
    [{ type: 'step', stepSize: 0 }, 'stepSize'],
    [{ type: 'cosine', tMax: 0 }, 'tMax'],
    [{ type: 'linear', startFactor: 0 }, 'startFactor'],
    [{ type: 'linear', endFactor: 1.5 }, 'endFactor'],
    [{ type: 'onecycle', totalSteps: 10, pctStart: 1.5 }, 'pctStart'],
    [{ type: 'onecycle', totalSteps: 10, pctStart: 0.1 }, 'pctStart'], // e1 = 0: zero-length phase
    [{ type: 'onecycle', totalSteps: 10, annealStrategy: 'exp' }, 'annealStrategy'],
    [{ type: 'onecycle', totalSteps: 2.5 }, 'totalSteps'],
  ])('schedule %j → error on %s', (spec, param) => {
    expect(() => scheduleAt(spec as never, 0.1, 0)).toThrow(OptimConfigError);
    try {
      scheduleAt(spec as never, 0.1, 0);
    } catch (e) {
      expect((e as OptimConfigError).param).toBe(param);
    }
  });
});

describe('state round trip continues bit-identically (lockstep)', () => {
  const all = [...fixture.trajectories, ...fixtureF32.trajectories].filter((t) => !t.schedule);
  it.each(all.map((t) => [`${t.dtype} ${t.name}`, t] as const))('%s', (_name, t) => {
    const opt = createOptimizer({ type: t.type, ...t.hp } as OptimizerSpec);
    const a = initialParams(t.dtype);
    const stateA = opt.init(a);
    const half = 6;
    const grads = (k: number) => t.grads[k].map((g) => typed(g, t.dtype));
    for (let k = 0; k < half; k++) opt.step(a, grads(k), stateA, { lr: t.hp.lr });
    // through real JSON text, into a fresh optimizer and fresh parameter copies
    const json = JSON.stringify(encodeOptimState(stateA));
    const opt2 = createOptimizer({ type: t.type, ...t.hp } as OptimizerSpec);
    const stateB = decodeOptimState<ReturnType<typeof opt2.init>>(JSON.parse(json));
    const b: FloatArray[] = a.map((p) => p.slice());
    for (let k = half; k < t.steps; k++) {
      opt.step(a, grads(k), stateA, { lr: t.hp.lr });
      opt2.step(b, grads(k), stateB, { lr: t.hp.lr });
      for (let i = 0; i < a.length; i++) {
        expect(b[i].constructor).toBe(a[i].constructor);
        expect(Array.from(b[i])).toEqual(Array.from(a[i]));
      }
    }
    expect(JSON.stringify(encodeOptimState(stateB))).toBe(JSON.stringify(encodeOptimState(stateA)));
  });
});

describe('Rosenbrock: every optimizer goes the right direction', () => {
  const f = (x: number, y: number) => (1 - x) ** 2 + 100 * (y - x * x) ** 2;
  const grad = (x: number, y: number, g: Float64Array) => {
    g[0] = -2 * (1 - x) - 400 * x * (y - x * x);
    g[1] = 200 * (y - x * x);
  };
  const specs: OptimizerSpec[] = [
    { type: 'sgd', lr: 1e-4 },
    { type: 'sgd', lr: 1e-4, momentum: 0.9, nesterov: true },
    { type: 'adagrad', lr: 0.1 },
    { type: 'rmsprop', lr: 1e-3, centered: true, momentum: 0.5 },
    { type: 'adam', lr: 1e-2 },
    { type: 'adam', lr: 1e-2, amsgrad: true },
    { type: 'adamw', lr: 1e-2 },
    { type: 'nadam', lr: 1e-2 },
    { type: 'radam', lr: 1e-4 }, // its first 5 steps are plain momentum SGD: 1e-2 diverges on this curvature
  ];
  const run = (spec: OptimizerSpec, steps: number) => {
    const opt = createOptimizer(spec);
    const p = [Float64Array.of(1.5, 1.5)];
    const g = [new Float64Array(2)];
    const state = opt.init(p);
    for (let k = 0; k < steps; k++) {
      grad(p[0][0], p[0][1], g[0]);
      opt.step(p, g, state, { lr: opt.hp.lr });
    }
    return p[0];
  };
  const f0 = f(1.5, 1.5);
  const d0 = Math.hypot(0.5, 0.5);
  it.each(specs.map((s) => [JSON.stringify(s), s] as const))('%s descends towards (1, 1)', (_n, spec) => {
    const [x, y] = run(spec, 2000);
    expect(f(x, y)).toBeLessThan(f0 / 10);
    expect(Math.hypot(x - 1, y - 1)).toBeLessThan(d0);
  });
  it.each(specs.map((s) => [JSON.stringify(s), s] as const))('%s with maximize ascends', (_n, spec) => {
    const [x, y] = run({ ...spec, maximize: true } as OptimizerSpec, 20);
    expect(f(x, y)).toBeGreaterThan(f0);
  });
});
