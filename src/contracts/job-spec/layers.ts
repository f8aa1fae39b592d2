/**
 * The layers of a `sequential` model: one strict schema per layer type, with PyTorch's module
 * defaults (camelCased) and the size limits. Shapes are not checked here (they depend on the
 * layers before and on the data): the layer builders of src/models do that when the service
 * validates a spec, and name the layer (`/model/layers/4`).
 */
import { z } from 'zod';
import { limitMessage, type Limits } from '../limits.js';
import { positive, unit } from './common.js';

/** The layer schemas against a set of limits. */
export function buildLayerSchemas(L: Readonly<Limits>) {
  /** A size ≥ 1 within `maxLayerSize`. */
  const size = (what: string) =>
    z
      .int()
      .min(1, { error: `${what} must be an integer ≥ 1` })
      .max(L.maxLayerSize, {
        error: (iss) => limitMessage(`${what} is`, iss.input as number, L, 'maxLayerSize'),
      });
  /** An amount ≥ 0 within `maxLayerSize` (padding). */
  const count = (what: string) =>
    z
      .int()
      .min(0, { error: `${what} must be an integer ≥ 0` })
      .max(L.maxLayerSize, {
        error: (iss) => limitMessage(`${what} is`, iss.input as number, L, 'maxLayerSize'),
      });
  /** One number for both dimensions, or [h, w] (torch's int or tuple). */
  const pair = (one: z.ZodInt, what: string) =>
    z.union([one, z.tuple([one, one])]).describe(`${what}: one number for both dimensions, or [h, w].`);
  const bias = z.boolean().default(true).describe('Learn an additive bias.');
  const layer = <T extends string, S extends z.ZodRawShape>(type: T, shape: S, what: string) =>
    z.strictObject({ type: z.literal(type), ...shape }).describe(what);
  const act = <T extends string>(type: T, what: string) => layer(type, {}, what);

  const momentum = z
    .number()
    .min(0, { error: 'momentum must be in [0, 1]' })
    .max(1, { error: 'momentum must be in [0, 1]' })
    .nullable()
    .default(0.1)
    .describe('Running-statistics momentum; null for a cumulative average (torch momentum=None).');
  const normEps = positive('eps').default(1e-5).describe('Added to the variance inside the square root.');
  const affine = z.boolean().default(true).describe('Learn a per-feature scale (weight) and shift (bias).');
  const dropP = (d: number) => unit('dropout').default(d).describe('Dropout probability, in [0, 1).');

  const convPadding1 = z
    .union([count('padding'), z.enum(['same', 'valid'])])
    .default(0)
    .describe('Zero padding on both sides, or "same" (stride 1 only) / "valid" (none).');
  const convPadding2 = z
    .union([pair(count('padding'), 'padding'), z.enum(['same', 'valid'])])
    .default(0)
    .describe('Zero padding, or "same" (stride 1 only) / "valid" (none).');
  const recurrent = <T extends 'rnn' | 'lstm' | 'gru'>(type: T, extra: z.ZodRawShape, what: string) =>
    layer(
      type,
      {
        hidden: size('hidden'),
        layers: size('layers').default(1).describe('Stacked recurrent layers.'),
        bidirectional: z.boolean().default(false),
        dropout: dropP(0).describe('Dropout on the outputs of each layer except the last, in [0, 1).'),
        output: z
          .enum(['last', 'sequence'])
          .default('last')
          .describe('"last": output[:, -1, :] ([H·dirs]); "sequence": the whole output ([T, H·dirs]).'),
        bias,
        ...extra,
      },
      what,
    );

  const schemas = [
    layer(
      'linear',
      {
        out: size('out')
          .optional()
          .describe('Output features; on the last linear layer it may be left out (the output-width rule).'),
        bias,
      },
      'torch.nn.Linear over the last dimension: weight [out, in], bias [out].',
    ),
    layer('flatten', {}, 'torch.nn.Flatten(): one sample [d1, d2, …] → [d1·d2·…].'),
    layer(
      'dropout',
      { p: unit('p').default(0.5).describe('Drop probability, in [0, 1).') },
      'torch.nn.Dropout.',
    ),
    act('relu', 'torch.nn.ReLU.'),
    act('tanh', 'torch.nn.Tanh.'),
    act('sigmoid', 'torch.nn.Sigmoid.'),
    act('silu', 'torch.nn.SiLU: x·σ(x).'),
    layer(
      'leaky_relu',
      { slope: z.number().default(0.01).describe('negative_slope.') },
      'torch.nn.LeakyReLU.',
    ),
    layer('elu', { alpha: z.number().default(1) }, 'torch.nn.ELU.'),
    layer(
      'gelu',
      { approximate: z.enum(['none', 'tanh']).default('none').describe('"none": the exact erf form.') },
      'torch.nn.GELU.',
    ),
    layer(
      'softplus',
      {
        beta: positive('beta').default(1),
        threshold: z.number().default(20).describe('Linear above β·x > threshold.'),
      },
      'torch.nn.Softplus.',
    ),
    layer(
      'conv1d',
      {
        out: size('out').describe('Output channels.'),
        kernel: size('kernel'),
        stride: size('stride').default(1),
        padding: convPadding1,
        dilation: size('dilation').default(1),
        groups: size('groups').default(1),
        bias,
      },
      'torch.nn.Conv1d over [C, L]: weight [out, C/groups, kernel].',
    ),
    layer(
      'conv2d',
      {
        out: size('out').describe('Output channels.'),
        kernel: pair(size('kernel'), 'kernel'),
        stride: pair(size('stride'), 'stride').default(1),
        padding: convPadding2,
        dilation: pair(size('dilation'), 'dilation').default(1),
        groups: size('groups').default(1),
        bias,
      },
      'torch.nn.Conv2d over [C, H, W]: weight [out, C/groups, kH, kW].',
    ),
    layer(
      'maxpool1d',
      {
        kernel: size('kernel'),
        stride: size('stride').optional().describe('Default: the kernel size.'),
        padding: count('padding').default(0),
        dilation: size('dilation').default(1),
      },
      'torch.nn.MaxPool1d.',
    ),
    layer(
      'maxpool2d',
      {
        kernel: pair(size('kernel'), 'kernel'),
        stride: pair(size('stride'), 'stride').optional().describe('Default: the kernel size.'),
        padding: pair(count('padding'), 'padding').default(0),
        dilation: pair(size('dilation'), 'dilation').default(1),
      },
      'torch.nn.MaxPool2d.',
    ),
    layer(
      'avgpool1d',
      {
        kernel: size('kernel'),
        stride: size('stride').optional().describe('Default: the kernel size.'),
        padding: count('padding').default(0),
        countIncludePad: z.boolean().default(true),
      },
      'torch.nn.AvgPool1d.',
    ),
    layer(
      'avgpool2d',
      {
        kernel: pair(size('kernel'), 'kernel'),
        stride: pair(size('stride'), 'stride').optional().describe('Default: the kernel size.'),
        padding: pair(count('padding'), 'padding').default(0),
        countIncludePad: z.boolean().default(true),
      },
      'torch.nn.AvgPool2d.',
    ),
    layer('adaptive_avgpool2d', { output: pair(size('output'), 'output') }, 'torch.nn.AdaptiveAvgPool2d.'),
    layer('batchnorm1d', { momentum, eps: normEps, affine }, 'torch.nn.BatchNorm1d over [F] or [C, L].'),
    layer('batchnorm2d', { momentum, eps: normEps, affine }, 'torch.nn.BatchNorm2d over [C, H, W].'),
    layer('layernorm', { eps: normEps, affine }, 'torch.nn.LayerNorm over the last dimension.'),
    layer(
      'embedding',
      {
        num: size('num').describe('Vocabulary size.'),
        dim: size('dim').describe('Embedding width.'),
        paddingIdx: count('paddingIdx')
          .optional()
          .describe('A token whose row is zero and gets no gradient.'),
      },
      'torch.nn.Embedding over token ids [T] → [T, dim].',
    ),
    recurrent(
      'rnn',
      { nonlinearity: z.enum(['tanh', 'relu']).default('tanh') },
      'torch.nn.RNN (batch_first) over [T, F].',
    ),
    recurrent('lstm', {}, 'torch.nn.LSTM (batch_first) over [T, F].'),
    recurrent('gru', {}, 'torch.nn.GRU (batch_first) over [T, F].'),
    layer(
      'attention',
      { heads: size('heads'), causal: z.boolean().default(false), dropout: dropP(0), bias },
      'torch.nn.MultiheadAttention(E, heads, batch_first=True) self-attention over [T, E].',
    ),
    layer(
      'transformer_encoder',
      {
        dModel: size('dModel'),
        heads: size('heads'),
        ff: size('ff').default(2048).describe('dim_feedforward.'),
        dropout: dropP(0.1),
        activation: z.enum(['relu', 'gelu']).default('relu'),
        normFirst: z.boolean().default(false),
        eps: normEps,
        causal: z.boolean().default(false),
      },
      'torch.nn.TransformerEncoderLayer(batch_first=True) over [T, dModel].',
    ),
    layer(
      'positional',
      { maxLen: size('maxLen') },
      'Learned positional embedding: x + weight[:T], weight [maxLen, F].',
    ),
    layer('mean_pool', {}, 'Mean over time: [T, F] → [F].'),
  ] as const;

  const LayerSpecSchema = z.discriminatedUnion('type', schemas).describe('One layer of a sequential model.');
  return { LayerSpecSchema };
}
