/**
 * The `sequential` model in the JobSpec: every layer type parses with torch's defaults, limits
 * refuse by name (path, limit, value, variable), and the parsed layers are what the models' builder
 * takes (a type-level check).
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createJobSpecSchema,
  JobSpecSchema,
  type LayerSpecParsed,
  type SupervisedJobSpec,
} from '../../../src/contracts/job-spec.js';
import { DEFAULT_LIMITS } from '../../../src/contracts/limits.js';
import type { SequentialLayerSpec } from '../../../src/models/model.js';

/** Every parsed layer is a layer the builder takes (compile-time: assignability both ways). */
const parsedIsBuilderSpec: (l: LayerSpecParsed) => SequentialLayerSpec = (l) => l;
void parsedIsBuilderSpec;

function issues(input: unknown, schema: z.ZodType = JobSpecSchema): Array<[string, string]> {
  const r = schema.safeParse(input);
  if (r.success) return [];
  return r.error.issues.map((i) => ['/' + i.path.join('/'), i.message]);
}

const spec = (model: Record<string, unknown>) => ({
  model: { type: 'sequential', ...model },
  data: { builtin: 'iris' },
  loss: 'cross_entropy',
});

function layersOf(layers: unknown[], input = [4]): SupervisedJobSpec['model'] & { type: 'sequential' } {
  const r = JobSpecSchema.safeParse(spec({ input, layers }));
  if (!r.success) throw new Error(JSON.stringify(r.error.issues));
  const s = r.data as SupervisedJobSpec;
  if (s.model.type !== 'sequential') throw new Error('not sequential');
  return s.model;
}

describe('sequential layers: torch defaults', () => {
  it('fills every default, camelCased', () => {
    const types = [
      'linear', 'flatten', 'dropout', 'relu', 'tanh', 'sigmoid', 'silu', 'leaky_relu', 'elu', 'gelu',
      'softplus', 'batchnorm1d', 'batchnorm2d', 'layernorm', 'mean_pool',
    ]; // prettier-ignore
    const m = layersOf(types.map((type) => ({ type })));
    expect(m.layers).toEqual([
      { type: 'linear', bias: true },
      { type: 'flatten' },
      { type: 'dropout', p: 0.5 },
      { type: 'relu' },
      { type: 'tanh' },
      { type: 'sigmoid' },
      { type: 'silu' },
      { type: 'leaky_relu', slope: 0.01 },
      { type: 'elu', alpha: 1 },
      { type: 'gelu', approximate: 'none' },
      { type: 'softplus', beta: 1, threshold: 20 },
      { type: 'batchnorm1d', momentum: 0.1, eps: 1e-5, affine: true },
      { type: 'batchnorm2d', momentum: 0.1, eps: 1e-5, affine: true },
      { type: 'layernorm', eps: 1e-5, affine: true },
      { type: 'mean_pool' },
    ]);
  });

  it('conv, pool, recurrent, attention, transformer, embedding and positional defaults', () => {
    const m = layersOf([
      { type: 'conv1d', out: 4, kernel: 3 },
      { type: 'conv2d', out: 4, kernel: [3, 5] },
      { type: 'maxpool1d', kernel: 2 },
      { type: 'maxpool2d', kernel: 2 },
      { type: 'avgpool1d', kernel: 2 },
      { type: 'avgpool2d', kernel: [2, 3] },
      { type: 'adaptive_avgpool2d', output: 1 },
      { type: 'embedding', num: 10, dim: 4 },
      { type: 'positional', maxLen: 16 },
      { type: 'rnn', hidden: 8 },
      { type: 'lstm', hidden: 8 },
      { type: 'gru', hidden: 8, bidirectional: true, output: 'sequence' },
      { type: 'attention', heads: 2 },
      { type: 'transformer_encoder', dModel: 8, heads: 2 },
      { type: 'batchnorm1d', momentum: null },
      { type: 'linear', out: 3 },
    ]);
    expect(m.layers).toEqual([
      { type: 'conv1d', out: 4, kernel: 3, stride: 1, padding: 0, dilation: 1, groups: 1, bias: true },
      { type: 'conv2d', out: 4, kernel: [3, 5], stride: 1, padding: 0, dilation: 1, groups: 1, bias: true },
      { type: 'maxpool1d', kernel: 2, padding: 0, dilation: 1 },
      { type: 'maxpool2d', kernel: 2, padding: 0, dilation: 1 },
      { type: 'avgpool1d', kernel: 2, padding: 0, countIncludePad: true },
      { type: 'avgpool2d', kernel: [2, 3], padding: 0, countIncludePad: true },
      { type: 'adaptive_avgpool2d', output: 1 },
      { type: 'embedding', num: 10, dim: 4 },
      { type: 'positional', maxLen: 16 },
      { type: 'rnn', hidden: 8, layers: 1, bidirectional: false, dropout: 0, output: 'last', bias: true, nonlinearity: 'tanh' }, // prettier-ignore
      { type: 'lstm', hidden: 8, layers: 1, bidirectional: false, dropout: 0, output: 'last', bias: true },
      { type: 'gru', hidden: 8, layers: 1, bidirectional: true, dropout: 0, output: 'sequence', bias: true },
      { type: 'attention', heads: 2, causal: false, dropout: 0, bias: true },
      { type: 'transformer_encoder', dModel: 8, heads: 2, ff: 2048, dropout: 0.1, activation: 'relu', normFirst: false, eps: 1e-5, causal: false }, // prettier-ignore
      { type: 'batchnorm1d', momentum: null, eps: 1e-5, affine: true },
      { type: 'linear', out: 3, bias: true },
    ]);
  });

  it('padding takes "same" and "valid"; pair fields take a number or [h, w]', () => {
    const m = layersOf([
      { type: 'conv2d', out: 2, kernel: 3, padding: 'same', stride: [1, 1], dilation: [2, 1] },
      { type: 'conv1d', out: 2, kernel: 3, padding: 'valid' },
    ]);
    expect(m.layers[0]).toMatchObject({ padding: 'same', stride: [1, 1], dilation: [2, 1] });
    expect(m.layers[1]).toMatchObject({ padding: 'valid' });
  });
});

describe('sequential: refusals name the path, the limit and the value', () => {
  it('too many layers, too large a size, an input of rank 4', () => {
    expect(issues(spec({ input: [4], layers: Array(65).fill({ type: 'relu' }) }))).toEqual([
      ['/model/layers', 'layers has 65 layers; the limit is 64 (DESCENT_LIMIT_MAX_LAYERS raises it)'],
    ]);
    expect(issues(spec({ input: [4], layers: [{ type: 'linear', out: 100000 }] }))).toEqual([
      ['/model/layers/0/out', 'out is 100000; the limit is 65536 (DESCENT_LIMIT_MAX_LAYER_SIZE raises it)'],
    ]);
    expect(issues(spec({ input: [1, 2, 2, 1], layers: [{ type: 'flatten' }, { type: 'linear' }] }))).toEqual([
      ['/model/input', 'input has 4 dimensions; the limit is 3 ([F], [C, L], [C, H, W], [T, F] or [T])'],
    ]);
    expect(issues(spec({ input: [], layers: [{ type: 'linear' }] }))).toEqual([
      ['/model/input', 'input needs 1 to 3 dimensions: [F], [C, L], [C, H, W], [T, F] or [T]'],
    ]);
    expect(issues(spec({ input: [4], layers: [] }))).toEqual([
      ['/model/layers', 'layers needs at least one layer'],
    ]);
  });

  it('a deployment’s own limits apply', () => {
    const schema = createJobSpecSchema({ ...DEFAULT_LIMITS, maxLayers: 2 });
    expect(issues(spec({ input: [4], layers: Array(3).fill({ type: 'relu' }) }), schema)).toEqual([
      ['/model/layers', 'layers has 3 layers; the limit is 2 (DESCENT_LIMIT_MAX_LAYERS raises it)'],
    ]);
  });

  it('bad hyper-parameters are refused at their field', () => {
    expect(issues(spec({ input: [4], layers: [{ type: 'dropout', p: 1.5 }, { type: 'linear' }] }))).toEqual([
      ['/model/layers/0/p', 'p must be in [0, 1)'],
    ]);
    expect(
      issues(spec({ input: [4], layers: [{ type: 'lstm', hidden: 4, nonlinearity: 'relu' }] }))[0][0],
    ).toBe('/model/layers/0');
    expect(issues(spec({ input: [4], layers: [{ type: 'conv2d', out: 2, kernel: 0 }] }))[0]).toEqual([
      '/model/layers/0/kernel',
      expect.stringContaining('kernel must be an integer ≥ 1'),
    ]);
  });

  it('only the last linear may leave out to the output-width rule', () => {
    expect(
      issues(spec({ input: [4], layers: [{ type: 'linear' }, { type: 'relu' }, { type: 'linear' }] })),
    ).toEqual([
      ['/model/layers/0/out', 'layers[0] (linear) needs out: only the last linear layer may leave it to the output-width rule'], // prettier-ignore
    ]);
  });

  it('the input must hold the data’s features', () => {
    expect(issues(spec({ input: [2, 3], layers: [{ type: 'flatten' }, { type: 'linear' }] }))).toEqual([
      ['/model/input', 'model.input [2, 3] takes 6 values per row; dataset iris has 4 features'],
    ]);
    expect(issues(spec({ input: [2, 2], layers: [{ type: 'flatten' }, { type: 'linear' }] }))).toEqual([]);
  });
});
