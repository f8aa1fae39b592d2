/** Behaviour of the first-order optimizers beyond the torch trajectories (golden tests cover those). */
import { describe, expect, it } from 'vitest';
import {
  adam,
  createOptimizer,
  OPTIMIZER_TYPES,
  sgd,
  type FloatArray,
  type OptimizerSpec,
  type OptimState,
} from '../../../src/optim/index.js';

const specs: OptimizerSpec[] = [
  { type: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 0.1 },
  { type: 'adagrad', lr: 0.1, weightDecay: 0.1 },
  { type: 'rmsprop', lr: 0.01, momentum: 0.9, centered: true, weightDecay: 0.1 },
  { type: 'adam', lr: 0.01, amsgrad: true, weightDecay: 0.1 },
  { type: 'adamw', lr: 0.01 },
  { type: 'nadam', lr: 0.01, weightDecay: 0.1 },
  { type: 'radam', lr: 0.01, weightDecay: 0.1 },
];

function params(dtype: 'float32' | 'float64' = 'float64'): FloatArray[] {
  const C = dtype === 'float32' ? Float32Array : Float64Array;
  return [C.of(0.5, -1, 2), C.of(0.25)];
}

function grads(dtype: 'float32' | 'float64' = 'float64'): FloatArray[] {
  const C = dtype === 'float32' ? Float32Array : Float64Array;
  return [C.of(0.1, 0.2, -0.3), C.of(1)];
}

/** All typed-array buffers in a state, for identity checks. */
function buffers(state: unknown, out: FloatArray[] = []): FloatArray[] {
  if (state instanceof Float32Array || state instanceof Float64Array) out.push(state);
  else if (Array.isArray(state)) state.forEach((s) => buffers(s, out));
  else if (state && typeof state === 'object') Object.values(state).forEach((s) => buffers(s, out));
  return out;
}

describe('every optimizer', () => {
  it('the spec list covers the registry', () => {
    expect(specs.map((s) => s.type).sort()).toEqual([...OPTIMIZER_TYPES].sort());
  });

  it.each(specs.map((s) => [s.type, s] as const))(
    '%s skips a parameter whose gradient is null',
    (_t, spec) => {
      const opt = createOptimizer(spec);
      const p = params();
      const state = opt.init(p);
      const before = JSON.stringify(state, (_k, v: unknown) =>
        ArrayBuffer.isView(v) ? Array.from(v as FloatArray) : v,
      );
      opt.step(p, [null, grads()[1]], state, { lr: opt.hp.lr });
      expect(Array.from(p[0])).toEqual([0.5, -1, 2]); // untouched: no decay either
      expect(p[1][0]).not.toBe(0.25);
      const s = state as unknown as { step: number[] };
      expect(s.step).toEqual([0, 1]);
      expect(before).not.toBe(JSON.stringify(state));
    },
  );

  it.each(specs.map((s) => [s.type, s] as const))(
    '%s keeps dtypes and allocates nothing after the first step',
    (_t, spec) => {
      const opt = createOptimizer(spec);
      const p = params('float32');
      const g = grads('float32');
      const state = opt.init(p);
      opt.step(p, g, state, { lr: opt.hp.lr });
      const first = buffers(state);
      expect(first.every((b) => b instanceof Float32Array)).toBe(true);
      for (let k = 0; k < 5; k++) opt.step(p, g, state, { lr: opt.hp.lr });
      const later = buffers(state);
      expect(later.length).toBe(first.length);
      later.forEach((b, i) => expect(b).toBe(first[i]));
      expect(p.every((x) => x instanceof Float32Array)).toBe(true);
    },
  );

  it.each(specs.map((s) => [s.type, s] as const))('%s rejects misaligned gradients', (_t, spec) => {
    const opt = createOptimizer(spec);
    const p = params();
    const state = opt.init(p);
    expect(() => opt.step(p, [grads()[0]], state, { lr: 0.1 })).toThrow(/1 gradients/);
    expect(() => opt.step(p, [Float64Array.of(1), grads()[1]], state, { lr: 0.1 })).toThrow(
      /gradient 0 has 1 elements/,
    );
  });

  it.each(specs.filter((s) => s.type !== 'adamw').map((s) => [s.type, s] as const))(
    '%s without weight decay leaves parameters unchanged for zero gradients',
    (_t, spec) => {
      const opt = createOptimizer({ ...spec, weightDecay: 0 } as OptimizerSpec);
      const p = params();
      const state = opt.init(p);
      opt.step(p, [new Float64Array(3), new Float64Array(1)], state, { lr: opt.hp.lr });
      expect(Array.from(p[0])).toEqual([0.5, -1, 2]);
      expect(p[1][0]).toBe(0.25);
    },
  );
});

describe('specifics', () => {
  it('AdamW decays even with zero gradients, by lr·weightDecay', () => {
    const opt = createOptimizer({ type: 'adamw', lr: 0.1, weightDecay: 0.5 });
    const p = [Float64Array.of(2)];
    opt.step(p, [Float64Array.of(0)], opt.init(p), { lr: 0.1 });
    expect(p[0][0]).toBe(2 * (1 - 0.1 * 0.5));
  });

  it('the StepContext lr is used, not the hp lr', () => {
    const opt = createOptimizer({ type: 'sgd', lr: 123 });
    const p = [Float64Array.of(1)];
    opt.step(p, [Float64Array.of(2)], opt.init(p), { lr: 0.25 });
    expect(p[0][0]).toBe(0.5);
  });

  it('a momentum override turns momentum-free SGD into momentum SGD (OneCycle), buffer = d on first use', () => {
    const hp = sgd.resolve({ lr: 0.1 });
    const withMomentum = sgd.resolve({ lr: 0.1, momentum: 0.9 });
    const a = [Float64Array.of(1, 2)];
    const b = [Float64Array.of(1, 2)];
    const sa = sgd.init(a, hp);
    const sb = sgd.init(b, withMomentum);
    for (let k = 0; k < 4; k++) {
      const g = [Float64Array.of(0.3 * k - 0.2, 0.5)];
      sgd.step(a, g, sa, hp, { lr: 0.1, momentum: 0.9 });
      sgd.step(b, g, sb, withMomentum, { lr: 0.1 });
    }
    expect(Array.from(a[0])).toEqual(Array.from(b[0]));
  });

  it('a momentum override replaces Adam’s β1', () => {
    const h1 = adam.resolve({ lr: 0.01, betas: [0.5, 0.999] });
    const h2 = adam.resolve({ lr: 0.01 });
    const a = [Float64Array.of(1, 2)];
    const b = [Float64Array.of(1, 2)];
    const sa = adam.init(a, h1);
    const sb = adam.init(b, h2);
    for (let k = 0; k < 4; k++) {
      const g = [Float64Array.of(0.3 * k - 0.2, 0.5)];
      adam.step(a, g, sa, h1, { lr: 0.01 });
      adam.step(b, g, sb, h2, { lr: 0.01, momentum: 0.5 });
    }
    expect(Array.from(a[0])).toEqual(Array.from(b[0]));
  });

  it('Adagrad ignores a momentum override and reports momentumKind null', () => {
    const opt = createOptimizer({ type: 'adagrad', lr: 0.1 });
    expect(opt.momentumKind).toBeNull();
    const a = [Float64Array.of(1)];
    const b = [Float64Array.of(1)];
    opt.step(a, [Float64Array.of(0.5)], opt.init(a), { lr: 0.1, momentum: 0.9 });
    opt.step(b, [Float64Array.of(0.5)], opt.init(b), { lr: 0.1 });
    expect(a[0][0]).toBe(b[0][0]);
    expect(createOptimizer({ type: 'rmsprop' }).momentumKind).toBe('momentum');
    expect(createOptimizer({ type: 'radam' }).momentumKind).toBe('beta1');
  });

  it('RMSprop’s first step is ≈ 10·lr·sign(g) with α = 0.99', () => {
    const opt = createOptimizer({ type: 'rmsprop', lr: 0.01 });
    const p = [Float64Array.of(0, 0)];
    opt.step(p, [Float64Array.of(3, -1e-3)], opt.init(p), { lr: 0.01 });
    expect(p[0][0]).toBeCloseTo(-0.1, 6);
    expect(p[0][1]).toBeCloseTo(0.1, 4);
  });

  it('RAdam is bias-corrected momentum SGD for the first 5 steps (β2 = 0.999)', () => {
    const opt = createOptimizer({ type: 'radam', lr: 0.1 });
    const p = [Float64Array.of(0)];
    const state = opt.init(p) as OptimState;
    const g = [Float64Array.of(2)];
    for (let k = 0; k < 5; k++) opt.step(p, g, state, { lr: 0.1 });
    expect(p[0][0]).toBeCloseTo(-5 * 0.1 * 2, 12); // m̂ = g for a constant gradient
    opt.step(p, g, state, { lr: 0.1 }); // step 6: rectified, adaptive (≈ lr·r·sign(g))
    expect(-1 - p[0][0]).toBeLessThan(0.1);
  });
});
