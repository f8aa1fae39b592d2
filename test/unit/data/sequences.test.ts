/**
 * The sequence built-ins (src/data/sequences.ts): sine_forecast, sunspots, contains_101 and
 * sorted_tokens. Seeded sets are the same bytes for the same seed (pinned SHA-256 of the float64
 * arrays, little-endian, so a change to a generator shows), have the listed shapes, balanced
 * classes and labels that follow their rule; sunspots is the NOAA series in windows.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { listBuiltins, loadBuiltin, type Dataset } from '../../../src/data/index.js';
import { SUNSPOTS_FIRST_YEAR, SUNSPOTS_YEARLY } from '../../../src/data/sunspots.js';
import { SINE_FORECAST_GENERATOR, SUNSPOTS_WINDOWS } from '../../../src/data/sequences.js';

function bytesHash(ds: Dataset): string {
  return createHash('sha256').update(new Uint8Array(ds.x.buffer)).update(new Uint8Array(ds.y.buffer)).digest('hex');
}

function row(ds: Dataset, i: number): number[] {
  return Array.from(ds.x.subarray(i * ds.features, (i + 1) * ds.features));
}

function counts(ds: Dataset): Record<number, number> {
  const c: Record<number, number> = {};
  for (const v of ds.y) c[v] = (c[v] ?? 0) + 1;
  return c;
}

const SEEDED = ['sine_forecast', 'contains_101', 'sorted_tokens'] as const;

/** SHA-256 of x then y (float64 bytes) with the default seed 0. */
const PINNED: Record<string, string> = {
  sine_forecast: '60540e62e00183da35040432ed28cae8c8c1ce462b7e306ce8625a1610582eaf',
  sunspots: '7cde931553a18fe5301c740fee612734a07ad39d0ab6a1dffb06f2143091b839',
  contains_101: 'fc772ba4b517c445e2aa24e128a621b7daa7a686091f63d3a79377cbe02c68d0',
  sorted_tokens: '79090f3375b3bff6168b1c38c7d346fe50f592afcbe118dc5caf981cf5eaf80a',
};

describe('sequence built-ins', () => {
  it('are the same bytes for the same seed, pinned, and follow their seed', () => {
    for (const [name, hash] of Object.entries(PINNED)) {
      expect(bytesHash(loadBuiltin(name)), name).toBe(hash);
      expect(bytesHash(loadBuiltin(name, { seed: 0 })), name).toBe(hash);
    }
    for (const name of SEEDED) {
      expect(bytesHash(loadBuiltin(name, { seed: 7 }))).toBe(bytesHash(loadBuiltin(name, { seed: 7 })));
      expect(bytesHash(loadBuiltin(name, { seed: 7 }))).not.toBe(PINNED[name]);
      const small = loadBuiltin(name, { rows: 33 });
      expect([small.rows, small.x.length]).toEqual([33, 33 * small.features]);
    }
  });

  it('list a sequential input shape whose size is the row width, a source and a licence', () => {
    const want: Record<string, number[]> = {
      sine_forecast: [20, 1],
      sunspots: [20, 1],
      contains_101: [16, 1],
      sorted_tokens: [8],
      digits: [1, 8, 8],
    };
    for (const info of listBuiltins()) {
      expect(info.input.reduce((a, b) => a * b, 1), info.name).toBe(info.features);
      expect(info.source.length, info.name).toBeGreaterThan(10);
      expect(info.license.length, info.name).toBeGreaterThan(2);
      if (want[info.name]) expect(info.input, info.name).toEqual(want[info.name]);
    }
    const byName = Object.fromEntries(listBuiltins().map((d) => [d.name, d]));
    expect(byName.sunspots.license).toBe('public domain');
    expect(byName.sunspots.source).toMatch(/NOAA/);
    for (const name of SEEDED) expect(byName[name].license).toMatch(/^MIT/);
  });

  it('sine_forecast: 20 past values of a noisy sine → the next; noise 0 lies on one sine per window', () => {
    const ds = loadBuiltin('sine_forecast');
    expect([ds.rows, ds.features, ds.targets]).toEqual([1000, 20, 1]);
    expect(SINE_FORECAST_GENERATOR).toEqual({ window: 20, periodMin: 12, periodMax: 24, noise: 0.05 });
    const clean = loadBuiltin('sine_forecast', { noise: 0 });
    for (let i = 0; i < clean.rows; i++) {
      const v = [...row(clean, i), clean.y[i]];
      // a sampled sine obeys v[k+1] = 2cos(ω)·v[k] − v[k−1]; ω from the first triple that allows it
      let c = NaN;
      for (let k = 1; k < 20 && !Number.isFinite(c); k++) if (Math.abs(v[k]) > 0.3) c = (v[k + 1] + v[k - 1]) / (2 * v[k]);
      const period = (2 * Math.PI) / Math.acos(c);
      expect(period).toBeGreaterThanOrEqual(12 - 1e-6);
      expect(period).toBeLessThanOrEqual(24 + 1e-6);
      for (let k = 1; k < 20; k++) expect(v[k + 1]).toBeCloseTo(2 * c * v[k] - v[k - 1], 9);
    }
    // the noisy set is the clean one plus N(0, 0.05²) when the draws line up: check the spread instead
    let ss = 0;
    let n = 0;
    for (let i = 0; i < ds.rows; i++) {
      const v = [...row(ds, i), ds.y[i]];
      for (let k = 1; k < 20; k++) {
        ss += (v[k + 1] - v[k] * 2 + v[k - 1]) ** 2;
        n++;
      }
    }
    // second differences of sin are ≤ (2π/12)² ≈ 0.27 in size; noise adds 6σ² = 0.015 to their mean square
    expect(ss / n).toBeGreaterThan(0.015);
    expect(ss / n).toBeLessThan(0.06);
  });

  it('sunspots: the NOAA yearly series 1700–2008, /100, 20 years → the next, in time order', () => {
    expect(SUNSPOTS_YEARLY).toHaveLength(309);
    expect(SUNSPOTS_FIRST_YEAR).toBe(1700);
    // statsmodels' sunspots.csv: 5, 11, 16 … 7.5, 2.9; sum 15,373.4; peak 190.2 (1957)
    expect(SUNSPOTS_YEARLY.slice(0, 3)).toEqual([5, 11, 16]);
    expect(SUNSPOTS_YEARLY.slice(-2)).toEqual([7.5, 2.9]);
    expect(SUNSPOTS_YEARLY.reduce((a, b) => a + b, 0)).toBeCloseTo(15373.4, 6);
    expect(SUNSPOTS_YEARLY.indexOf(Math.max(...SUNSPOTS_YEARLY)) + 1700).toBe(1957);
    const ds = loadBuiltin('sunspots');
    expect([ds.rows, ds.features, ds.targets]).toEqual([289, 20, 1]);
    expect(SUNSPOTS_WINDOWS).toEqual({ window: 20, scale: 100 });
    for (let i = 0; i < ds.rows; i++) {
      expect(row(ds, i)).toEqual(SUNSPOTS_YEARLY.slice(i, i + 20).map((v) => v / 100));
      expect(ds.y[i]).toBe(SUNSPOTS_YEARLY[i + 20] / 100);
    }
    expect(ds.y[ds.rows - 1]).toBeCloseTo(0.029, 15); // 2008: 2.9
  });

  it('contains_101: 500 per class, distinct sequences of 16 bits, label = 1,0,1 occurs', () => {
    const ds = loadBuiltin('contains_101');
    expect([ds.rows, ds.features, ds.classes]).toEqual([1000, 16, 2]);
    expect(counts(ds)).toEqual({ 0: 500, 1: 500 });
    const seen = new Set<string>();
    for (let i = 0; i < ds.rows; i++) {
      const bits = row(ds, i).join('');
      expect(bits).toMatch(/^[01]{16}$/);
      expect(ds.y[i]).toBe(bits.includes('101') ? 1 : 0);
      seen.add(bits);
    }
    expect(seen.size).toBe(1000);
    expect(counts(loadBuiltin('contains_101', { rows: 7 }))).toEqual({ 0: 3, 1: 4 });
    expect(() => loadBuiltin('contains_101', { rows: 20_000 })).toThrow(/rows must be ≤ 16384/);
    // shuffled: the first 100 rows are not one class
    const head = Array.from(ds.y.subarray(0, 100)).reduce((a, b) => a + b, 0);
    expect(head).toBeGreaterThan(30);
    expect(head).toBeLessThan(70);
  });

  it('sorted_tokens: 500 per class, 8 ids in 0–9, label 1 exactly when non-decreasing', () => {
    const ds = loadBuiltin('sorted_tokens');
    expect([ds.rows, ds.features, ds.classes]).toEqual([1000, 8, 2]);
    expect(counts(ds)).toEqual({ 0: 500, 1: 500 });
    const idCount = [new Array<number>(10).fill(0), new Array<number>(10).fill(0)];
    for (let i = 0; i < ds.rows; i++) {
      const ids = row(ds, i);
      expect(ids.every((v) => Number.isInteger(v) && v >= 0 && v <= 9)).toBe(true);
      const sorted = ids.every((v, k) => k === 0 || v >= ids[k - 1]);
      expect(ds.y[i]).toBe(sorted ? 1 : 0);
      for (const v of ids) idCount[ds.y[i]][v]++;
    }
    // both classes draw their ids alike (4,000 ids each, 400 expected per id): only the order differs
    for (const c of idCount) for (const n of c) expect(Math.abs(n - 400)).toBeLessThan(90);
    expect(counts(loadBuiltin('sorted_tokens', { rows: 9 }))).toEqual({ 0: 4, 1: 5 });
  });
});
