/**
 * The models the export tests train (test/e2e/model-export.test.ts): linear, an MLP per activation
 * (with and without dropout), the iris example, a reinforce policy, and every `sequential` layer
 * family with its options (stride, padding "same", dilation, groups, pools, batch norm in eval mode,
 * layer norm, embedding, rnn/lstm/gru with layers > 1, bidirectional and both outputs, causal
 * attention, the transformer encoder both ways, positional, mean_pool), each on seeded rows.
 */
type Loss = 'cross_entropy' | 'mse' | 'bce';

/** One model to train and export. */
export interface ExportCase {
  name: string;
  model: Record<string, unknown>;
  /** Features per row when the model has no `input`. */
  features?: number;
  loss: Loss;
  /** Token ids in 0..vocab−1 rather than real features. */
  vocab?: number;
  /** Classes (cross_entropy) or target columns (mse). */
  width: number;
  /** The job's dtype when not float32 (the export is float32 either way). */
  dtype?: 'float64';
}

const seq = (input: number[], layers: Record<string, unknown>[]) => ({ type: 'sequential', input, layers });

const ACTIVATIONS = ['relu', 'tanh', 'sigmoid', 'leaky_relu', 'elu', 'gelu', 'softplus'] as const;

export const EXPORT_CASES: ExportCase[] = [
  { name: 'linear regression', model: { type: 'linear' }, loss: 'mse', features: 3, width: 2 },
  { name: 'logistic regression (bce)', model: { type: 'linear' }, loss: 'bce', features: 4, width: 1 },
  {
    name: 'float64 job: conv1d + batchnorm1d (exported as float32)',
    model: seq(
      [2, 8],
      [
        { type: 'conv1d', out: 3, kernel: 3 },
        { type: 'batchnorm1d' },
        { type: 'flatten' },
        { type: 'linear' },
      ],
    ),
    loss: 'mse',
    width: 2,
    dtype: 'float64',
  },
  ...ACTIVATIONS.map((activation, i) => ({
    name: `mlp ${activation}${i % 2 === 0 ? ' + dropout' : ''}`,
    model: { type: 'mlp', hidden: [6, 5], activation, dropout: i % 2 === 0 ? 0.2 : 0 },
    loss: 'cross_entropy' as const,
    features: 4,
    width: 3,
  })),
  {
    name: 'dense: linear, batchnorm1d, leaky_relu, dropout, layernorm (no affine), softplus β, silu',
    model: seq(
      [6],
      [
        { type: 'linear', out: 8 },
        { type: 'batchnorm1d' },
        { type: 'leaky_relu', slope: 0.1 },
        { type: 'dropout', p: 0.2 },
        { type: 'linear', out: 8, bias: false },
        { type: 'layernorm', affine: false },
        { type: 'softplus', beta: 2, threshold: 1 },
        { type: 'silu' },
        { type: 'gelu', approximate: 'tanh' },
        { type: 'linear' },
      ],
    ),
    loss: 'cross_entropy',
    width: 3,
  },
  {
    name: 'conv2d same + batchnorm2d + maxpool2d, grouped strided dilated conv2d, avgpool2d, adaptive_avgpool2d',
    model: seq(
      [2, 8, 8],
      [
        { type: 'conv2d', out: 4, kernel: 3, padding: 'same' },
        { type: 'batchnorm2d' },
        { type: 'relu' },
        { type: 'maxpool2d', kernel: 2, stride: 1, padding: 1 },
        {
          type: 'conv2d',
          out: 4,
          kernel: [2, 3],
          stride: [1, 2],
          padding: [1, 0],
          dilation: [2, 1],
          groups: 2,
        },
        { type: 'avgpool2d', kernel: 2, stride: 1, padding: 1, countIncludePad: true },
        { type: 'batchnorm2d', affine: false },
        { type: 'adaptive_avgpool2d', output: [2, 3] },
        { type: 'flatten' },
        { type: 'linear' },
      ],
    ),
    loss: 'mse',
    width: 2,
  },
  {
    name: 'conv1d dilated + batchnorm1d [C, L], elu, maxpool1d dilated, avgpool1d no pad count, conv1d same groups, sigmoid (bce)',
    model: seq(
      [2, 12],
      [
        { type: 'conv1d', out: 4, kernel: 3, padding: 1, dilation: 2 },
        { type: 'batchnorm1d', momentum: 0.2 },
        { type: 'elu', alpha: 0.5 },
        { type: 'maxpool1d', kernel: 2, dilation: 2 },
        { type: 'avgpool1d', kernel: 2, stride: 1, padding: 1, countIncludePad: false },
        { type: 'conv1d', out: 4, kernel: 4, padding: 'same', groups: 2, stride: 1 },
        { type: 'flatten' },
        { type: 'sigmoid' },
        { type: 'linear' },
      ],
    ),
    loss: 'bce',
    width: 1,
  },
  {
    name: 'lstm: bidirectional, 2 layers, sequence output, mean_pool',
    model: seq(
      [6, 2],
      [
        { type: 'lstm', hidden: 5, layers: 2, bidirectional: true, dropout: 0.1, output: 'sequence' },
        { type: 'mean_pool' },
        { type: 'linear' },
      ],
    ),
    loss: 'mse',
    width: 1,
  },
  {
    name: 'lstm without bias, last output; rnn tanh 2 layers',
    model: seq(
      [5, 3],
      [
        { type: 'rnn', hidden: 4, layers: 2, output: 'sequence' },
        { type: 'lstm', hidden: 3, bias: false, output: 'last' },
        { type: 'linear' },
      ],
    ),
    loss: 'cross_entropy',
    width: 2,
  },
  {
    name: 'rnn relu bidirectional, then gru bidirectional 2 layers, last output',
    model: seq(
      [6, 2],
      [
        { type: 'rnn', hidden: 4, nonlinearity: 'relu', bidirectional: true, output: 'sequence' },
        { type: 'gru', hidden: 3, layers: 2, bidirectional: true, output: 'last' },
        { type: 'tanh' },
        { type: 'linear' },
      ],
    ),
    loss: 'cross_entropy',
    width: 2,
  },
  {
    name: 'attention: causal multi-head self-attention, layernorm, then non-causal without bias',
    model: seq(
      [5, 4],
      [
        { type: 'attention', heads: 2, causal: true },
        { type: 'layernorm' },
        { type: 'attention', heads: 4, bias: false },
        { type: 'mean_pool' },
        { type: 'linear' },
      ],
    ),
    loss: 'mse',
    width: 1,
  },
  {
    name: 'transformer: embedding (paddingIdx), positional, pre-norm causal gelu encoder',
    model: seq(
      [6],
      [
        { type: 'embedding', num: 7, dim: 8, paddingIdx: 0 },
        { type: 'positional', maxLen: 10 },
        {
          type: 'transformer_encoder',
          dModel: 8,
          heads: 2,
          ff: 16,
          dropout: 0.1,
          activation: 'gelu',
          normFirst: true,
          causal: true,
        },
        { type: 'mean_pool' },
        { type: 'linear' },
      ],
    ),
    loss: 'cross_entropy',
    vocab: 7,
    width: 2,
  },
  {
    name: 'transformer: post-norm relu encoder, embedding, flatten',
    model: seq(
      [5],
      [
        { type: 'embedding', num: 6, dim: 4 },
        { type: 'transformer_encoder', dModel: 4, heads: 2, ff: 8, dropout: 0, activation: 'relu' },
        { type: 'flatten' },
        { type: 'linear' },
      ],
    ),
    loss: 'mse',
    vocab: 6,
    width: 2,
  },
];

/** mulberry32: seeded uniform [0, 1), the same rows on every run. */
export function uniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Features per row of a case. */
export function featuresOf(c: ExportCase): number {
  const m = c.model as { type: string; input?: number[] };
  return m.type === 'sequential' ? m.input!.reduce((a, b) => a * b, 1) : c.features!;
}

/** `n` seeded input rows for a case: features in [−2, 2), or token ids. */
export function inputRows(c: ExportCase, n: number, seed: number): number[][] {
  const r = uniform(seed);
  return Array.from({ length: n }, () =>
    Array.from({ length: featuresOf(c) }, () => (c.vocab ? Math.floor(r() * c.vocab) : 4 * r() - 2)),
  );
}

/** Seeded training rows and targets of the loss's kind (labels cycle through every class). */
export function trainingRows(c: ExportCase, seed: number): { x: number[][]; y: (number | number[])[] } {
  const x = inputRows(c, 32, seed);
  const r = uniform(seed + 1);
  const y =
    c.loss === 'cross_entropy'
      ? x.map((_, i) => i % c.width)
      : c.loss === 'bce'
        ? x.map((_, i) => i % 2)
        : x.map(() => Array.from({ length: c.width }, () => r()));
  return { x, y };
}
