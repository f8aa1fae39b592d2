/**
 * The metric that ranks a sweep's trials: which names a spec can report, the default mode, and
 * reading the value off a job's result.
 *
 * Names: `loss` (training loss; minimize: the objective), `valLoss` (validation loss), `valAccuracy`,
 * `valR2`, `valMae` (on the validation split), and the keys of the result's `metrics`: `accuracy`,
 * `r2`, `mae` (on the validation split when there is one, else on the training batches),
 * `meanReturn100` (reinforce), `value` and `gradNorm` (minimize).
 */
import type { JobResult } from '../contracts/job.js';
import type { JobSpec } from '../contracts/job-spec.js';

/** Names read from `result.metrics` under another name: `valAccuracy` → `accuracy`. */
const VAL_ALIASES: Record<string, string> = { valAccuracy: 'accuracy', valR2: 'r2', valMae: 'mae' };

/** Metrics where larger is better; every other one defaults to mode "min". */
const MAXIMIZED = new Set(['accuracy', 'valAccuracy', 'r2', 'valR2', 'meanReturn100']);

/** The mode a metric defaults to: "max" for accuracy, R² and returns, else "min". */
export function defaultMode(metric: string): 'min' | 'max' {
  return MAXIMIZED.has(metric) ? 'max' : 'min';
}

/** The metrics a trial of this spec reports. */
export function metricsOf(spec: JobSpec): string[] {
  if (spec.task === 'minimize') return ['loss', 'value', 'gradNorm'];
  if (spec.task === 'reinforce') return ['meanReturn100'];
  const classification = spec.loss === 'cross_entropy' || spec.loss === 'bce';
  const val = spec.training.validationSplit > 0;
  const own = classification ? ['accuracy'] : ['r2', 'mae'];
  return [
    'loss',
    ...(val ? ['valLoss'] : []),
    ...own,
    ...(val ? (classification ? ['valAccuracy'] : ['valR2', 'valMae']) : []),
  ];
}

/**
 * Why a trial of `spec` cannot report `metric`, or null when it can: "metric valLoss needs
 * training.validationSplit > 0 (it is 0)", "… is not reported by a regression job; it reports …".
 */
export function metricIssue(metric: string, spec: JobSpec): string | null {
  const known = metricsOf(spec);
  if (known.includes(metric)) return null;
  const isVal = metric === 'valLoss' || metric in VAL_ALIASES;
  if (spec.task === 'supervised' && isVal && spec.training.validationSplit === 0)
    return `metric ${metric} needs training.validationSplit > 0 (it is 0); set it, or rank by ${known.join(', ')}`;
  const kind =
    spec.task === 'supervised'
      ? spec.loss === 'cross_entropy' || spec.loss === 'bce'
        ? 'a classification job'
        : 'a regression job'
      : `a ${spec.task} job`;
  return `metric ${JSON.stringify(metric)} is not reported by ${kind}; it reports ${known.join(', ')}`;
}

/** The value of `metric` in a job's result; null when absent or not finite (it then ranks last). */
export function metricValue(result: JobResult | null | undefined, metric: string): number | null {
  if (!result) return null;
  let v: unknown;
  if (metric === 'loss') v = result.loss;
  else if (metric === 'valLoss') v = result.valLoss;
  else if (metric in VAL_ALIASES) v = result.metrics[VAL_ALIASES[metric]];
  else v = metric in result.metrics ? result.metrics[metric] : (result as Record<string, unknown>)[metric];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
