/**
 * The table parts of the JobSpec (api-v1.1.md, "Tables"): `data.features` / `data.target`,
 * top-level `preprocess` with its defaults (today's numeric behaviour) and `training.testSplit`,
 * with the messages a client sees.
 */
import { describe, expect, it } from 'vitest';
import { JobSpecSchema, estimateJob, type JobSpecInput } from '../../../src/contracts/job-spec.js';

const table = { model: { type: 'linear' }, data: { datasetId: 'ds_churn' }, loss: 'cross_entropy' } as const;

function issues(input: unknown): Array<[string, string]> {
  const r = JobSpecSchema.safeParse(input);
  if (r.success) return [];
  return r.error.issues.map((i) => ['/' + i.path.join('/'), i.message]);
}

function parse(input: Record<string, unknown>) {
  const s = JobSpecSchema.parse({ ...table, ...input } as JobSpecInput);
  if (s.task !== 'supervised') throw new Error('not supervised');
  return s;
}

describe('preprocess', () => {
  it('defaults keep numeric data as it is: none, onehot, error, error', () => {
    expect(parse({}).preprocess).toEqual({
      numeric: 'none',
      categorical: 'onehot',
      missing: 'error',
      unknownCategory: 'error',
      perColumn: {},
    });
  });
  it('takes every documented choice and per-column overrides', () => {
    const s = parse({
      preprocess: {
        numeric: 'standardize',
        categorical: 'ordinal',
        missing: 'median',
        unknownCategory: 'ignore',
        perColumn: {
          age: { numeric: 'minmax', missing: 'mean' },
          plan: { categorical: 'onehot' },
          'monthly fee': {},
        },
      },
    });
    expect(s.preprocess.perColumn.age).toEqual({ numeric: 'minmax', missing: 'mean' });
    for (const missing of ['error', 'drop', 'mean', 'median', 'most_frequent'])
      expect(issues({ ...table, preprocess: { missing } })).toEqual([]);
  });
  it('refuses unknown choices and keys', () => {
    expect(issues({ ...table, preprocess: { numeric: 'zscore' } })[0][0]).toBe('/preprocess/numeric');
    expect(
      issues({ ...table, preprocess: { perColumn: { age: { unknownCategory: 'ignore' } } } })[0][0],
    ).toBe('/preprocess/perColumn/age');
  });
  it('is not part of the minimize and reinforce tasks', () => {
    expect(
      issues({
        task: 'minimize',
        objective: 'x^2',
        start: { x: 1 },
        optimizer: { type: 'sgd', lr: 0.1 },
        preprocess: {},
      }),
    ).not.toEqual([]);
  });
});

describe('data.features and data.target', () => {
  it('name columns of an uploaded table', () => {
    const s = parse({ data: { datasetId: 'ds_churn', features: ['age', 'plan'], target: 'churned' } });
    expect(s.data).toEqual({ datasetId: 'ds_churn', features: ['age', 'plan'], target: 'churned' });
  });
  it('are refused without datasetId, with the reason', () => {
    expect(issues({ ...table, data: { builtin: 'iris', target: 'species' } })).toEqual([
      [
        '/data/target',
        'data.target names columns of an uploaded table, so it needs data.datasetId (the built-in data has no named columns to choose from)',
      ],
    ]);
    expect(issues({ ...table, data: { inline: { x: [[1]], y: [0] }, features: ['a'] } })).toEqual([
      [
        '/data/features',
        'data.features names columns of an uploaded table, so it needs data.datasetId (the inline data has no named columns to choose from)',
      ],
    ]);
  });
  it('refuses a repeated feature, the target as a feature, and an empty list', () => {
    expect(issues({ ...table, data: { datasetId: 'ds_a', features: ['a', 'b', 'a'], target: 'b' } })).toEqual(
      [
        [
          '/data/features/1',
          'data.features includes the target "b"; a column cannot be both feature and target',
        ],
        ['/data/features/2', 'data.features lists "a" twice'],
      ],
    );
    expect(issues({ ...table, data: { datasetId: 'ds_a', features: [] } })).toEqual([
      [
        '/data/features',
        'data.features needs at least one column (leave it out for every column but the target)',
      ],
    ]);
  });
});

describe('training.testSplit', () => {
  it('defaults to 0 and takes [0, 1)', () => {
    expect(parse({}).training.testSplit).toBe(0);
    expect(parse({ training: { testSplit: 0.2, validationSplit: 0.1 } }).training).toMatchObject({
      testSplit: 0.2,
      validationSplit: 0.1,
    });
    expect(issues({ ...table, training: { testSplit: 1 } })).toEqual([
      ['/training/testSplit', 'testSplit must be in [0, 1)'],
    ]);
    expect(issues({ ...table, training: { testSplit: -0.1 } })).toEqual([
      ['/training/testSplit', 'testSplit must be in [0, 1)'],
    ]);
  });
  it('with validationSplit must leave training rows, naming both values', () => {
    expect(issues({ ...table, training: { validationSplit: 0.6, testSplit: 0.4 } })).toEqual([
      [
        '/training/testSplit',
        'validationSplit (0.6) + testSplit (0.4) must be < 1, or no rows are left for training',
      ],
    ]);
  });
});

describe('training.testSplit against the dataset', () => {
  it('refuses splits that leave no training row, naming both counts', () => {
    expect(
      issues({
        model: { type: 'linear' },
        data: { inline: { x: [[1], [2], [3]], y: [0, 1, 0] } },
        loss: 'cross_entropy',
        training: { validationSplit: 0.4, testSplit: 0.4 },
      }),
    ).toEqual([
      [
        '/training/testSplit',
        'validationSplit 0.4 and testSplit 0.4 leave no training rows out of 3 (2 validation and 2 test rows)',
      ],
    ]);
  });
  it('the estimate counts only training rows', () => {
    const base = { model: { type: 'linear' }, data: { builtin: 'iris' }, loss: 'cross_entropy' } as const;
    const a = estimateJob(JobSpecSchema.parse({ ...base, training: { batchSize: 10 } }), 150, 4, 1);
    const b = estimateJob(
      JobSpecSchema.parse({ ...base, training: { batchSize: 10, validationSplit: 0.2, testSplit: 0.2 } }),
      150,
      4,
      1,
    );
    expect([a.stepsPerEpoch, b.stepsPerEpoch]).toEqual([15, 9]);
  });
});
