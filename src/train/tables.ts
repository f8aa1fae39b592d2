/**
 * Tables around supervised training (issue 12, api-v1.1.md "Tables"): the test split, the
 * preprocessing fitted on the training rows only, and the test / validation reports added to the
 * result. `prepareSupervised` runs before `train` and hands it the split it would have drawn
 * itself (same generator, same rows), so a job without tables trains exactly as before.
 *
 * Order, so no test or validation row leaks into what is fitted: test rows out first, then the
 * validation split of the rest, then the preprocessing fitted on the training part alone and
 * applied to all three.
 */
import type { SupervisedJobSpec } from '../contracts/job-spec.js';
import type { Evaluation, PreprocessingResult } from '../contracts/evaluation.js';
import {
  selectRows,
  testSplitRows,
  validationRowCount,
  validationSplitRows,
  type Dataset,
} from '../data/index.js';
import { applyPreprocess } from '../data/preprocess/apply.js';
import { fitPreprocess } from '../data/preprocess/fit.js';
import type { Column, FittedPreprocess } from '../data/preprocess/types.js';
import { featureColumns } from '../data/dataset-columns.js';
import { modelConfigOf } from '../models/model.js';
import { evaluateModel } from '../models/evaluate.js';
import { createRng, type Rng } from '../rng/rng.js';
import type { NamedWeights } from '../tensor/index.js';
import type { Split } from './batches.js';
import { deriveRngs } from './tasks/supervised.js';

/** What training gets once the tables work is done. */
export interface PreparedData {
  /** The dataset the model is built for: every row kept, preprocessed (its width is the model's). */
  data: Dataset;
  split: Split;
  /** The held-out test rows, preprocessed; null when `training.testSplit` is 0. */
  test: Dataset | null;
  /** The fitted statistics and the target names, as `result.preprocessing` lists them. */
  preprocessing: PreprocessingResult | null;
}

/**
 * The generator of the test split: a fifth stream of the derivation `deriveRngs` makes four of,
 * so adding the test split changed none of the existing streams (and so no existing run).
 */
function testRng(seed: number): Rng {
  const master = createRng(seed);
  const sub = () => master.int(4294967296) + 4294967296 * master.int(2097152);
  for (let i = 0; i < 4; i++) sub();
  return createRng(sub());
}

/**
 * Whether the job's features go through fitted preprocessing: every uploaded dataset (so
 * /predict takes records by column name), and any job whose `preprocess` is not the default.
 */
function wantsPreprocessing(spec: SupervisedJobSpec): boolean {
  const p = spec.preprocess;
  const nonDefault = p.numeric !== 'none' || p.missing !== 'error' || Object.keys(p.perColumn).length > 0;
  return spec.data.datasetId !== undefined || nonDefault;
}

/** Rows `idx` of `data` through `fitted`: the preprocessed features, and the targets of the rows kept. */
function transform(
  fitted: FittedPreprocess,
  columns: readonly Column[],
  data: Dataset,
  idx: Int32Array,
  name: string,
): Dataset {
  const out = applyPreprocess(fitted, columns, idx);
  const kept = selectRows(data, out.kept, name);
  return { ...kept, x: out.x, features: out.width, featureNames: out.featureNames, rows: out.rows };
}

/** Rows of several datasets of one width, one after the other. */
function concat(parts: readonly Dataset[], like: Dataset): Dataset {
  const rows = parts.reduce((n, p) => n + p.rows, 0);
  const x = new Float64Array(rows * like.features);
  const y = new Float64Array(rows * like.targets);
  let r = 0;
  for (const p of parts) {
    x.set(p.x, r * like.features);
    y.set(p.y, r * like.targets);
    r += p.rows;
  }
  return { ...like, x, y, rows };
}

/**
 * Split and preprocess `data` for `spec`. Works on row indices into `data`, so the preprocessing
 * reads the typed columns of an upload (`data.columns`) as well as a numeric dataset's x. Throws
 * PreprocessError (a data problem, the message names the column) and RangeError (no rows left).
 */
export function prepareSupervised(spec: SupervisedJobSpec, data: Dataset): PreparedData {
  const tr = spec.training;
  const { rest, test } = testSplitRows(data.rows, tr.testSplit, testRng(tr.seed));
  // The generator state train() would split with, and ⌈all rows·validationSplit⌉ rows as the
  // JobSpec checks count them: without a test split, the very split train() draws itself.
  const valRows = validationRowCount(data.rows, tr.validationSplit);
  if (valRows > 0 && valRows >= rest.length)
    throw new RangeError(
      `${valRows} validation and ${test.length} test rows of ${data.rows} leave no training rows`,
    );
  const pos = validationSplitRows(rest.length, valRows, deriveRngs(tr.seed).split);
  const trainIdx = pos.train.map((i) => rest[i]);
  const valIdx = pos.val.map((i) => rest[i]);
  const hasVal = valIdx.length > 0;
  const hasTest = test.length > 0;

  if (!wantsPreprocessing(spec)) {
    // no split at all: the dataset itself, as train() used it
    const train = hasVal || hasTest ? selectRows(data, trainIdx, `${data.name}:train`) : data;
    const val = hasVal ? selectRows(data, valIdx, `${data.name}:val`) : null;
    const testRows = hasTest ? selectRows(data, test, `${data.name}:test`) : null;
    return { data, split: { train, val }, test: testRows, preprocessing: null };
  }

  const columns = featureColumns(data);
  const fitted = fitPreprocess(columns, trainIdx, spec.preprocess);
  const train = transform(fitted, columns, data, trainIdx, `${data.name}:train`);
  const val = hasVal ? transform(fitted, columns, data, valIdx, `${data.name}:val`) : null;
  const testRows = hasTest ? transform(fitted, columns, data, test, `${data.name}:test`) : null;
  const all = concat([train, ...(val ? [val] : []), ...(testRows ? [testRows] : [])], train);
  const preprocessing: PreprocessingResult = {
    ...fitted,
    ...(data.targetNames ? { targets: data.targetNames } : {}),
    ...(data.classNames ? { classes: data.classNames } : {}),
  };
  return { data: { ...all, name: data.name }, split: { train, val }, test: testRows, preprocessing };
}

/** A dataset's rows as the nested arrays predict takes. */
function rowsOf(ds: Dataset): number[][] {
  return Array.from({ length: ds.rows }, (_, i) =>
    Array.from(ds.x.subarray(i * ds.features, (i + 1) * ds.features)),
  );
}

/** The evaluation of trained `weights` on `ds` (class names from the fitted target, if any). */
export function evaluateSplit(
  spec: SupervisedJobSpec,
  weights: NamedWeights,
  ds: Dataset,
  classes?: string[],
): Evaluation {
  const model = modelConfigOf(spec.model);
  return evaluateModel(
    { model, loss: spec.loss, huberDelta: spec.huberDelta },
    weights,
    rowsOf(ds),
    ds.y,
    classes,
  );
}

/**
 * The result fields of the tables work, for a succeeded run: `preprocessing`, `test` (the test
 * rows) and `validation` (the validation rows, when the job has a test split or preprocessing),
 * each only when there is one.
 */
export function tableResults(
  spec: SupervisedJobSpec,
  prepared: PreparedData,
  weights: NamedWeights,
): { preprocessing?: PreprocessingResult; test?: Evaluation; validation?: Evaluation } {
  const classes = prepared.preprocessing?.classes;
  return {
    ...(prepared.preprocessing ? { preprocessing: prepared.preprocessing } : {}),
    ...(prepared.test ? { test: evaluateSplit(spec, weights, prepared.test, classes) } : {}),
    // only with tables: a job without them keeps the result (and its pinned fingerprint) it had
    ...(prepared.split.val && (prepared.test || prepared.preprocessing)
      ? { validation: evaluateSplit(spec, weights, prepared.split.val, classes) }
      : {}),
  };
}
