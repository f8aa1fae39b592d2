/**
 * The supervised task: (spec, data, resume state?) → events, checkpoints and a result, through
 * callbacks and an AbortSignal. Here: the seeded generators, the validation split, the model and
 * the resume of its parameters; then first-order.ts (one mini-batch per runner unit) or
 * second-order.ts (one Newton / L-BFGS iteration per unit) trains it. It knows nothing of HTTP or
 * Redis.
 *
 * Determinism: every random draw comes from generators derived from `training.seed` — one for
 * initialization, one for the validation split, one for shuffling, one for dropout — and the
 * resume state holds the shuffling generator as it was at the start of the epoch plus the dropout
 * generator as it is, so a resumed run redraws the same batch order and the same masks and ends
 * with the same weights, bit for bit.
 */
import type { SupervisedJobSpec } from '../../contracts/job-spec.js';
import { splitValidation, type Dataset } from '../../data/index.js';
import { buildModel, type Model } from '../../models/dense.js';
import { frozenMask, tensorsFromParent } from '../../models/layer-select.js';
import { modelConfigOf } from '../../models/model.js';
import { createRng, type Rng } from '../../rng/rng.js';
import type { FloatArray } from '../../tensor/index.js';
import { outputWidthFor, type Split } from '../batches.js';
import { initialValues, SpecError } from '../init-values.js';
import { outcomes, startClock } from '../runner.js';
import type { ResumeState, TrainOptions, TrainOutcome } from '../types.js';
import { runFirstOrder } from './first-order.js';
import { runSecondOrder } from './second-order.js';

/** Independent generator streams derived from one seed. */
export function deriveRngs(seed: number): { init: Rng; split: Rng; shuffle: Rng; dropout: Rng } {
  const master = createRng(seed);
  const sub = () => master.int(4294967296) + 4294967296 * master.int(2097152);
  return {
    init: createRng(sub()),
    split: createRng(sub()),
    shuffle: createRng(sub()),
    dropout: createRng(sub()),
  };
}

/**
 * Train a supervised model. Never throws for a problem of the run itself (divergence, bad initial
 * weights, timeout): those end as `failed` with a coded error. Cancellation through `signal` ends
 * as `cancelled` after a final checkpoint.
 */
export async function train(
  spec: SupervisedJobSpec,
  data: Dataset,
  opts: TrainOptions = {},
): Promise<TrainOutcome> {
  const clock = startClock(opts.now ?? (() => performance.now()), opts.resume?.elapsedMs ?? 0);
  const tr = spec.training;
  const dtype = tr.dtype;
  const rngs = deriveRngs(tr.seed);
  const split: Split = opts.split ?? splitValidation(data, tr.validationSplit, rngs.split);
  const outWidth = outputWidthFor(spec, data);
  const modelConfig = modelConfigOf(spec.model);

  let values: Record<string, FloatArray> | undefined;
  let model: Model;
  try {
    if (!opts.resume) {
      // init.fromJob's tensors first; init.weights wins for the names it gives.
      const fromParent = opts.fromJob
        ? tensorsFromParent(modelConfig, data.features, outWidth, dtype, opts.fromJob, spec.init.layers)
        : undefined;
      const given = initialValues(spec, data.features, outWidth);
      values = fromParent || given ? { ...fromParent, ...given } : undefined;
    }
    // A sequential model whose layers do not fit the data's shape is refused here too (the API
    // refuses it at submission; this covers a spec that reaches a worker another way).
    model = buildModel(modelConfig, data.features, outWidth, dtype, {
      scheme: spec.init.scheme,
      rng: rngs.init,
      values,
    });
  } catch (e) {
    if (e instanceof SpecError) return failedBeforeStart(e.message);
    throw e;
  }
  if (model.inFeatures !== data.features)
    return failedBeforeStart(
      `model.input takes ${model.inFeatures} values per row; the data has ${data.features} features`,
    );
  const names = model.params.map((p) => p.name);
  let frozen: boolean[];
  try {
    frozen = frozenMask(names, spec.init.freeze);
  } catch (e) {
    if (e instanceof SpecError) return failedBeforeStart(e.message);
    throw e;
  }
  const params = model.params.map((p) => p.tensor.data);
  const parameters = params.reduce((n, p) => n + p.length, 0);

  if (opts.resume) {
    const r = opts.resume;
    if (r.names.join() !== names.join()) throw new Error('checkpoint does not match the model');
    r.params.forEach((p, i) => params[i].set(p));
    // Buffers (running statistics) continue from the checkpoint, so a resumed run is bit-exact.
    if ((r.buffers?.length ?? 0) !== model.buffers.length)
      throw new Error('checkpoint does not match the model');
    r.buffers?.forEach((b, i) => model.buffers[i].data.set(b));
  }

  const ctx = { model, modelConfig, split, outWidth, params, names, frozen, parameters, rngs, clock };
  const second = spec.optimizer.type === 'newton' || spec.optimizer.type === 'lbfgs';
  return second ? runSecondOrder(spec, ctx, opts) : runFirstOrder(spec, ctx, opts);
}

function failedBeforeStart(message: string): TrainOutcome {
  return {
    ...outcomes.failed('INVALID_SPEC', message),
    weights: {},
    state: null as unknown as ResumeState,
  };
}
