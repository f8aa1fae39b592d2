/** src/data and src/contracts share src/catalog/datasets.ts; what is derived on each side (labels from the loaded rows, the list schema, the validation row count) is checked here. */
import { describe, expect, it } from 'vitest';
import { BuiltinDatasetListSchema } from '../../../src/contracts/dataset.js';
import { BUILTIN_DATASETS, BUILTIN_DATASET_NAMES, JobSpecSchema, validationRows } from '../../../src/contracts/job-spec.js';
import { DEFAULT_LIMITS } from '../../../src/contracts/limits.js';
import {
  BUILTIN_NAMES,
  DEFAULT_DATASET_LIMITS,
  datasetShape,
  listBuiltins,
  loadBuiltin,
  validationRowCount,
} from '../../../src/data/index.js';

describe('data and contracts agree', () => {
  it('on the built-in names, shapes, tasks, labels and descriptions', () => {
    expect([...BUILTIN_NAMES]).toEqual([...BUILTIN_DATASET_NAMES]);
    for (const info of listBuiltins()) {
      const c = BUILTIN_DATASETS[info.name];
      expect({ rows: info.rows, features: info.features, targets: info.targets, task: info.task, classes: info.classes }).toEqual({
        rows: c.rows,
        features: c.features,
        targets: c.targets,
        task: c.task,
        classes: c.classes,
      });
      expect(info.description).toBe(c.description);
      expect(info.input).toEqual([...c.input]);
      const shape = datasetShape(loadBuiltin(info.name));
      if (info.task === 'classification') expect(shape.labels).toEqual(c.labels);
      else expect(shape.labels.integer).toBe(false);
    }
  });

  it('on the list response schema', () => {
    expect(BuiltinDatasetListSchema.safeParse({ data: listBuiltins() }).success).toBe(true);
  });

  it('on the validation row count', () => {
    for (let rows = 1; rows <= 200; rows += 7) {
      for (const f of [0, 0.05, 0.1, 0.2, 1 / 3, 0.5, 0.9, 0.99]) expect(validationRowCount(rows, f)).toBe(validationRows(rows, f));
    }
  });

  it('on the upload limits', () => {
    expect(DEFAULT_DATASET_LIMITS.maxRows).toBe(DEFAULT_LIMITS.maxDatasetRows);
    expect(DEFAULT_DATASET_LIMITS.maxBytes).toBe(DEFAULT_LIMITS.maxDatasetBytes);
    expect(DEFAULT_DATASET_LIMITS.maxColumns).toBe(DEFAULT_LIMITS.maxFeatures + DEFAULT_LIMITS.maxTargets);
  });

  it('every built-in trains with a fitting loss', () => {
    for (const info of listBuiltins()) {
      const loss = info.task === 'regression' ? 'mse' : 'cross_entropy';
      expect(JobSpecSchema.safeParse({ model: { type: 'linear' }, data: { builtin: info.name }, loss }).success).toBe(true);
    }
  });
});
