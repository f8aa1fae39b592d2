import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  batchRanges,
  epochOrder,
  gatherBatch,
  gatherRows,
  loadBuiltin,
  selectRows,
  splitValidation,
  validationRowCount,
} from '../../../src/data/index.js';
import { createRng } from '../../../src/rng/rng.js';

/** A dataset whose x row i is [i, 10·i] and y row i is i, so rows can be traced. */
function traceable(rows: number) {
  const x = new Float64Array(rows * 2);
  const y = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    x[2 * i] = i;
    x[2 * i + 1] = 10 * i;
    y[i] = i;
  }
  return { name: 't', x, y, rows, features: 2, targets: 1 };
}

describe('splitValidation', () => {
  it('holds out ⌈rows·fraction⌉ shuffled rows; train and val partition the rows', () => {
    const ds = traceable(150);
    const { train, val } = splitValidation(ds, 0.2, createRng(7));
    expect(train.rows).toBe(120);
    expect(val!.rows).toBe(30);
    const ids = [...train.y, ...val!.y].sort((a, b) => a - b);
    expect(ids).toEqual(Array.from({ length: 150 }, (_, i) => i));
    for (const part of [train, val!]) {
      for (let i = 0; i < part.rows; i++) expect(part.x[2 * i + 1]).toBe(10 * part.y[i]);
    }
    // Shuffled, not the last 30 rows in file order.
    expect(Array.from(val!.y)).not.toEqual(Array.from({ length: 30 }, (_, i) => 120 + i));
    expect(train.name).toBe('t:train');
    expect(val!.name).toBe('t:val');
  });

  it('is deterministic for a seed and different across seeds', () => {
    const ds = loadBuiltin('iris');
    const a = splitValidation(ds, 0.25, createRng(3));
    const b = splitValidation(ds, 0.25, createRng(3));
    const c = splitValidation(ds, 0.25, createRng(4));
    expect(a.val!.x).toEqual(b.val!.x);
    expect(a.train.y).toEqual(b.train.y);
    expect(a.val!.x).not.toEqual(c.val!.x);
  });

  it('returns the dataset untouched and leaves the generator alone for fraction 0', () => {
    const ds = traceable(10);
    const rng = createRng(1);
    const before = rng.state();
    const { train, val } = splitValidation(ds, 0, rng);
    expect(train).toBe(ds);
    expect(val).toBeNull();
    expect(rng.state()).toEqual(before);
  });

  it('refuses fractions outside [0, 1) and splits that leave no training row', () => {
    expect(() => splitValidation(traceable(5), 1, createRng(0))).toThrow(RangeError);
    expect(() => splitValidation(traceable(5), -0.1, createRng(0))).toThrow(RangeError);
    expect(() => splitValidation(traceable(1), 0.5, createRng(0))).toThrow(/leaves no training rows/);
    expect(validationRowCount(4, 0.2)).toBe(1);
    expect(validationRowCount(30, 0.1)).toBe(3);
  });

  it('selectRows copies rows in the given order', () => {
    const s = selectRows(traceable(5), [4, 0, 4]);
    expect(Array.from(s.y)).toEqual([4, 0, 4]);
    expect(Array.from(s.x)).toEqual([4, 40, 0, 0, 4, 40]);
  });
});

describe('epochOrder', () => {
  it('is the identity without shuffling and does not touch the generator', () => {
    const rng = createRng(5);
    const before = rng.state();
    expect(Array.from(epochOrder(5, false, rng))).toEqual([0, 1, 2, 3, 4]);
    expect(rng.state()).toEqual(before);
  });

  it('is a seeded permutation with shuffling, new every epoch', () => {
    const rng = createRng(5);
    const e1 = epochOrder(50, true, rng);
    const e2 = epochOrder(50, true, rng);
    expect([...e1].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(e1).not.toEqual(e2);
    const again = createRng(5);
    expect(epochOrder(50, true, again)).toEqual(e1);
  });
});

describe('batchRanges', () => {
  it('cuts consecutive ranges with a smaller last one', () => {
    expect(batchRanges(10, 3)).toEqual([
      [0, 3],
      [3, 6],
      [6, 9],
      [9, 10],
    ]);
    expect(batchRanges(10, 'full')).toEqual([[0, 10]]);
    expect(batchRanges(10, 64)).toEqual([[0, 10]]);
    expect(batchRanges(3, 1)).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
    ]);
    expect(batchRanges(0, 4)).toEqual([]);
    expect(() => batchRanges(10, 0)).toThrow(RangeError);
    expect(() => batchRanges(10, 1.5)).toThrow(RangeError);
  });

  it('visits every row exactly once per epoch (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.oneof(fc.integer({ min: 1, max: 400 }), fc.constant<'full'>('full')),
        fc.boolean(),
        fc.integer({ min: 0, max: 2 ** 31 }),
        (rows, batchSize, shuffle, seed) => {
          const order = epochOrder(rows, shuffle, createRng(seed));
          const seen = new Int32Array(rows);
          const ranges = batchRanges(rows, batchSize);
          let expectStart = 0;
          for (const [s, e] of ranges) {
            expect(s).toBe(expectStart);
            expect(e).toBeGreaterThan(s);
            if (batchSize !== 'full') expect(e - s).toBeLessThanOrEqual(batchSize);
            for (let i = s; i < e; i++) seen[order[i]]++;
            expectStart = e;
          }
          expect(expectStart).toBe(rows);
          expect(seen.every((c) => c === 1)).toBe(true);
          const full = batchSize === 'full' ? 1 : Math.ceil(rows / batchSize);
          expect(ranges.length).toBe(full);
        },
      ),
      { numRuns: 200, seed: 42 },
    );
  });
});

describe('gathering rows into reused buffers', () => {
  it('copies the batch rows in order into Float32 or Float64 buffers', () => {
    const ds = traceable(6);
    const order = Int32Array.from([5, 2, 0, 1, 3, 4]);
    const x32 = new Float32Array(3 * 2).fill(-1);
    const y64 = new Float64Array(8).fill(-1);
    expect(gatherBatch(ds, order, 0, 3, x32, y64)).toBe(3);
    expect(Array.from(x32)).toEqual([5, 50, 2, 20, 0, 0]);
    expect(Array.from(y64)).toEqual([5, 2, 0, -1, -1, -1, -1, -1]);
    // The short last batch overwrites only the front of the buffer.
    expect(gatherRows(ds.x, 2, order, 5, 6, x32)).toBe(2);
    expect(Array.from(x32)).toEqual([4, 40, 2, 20, 0, 0]);
    expect(() => gatherRows(ds.x, 2, order, 0, 6, x32)).toThrow(/needs 12/);
  });
});
