/**
 * Built-in datasets. Generated sets are seeded and fixed (seed 0 unless asked otherwise), so a job on a
 * built-in dataset sees the same rows on every machine; `training.seed` does not change them.
 */
import { createRng, permutation, type Rng } from '../rng/rng.js';
import {
  BUILTIN_DATASET_NAMES,
  BUILTIN_DATASETS,
  type BuiltinDatasetName,
} from '../catalog/datasets.js';
import { IRIS_ROWS } from './iris.js';
import { DIGITS_ROWS } from './digits.js';
import { SUNSPOTS_YEARLY } from './sunspots.js';
import {
  SINE_FORECAST_GENERATOR,
  SUNSPOTS_WINDOWS,
  contains101,
  sineForecast,
  slidingWindows,
  sortedTokens,
} from './sequences.js';
import type { Dataset, DatasetArrays } from './types.js';

/** Names of the built-in datasets (src/catalog/datasets.ts). */
export const BUILTIN_NAMES = BUILTIN_DATASET_NAMES;
export type BuiltinName = BuiltinDatasetName;

/** What `GET /v1/datasets/builtin` lists for each built-in dataset. */
export interface BuiltinInfo {
  name: BuiltinName;
  rows: number;
  features: number;
  targets: number;
  task: 'classification' | 'regression';
  /** Class count for classification sets. */
  classes?: number;
  /** Names of the classes 0, 1, … when they have names. */
  classNames?: string[];
  featureNames: string[];
  targetNames: string[];
  description: string;
  /** Suggested `model.input` of a `sequential` model (the shape of one row). */
  input: number[];
  /** Citation of real data, or the generator of synthetic data. */
  source: string;
  /** Licence of the data (src/data/NOTICE.md for the real sets). */
  license: string;
}

/** Options of the generated sets (ignored by iris, xor, digits and sunspots, which are fixed data). */
export interface BuiltinOptions {
  /** Seed of the generator (default 0). */
  seed?: number;
  /** Rows to generate (default: the listed size). */
  rows?: number;
  /** Noise standard deviation (default: the listed one). */
  noise?: number;
}

/**
 * The true model behind `linear_regression`: y = x·weights + bias + ε, x ~ N(0, 1), ε ~ N(0, noise²).
 * A least-squares fit on the 500 rows recovers the coefficients to about ±0.01.
 */
export const LINEAR_REGRESSION_TRUTH = Object.freeze({
  weights: Object.freeze([2, -3, 0.5, 1, -1.5]) as readonly number[],
  bias: 0.7,
  noise: 0.1,
});

/**
 * The true model behind `sensitivity`: y = 3·x0 − 2·x2² + ε with x ~ U(−1, 1) over 5 features and
 * ε ~ N(0, noise²). Only features 0 and 2 matter; features 1, 3 and 4 are pure distractors.
 */
export const SENSITIVITY_TRUTH = Object.freeze({
  relevantFeatures: Object.freeze([0, 2]) as readonly number[],
  noise: 0.05,
  f: (x: ArrayLike<number>): number => 3 * x[0] - 2 * x[2] * x[2],
});

const INFO = BUILTIN_DATASETS;

/** The built-in datasets with their shapes and task. */
export function listBuiltins(): BuiltinInfo[] {
  return BUILTIN_NAMES.map((name) => {
    const { labels: _, featureNames, targetNames, classNames, input, ...rest } = INFO[name];
    return {
      name,
      ...rest,
      input: [...input],
      featureNames: [...featureNames],
      targetNames: [...targetNames],
      ...(classNames ? { classNames: [...classNames] } : {}),
    };
  });
}

/** True when `name` is a built-in dataset. */
export function isBuiltinName(name: string): name is BuiltinName {
  return (BUILTIN_NAMES as readonly string[]).includes(name);
}

/** Load a built-in dataset. Throws a RangeError for an unknown name. */
export function loadBuiltin(name: string, opts: BuiltinOptions = {}): Dataset {
  if (!isBuiltinName(name)) throw new RangeError(`unknown built-in dataset "${name}"; known: ${BUILTIN_NAMES.join(', ')}`);
  const rng = createRng(opts.seed ?? 0);
  const rows = opts.rows ?? INFO[name].rows;
  if (!Number.isInteger(rows) || rows < 1) throw new RangeError(`rows must be an integer ≥ 1 (got ${rows})`);
  const base = {
    name,
    featureNames: [...INFO[name].featureNames],
    targetNames: [...INFO[name].targetNames],
    ...(INFO[name].classes !== undefined ? { classes: INFO[name].classes } : {}),
  };
  switch (name) {
    case 'iris':
      return { ...base, ...iris() };
    case 'xor':
      return { ...base, ...fromRows([[0, 0, 0], [0, 1, 1], [1, 0, 1], [1, 1, 0]], 2) };
    case 'xor_noisy':
      return { ...base, ...xorNoisy(rows, opts.noise ?? 0.1, rng) };
    case 'two_moons':
      return { ...base, ...twoMoons(rows, opts.noise ?? 0.1, rng) };
    case 'linear_regression':
      return { ...base, ...linearRegression(rows, opts.noise ?? LINEAR_REGRESSION_TRUTH.noise, rng) };
    case 'sensitivity':
      return { ...base, ...sensitivity(rows, opts.noise ?? SENSITIVITY_TRUTH.noise, rng) };
    case 'digits':
      return { ...base, ...digits() };
    case 'sine_forecast':
      return { ...base, ...sineForecast(rows, opts.noise ?? SINE_FORECAST_GENERATOR.noise, rng) };
    case 'sunspots':
      // left in time order, so the rows read as the series does; the validation split draws rows at
      // random, and overlapping windows then share years across it (a held-out tail is the strict test)
      return { ...base, ...slidingWindows(SUNSPOTS_YEARLY, SUNSPOTS_WINDOWS.window, SUNSPOTS_WINDOWS.scale) };
    case 'contains_101':
      return { ...base, ...shuffled(contains101(rows, rng), rng) };
    case 'sorted_tokens':
      return { ...base, ...shuffled(sortedTokens(rows, rng), rng) };
  }
}

type Arrays = DatasetArrays;

function fromRows(rows: readonly (readonly number[])[], features: number): Arrays {
  const n = rows.length;
  const x = new Float64Array(n * features);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < features; j++) x[i * features + j] = rows[i][j];
    y[i] = rows[i][features];
  }
  return { x, y, rows: n, features, targets: 1 };
}

function iris(): Arrays {
  return fromRows(IRIS_ROWS, 4);
}

/** Decode src/data/digits.ts: per row 64 base-17 pixel digits, then the class digit; kept in the file's order. */
function digits(): Arrays {
  const f = 64;
  const n = DIGITS_ROWS.length;
  const x = new Float64Array(n * f);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = DIGITS_ROWS[i];
    // '0'-'9' → 0-9, 'a'-'g' → 10-16 (char codes: a lookup, not parseInt, on 115,008 characters)
    for (let j = 0; j < f; j++) {
      const c = r.charCodeAt(j);
      x[i * f + j] = c >= 97 ? c - 87 : c - 48;
    }
    y[i] = r.charCodeAt(f) - 48;
  }
  return { x, y, rows: n, features: f, targets: 1 };
}

/** Reorder the rows of (x, y) by a seeded permutation so unshuffled training does not see one class at a time. */
function shuffled(a: Arrays, rng: Rng): Arrays {
  const p = permutation(a.rows, rng);
  const x = new Float64Array(a.x.length);
  const y = new Float64Array(a.y.length);
  for (let i = 0; i < a.rows; i++) {
    const s = p[i];
    x.set(a.x.subarray(s * a.features, (s + 1) * a.features), i * a.features);
    y.set(a.y.subarray(s * a.targets, (s + 1) * a.targets), i * a.targets);
  }
  return { ...a, x, y };
}

function xorNoisy(rows: number, noise: number, rng: Rng): Arrays {
  const x = new Float64Array(rows * 2);
  const y = new Float64Array(rows);
  const corners = [
    [0, 0, 0],
    [0, 1, 1],
    [1, 0, 1],
    [1, 1, 0],
  ];
  for (let i = 0; i < rows; i++) {
    const c = corners[Math.floor((i * 4) / rows)];
    x[2 * i] = c[0] + noise * rng.normal();
    x[2 * i + 1] = c[1] + noise * rng.normal();
    y[i] = c[2];
  }
  return shuffled({ x, y, rows, features: 2, targets: 1 }, rng);
}

/**
 * sklearn.datasets.make_moons: the outer moon (label 0) is (cos t, sin t) for t in linspace(0, π, ⌊n/2⌋),
 * the inner moon (label 1) is (1 − cos t, 1 − sin t − 0.5) for the other ⌈n/2⌉ points; Gaussian noise
 * of standard deviation `noise` is added to every coordinate.
 */
function twoMoons(rows: number, noise: number, rng: Rng): Arrays {
  const nOut = Math.floor(rows / 2);
  const nIn = rows - nOut;
  const x = new Float64Array(rows * 2);
  const y = new Float64Array(rows);
  const lin = (k: number, n: number) => (n === 1 ? 0 : (Math.PI * k) / (n - 1));
  for (let k = 0; k < nOut; k++) {
    const t = lin(k, nOut);
    x[2 * k] = Math.cos(t);
    x[2 * k + 1] = Math.sin(t);
    y[k] = 0;
  }
  for (let k = 0; k < nIn; k++) {
    const t = lin(k, nIn);
    const i = nOut + k;
    x[2 * i] = 1 - Math.cos(t);
    x[2 * i + 1] = 1 - Math.sin(t) - 0.5;
    y[i] = 1;
  }
  for (let i = 0; i < x.length; i++) x[i] += noise * rng.normal();
  return shuffled({ x, y, rows, features: 2, targets: 1 }, rng);
}

function linearRegression(rows: number, noise: number, rng: Rng): Arrays {
  const { weights, bias } = LINEAR_REGRESSION_TRUTH;
  const f = weights.length;
  const x = new Float64Array(rows * f);
  const y = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = bias;
    for (let j = 0; j < f; j++) {
      const v = rng.normal();
      x[i * f + j] = v;
      s += v * weights[j];
    }
    y[i] = s + noise * rng.normal();
  }
  return { x, y, rows, features: f, targets: 1 };
}

function sensitivity(rows: number, noise: number, rng: Rng): Arrays {
  const f = 5;
  const x = new Float64Array(rows * f);
  const y = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < f; j++) x[i * f + j] = rng.uniform(-1, 1);
    y[i] = SENSITIVITY_TRUTH.f(x.subarray(i * f, (i + 1) * f)) + noise * rng.normal();
  }
  return { x, y, rows, features: f, targets: 1 };
}
