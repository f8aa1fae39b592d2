/**
 * Resource limits enforced when a JobSpec or a dataset is validated.
 *
 * Every refusal names the limit and the value asked for ("model.hidden has 40 layers; the limit is 16"),
 * so a user knows what to change. The numbers below are the defaults; a deployment may override any of
 * them from the environment with {@link limitsFromEnv} (`DESCENT_LIMIT_MAX_PARAMETERS=10000000`, …) and
 * build its own schema with `createJobSpecSchema(limits)`.
 *
 * This module imports nothing and reads no environment at import time.
 */

/** All validation limits. Counts are integers; sizes are in bytes or characters as named. */
export interface Limits {
  /** Trainable parameters of the model (weights + biases). */
  maxParameters: number;
  /** Rows of an inline dataset (`data.inline`). */
  maxInlineRows: number;
  /** Rows of an uploaded dataset (CSV or JSON). */
  maxDatasetRows: number;
  /** Bytes of an uploaded dataset body (CSV text or JSON). */
  maxDatasetBytes: number;
  /** Feature columns of any dataset. */
  maxFeatures: number;
  /** Target columns of any dataset. */
  maxTargets: number;
  /** Classes for `cross_entropy` (largest label + 1, or `model.classes`). */
  maxClasses: number;
  /** Training rows × epochs: a proxy for total work. */
  maxRowsTimesEpochs: number;
  /** Hidden layers of an MLP. */
  maxHiddenLayers: number;
  /** Width of one hidden layer. */
  maxHiddenWidth: number;
  /** Layers of a `sequential` model. */
  maxLayers: number;
  /** Any size hyper-parameter of a `sequential` layer (out, hidden, kernel, dim, num, ff, maxLen, …) and each `input` dimension. */
  maxLayerSize: number;
  /** `training.epochs`. */
  maxEpochs: number;
  /** `training.batchSize` when a number. */
  maxBatchSize: number;
  /** `training.maxWallSeconds` and the wall-time default a service applies. */
  maxWallSeconds: number;
  /** `steps` of a `minimize` task. */
  maxMinimizeSteps: number;
  /** Variables of a `minimize` task (`start` keys). */
  maxMinimizeVariables: number;
  /** Characters of a `minimize` objective expression. */
  maxExpressionLength: number;
  /** `episodes` of a `reinforce` task. */
  maxEpisodes: number;
  /** Steps of one RL episode (`env.maxSteps`). */
  maxEpisodeSteps: number;
  /** Characters of an ordinary string field (ids, names, CSV column names). */
  maxStringLength: number;
  /** Keys of `metadata`. */
  maxMetadataKeys: number;
  /** Characters of a `metadata` key. */
  maxMetadataKeyLength: number;
  /** Characters of a `metadata` value. */
  maxMetadataValueLength: number;
  /** Nesting depth of an `init.weights` array (a weight matrix is depth 2). */
  maxArrayDepth: number;
  /** Entries of `init.weights`. */
  maxInitWeightTensors: number;
  /**
   * Nesting depth of any JSON request body (objects and arrays; `{"a":[1]}` is depth 2). Checked
   * before the schema, so a deeply nested body is refused cheaply and by name.
   */
  maxJsonDepth: number;
  /** Characters of any string anywhere in a JSON request body (the schema has tighter per-field limits). */
  maxJsonStringLength: number;
  /** Trials of one sweep (after the grid is multiplied out). */
  maxSweepTrials: number;
  /** Worst-case epochs a sweep may train, summed over its trials (`POST /v1/sweeps/validate` → `epochsMax`). */
  maxSweepEpochs: number;
  /** `maxConcurrentTrials` of a sweep. */
  maxConcurrentTrials: number;
  /** Dimensions (dotted paths) of a sweep's `space`. */
  maxSpaceDims: number;
}

/** The default limits. Frozen: copy with `{ ...DEFAULT_LIMITS, maxEpochs: 10 }` to change one. */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxParameters: 5_000_000,
  maxInlineRows: 100_000,
  maxDatasetRows: 1_000_000,
  maxDatasetBytes: 64 * 1024 * 1024,
  maxFeatures: 10_000,
  maxTargets: 1_000,
  maxClasses: 10_000,
  maxRowsTimesEpochs: 2e9,
  maxHiddenLayers: 16,
  maxHiddenWidth: 8_192,
  maxLayers: 64,
  maxLayerSize: 65_536,
  maxEpochs: 100_000,
  maxBatchSize: 1_000_000,
  maxWallSeconds: 24 * 3600,
  maxMinimizeSteps: 1_000_000,
  maxMinimizeVariables: 1_000,
  maxExpressionLength: 2_000,
  maxEpisodes: 100_000,
  maxEpisodeSteps: 10_000,
  maxStringLength: 256,
  maxMetadataKeys: 32,
  maxMetadataKeyLength: 64,
  maxMetadataValueLength: 1_024,
  maxArrayDepth: 4,
  maxInitWeightTensors: 256,
  maxJsonDepth: 32,
  maxJsonStringLength: 16_384,
  maxSweepTrials: 1_000,
  maxSweepEpochs: 100_000,
  maxConcurrentTrials: 64,
  maxSpaceDims: 32,
});

/** `maxParameters` → `DESCENT_LIMIT_MAX_PARAMETERS`. */
export function limitEnvName(key: keyof Limits): string {
  return 'DESCENT_LIMIT_' + key.replace(/([A-Z])/g, '_$1').toUpperCase();
}

/**
 * Limits with overrides read from `env` (pass `process.env`): each `DESCENT_LIMIT_<NAME>` that holds a
 * positive finite number replaces the default. A malformed value throws, naming the variable, so a
 * typo fails at boot rather than silently keeping the default.
 */
export function limitsFromEnv(
  env: Record<string, string | undefined>,
  base: Readonly<Limits> = DEFAULT_LIMITS,
): Limits {
  const out: Limits = { ...base };
  for (const key of Object.keys(base) as (keyof Limits)[]) {
    const name = limitEnvName(key);
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') continue;
    const v = Number(raw);
    if (!Number.isFinite(v) || v <= 0) throw new Error(`${name}=${raw} is not a positive number`);
    out[key] = v;
  }
  return out;
}

/**
 * The message every limit refusal uses: "`what` `value`; the limit is `limit`". Given the limits and
 * the key of a configurable limit, it also names the variable that raises it:
 * `limitMessage('epochs is', 200000, L, 'maxEpochs')` → "epochs is 200000; the limit is 100000
 * (DESCENT_LIMIT_MAX_EPOCHS raises it)". A bare number is a fixed limit of the service.
 */
export function limitMessage(what: string, value: number | string, limit: number): string;
export function limitMessage<K extends keyof Limits>(
  what: string,
  value: number | string,
  limits: Readonly<Pick<Limits, K>>,
  key: K,
): string;
export function limitMessage<K extends keyof Limits>(
  what: string,
  value: number | string,
  limit: number | Readonly<Pick<Limits, K>>,
  key?: K,
): string {
  if (typeof limit === 'number') return `${what} ${value}; the limit is ${limit}`;
  return `${what} ${value}; the limit is ${limit[key!]} (${limitEnvName(key!)} raises it)`;
}

/** "1 row", "2 rows": a count with its noun, for messages. */
export function countOf(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
