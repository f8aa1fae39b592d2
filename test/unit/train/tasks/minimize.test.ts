/**
 * The minimize task on Rosenbrock from (−1.5, 2) and on saddles. Budgets (float64), all reaching
 * ‖x − (1, 1)‖∞ ≤ 1e-6:
 *   gradient descent   sgd lr 1e-3,                 50,000 steps
 *   momentum           sgd lr 1e-3, momentum 0.9,    5,000 steps
 *   Adam               adam lr 1e-2 + cosine(tMax 20,000), 20,000 steps
 *   Newton             damping 1e-4, Armijo line search, ≤ 50 steps (takes 24)
 *   L-BFGS             strong Wolfe, 20 steps of ≤ 20 inner iterations
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { JobSpecSchema, type MinimizeJobSpec } from '../../../../src/contracts/job-spec.js';
import { ExprError } from '../../../../src/expr/errors.js';
import { decodeOptimState, encodeOptimState, type JsonSafe } from '../../../../src/optim/state-codec.js';
import {
  HESSIAN_MAX_VARIABLES,
  runMinimize,
  type MinimizeCheckpoint,
  type MinimizeEvent,
  type MinimizeSpec,
} from '../../../../src/train/tasks/minimize.js';

const rosenbrock = (
  optimizer: MinimizeSpec['optimizer'],
  steps: number,
  schedule: MinimizeSpec['schedule'] = null,
): MinimizeSpec => ({
  objective: '(1 - x)^2 + 100*(y - x^2)^2',
  start: { x: -1.5, y: 2 },
  steps,
  optimizer,
  schedule,
  dtype: 'float64',
});

const sgd = (lr: number, momentum = 0) =>
  ({ type: 'sgd', lr, momentum, dampening: 0, nesterov: false, weightDecay: 0, maximize: false }) as const;

describe('minimize finds Rosenbrock’s minimum (1, 1) from (−1.5, 2)', () => {
  const cases: Array<[string, MinimizeSpec, number]> = [
    ['gradient descent', rosenbrock(sgd(1e-3), 50_000), 50_000],
    ['momentum', rosenbrock(sgd(1e-3, 0.9), 5_000), 5_000],
    [
      'Adam + cosine',
      rosenbrock(
        {
          type: 'adam',
          lr: 0.01,
          betas: [0.9, 0.999],
          eps: 1e-8,
          weightDecay: 0,
          amsgrad: false,
          maximize: false,
        },
        20_000,
        { type: 'cosine', tMax: 20_000, etaMin: 0, per: 'step' } as MinimizeSpec['schedule'],
      ),
      20_000,
    ],
    ['Newton', rosenbrock({ type: 'newton', damping: 1e-4, lineSearch: true, cgThreshold: 500 }, 50), 50],
    [
      'L-BFGS (strong Wolfe)',
      rosenbrock(
        {
          type: 'lbfgs',
          lr: 1,
          maxIter: 20,
          toleranceGrad: 1e-12,
          toleranceChange: 1e-14,
          historySize: 100,
          lineSearchFn: 'strong_wolfe',
        },
        20,
      ),
      20,
    ],
  ];
  for (const [name, spec, budget] of cases) {
    it(`${name} within ${budget} steps`, async () => {
      const events: MinimizeEvent[] = [];
      const out = await runMinimize(spec, { onEvent: (e) => events.push(e) });
      expect(out.status).toBe('succeeded');
      const r = out.result!;
      expect(Math.abs(r.point.x! - 1)).toBeLessThanOrEqual(1e-6);
      expect(Math.abs(r.point.y! - 1)).toBeLessThanOrEqual(1e-6);
      expect(r.steps).toBeLessThanOrEqual(budget);
      expect(r.classification).toBe('minimum');
      expect(r.value).toBeLessThan(1e-10);
      // Hessian at (1, 1) is [[802, −400], [−400, 200]]
      expect(r.hessian![0]![0]).toBeCloseTo(802, 2);
      expect(r.hessian![0]![1]).toBeCloseTo(-400, 2);
      expect(r.eigenvalues![0]).toBeGreaterThan(0);
      // trajectory: the start, one point per step, the end
      expect(events[0]!.point).toEqual({ x: -1.5, y: 2 });
      expect(events[0]!.value).toBeCloseTo(12.5, 12);
      expect(events).toHaveLength(r.steps + 1);
      expect(events.at(-1)!.point).toEqual(r.point);
    }, 60_000);
  }
});

describe('minimize: curvature classification, errors and control', () => {
  it('gradient descent on x² − y² from (1, 0) stops at the saddle and says so', async () => {
    const out = await runMinimize({
      objective: { builtin: 'saddle' },
      start: { x: 1, y: 0 },
      steps: 300,
      optimizer: sgd(0.1),
    });
    const r = out.result!;
    expect(Math.abs(r.point.x!)).toBeLessThan(1e-12);
    expect(r.point.y).toBe(0);
    expect(r.eigenvalues).toEqual([-2, 2]);
    expect(r.classification).toBe('saddle');
  });

  it('−(x² + y²) at the origin is a maximum (gradient exactly zero: stops at once)', async () => {
    const out = await runMinimize({
      objective: '-(x^2 + y^2)',
      start: { x: 0, y: 0 },
      steps: 10,
      optimizer: sgd(0.1),
    });
    expect(out.result!.steps).toBe(0);
    expect(out.result!.classification).toBe('maximum');
    expect(out.result!.eigenvalues).toEqual([-2, -2]);
  });

  it('Newton reaches the minimum of the ill-conditioned quadratic in one step; float32 jobs run in float32', async () => {
    const out = await runMinimize({
      objective: 'ill_conditioned_quadratic',
      start: { x: 1, y: 1 },
      steps: 5,
      optimizer: { type: 'newton', damping: 0, lineSearch: true, cgThreshold: 500 },
    });
    expect(Math.abs(out.result!.point.x!)).toBeLessThan(1e-12);
    expect(out.result!.eigenvalues).toEqual([1, 1000]);
    const f32 = await runMinimize({ ...rosenbrock(sgd(1e-3, 0.9), 5_000), dtype: 'float32' });
    expect(Math.abs(f32.result!.point.x! - 1)).toBeLessThan(1e-3);
    expect(Math.fround(f32.result!.point.x!)).toBe(f32.result!.point.x);
  });

  it(`above ${HESSIAN_MAX_VARIABLES} variables the Hessian is skipped; below it is computed`, async () => {
    const many = (n: number) => {
      const start: Record<string, number> = {};
      for (let i = 0; i < n; i++) start[`v${i}`] = 1;
      return {
        objective: Object.keys(start)
          .map((v) => `${v}^2`)
          .join('+'),
        start,
        steps: 50,
        optimizer: sgd(0.25),
      };
    };
    const big = await runMinimize(many(HESSIAN_MAX_VARIABLES + 1));
    expect(big.result!.hessian).toBeNull();
    expect(big.result!.classification).toBeNull();
    expect(big.result!.value).toBeLessThan(1e-20);
    const small = await runMinimize(many(12));
    expect(small.result!.eigenvalues).toEqual(new Array(12).fill(2));
    expect(small.result!.classification).toBe('minimum');
  });

  it('Newton-CG (Hessian-vector products from the engine) reaches Rosenbrock’s minimum too (truncated CG: ~155 steps)', async () => {
    const out = await runMinimize(
      rosenbrock({ type: 'newton', damping: 1e-4, lineSearch: true, cgThreshold: 1 }, 200),
    );
    expect(Math.abs(out.result!.point.x! - 1)).toBeLessThanOrEqual(1e-6);
    expect(Math.abs(out.result!.point.y! - 1)).toBeLessThanOrEqual(1e-6);
    const h = await runMinimize({
      objective: 'himmelblau',
      start: { x: 1, y: 1 },
      steps: 100,
      optimizer: { type: 'newton', damping: 1e-4, lineSearch: true, cgThreshold: 1 },
    });
    expect(h.result!.point.x).toBeCloseTo(3, 9);
    expect(h.result!.point.y).toBeCloseTo(2, 9);
  });

  it('a diverging run fails with DIVERGED', async () => {
    const out = await runMinimize(rosenbrock(sgd(1), 100));
    expect(out.status).toBe('failed');
    expect(out.error!.code).toBe('DIVERGED');
  });

  it('objective errors surface as ExprError with the position', async () => {
    await expect(
      runMinimize({ ...rosenbrock(sgd(0.1), 1), objective: 'x + process.exit()' }),
    ).rejects.toThrow(ExprError);
    await expect(runMinimize({ ...rosenbrock(sgd(0.1), 1), objective: 'x + z' })).rejects.toThrow(
      /unknown name 'z'.*position 4/,
    );
  });

  it('cancels between steps', async () => {
    const controller = new AbortController();
    const out = await runMinimize(rosenbrock(sgd(1e-3), 1_000_000), {
      signal: controller.signal,
      yieldEveryMs: 1,
      onEvent: (e) => {
        if (e.step === 500) controller.abort();
      },
    });
    expect(out.status).toBe('cancelled');
    expect(out.result!.steps).toBe(501);
  });

  it('accepts a normalized minimize JobSpec as is (a type-level test: `npm run typecheck` fails if not)', () => {
    expectTypeOf<MinimizeJobSpec>().toExtend<MinimizeSpec>();
    expectTypeOf(runMinimize).parameter(0).toEqualTypeOf<MinimizeSpec>();
  });
});

describe('minimize checkpoints', () => {
  const specs: Array<[string, MinimizeSpec]> = [
    [
      'adam',
      rosenbrock(
        {
          type: 'adam',
          lr: 0.01,
          betas: [0.9, 0.999],
          eps: 1e-8,
          weightDecay: 0,
          amsgrad: false,
          maximize: false,
        },
        40,
      ),
    ],
    ['newton', rosenbrock({ type: 'newton', damping: 1e-4, lineSearch: true, cgThreshold: 500 }, 12)],
    [
      'lbfgs',
      rosenbrock(
        {
          type: 'lbfgs',
          lr: 1,
          maxIter: 3,
          toleranceGrad: 1e-12,
          toleranceChange: 1e-14,
          historySize: 4,
          lineSearchFn: 'strong_wolfe',
        },
        8,
      ),
    ],
    ['sgd float32', { ...rosenbrock(sgd(1e-3, 0.9), 40), dtype: 'float32' }],
  ];
  for (const [name, spec] of specs) {
    it(`${name}: resuming from a JSON checkpoint gives the uninterrupted run`, async () => {
      const eventsA: MinimizeEvent[] = [];
      const saved = new Map<number, string>();
      const a = await runMinimize(spec, {
        onEvent: (e) => eventsA.push(e),
        checkpointEveryMs: 0,
        onCheckpoint: (c) => void saved.set(c.step, JSON.stringify(encodeOptimState(c))),
      });
      const at = Math.floor(spec.steps / 2);
      const resume = decodeOptimState<MinimizeCheckpoint>(JSON.parse(saved.get(at)!) as JsonSafe);
      const eventsB: MinimizeEvent[] = [];
      const b = await runMinimize(spec, { resume, onEvent: (e) => eventsB.push(e) });
      expect(eventsB).toEqual(eventsA.slice(at));
      const { durationMs: _a, ...ra } = a.result!;
      const { durationMs: _b, ...rb } = b.result!;
      expect(rb).toEqual(ra);
    });
  }
});

describe('minimize from a JobSpec', () => {
  it('normalized specs run as they are: Newton on the built-in Rosenbrock, L-BFGS on an expression', async () => {
    const newton = JobSpecSchema.parse({
      task: 'minimize',
      objective: { builtin: 'rosenbrock' },
      start: { x: -1.5, y: 2 },
      steps: 50,
      optimizer: { type: 'newton' },
    });
    if (newton.task !== 'minimize') throw new Error('expected a minimize spec');
    const a = await runMinimize(newton);
    expect(a.result!.point.x).toBeCloseTo(1, 9);
    expect(a.result!.classification).toBe('minimum');
    const lbfgs = JobSpecSchema.parse({
      task: 'minimize',
      objective: 'x^2 + 3*(y - 1)^2 + x*y',
      start: { x: 2, y: -1 },
      steps: 5,
      optimizer: { type: 'lbfgs', lineSearchFn: 'strong_wolfe' },
    });
    if (lbfgs.task !== 'minimize') throw new Error('expected a minimize spec');
    const b = await runMinimize(lbfgs);
    // ∇ = 0: 2x + y = 0, 6(y − 1) + x = 0 → y = 12/11, x = −6/11
    expect(b.result!.point.x).toBeCloseTo(-6 / 11, 6);
    expect(b.result!.point.y).toBeCloseTo(12 / 11, 6);
  });
});

describe('minimize through the runner', () => {
  it('its own wall-time limit: failed / TIMEOUT, with a final checkpoint and the end point reported', async () => {
    const checkpoints: MinimizeCheckpoint[] = [];
    const events: MinimizeEvent[] = [];
    const out = await runMinimize(
      { ...rosenbrock(sgd(1e-3), 100_000_000), maxWallSeconds: 0.2 },
      { onCheckpoint: (c) => void checkpoints.push(c), onEvent: (e) => events.push(e) },
    );
    expect(out.status).toBe('failed');
    expect(out.error).toEqual({
      code: 'TIMEOUT',
      message: 'the job ran past its wall-time limit of 0.2 s; raise maxWallSeconds or make the job smaller',
    });
    expect(out.result!.steps).toBeLessThan(100_000_000);
    expect(checkpoints.at(-1)!.step).toBe(out.result!.steps);
    expect(events.at(-1)).toMatchObject({ step: out.result!.steps, lr: null });
    // the server-wide cap applies the same way
    const capped = await runMinimize(rosenbrock(sgd(1e-3), 100_000_000), { maxWallSeconds: 0.1 });
    expect(capped.error!.message).toMatch(/limit of 0\.1 s/);
  });

  it('progressEveryMs throttles the trajectory; the end point is always reported', async () => {
    const all: MinimizeEvent[] = [];
    await runMinimize(rosenbrock(sgd(1e-3), 20_000), { onEvent: (e) => all.push(e) });
    const few: MinimizeEvent[] = [];
    const out = await runMinimize(rosenbrock(sgd(1e-3), 20_000), {
      progressEveryMs: 50,
      onEvent: (e) => few.push(e),
    });
    expect(all).toHaveLength(20_001);
    expect(few.length).toBeLessThan(all.length / 10);
    expect(few[0]).toEqual(all[0]);
    expect(few.at(-1)).toEqual(all.at(-1));
    expect(out.result!.steps).toBe(20_000);
  });
});
