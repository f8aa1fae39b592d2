/**
 * End-of-training diagnostics of a supervised job: which input features matter (input
 * sensitivity), and the curvature of the loss at the trained weights (Hessian spectrum).
 */
import type { SupervisedJobSpec } from '../contracts/job-spec.js';
import type { Dataset } from '../data/types.js';
import { symmetricEigen } from '../optim/eigen.js';
import type { Model } from '../models/dense.js';
import { BASIC_LAYER_TYPES } from '../models/layers/basic.js';
import { computeLoss } from '../models/losses.js';
import type { Rng } from '../rng/rng.js';
import { abs, grad, hessian, hvp, mean, mul, sum, Tensor } from '../tensor/index.js';
import { inputsOf, makeTargets } from './batches.js';
import { flatObjective } from './flat-objective.js';
import type { Curvature, Sensitivity } from './types.js';

/**
 * Input sensitivity: the mean absolute derivative of the model output, and of the per-sample
 * loss, with respect to each input feature, over `ds` (the validation data when there is some).
 * One backward pass per output column: samples are independent, so the gradient of column k
 * summed over samples holds every sample's ∂y_ik/∂x_i.
 */
export function inputSensitivity(
  model: Model,
  ds: Dataset,
  spec: SupervisedJobSpec,
  maxRows = 4096,
): Sensitivity {
  const rows = Math.min(ds.rows, maxRows);
  const idx = Int32Array.from({ length: rows }, (_, i) => i);
  const dtype = spec.training.dtype;
  const x = inputsOf(ds, idx, dtype).requireGrad();
  const out = model.forward(x, { training: false });
  const width = out.shape[1];
  const f = ds.features;
  const output = new Array<number>(f).fill(0);
  for (let k = 0; k < width; k++) {
    const e = new Tensor(new (dtype === 'float64' ? Float64Array : Float32Array)(rows * width), [
      rows,
      width,
    ]);
    for (let i = 0; i < rows; i++) e.data[i * width + k] = 1;
    const [g] = grad(out, [x], { gradOutput: e });
    const colMeans = mean(abs(g), 0).data;
    for (let j = 0; j < f; j++) output[j] += colMeans[j] / width;
  }
  // ∂L/∂xᵢ = (1/N)·∂ℓᵢ/∂xᵢ for the mean loss, so scale by N.
  const loss = computeLoss(
    spec.loss,
    model.forward(x, { training: false }),
    makeTargets(ds, idx, dtype, spec.loss),
    spec.huberDelta,
  );
  const [gl] = grad(loss, [x]);
  const lossSens = Array.from(mean(abs(mul(gl, rows)), 0).data);
  const ranking = output.map((_, j) => j).sort((a, b) => output[b] - output[a] || a - b);
  return {
    features: ds.featureNames ?? output.map((_, j) => `x${j}`),
    output,
    loss: lossSens,
    ranking,
    rows,
  };
}

/**
 * Largest Hessian eigenvalue by power iteration on HVPs (never forming H), and for models with at
 * most `fullSpectrumMax` parameters the whole spectrum's extremes from the autodiff Hessian.
 */
export function lossCurvature(
  spec: SupervisedJobSpec,
  model: Model,
  train: Dataset,
  rng: Rng,
  opts: { maxRows?: number; fullSpectrumMax?: number; maxIterations?: number; tol?: number } = {},
): Curvature {
  const maxRows = opts.maxRows ?? 4096;
  const ds =
    train.rows > maxRows
      ? {
          ...train,
          rows: maxRows,
          x: train.x.subarray(0, maxRows * train.features),
          y: train.y.subarray(0, maxRows * train.targets),
        }
      : train;
  // In float64 whatever the job's dtype: power iteration and the eigen-solver need the precision.
  const spec64 = { ...spec, training: { ...spec.training, dtype: 'float64' as const } };
  const f = flatObjective(spec64, model, { train: ds, val: null });
  const n = model.params.reduce((a, p) => a + p.tensor.size, 0);
  const x0 = new Tensor(new Float64Array(n), [n]);
  let off = 0;
  for (const p of model.params) {
    x0.data.set(p.tensor.data, off);
    off += p.tensor.size;
  }
  // Power iteration: v ← Hv/‖Hv‖ until the Rayleigh quotient settles.
  let v = new Tensor(
    x0.data.map(() => rng.normal()),
    [n],
  );
  v = mul(v, 1 / Math.sqrt(sum(mul(v, v)).item()));
  let lambda = 0;
  let it = 0;
  const maxIt = opts.maxIterations ?? 300;
  const tol = opts.tol ?? 1e-10;
  for (; it < maxIt; it++) {
    const hv = hvp(f, x0, v);
    const next = sum(mul(hv, v)).item();
    const norm = Math.sqrt(sum(mul(hv, hv)).item());
    if (norm === 0) {
      lambda = 0;
      break;
    }
    v = mul(hv, 1 / norm);
    const done = Math.abs(next - lambda) <= tol * Math.max(1, Math.abs(next));
    lambda = next;
    if (done && it > 2) break;
  }
  let minEigenvalue: number | null = null;
  let conditionNumber: number | null = null;
  let locallyConvex: boolean | null = null;
  if (n <= (opts.fullSpectrumMax ?? 300)) {
    const h = hessian(f, x0);
    const { values } = symmetricEigen(Float64Array.from(h.data), n);
    const lo = values[0];
    const hi = values[values.length - 1];
    minEigenvalue = lo;
    const absMin = Math.min(...values.map(Math.abs));
    conditionNumber = absMin === 0 ? Infinity : Math.max(Math.abs(lo), Math.abs(hi)) / absMin;
    locallyConvex = lo >= -1e-8 * Math.max(1, Math.abs(hi));
  }
  return {
    maxEigenvalue: lambda,
    powerIterations: it + 1,
    minEigenvalue,
    conditionNumber,
    locallyConvex,
    parameters: n,
  };
}

/** Work budget for the curvature estimate: parameters × rows × HVP iterations. */
const CURVATURE_BUDGET = 3e9;

/**
 * The diagnostics a finished supervised run reports: sensitivity always (cheap: one backward pass
 * per output column), curvature when it fits {@link CURVATURE_BUDGET}.
 */
export function finalDiagnostics(
  opts: { diagnostics?: boolean },
  spec: SupervisedJobSpec,
  model: Model,
  split: { train: Dataset; val: Dataset | null },
  rng: Rng,
): { sensitivity: Sensitivity | null; curvature: Curvature | null } {
  if (opts.diagnostics === false) return { sensitivity: null, curvature: null };
  const evalSet = split.val && split.val.rows > 0 ? split.val : split.train;
  const sensitivity = inputSensitivity(model, evalSet, spec);
  const n = model.params.reduce((a, p) => a + p.tensor.size, 0);
  // The budget counts parameters × rows, the cost of a dense layer. Convolutions, norms, recurrence
  // and attention cost far more per parameter (a 254-parameter transformer took two minutes for
  // the full Hessian on 1000 rows), so such models get fewer rows and iterations and no full spectrum.
  const heavy = model.layers.some((l) => !BASIC_LAYER_TYPES.has(l.type));
  const budget = heavy ? { maxRows: 256, maxIterations: 50, fullSpectrumMax: 0 } : {};
  const rows = Math.min(split.train.rows, budget.maxRows ?? 4096);
  const curvature =
    n * rows * (budget.maxIterations ?? 300) <= CURVATURE_BUDGET
      ? lossCurvature(spec, model, split.train, rng, budget)
      : null;
  return { sensitivity, curvature };
}
