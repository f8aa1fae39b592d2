/**
 * Token and sequence layers: torch.nn.Embedding, a learned positional embedding and a mean over time.
 *
 * - `embedding` [T] integer ids → [T, dim]: out[t] = weight[id_t]. Gradient to the weight only,
 *   ∂L/∂weight[r] = Σ_{t: id_t = r} g[t], except the `paddingIdx` row, which gets none (as torch).
 * - `positional` [T, F] → [T, F]: x + weight[:T], weight [maxLen, F]. Its Python equivalent is a small
 *   module `LearnedPositional` with one parameter `weight` initialised N(0, 1), like nn.Embedding's.
 * - `mean_pool` [T, F] → [F]: (1/T) Σ_t x[t].
 */
import { add, indexSelect, mean, reshape, slice } from '../../tensor/index.js';
import type { Rng } from '../../rng/rng.js';
import type { BuiltLayer, LayerFamily, Shape, SpecOf } from './types.js';
import { LayerShapeError } from './types.js';
import type { FloatArray } from '../../tensor/index.js';

const fmt = (s: Shape): string => `[${s.join(', ')}]`;

function standardNormal(out: FloatArray, rng: Rng): void {
  for (let i = 0; i < out.length; i++) out[i] = rng.normal();
}

/**
 * nn.Embedding(num, dim, padding_idx). `weight` [num, dim] ~ N(0, 1) with the padding row zeroed.
 * It is declared isWeight true: an embedding table is a weight matrix (a linear map of one-hot ids),
 * so L1/L2 penalise it, as torch's weight_decay over model.parameters() would, and `init.scheme`
 * re-initialises it (torch's fans of a [num, dim] matrix: fan_in = dim, fan_out = num).
 * A negative paddingIdx counts from the end, as torch's.
 */
function buildEmbedding(spec: SpecOf<'embedding'>, input: Shape): BuiltLayer {
  const { num, dim } = spec;
  if (input.length !== 1) {
    throw new LayerShapeError(
      `embedding expects [T] integer ids per sample; the previous layer gives ${fmt(input)}`,
    );
  }
  let pad = spec.paddingIdx;
  if (pad !== undefined) {
    if (!(Number.isInteger(pad) && pad >= -num && pad < num)) {
      throw new LayerShapeError(`embedding paddingIdx ${pad} is outside [${-num}, ${num}) for num ${num}`);
    }
    if (pad < 0) pad += num;
  }
  const padRow = pad;
  return {
    outputShape: [input[0], dim],
    params: [
      {
        name: 'weight',
        shape: [num, dim],
        isWeight: true,
        fan: { in: dim, out: num },
        init(out, rng) {
          standardNormal(out, rng);
          if (padRow !== undefined) out.fill(0, padRow * dim, (padRow + 1) * dim);
        },
      },
    ],
    buffers: [],
    forward(x, state) {
      const ids = new Int32Array(x.size);
      for (let i = 0; i < x.size; i++) {
        const v = x.data[i];
        if (!(Number.isInteger(v) && v >= 0 && v < num)) {
          throw new RangeError(`embedding: id ${v} at position ${i} is not an integer in [0, ${num})`);
        }
        ids[i] = v;
      }
      return reshape(indexSelect(state.params.weight, ids, padRow), [...x.shape, dim]);
    },
  };
}

/**
 * x + weight[:T] for x [T, F], weight [maxLen, F] ~ N(0, 1). isWeight false: positions are not
 * penalised by L1/L2 (like biases, they shift rather than scale), and `init.scheme` leaves them alone.
 */
function buildPositional(spec: SpecOf<'positional'>, input: Shape): BuiltLayer {
  if (input.length !== 2) {
    throw new LayerShapeError(`positional expects [T, F] per sample; the previous layer gives ${fmt(input)}`);
  }
  const [t, f] = input;
  if (t > spec.maxLen) {
    throw new LayerShapeError(
      `positional has maxLen ${spec.maxLen} but the sequence has T = ${t} (input ${fmt(input)})`,
    );
  }
  return {
    outputShape: [t, f],
    params: [{ name: 'weight', shape: [spec.maxLen, f], isWeight: false, init: standardNormal }],
    buffers: [],
    forward: (x, state) => add(x, slice(state.params.weight, 0, 0, t)),
  };
}

function buildMeanPool(_spec: SpecOf<'mean_pool'>, input: Shape): BuiltLayer {
  if (input.length !== 2) {
    throw new LayerShapeError(`mean_pool expects [T, F] per sample; the previous layer gives ${fmt(input)}`);
  }
  return { outputShape: [input[1]], params: [], buffers: [], forward: (x) => mean(x, 1) };
}

/** embedding ([T] ids → [T, dim]), positional ([T, F]) and mean_pool ([T, F] → [F]). */
export const embeddingLayers: LayerFamily<'embedding' | 'positional' | 'mean_pool'> = {
  embedding: buildEmbedding,
  positional: buildPositional,
  mean_pool: buildMeanPool,
};
