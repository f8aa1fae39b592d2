import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  CsvUploadQuerySchema,
  DatasetDescriptionSchema,
  DatasetUploadJsonSchema,
  createDatasetSchemas,
} from '../../../src/contracts/dataset.js';
import { DEFAULT_LIMITS } from '../../../src/contracts/limits.js';

function issues(schema: z.ZodType, v: unknown): Array<[string, string]> {
  const r = schema.safeParse(v);
  return r.success ? [] : r.error.issues.map((i) => ['/' + i.path.join('/'), i.message]);
}

describe('dataset schemas', () => {
  it('accepts the api-v1 JSON upload forms', () => {
    expect(
      issues(DatasetUploadJsonSchema, {
        x: [
          [0.5, 1.2],
          [0.1, 0.2],
        ],
        y: [1, 0],
      }),
    ).toEqual([]);
    expect(
      issues(DatasetUploadJsonSchema, {
        x: [[0.5], [0.1]],
        y: [
          [1, 2],
          [3, 4],
        ],
        targetNames: ['a', 'b'],
      }),
    ).toEqual([]);
  });

  it('refuses malformed uploads with paths', () => {
    expect(issues(DatasetUploadJsonSchema, { x: [[1, 2], [3]], y: [1, 2] })).toEqual([
      ['/x/1', 'x is not rectangular: row 1 has 1 value, row 0 has 2'],
    ]);
    expect(issues(DatasetUploadJsonSchema, { x: [[1]], y: [1, 2] })).toEqual([
      ['/y', 'y has 2 rows but x has 1'],
    ]);
    expect(issues(DatasetUploadJsonSchema, { x: [[1]], y: [1], featureNames: ['a', 'b'] })).toEqual([
      ['/featureNames', 'featureNames has 2 names but x has 1 column'],
    ]);
    expect(issues(DatasetUploadJsonSchema, { x: [[1]], y: [1], extra: 1 })[0][1]).toContain('extra');
    const small = createDatasetSchemas({ ...DEFAULT_LIMITS, maxDatasetRows: 1 }).DatasetUploadJsonSchema;
    expect(issues(small, { x: [[1], [2]], y: [1, 2] })).toEqual([
      ['/x', 'x has 2 rows; the limit is 1 (DESCENT_LIMIT_MAX_DATASET_ROWS raises it)'],
    ]);
  });

  it('describes an uploaded dataset', () => {
    const d = DatasetDescriptionSchema.parse({
      id: 'ds_abc',
      rows: 3,
      features: 2,
      targets: 1,
      sha256: 'a'.repeat(64),
      createdAt: '2026-11-26T06:00:00.000Z',
      labels: { integer: true, min: 0, max: 1 },
    });
    expect(d.object).toBe('dataset');
    expect(issues(DatasetDescriptionSchema, { ...d, id: '12' })[0][0]).toBe('/id');
    expect(issues(CsvUploadQuerySchema, { target: 'label' })).toEqual([]);
  });
});
