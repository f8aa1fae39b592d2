/**
 * The norm, embedding and attention layer families beyond the torch goldens
 * (test/golden/layers-attention.test.ts): finite-difference checks of first and second derivatives
 * (test/helpers/gradcheck.ts) on small cases, the shape and id errors, the batch-of-one error,
 * torch's initial values, and which tensors count as weights.
 */
import { describe, expect, it } from 'vitest';
import { indexSelect, mul, tensor, type Tensor } from '../../../src/tensor/index.js';
import { createRng } from '../../../src/rng/rng.js';
import { attentionLayers } from '../../../src/models/layers/attention.js';
import { embeddingLayers } from '../../../src/models/layers/embedding.js';
import { normLayers } from '../../../src/models/layers/norm.js';
import {
  LayerShapeError,
  type BuiltLayer,
  type LayerSpec,
  type LayerState,
} from '../../../src/models/layers/types.js';
import { gradcheck, gradgradcheck, randomTensor } from '../../helpers/gradcheck.js';

const families = { ...normLayers, ...embeddingLayers, ...attentionLayers };
function build(spec: LayerSpec, input: number[]): BuiltLayer {
  return (families as unknown as Record<string, (s: LayerSpec, i: number[]) => BuiltLayer>)[spec.type](
    spec,
    input,
  );
}

/** Parameters from their torch init (perturbed so no bias is 0, no scale 1) and buffers from their fills. */
function initState(layer: BuiltLayer, seed = 7): { params: Tensor[]; buffers: LayerState['buffers'] } {
  const rng = createRng(seed);
  const params = layer.params.map((p) => {
    const d = new Float64Array(p.shape.reduce((a, b) => a * b, 1));
    p.init(d, rng);
    for (let i = 0; i < d.length; i++) d[i] += 0.2 * rng.normal();
    return tensor(d, { shape: p.shape, dtype: 'float64', requiresGrad: true });
  });
  const buffers: LayerState['buffers'] = {};
  for (const b of layer.buffers) {
    buffers[b.name] = new Float64Array(b.shape.reduce((a, c) => a * c, 1)).fill(b.fill);
  }
  return { params, buffers };
}

/** f(x, ...params) = layer.forward, for gradcheck. */
function asFunction(layer: BuiltLayer, buffers: LayerState['buffers'], training: boolean) {
  return (x: Tensor, ...ps: Tensor[]): Tensor => {
    const params: Record<string, Tensor> = {};
    layer.params.forEach((p, i) => (params[p.name] = ps[i]));
    return layer.forward(x, { params, buffers }, { training, rng: createRng(3), dtype: 'float64' });
  };
}

const bn = (type: 'batchnorm1d' | 'batchnorm2d', momentum: number | null = 0.1): LayerSpec => ({
  type,
  momentum,
  eps: 1e-5,
  affine: true,
});
const attn = (heads: number, causal: boolean, bias = true): LayerSpec => ({
  type: 'attention',
  heads,
  causal,
  dropout: 0,
  bias,
});
const encoder = (over: Partial<Extract<LayerSpec, { type: 'transformer_encoder' }>> = {}): LayerSpec => ({
  type: 'transformer_encoder',
  dModel: 4,
  heads: 2,
  ff: 5,
  dropout: 0,
  activation: 'gelu',
  normFirst: false,
  eps: 1e-5,
  causal: true,
  ...over,
});

describe('finite differences', () => {
  const rng = createRng(99);
  const cases: [string, LayerSpec, number[], number, boolean, boolean][] = [
    // name, spec, one sample's shape, batch, training, second order too
    ['batchnorm1d [F] training', bn('batchnorm1d'), [3], 4, true, true],
    ['batchnorm1d [C, L] training', bn('batchnorm1d', null), [2, 3], 2, true, false],
    ['batchnorm2d training', bn('batchnorm2d'), [2, 2, 2], 2, true, false],
    ['batchnorm2d eval', bn('batchnorm2d'), [2, 2, 2], 2, false, true],
    ['layernorm', { type: 'layernorm', eps: 1e-5, affine: true }, [2, 3], 2, true, true],
    ['positional', { type: 'positional', maxLen: 5 }, [3, 2], 2, true, false],
    ['mean_pool', { type: 'mean_pool' }, [3, 2], 2, true, false],
    ['attention causal, 2 heads', attn(2, true), [3, 4], 2, true, true],
    ['attention, 1 head, no bias', attn(1, false, false), [3, 2], 1, true, true],
    ['transformer_encoder post-norm gelu causal', encoder(), [3, 4], 1, true, true],
    [
      'transformer_encoder pre-norm relu',
      encoder({ normFirst: true, activation: 'relu', causal: false }),
      [3, 4],
      1,
      true,
      true,
    ],
  ];
  for (const [name, spec, input, n, training, second] of cases) {
    it(name, () => {
      const layer = build(spec, input);
      const { params, buffers } = initState(layer);
      const f = asFunction(layer, buffers, training);
      const x = randomTensor(rng, [n, ...input]);
      const first = gradcheck(f, [x, ...params]);
      expect(first.ok, first.message).toBe(true);
      if (second) {
        const h = gradgradcheck(f, [x, ...params], { directions: 2 });
        expect(h.ok, h.message).toBe(true);
      }
    });
  }

  it('indexSelect: second order through its adjoint indexAdd, with and without a skipped row', () => {
    const x = randomTensor(rng, [4, 2]);
    for (const skip of [undefined, 1]) {
      const f = (t: Tensor): Tensor => {
        const r = indexSelect(t, [3, 1, 0, 3], skip);
        return mul(r, r);
      };
      const h = gradgradcheck(f, [x]);
      expect(h.ok, h.message).toBe(true);
    }
    expect(() => indexSelect(x, [4])).toThrow(/index 4 at position 0 is outside \[0, 4\)/);
  });

  it('embedding: the weight gradient, none for the padding row', () => {
    const layer = build({ type: 'embedding', num: 4, dim: 2, paddingIdx: 2 }, [5]);
    const { params, buffers } = initState(layer);
    const ids = tensor([[0, 2, 3, 2, 0]], { dtype: 'float64' });
    const f = (w: Tensor): Tensor => asFunction(layer, buffers, true)(ids, w);
    const r = gradcheck(f, params);
    // The padding row's finite difference is not zero (the forward reads it); torch's rule zeroes it.
    const notPad = r.mismatches.filter((m) => Math.floor(m.index / 2) !== 2);
    expect(notPad, r.message).toEqual([]);
    expect(r.mismatches.map((m) => m.index).sort()).toEqual([4, 5]);
    expect(r.mismatches.every((m) => m.analytic === 0)).toBe(true);
  });
});

describe('errors', () => {
  const shapeError = (spec: LayerSpec, input: number[], pattern: RegExp): void => {
    expect(() => build(spec, input)).toThrow(LayerShapeError);
    expect(() => build(spec, input)).toThrow(pattern);
  };

  it('attention and transformer_encoder: E not divisible by heads names both', () => {
    shapeError(attn(4, false), [3, 6], /embedding dim 6 is not divisible by heads 4/);
    shapeError(encoder({ dModel: 6, heads: 4 }), [3, 6], /embedding dim 6 is not divisible by heads 4/);
  });
  it('transformer_encoder: dModel must be the input width', () => {
    shapeError(encoder({ dModel: 8 }), [3, 4], /dModel 8 but the previous layer gives 4 features/);
    shapeError(encoder(), [12], /expects \[T, dModel\] per sample; the previous layer gives \[12\]/);
  });
  it('attention needs [T, E]', () => shapeError(attn(1, false), [2, 3, 4], /attention expects \[T, E\]/));
  it('positional: T > maxLen', () =>
    shapeError({ type: 'positional', maxLen: 4 }, [5, 2], /maxLen 4 but the sequence has T = 5/));
  it('batchnorm ranks', () => {
    shapeError(
      bn('batchnorm2d'),
      [4],
      /batchnorm2d expects \[C, H, W\] per sample; the previous layer gives \[4\]/,
    );
    shapeError(bn('batchnorm1d'), [1, 2, 3], /batchnorm1d expects \[F\] or \[C, L\]/);
  });
  it('embedding: input [T] only; paddingIdx in range', () => {
    shapeError({ type: 'embedding', num: 3, dim: 2 }, [4, 2], /embedding expects \[T\] integer ids/);
    shapeError(
      { type: 'embedding', num: 3, dim: 2, paddingIdx: 3 },
      [4],
      /paddingIdx 3 is outside \[-3, 3\)/,
    );
  });
  it('embedding: ids must be integers in [0, num), named in a RangeError', () => {
    const layer = build({ type: 'embedding', num: 3, dim: 2 }, [2]);
    const { params, buffers } = initState(layer);
    const run = (ids: number[]) => () =>
      asFunction(layer, buffers, true)(tensor([ids], { dtype: 'float64' }), ...params);
    expect(run([0, 3])).toThrow(/id 3 at position 1 is not an integer in \[0, 3\)/);
    expect(run([1.5, 0])).toThrow(RangeError);
    expect(run([-1, 0])).toThrow(/id -1/);
    expect(run([2, 0])).not.toThrow();
  });
  it('batchnorm1d: a training batch of one says so, as torch refuses it; eval takes it', () => {
    const layer = build(bn('batchnorm1d'), [3]);
    const { params, buffers } = initState(layer);
    const x = tensor([[1, 2, 3]], { dtype: 'float64' });
    expect(() => asFunction(layer, buffers, true)(x, ...params)).toThrow(
      'batchnorm1d needs more than one value per channel in training; got a batch of 1',
    );
    expect(buffers.num_batches_tracked[0]).toBe(0); // nothing updated
    expect(() => asFunction(layer, buffers, false)(x, ...params)).not.toThrow();
    const l2 = build(bn('batchnorm2d'), [2, 1, 1]);
    const s2 = initState(l2);
    expect(() =>
      asFunction(l2, s2.buffers, true)(tensor([[[[1]], [[2]]]], { dtype: 'float64' }), ...s2.params),
    ).toThrow(/batchnorm2d needs more than one value per channel in training; got 1 value per channel/);
  });
});

describe('initial values and weights (torch 1.13 defaults)', () => {
  const fill = (layer: BuiltLayer, seed = 5) => {
    const rng = createRng(seed);
    return Object.fromEntries(
      layer.params.map((p) => {
        const d = new Float64Array(p.shape.reduce((a, b) => a * b, 1));
        p.init(d, rng);
        return [p.name, d];
      }),
    );
  };
  const maxAbs = (d: Float64Array) => d.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

  it('batchnorm / layernorm: γ = 1, β = 0, not weights; buffers 0, 1 and an integer 0', () => {
    const layer = build(bn('batchnorm2d'), [3, 2, 2]);
    const v = fill(layer);
    expect([...v.weight]).toEqual([1, 1, 1]);
    expect([...v.bias]).toEqual([0, 0, 0]);
    expect(layer.params.every((p) => !p.isWeight)).toBe(true);
    expect(layer.buffers).toEqual([
      { name: 'running_mean', shape: [3], fill: 0 },
      { name: 'running_var', shape: [3], fill: 1 },
      { name: 'num_batches_tracked', shape: [], fill: 0, integer: true },
    ]);
    const ln = build({ type: 'layernorm', eps: 1e-5, affine: false }, [4]);
    expect(ln.params).toEqual([]);
  });

  it('embedding: N(0, 1) with the padding row zero; a weight with torch fans', () => {
    const layer = build({ type: 'embedding', num: 200, dim: 50, paddingIdx: -1 }, [3]);
    const w = fill(layer).weight;
    expect([...w.subarray(199 * 50)].every((v) => v === 0)).toBe(true);
    const body = w.subarray(0, 199 * 50);
    const m = body.reduce((a, b) => a + b, 0) / body.length;
    const sd = Math.sqrt(body.reduce((a, b) => a + (b - m) ** 2, 0) / body.length);
    expect(Math.abs(m)).toBeLessThan(0.05);
    expect(Math.abs(sd - 1)).toBeLessThan(0.05);
    expect(layer.params[0]).toMatchObject({ isWeight: true, fan: { in: 50, out: 200 } });
  });

  it('positional: N(0, 1), not a weight', () => {
    const layer = build({ type: 'positional', maxLen: 100 }, [10, 30]);
    expect(layer.params[0]).toMatchObject({ name: 'weight', shape: [100, 30], isWeight: false });
    const w = fill(layer).weight;
    const sd = Math.sqrt(w.reduce((a, b) => a + b * b, 0) / w.length);
    expect(Math.abs(sd - 1)).toBeLessThan(0.05);
  });

  it('attention: in_proj xavier_uniform, out_proj U(±1/√E), biases 0; the matrices are weights', () => {
    const e = 16;
    const layer = build(attn(4, false), [5, e]);
    const v = fill(layer);
    const xavier = Math.sqrt(6 / (e + 3 * e));
    expect(maxAbs(v.in_proj_weight)).toBeLessThanOrEqual(xavier);
    expect(maxAbs(v.in_proj_weight)).toBeGreaterThan(0.95 * xavier);
    expect(maxAbs(v['out_proj.weight'])).toBeLessThanOrEqual(1 / Math.sqrt(e));
    expect(maxAbs(v['out_proj.weight'])).toBeGreaterThan(0.9 / Math.sqrt(e));
    expect(maxAbs(v.in_proj_bias)).toBe(0);
    expect(maxAbs(v['out_proj.bias'])).toBe(0);
    expect(layer.params.filter((p) => p.isWeight).map((p) => p.name)).toEqual([
      'in_proj_weight',
      'out_proj.weight',
    ]);
    expect(layer.params.find((p) => p.name === 'in_proj_weight')?.fan).toEqual({ in: e, out: 3 * e });
  });

  it('transformer_encoder: linear1/linear2 nn.Linear init, norms 1/0; weights are the four matrices', () => {
    const layer = build(encoder({ dModel: 8, heads: 2, ff: 32 }), [4, 8]);
    const v = fill(layer);
    expect(maxAbs(v['linear1.weight'])).toBeLessThanOrEqual(1 / Math.sqrt(8));
    expect(maxAbs(v['linear1.bias'])).toBeLessThanOrEqual(1 / Math.sqrt(8));
    expect(maxAbs(v['linear2.weight'])).toBeLessThanOrEqual(1 / Math.sqrt(32));
    expect(maxAbs(v['linear2.weight'])).toBeGreaterThan(0.9 / Math.sqrt(32));
    expect([...v['norm2.weight']].every((x) => x === 1)).toBe(true);
    expect(layer.params.filter((p) => p.isWeight).map((p) => p.name)).toEqual([
      'self_attn.in_proj_weight',
      'self_attn.out_proj.weight',
      'linear1.weight',
      'linear2.weight',
    ]);
  });

  it('attention dropout acts in training only, from ctx.rng', () => {
    const layer = build({ type: 'attention', heads: 1, causal: false, dropout: 0.5, bias: true }, [4, 2]);
    const { params, buffers } = initState(layer);
    const x = randomTensor(createRng(1), [1, 4, 2], { requiresGrad: false });
    const ev = asFunction(layer, buffers, false);
    expect([...ev(x, ...params).data]).toEqual([...ev(x, ...params).data]);
    const tr = asFunction(layer, buffers, true);
    expect([...tr(x, ...params).data]).not.toEqual([...ev(x, ...params).data]);
  });
});
