/**
 * The shape a typed table trains as, checked when the job is submitted: the feature width after
 * the job's preprocessing (one-hot: one input per category), and a 400 naming the column and the
 * option to set for a missing value the spec would refuse, rather than a job failing in a worker.
 */
import type { DataShape, SupervisedJobSpec } from '../contracts/job-spec.js';
import { ApiError } from '../contracts/problem.js';
import type { DatasetInfo } from '../queue/dataset-store.js';

/** The data shape of `info` (a table with column summaries) for `spec`; throws a 400 ApiError. */
export function tableShape(
  spec: SupervisedJobSpec,
  info: DatasetInfo & { columns: NonNullable<DatasetInfo['columns']> },
): DataShape {
  const id = info.id;
  const names = info.columns.map((c) => c.name);
  const unknown = (n: string, path: string) => {
    const why = `${path.startsWith('/data/target') ? 'data.target' : 'data.features'} names ${JSON.stringify(n)}, which is not a column of dataset ${id}; its columns are ${names.map((k) => JSON.stringify(k)).join(', ')}`;
    return new ApiError('VALIDATION_ERROR', why, [{ path, message: why }]);
  };
  const { features: chosen, target } = spec.data;
  if (target !== undefined && !names.includes(target)) throw unknown(target, '/data/target');
  chosen?.forEach((n, i) => {
    if (!names.includes(n)) throw unknown(n, `/data/features/${i}`);
  });
  // A JSON {x, y} upload stores no target names; its targets are its last `targets` columns (x, then y).
  const uploadTargets = info.targetNames ?? names.slice(names.length - info.targets);
  const targets = new Set(target !== undefined ? [target] : uploadTargets);
  const used = info.columns.filter((c) => targets.has(c.name) || !chosen || chosen.includes(c.name));
  let features = 0;
  for (const c of used) {
    const own = spec.preprocess.perColumn[c.name];
    if (targets.has(c.name)) {
      if (c.missing > 0) {
        const why = `target column "${c.name}" of dataset ${id} has ${c.missing} missing value${c.missing === 1 ? '' : 's'}; a target cannot be filled in: remove those rows`;
        throw new ApiError('VALIDATION_ERROR', why, [{ path: '/data/datasetId', message: why }]);
      }
      continue;
    }
    const missing = own?.missing ?? spec.preprocess.missing;
    if (c.missing > 0 && missing === 'error') {
      const why = `column "${c.name}" of dataset ${id} has ${c.missing} missing value${c.missing === 1 ? '' : 's'}; set preprocess.missing (or preprocess.perColumn["${c.name}"].missing) to drop, mean, median or most_frequent`;
      throw new ApiError('VALIDATION_ERROR', why, [{ path: '/preprocess/missing', message: why }]);
    }
    const encoding = own?.categorical ?? spec.preprocess.categorical;
    features += c.type === 'categorical' && encoding === 'onehot' ? (c.distinct ?? 1) : 1;
  }
  if (target === undefined || uploadTargets.join() === target)
    return { rows: info.rows, features, targets: info.targets, labels: info.labels };
  // another target than the upload's: its label facts from the column summary
  const t = info.columns.find((c) => c.name === target)!;
  const labels =
    t.type === 'categorical'
      ? { integer: true, min: 0, max: Math.max(0, (t.distinct ?? 1) - 1) }
      : {
          integer: Number.isInteger(t.min) && Number.isInteger(t.max),
          min: t.min ?? 0,
          max: t.max ?? 0,
        };
  return { rows: info.rows, features, targets: 1, labels };
}
