/** What `train` hands the first- and second-order trainers once the model and the split exist. */
import type { Model, ModelConfig } from '../../models/dense.js';
import type { Rng } from '../../rng/rng.js';
import type { FloatArray } from '../../tensor/index.js';
import type { Split } from '../batches.js';
import type { RunClock } from '../runner.js';

export interface SupervisedContext {
  model: Model;
  /** The model's configuration as built (linear, or the spec's MLP). */
  modelConfig: ModelConfig;
  split: Split;
  outWidth: number;
  /** The parameters' storage, in state_dict order (the model's tensors share it). */
  params: FloatArray[];
  names: string[];
  /** Per parameter: held fixed by `init.freeze` (its gradient is dropped before the optimizer). */
  frozen: boolean[];
  parameters: number;
  /** The generators derived from the seed (see `deriveRngs`). */
  rngs: { init: Rng; split: Rng; shuffle: Rng; dropout: Rng };
  /** The run's clock, started by `train` (it counts the setup and earlier attempts). */
  clock: RunClock;
}
