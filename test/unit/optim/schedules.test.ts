import { describe, expect, it } from 'vitest';
import {
  assertScheduleCompatible,
  createOptimizer,
  scheduleAt,
  validateSchedule,
} from '../../../src/optim/index.js';

describe('scheduleAt', () => {
  it('no schedule → the base lr', () => {
    expect(scheduleAt(null, 0.3, 17)).toEqual({ lr: 0.3 });
    expect(scheduleAt(undefined, 0.3, 0)).toEqual({ lr: 0.3 });
  });

  it('cosine is not clamped past tMax: it comes back to the base lr at 2·tMax', () => {
    const s = { type: 'cosine', tMax: 10 } as const;
    expect(scheduleAt(s, 0.1, 10).lr).toBeCloseTo(0, 15);
    expect(scheduleAt(s, 0.1, 15).lr).toBeCloseTo(0.05, 15);
    expect(scheduleAt(s, 0.1, 20).lr).toBeCloseTo(0.1, 15);
  });

  it('linear holds endFactor after totalIters and starts at startFactor', () => {
    const s = { type: 'linear', startFactor: 0.5, endFactor: 1, totalIters: 4 } as const;
    expect(scheduleAt(s, 2, 0).lr).toBe(1);
    expect(scheduleAt(s, 2, 4).lr).toBe(2);
    expect(scheduleAt(s, 2, 100).lr).toBe(2);
  });

  it('step uses gamma 0.1 by default', () => {
    expect(scheduleAt({ type: 'step', stepSize: 2 }, 1, 4).lr).toBeCloseTo(0.01, 15);
  });

  it('OneCycle: k = totalSteps is allowed (as torch), k > totalSteps throws a clear error', () => {
    const s = { type: 'onecycle', maxLr: 1, totalSteps: 10 } as const;
    expect(scheduleAt(s, 0.1, 10).lr).toBeGreaterThan(0);
    expect(() => scheduleAt(s, 0.1, 11)).toThrow(
      'OneCycle schedule stepped 11 times but its totalSteps is 10',
    );
  });

  it('OneCycle defaults maxLr to the base lr and momentum to 0.95 → 0.85 → 0.95', () => {
    const s = { type: 'onecycle', totalSteps: 100 } as const;
    const first = scheduleAt(s, 0.5, 0);
    expect(first.lr).toBeCloseTo(0.5 / 25, 15);
    expect(first.momentum).toBeCloseTo(0.95, 15);
    expect(scheduleAt(s, 0.5, 29).momentum).toBeCloseTo(0.85, 15);
    expect(scheduleAt(s, 0.5, 29).lr).toBeCloseTo(0.5, 15);
    expect(scheduleAt(s, 0.5, 99).momentum).toBeCloseTo(0.95, 15);
    expect(scheduleAt(s, 0.5, 99).lr).toBeCloseTo(0.5 / 25 / 1e4, 15);
  });

  it('rejects a bad k and validates early', () => {
    expect(() => scheduleAt(null, 0.1, -1)).toThrow(/non-negative integer/);
    expect(() => scheduleAt(null, 0.1, 1.5)).toThrow(/non-negative integer/);
    expect(() => validateSchedule({ type: 'onecycle', maxLr: 1 }, 0.1)).toThrow(/totalSteps/);
    expect(() => validateSchedule({ type: 'onecycle', maxLr: 1 }, 0.1, 50)).not.toThrow();
    expect(() => validateSchedule({ type: 'warm' } as never, 0.1)).toThrow(/Unknown schedule type/);
  });
});

describe('assertScheduleCompatible', () => {
  it('rejects OneCycle momentum cycling for Adagrad only', () => {
    const onecycle = { type: 'onecycle', maxLr: 1, totalSteps: 10 };
    expect(() => assertScheduleCompatible(createOptimizer({ type: 'adagrad' }), onecycle)).toThrow(
      /cycleMomentum/,
    );
    expect(() =>
      assertScheduleCompatible(createOptimizer({ type: 'adagrad' }), { ...onecycle, cycleMomentum: false }),
    ).not.toThrow();
    expect(() => assertScheduleCompatible(createOptimizer({ type: 'adam' }), onecycle)).not.toThrow();
    expect(() =>
      assertScheduleCompatible(createOptimizer({ type: 'adagrad' }), { type: 'cosine' }),
    ).not.toThrow();
  });
});
