/**
 * The step arena behind `allocate`: recycled arrays come back zeroed (ops rely on `new`'s zeros),
 * keyed by dtype and length, only after `recycle()`; poison mode NaN-fills and never reuses them.
 * (That no array escapes a training step is checked by running the golden and sequential tests
 * with DESCENT_ARENA_POISON=1.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { allocate, allocateIndex, StepArena, useArena } from '../../../src/tensor/dtype.js';

afterEach(() => {
  useArena(null);
});

describe('StepArena', () => {
  it('reuses an array of the same dtype and length after recycle, zeroed', () => {
    const arena = new StepArena();
    useArena(arena);
    const a = allocate('float32', 5);
    a.fill(3);
    const b = allocate('float32', 5);
    expect(b).not.toBe(a);
    arena.recycle();
    const c = allocate('float32', 5);
    expect([a, b]).toContain(c);
    expect(Array.from(c)).toEqual([0, 0, 0, 0, 0]);
    // A float64 array of the same length is another key.
    const d = allocate('float64', 5);
    expect(d).toBeInstanceOf(Float64Array);
    expect(d).not.toBe(a);
    const i = allocateIndex(4);
    i.fill(7);
    arena.recycle();
    expect(allocateIndex(4)).toBe(i);
    expect(Array.from(i)).toEqual([0, 0, 0, 0]);
  });

  it('poison mode fills recycled arrays with NaN (−1 for indices) and never hands them out again', () => {
    const arena = new StepArena(true);
    useArena(arena);
    const a = allocate('float64', 3);
    const i = allocateIndex(2);
    arena.recycle();
    expect(Array.from(a).every(Number.isNaN)).toBe(true);
    expect(Array.from(i)).toEqual([-1, -1]);
    expect(allocate('float64', 3)).not.toBe(a);
  });

  it('useArena nests and null restores fresh arrays', () => {
    const outer = new StepArena();
    expect(useArena(outer)).toBeNull();
    const inner = new StepArena();
    expect(useArena(inner)).toBe(outer);
    expect(useArena(null)).toBe(inner);
    const a = allocate('float32', 2);
    outer.recycle();
    inner.recycle();
    expect(allocate('float32', 2)).not.toBe(a);
  });
});
