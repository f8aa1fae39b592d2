/**
 * The built-in `digits` is scikit-learn's load_digits(), value for value. Fixture:
 * test/golden/fixtures/digits.json, written by scripts/fixtures/digits_fixtures.py with Debian's
 * python3-sklearn; its SHA-256 covers every pixel and label as text (64 pixels, the label, one line
 * per row), so one wrong value anywhere fails it.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BUILTIN_DATASETS } from '../../../src/catalog/datasets.js';
import { listBuiltins, loadBuiltin } from '../../../src/data/index.js';

interface DigitsFixture {
  rows: number;
  features: number;
  classCounts: number[];
  classPixelSums: number[];
  firstRow: number[];
  firstLabels: number[];
  sha256: string;
}

const fixture = JSON.parse(
  readFileSync(new URL('../../golden/fixtures/digits.json', import.meta.url), 'utf8'),
) as DigitsFixture;

describe('built-in digits', () => {
  const ds = loadBuiltin('digits');

  it('has sklearn’s 1,797 rows of 64 pixels and its class counts', () => {
    expect([ds.rows, ds.features, ds.targets, ds.classes]).toEqual([fixture.rows, fixture.features, 1, 10]);
    expect([ds.rows, ds.features]).toEqual([1797, 64]);
    const counts = new Array<number>(10).fill(0);
    const pixelSums = new Array<number>(10).fill(0);
    for (let i = 0; i < ds.rows; i++) {
      counts[ds.y[i]]++;
      for (let j = 0; j < 64; j++) pixelSums[ds.y[i]] += ds.x[i * 64 + j];
    }
    expect(counts).toEqual(fixture.classCounts);
    expect(pixelSums).toEqual(fixture.classPixelSums);
    expect(Array.from(ds.x.subarray(0, 64))).toEqual(fixture.firstRow);
    expect(Array.from(ds.y.subarray(0, 20))).toEqual(fixture.firstLabels);
  });

  it('hashes to the SHA-256 of load_digits() (every pixel and label, in sklearn’s order)', () => {
    let text = '';
    for (let i = 0; i < ds.rows; i++) text += [...ds.x.subarray(i * 64, (i + 1) * 64), ds.y[i]].join(',') + '\n';
    expect(createHash('sha256').update(text).digest('hex')).toBe(fixture.sha256);
  });

  it('holds pixel counts 0–16 and lists input [1, 8, 8], its source and CC BY 4.0', () => {
    expect(ds.x.every((v) => Number.isInteger(v) && v >= 0 && v <= 16)).toBe(true);
    expect(Math.max(...ds.x)).toBe(16);
    const info = listBuiltins().find((d) => d.name === 'digits')!;
    expect(info).toMatchObject({ input: [1, 8, 8], license: 'CC BY 4.0', classes: 10, task: 'classification' });
    expect(info.source).toMatch(/Alpaydin.*Kaynak.*UCI/);
    expect(info.featureNames.slice(0, 2).concat(info.featureNames.slice(-1))).toEqual(['pixel_0_0', 'pixel_0_1', 'pixel_7_7']);
    expect(BUILTIN_DATASETS.digits.labels).toEqual({ integer: true, min: 0, max: 9 });
  });
});
