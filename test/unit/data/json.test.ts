import { describe, expect, it } from 'vitest';
import { DatasetError, parseJsonDataset } from '../../../src/data/index.js';

function refusal(obj: unknown, opts = {}): [string, string, string | undefined] {
  try {
    parseJsonDataset(obj, opts);
  } catch (e) {
    if (e instanceof DatasetError) return [e.code, e.message, e.column];
    throw e;
  }
  throw new Error('expected a DatasetError');
}

describe('parseJsonDataset', () => {
  it('builds row-major arrays from a flat y', () => {
    const ds = parseJsonDataset({ x: [[1, 2], [3, 4], [5, 6]], y: [0, 1, 0] });
    expect(ds).toEqual({
      name: 'json',
      x: new Float64Array([1, 2, 3, 4, 5, 6]),
      y: new Float64Array([0, 1, 0]),
      rows: 3,
      features: 2,
      targets: 1,
    });
  });

  it('takes y as rows of several targets, and names', () => {
    const ds = parseJsonDataset(
      { x: [[1], [2]], y: [[1, 2], [3, 4]], featureNames: ['a'], targetNames: ['u', 'v'] },
      { name: 'mine' },
    );
    expect(ds.targets).toBe(2);
    expect(Array.from(ds.y)).toEqual([1, 2, 3, 4]);
    expect(ds.featureNames).toEqual(['a']);
    expect(ds.targetNames).toEqual(['u', 'v']);
    expect(ds.name).toBe('mine');
  });

  it.each([
    [null, 'a JSON dataset is an object { "x": [[…]], "y": […] }'],
    [[], 'a JSON dataset is an object { "x": [[…]], "y": […] }'],
    [{ x: [[1]], y: [1], z: 1 }, 'unknown key "z" (expected x, y, featureNames, targetNames)'],
    [{ x: 1, y: [1] }, 'x must be an array of rows (number[][])'],
    [{ x: [[1]] }, 'y must be an array (number[] or number[][])'],
    [{ x: [], y: [] }, 'x has no rows'],
    [{ x: [[1], [2]], y: [1] }, 'y has 1 row but x has 2'],
    [{ x: [1, 2], y: [1, 2] }, 'x[0] must be an array of numbers'],
    [{ x: [[]], y: [1] }, 'x[0] has no features'],
    [{ x: [[1, 2], [3]], y: [1, 2] }, 'x is not rectangular: x[1] has 1 value, x[0] has 2'],
    [{ x: [[1, 2], [3, '4']], y: [1, 2] }, 'x[1][1] is not a finite number'],
    [{ x: [[1], [2]], y: [1, null] }, 'y[1] is not a finite number'],
    [{ x: [[1], [2]], y: [[1], [2, 3]] }, 'y is not rectangular: y[1] has 2 values, y[0] has 1'],
    [{ x: [[1], [2]], y: [[1], [NaN]] }, 'y[1][0] is not a finite number'],
    [{ x: [[1]], y: [[]] }, 'y[0] has no targets'],
    [{ x: [[1]], y: [1], featureNames: ['a', 'b'] }, 'featureNames has 2 names but the data has 1 column'],
    [{ x: [[1]], y: [1], targetNames: [3] }, 'targetNames must be an array of strings'],
  ])('refuses %j', (obj, message) => {
    expect(refusal(obj)[1]).toBe(message);
    expect(refusal(obj)[0]).toBe('INVALID_DATASET');
  });

  it('gives a JSON pointer to the bad value', () => {
    try {
      parseJsonDataset({ x: [[1, 2], [3, 'a']], y: [1, 2] });
    } catch (e) {
      expect((e as DatasetError).pointer).toBe('/x/1/1');
      expect((e as DatasetError).column).toBe('x[1][1]');
      return;
    }
    throw new Error('expected a refusal');
  });

  it('enforces row and column limits', () => {
    expect(refusal({ x: [[1], [2], [3]], y: [1, 2, 3] }, { maxRows: 2 })).toEqual(['TOO_LARGE', 'x has 3 rows; the limit is 2', 'x']);
    expect(refusal({ x: [[1, 2]], y: [[1, 2]] }, { maxColumns: 3 })).toEqual([
      'TOO_LARGE',
      'the data has 4 columns; the limit is 3',
      undefined,
    ]);
  });
});
