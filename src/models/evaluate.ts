/**
 * Evaluation with trained weights: what `POST /v1/jobs/{id}/evaluate` answers and what a job's
 * `result.test` / `result.validation` hold (api-v1.1.md, "Tables"). The outputs come from
 * {@link predict}, the very function /predict runs, so an evaluation scores exactly the
 * predictions a caller would get; the numbers are those of src/models/evaluation.
 */
import { noGrad, Tensor, type NamedWeights } from '../tensor/index.js';
import type { ClassScores } from './evaluation/classification.js';
import { logLoss } from './evaluation/log-loss.js';
import { regressionReport } from './evaluation/regression.js';
import { classificationMetrics } from './evaluation/report.js';
import { computeLoss } from './losses.js';
import { predict, PredictInputError, type PredictSpec } from './predict.js';

/** What evaluation needs of a supervised job's spec (huberDelta for the huber loss). */
export interface EvaluateSpec extends PredictSpec {
  huberDelta?: number;
}

/** One split's evaluation; the shape of `Evaluation` in src/contracts/evaluation.ts. */
export interface ModelEvaluation {
  rows: number;
  /** The job's loss on these rows, without the regularization penalty. */
  loss: number | null;
  metrics:
    | { accuracy: number; logLoss: number; macroF1: number; weightedF1: number; rocAuc?: number }
    | { mae: number; rmse: number; r2: number };
  confusionMatrix?: number[][];
  perClass?: (ClassScores & { label?: string })[];
  residualQuantiles?: { q: number; value: number }[];
}

/** Whether the loss makes the model a classifier (its targets are class indices). */
export function isClassification(loss: PredictSpec['loss']): boolean {
  return loss === 'cross_entropy' || loss === 'bce';
}

/**
 * Score `outputs` (n × width, as /predict returns them: probabilities for classification) against
 * `y`: class indices (n) for classification, n × width values for regression. `labels` names the
 * classes in `perClass`. Throws a PredictInputError with the JSON pointer `/targets/i` for a target
 * that does not fit (a class index out of range, a wrong count).
 */
export function evaluateOutputs(
  spec: EvaluateSpec,
  outputs: Float64Array,
  width: number,
  y: Float64Array,
  labels?: readonly string[],
): ModelEvaluation {
  const n = outputs.length / width;
  if (isClassification(spec.loss)) {
    const classes = Math.max(width, 2);
    if (y.length !== n)
      throw new PredictInputError(
        `targets has ${y.length} values for ${n} rows; give one class per row`,
        '/targets',
      );
    y.forEach((v, i) => {
      if (!Number.isInteger(v) || v < 0 || v >= classes)
        throw new PredictInputError(
          `targets[${i}] is ${v}; the model's classes are the integers 0 to ${classes - 1}${labels ? ` (${labels.map((l) => JSON.stringify(l)).join(', ')})` : ''}`,
          `/targets/${i}`,
        );
    });
    const m = classificationMetrics(y, outputs, width);
    return {
      rows: n,
      // cross_entropy and bce are the log loss of the probabilities (clipped as sklearn's log_loss)
      loss: logLoss(y, outputs, width),
      metrics: {
        accuracy: m.accuracy,
        logLoss: m.logLoss,
        macroF1: m.macroF1,
        weightedF1: m.weightedF1,
        ...(m.rocAuc === undefined ? {} : { rocAuc: m.rocAuc }),
      },
      confusionMatrix: m.confusionMatrix,
      perClass: m.perClass.map((s) =>
        labels?.[s.class] === undefined ? s : { ...s, label: labels[s.class] },
      ),
    };
  }
  if (y.length !== outputs.length)
    throw new PredictInputError(
      `targets has ${y.length / Math.max(width, 1)} values per row in total for ${n} rows; the model has ${width} outputs per row`,
      '/targets',
    );
  const r = regressionReport(outputs, y, width);
  const loss = noGrad(() =>
    computeLoss(
      spec.loss,
      new Tensor(outputs, [n, width]),
      { kind: 'values', y: new Tensor(y, [n, width]) },
      spec.huberDelta,
    ).item(),
  );
  return {
    rows: n,
    loss: Number.isFinite(loss) ? loss : null,
    metrics: { mae: r.mae, rmse: r.rmse, r2: r.r2 },
    residualQuantiles: r.residualQuantiles,
  };
}

/**
 * Run the trained model on `inputs` ({@link predict}) and score it against `y`
 * ({@link evaluateOutputs}). Throws PredictInputError for inputs or targets that do not fit.
 */
export function evaluateModel(
  spec: EvaluateSpec,
  weights: NamedWeights,
  inputs: readonly (readonly number[])[],
  y: Float64Array,
  labels?: readonly string[],
): ModelEvaluation {
  const out = predict(spec, weights, inputs);
  const width = out.outputs[0]?.length ?? 0;
  const flat = new Float64Array(out.outputs.length * width);
  out.outputs.forEach((row, i) => flat.set(row, i * width));
  return evaluateOutputs(spec, flat, width, y, labels);
}
