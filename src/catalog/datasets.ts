/**
 * The built-in datasets: names, shapes, tasks, labels, column names and descriptions. The one
 * source for the job contract (what `data.builtin` accepts and the shape validation checks a spec
 * against, without loading the data) and for src/data (which generates the rows and lists them in
 * `GET /v1/datasets/builtin`). Plain data; imports nothing.
 */

/** Names of the built-in datasets (`data.builtin`). */
export const BUILTIN_DATASET_NAMES = [
  'iris',
  'xor',
  'xor_noisy',
  'two_moons',
  'linear_regression',
  'sensitivity',
] as const;
export type BuiltinDatasetName = (typeof BUILTIN_DATASET_NAMES)[number];

/** Iris's four feature columns, in order. */
export const IRIS_FEATURE_NAMES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'] as const;
/** Iris's classes 0, 1, 2. */
export const IRIS_CLASS_NAMES = ['setosa', 'versicolor', 'virginica'] as const;

/** What is known of a built-in dataset before it is loaded. */
export interface BuiltinDatasetInfo {
  rows: number;
  features: number;
  /** Target columns. */
  targets: number;
  task: 'classification' | 'regression';
  /** Class count of a classification set. */
  classes?: number;
  /** Every target an integer, and the smallest and largest target. */
  labels: { integer: boolean; min: number; max: number };
  featureNames: readonly string[];
  targetNames: readonly string[];
  /** Names of the classes 0, 1, … when they have names. */
  classNames?: readonly string[];
  description: string;
}

/** 500 rows of five real features and a real target: linear_regression, sensitivity. */
const FIVE_REAL = {
  rows: 500,
  features: 5,
  targets: 1,
  task: 'regression',
  labels: { integer: false, min: -Infinity, max: Infinity },
  featureNames: ['x0', 'x1', 'x2', 'x3', 'x4'],
  targetNames: ['y'],
} as const;
/** Two features in the plane, labels 0/1: xor, xor_noisy, two_moons. */
const PLANE_BINARY = {
  features: 2,
  targets: 1,
  task: 'classification',
  classes: 2,
  labels: { integer: true, min: 0, max: 1 },
  featureNames: ['x1', 'x2'],
  targetNames: ['label'],
} as const;

export const BUILTIN_DATASETS: Readonly<Record<BuiltinDatasetName, BuiltinDatasetInfo>> = {
  iris: {
    rows: 150,
    features: 4,
    targets: 1,
    task: 'classification',
    classes: 3,
    labels: { integer: true, min: 0, max: 2 },
    featureNames: IRIS_FEATURE_NAMES,
    targetNames: ['species'],
    classNames: IRIS_CLASS_NAMES,
    description:
      "Fisher's iris: sepal length, sepal width, petal length, petal width (cm); class 0 setosa, 1 versicolor, 2 virginica.",
  },
  xor: {
    ...PLANE_BINARY,
    rows: 4,
    description: 'The four XOR points (0,0)→0, (0,1)→1, (1,0)→1, (1,1)→0.',
  },
  xor_noisy: {
    ...PLANE_BINARY,
    rows: 200,
    description: 'XOR corners with seeded Gaussian jitter (σ 0.1), 50 points per corner, shuffled.',
  },
  two_moons: {
    ...PLANE_BINARY,
    rows: 200,
    description:
      'Two interleaving half circles (like sklearn.make_moons) with seeded Gaussian noise σ 0.1, shuffled.',
  },
  linear_regression: {
    ...FIVE_REAL,
    description:
      'y = x·w + b + ε with known w = [2, -3, 0.5, 1, -1.5], b = 0.7, x ~ N(0, 1), ε ~ N(0, 0.1²).',
  },
  sensitivity: {
    ...FIVE_REAL,
    description: 'y = 3·x0 − 2·x2² + ε: only features 0 and 2 matter; x ~ U(−1, 1), ε ~ N(0, 0.05²).',
  },
};
