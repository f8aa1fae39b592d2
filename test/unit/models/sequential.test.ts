/**
 * The sequential builder and the layer registry: torch.nn.Sequential names and shapes, the
 * output-width rule, shape errors naming the layer, eval/training mode, and the promise that a
 * sequential [linear, relu, (dropout,) linear] is the `mlp` of the same sizes bit for bit.
 */
import { describe, expect, it } from 'vitest';
import { basicLayers } from '../../../src/models/layers/basic.js';
import { buildLayer } from '../../../src/models/layers/registry.js';
import { LayerShapeError } from '../../../src/models/layers/types.js';
import { buildModel, type DenseConfig } from '../../../src/models/dense.js';
import type { SequentialConfig } from '../../../src/models/model.js';
import { planSequential, sequentialFromWeights } from '../../../src/models/sequential.js';
import { SpecError } from '../../../src/models/spec-error.js';
import { predict } from '../../../src/models/predict.js';
import { initialValues } from '../../../src/models/init-values.js';
import { createRng } from '../../../src/rng/rng.js';
import { linear, relu, Tensor, tensor, type NamedWeights } from '../../../src/tensor/index.js';
import type { InitScheme } from '../../../src/models/init.js';

const lin = (out?: number) => ({ type: 'linear' as const, out, bias: true });
const seq = (input: number[], layers: SequentialConfig['layers']): SequentialConfig => ({
  type: 'sequential',
  input,
  layers,
});
const values = (m: ReturnType<typeof buildModel>) => m.params.map((p) => Array.from(p.tensor.data));
const build = (
  c: SequentialConfig | DenseConfig,
  f: number,
  out: number,
  seed = 3,
  scheme: InitScheme = 'default',
) => buildModel(c, f, out, 'float64', { scheme, rng: createRng(seed) });

describe('sequential: names, shapes, report', () => {
  it('names parameters i.weight / i.bias by the layer index, as nn.Sequential', () => {
    const m = build(seq([3], [lin(4), { type: 'relu' }, { type: 'dropout', p: 0.5 }, lin()]), 3, 2);
    expect(m.params.map((p) => `${p.name}:${p.tensor.shape.join('x')}:${p.isWeight}`)).toEqual([
      '0.weight:4x3:true',
      '0.bias:4:false',
      '3.weight:2x4:true',
      '3.bias:2:false',
    ]);
    expect(m.buffers).toEqual([]);
    expect(m.layers).toEqual([
      { index: 0, type: 'linear', outputShape: [4], parameters: 16 },
      { index: 1, type: 'relu', outputShape: [4], parameters: 0 },
      { index: 2, type: 'dropout', outputShape: [4], parameters: 0 },
      { index: 3, type: 'linear', outputShape: [2], parameters: 10 },
    ]);
  });

  it('linear acts on the last dimension of [T, F]; a flat row is reshaped to input, row-major', () => {
    const c = seq([2, 3], [lin(2), { type: 'flatten' }, { type: 'linear', out: undefined, bias: false }]);
    const m = build(c, 6, 1);
    expect(m.layers.map((l) => l.outputShape)).toEqual([[2, 2], [4], [1]]);
    expect(m.params.map((p) => p.name)).toEqual(['0.weight', '0.bias', '2.weight']);
    const x = tensor([[1, 2, 3, 4, 5, 6]], { dtype: 'float64' });
    const [w0, b0, w2] = m.params.map((p) => p.tensor);
    // By hand: rows [1,2,3] and [4,5,6] through the first linear, concatenated, then the second.
    const h = linear(tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float64' }), w0, b0); // prettier-ignore
    const want = linear(new Tensor(h.data, [1, 4]), w2);
    expect(Array.from(m.forward(x).data)).toEqual(Array.from(want.data));
  });

  it('the last linear without out takes the output width; an earlier one must give out', () => {
    expect(planSequential(seq([3], [lin()]), 7).report[0].outputShape).toEqual([7]);
    expect(() => planSequential(seq([3], [lin(), { type: 'relu' }, lin(2)]), 2)).toThrow(
      '/model/layers/0: linear needs out',
    );
  });

  it('an output that is not [outWidth] is a SpecError at the last layer, saying what fits', () => {
    const err = (() => {
      try {
        planSequential(seq([2, 3], [lin(4), { type: 'relu' }]), 3);
      } catch (e) {
        return e as SpecError;
      }
    })();
    expect(err).toBeInstanceOf(SpecError);
    expect(err!.path).toBe('/model/layers/1');
    expect(err!.message).toBe(
      '/model/layers/1: the model gives [2, 4] per sample; the loss and the data need [3] (end with flatten or mean_pool and a linear layer whose out is 3, or leave out unset)',
    );
  });

  it('a layer that cannot take the previous shape is a clear error with the layer path', () => {
    const conv = { type: 'conv2d', out: 2, kernel: 3, stride: 1, padding: 0, dilation: 1, groups: 1, bias: true } as const; // prettier-ignore
    expect(() => buildLayer(conv, [12])).toThrow(LayerShapeError);
    expect(() => planSequential(seq([3, 4], [{ type: 'flatten' }, conv, lin()]), 2)).toThrow(
      /^\/model\/layers\/1: conv2d expects \[C, H, W\], the previous layer gives \[12\]/,
    );
  });
});

describe('sequential equals mlp bit for bit', () => {
  const mlp = (hidden: number[], dropout: number): DenseConfig => ({
    type: 'mlp',
    hidden,
    activation: 'tanh',
    dropout,
  });
  const asSeq = (hidden: number[], dropout: number): SequentialConfig =>
    seq(
      [3],
      hidden
        .flatMap((h) => [
          lin(h),
          { type: 'tanh' as const },
          ...(dropout > 0 ? [{ type: 'dropout' as const, p: dropout }] : []),
        ])
        .concat([lin()]),
    );

  for (const scheme of ['default', 'xavier_uniform', 'kaiming_normal'] as const) {
    for (const dropout of [0, 0.3]) {
      it(`hidden [5, 4], dropout ${dropout}, init ${scheme}: same names, values and outputs`, () => {
        const a = build(mlp([5, 4], dropout), 3, 2, 11, scheme);
        const b = build(asSeq([5, 4], dropout), 3, 2, 11, scheme);
        expect(b.params.map((p) => p.name)).toEqual(a.params.map((p) => p.name));
        expect(b.params.map((p) => p.isWeight)).toEqual(a.params.map((p) => p.isWeight));
        expect(values(b)).toEqual(values(a));
        const x = tensor([[0.5, -1, 2], [3, 0.25, -0.75]], { dtype: 'float64' }); // prettier-ignore
        expect(Array.from(b.forward(x).data)).toEqual(Array.from(a.forward(x).data));
        const ya = a.forward(x, { training: true, rng: createRng(9) });
        const yb = b.forward(x, { training: true, rng: createRng(9) });
        expect(Array.from(yb.data)).toEqual(Array.from(ya.data));
      });
    }
  }
});

describe('sequential: modes, weights and init values', () => {
  it('dropout is off in eval mode and draws from the given generator in training mode', () => {
    const m = build(seq([4], [{ type: 'dropout', p: 0.5 }, lin()]), 4, 1);
    const x = tensor([[1, 2, 3, 4]], { dtype: 'float64' });
    const evalOut = m.forward(x).item();
    expect(m.forward(x, { training: false }).item()).toBe(evalOut);
    const t1 = m.forward(x, { training: true, rng: createRng(1) }).item();
    expect(m.forward(x, { training: true, rng: createRng(1) }).item()).toBe(t1);
    expect(() => m.forward(x, { training: true })).toThrow('dropout generator');
  });

  it('activations of the basic family take their torch hyper-parameters', () => {
    const x = tensor([[-2, 0.5]], { dtype: 'float64' });
    const run = (l: Parameters<typeof buildLayer>[0]) =>
      Array.from(buildLayer(l, [2]).forward(x, { params: {}, buffers: {} }, { training: false, rng: createRng(0), dtype: 'float64' }).data); // prettier-ignore
    expect(run({ type: 'leaky_relu', slope: 0.2 })).toEqual([-0.4, 0.5]);
    expect(run({ type: 'elu', alpha: 2 })[0]).toBeCloseTo(2 * Math.expm1(-2), 15);
    expect(run({ type: 'silu' })[1]).toBeCloseTo(0.5 / (1 + Math.exp(-0.5)), 15);
    expect(run({ type: 'softplus', beta: 2, threshold: 20 })[1]).toBeCloseTo(Math.log1p(Math.exp(1)) / 2, 15);
    const g = run({ type: 'gelu', approximate: 'tanh' })[1];
    expect(g).toBeCloseTo(0.5 * 0.5 * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (0.5 + 0.044715 * 0.125))), 15);
    expect(run({ type: 'relu' })).toEqual(Array.from(relu(x).data));
    expect(Object.keys(basicLayers)).toHaveLength(11);
  });

  it('predict rebuilds the model from its weights, the output width from the last linear', () => {
    const c = seq([2, 2], [{ type: 'flatten' }, lin(3), { type: 'relu' }, lin()]);
    const m = build(c, 4, 2);
    const w: NamedWeights = {};
    for (const p of m.params) w[p.name] = { shape: [...p.tensor.shape], data: p.tensor.data };
    const rebuilt = sequentialFromWeights(c, w);
    expect(rebuilt.outWidth).toBe(2);
    const x = [[1, -1, 0.5, 2]];
    const logits = m.forward(tensor(x, { dtype: 'float64' })).data;
    const p = predict({ model: c, loss: 'mse' }, w, x);
    expect(p.outputs[0]).toEqual(Array.from(logits));
  });

  it('init.weights names the layer tensors; shape errors name both shapes', () => {
    const c = seq([3], [lin(2), { type: 'relu' }, lin()]);
    expect(Object.keys(initialValues(c, 3, 1, 'float64', { '2.bias': [0.5] })!)).toEqual(['2.bias']);
    expect(() => initialValues(c, 3, 1, 'float64', { '2.weight': [[1, 2, 3]] })).toThrow(
      'init.weights.2.weight has shape [1, 3]; the model needs [1, 2]',
    );
    expect(() => initialValues(c, 3, 1, 'float64', { '1.weight': [[1]] })).toThrow(
      'init.weights has "1.weight", which is not a parameter of this model (it has 0.weight, 0.bias, 2.weight, 2.bias)',
    );
  });
});

describe('sequential: buffers', () => {
  const bn = seq([3], [lin(2), { type: 'batchnorm1d', momentum: 0.1, eps: 1e-5, affine: true }, lin()]);

  it('are named i.<buffer> and take init.weights, a 0-dim num_batches_tracked as a bare number', () => {
    const m = build(bn, 3, 1);
    expect(m.buffers.map((b) => `${b.name}:[${b.shape.join(',')}]:${b.integer}`)).toEqual([
      '1.running_mean:[2]:false',
      '1.running_var:[2]:false',
      '1.num_batches_tracked:[]:true',
    ]);
    const given = { '1.running_mean': [0.5, -1], '1.num_batches_tracked': 4 };
    const values = initialValues(bn, 3, 1, 'float64', given)!;
    const m2 = buildModel(bn, 3, 1, 'float64', { scheme: 'default', rng: createRng(3), values });
    expect(Array.from(m2.buffers[0].data)).toEqual([0.5, -1]);
    expect(Array.from(m2.buffers[1].data)).toEqual([1, 1]);
    expect(Array.from(m2.buffers[2].data)).toEqual([4]);
  });

  it('training mode updates the running statistics in place; eval mode reads them', () => {
    const m = build(bn, 3, 1);
    const x = tensor([[1, 2, 3], [0, -1, 2], [4, 0, 1]], { dtype: 'float64' }); // prettier-ignore
    const before = m.forward(x).data.slice();
    m.forward(x, { training: true, rng: createRng(0) });
    expect(Array.from(m.buffers[2].data)).toEqual([1]);
    expect(Array.from(m.buffers[0].data)).not.toEqual([0, 0]);
    expect(Array.from(m.forward(x).data)).not.toEqual(Array.from(before));
  });
});
