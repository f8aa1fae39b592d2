/**
 * Convolution and pooling layers against PyTorch 1.13 (float64), built through `convLayers` /
 * `poolLayers` as a sequential model would build them.
 *
 * Fixture: test/golden/fixtures/conv.json, written by scripts/fixtures/conv_fixtures.py
 * (`/usr/bin/python3 scripts/fixtures/conv_fixtures.py`). Per case: the layer spec, a batch of two
 * samples x, the parameters, torch's output, a weighting w and torch's gradients of F = Σ out ⊙ w
 * with respect to x and every parameter, and H·v of ψ = ½ Σ w ⊙ out² (double backward) along a fixed
 * direction v over x and the parameters. Every value is compared at ≤ 1e-12 relative (+1e-14), under
 * every kernel backend available (the convolution's GEMMs go through `kernels().matmul`).
 *
 * Finite differences (gradcheck / gradgradcheck of test/helpers) check the small cases independently
 * of torch; then come the shape errors, torch's default init bounds and float32 forwards.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convLayers } from '../../src/models/layers/conv.js';
import { poolLayers } from '../../src/models/layers/pool.js';
import {
  LayerShapeError,
  type BuiltLayer,
  type LayerSpec,
  type LayerState,
} from '../../src/models/layers/types.js';
import { createRng } from '../../src/rng/rng.js';
import { grad, kernels, setKernels, Tensor, tensor, type Kernels } from '../../src/tensor/index.js';
import { firstMismatch, gradcheck, gradgradcheck, kernelBackends } from '../helpers/gradcheck.js';

interface Case {
  name: string;
  spec: LayerSpec;
  input: number[];
  batch: number;
  x: number[];
  params: Record<string, { shape: number[]; data: number[] }>;
  output: { shape: number[]; data: number[] };
  w: number[];
  grads: Record<string, number[]>;
  v: Record<string, number[]>;
  hvp: Record<string, number[]>;
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/conv.json', import.meta.url), 'utf8')) as {
  torch: string;
  cases: Case[];
};

const FAMILIES: Record<string, (spec: never, input: readonly number[]) => BuiltLayer> = {
  ...convLayers,
  ...poolLayers,
};

function build(spec: LayerSpec, input: readonly number[]): BuiltLayer {
  const b = FAMILIES[spec.type];
  if (!b) throw new Error(`no builder for ${spec.type}`);
  return b(spec as never, input);
}

const ctx = { training: true, rng: createRng(1), dtype: 'float64' as const };

/** The layer's output as a function of x and its parameters (in declaration order). */
function asFunction(layer: BuiltLayer): (x: Tensor, ...params: Tensor[]) => Tensor {
  return (x, ...ps) => {
    const state: LayerState = { params: {}, buffers: {} };
    layer.params.forEach((p, i) => (state.params[p.name] = ps[i]));
    return layer.forward(x, state, ctx);
  };
}

function leavesOf(c: Case, layer: BuiltLayer, dtype: 'float64' | 'float32' = 'float64'): Tensor[] {
  const x = tensor(Float64Array.from(c.x), { shape: [c.batch, ...c.input], dtype, requiresGrad: true });
  return [
    x,
    ...layer.params.map((p) => {
      const src = c.params[p.name];
      if (!src) throw new Error(`${c.name}: the fixture has no ${p.name}`);
      return tensor(Float64Array.from(src.data), { shape: src.shape, dtype, requiresGrad: true });
    }),
  ];
}

function expectClose(what: string, got: ArrayLike<number>, want: readonly number[]): void {
  const m = firstMismatch(got, want);
  expect(m, `${what}: element ${m?.index}: ours ${m?.got} vs torch ${m?.want}`).toBeNull();
}

const namesOf = (layer: BuiltLayer) => ['x', ...layer.params.map((p) => p.name)];

describe('conv and pool layers: declarations match torch', () => {
  it('the fixture covers every layer type', () => {
    const types = new Set(fixture.cases.map((c) => c.spec.type));
    expect([...types].sort()).toEqual(
      ['adaptive_avgpool2d', 'avgpool1d', 'avgpool2d', 'conv1d', 'conv2d', 'maxpool1d', 'maxpool2d'].sort(),
    );
  });
  it.each(fixture.cases.map((c) => [c.name, c] as const))('%s: outputShape and params', (_n, c) => {
    const layer = build(c.spec, c.input);
    expect(layer.outputShape).toEqual(c.output.shape.slice(1));
    // Names, shapes and order of torch's state_dict.
    expect(layer.params.map((p) => [p.name, p.shape])).toEqual(
      Object.entries(c.params).map(([n, p]) => [n, p.shape]),
    );
    expect(layer.buffers).toEqual([]);
  });
});

describe.each(kernelBackends())(
  `conv and pool layers against torch ${fixture.torch} (float64, ≤1e-12 relative), %s kernels`,
  (_name, k) => {
    let prev: Kernels;
    beforeAll(() => {
      prev = setKernels(k);
    });
    afterAll(() => {
      setKernels(prev);
    });

    it.each(fixture.cases.map((c) => [c.name, c] as const))('%s', (_n, c) => {
      expect(kernels()).toBe(k);
      const layer = build(c.spec, c.input);
      const f = asFunction(layer);
      const leaves = leavesOf(c, layer);
      const names = namesOf(layer);

      const out = f(leaves[0], ...leaves.slice(1));
      expect([...out.shape]).toEqual(c.output.shape);
      expect(out.dtype).toBe('float64');
      expectClose(`${c.name} output`, out.data, c.output.data);

      const w = tensor(Float64Array.from(c.w), { shape: c.output.shape, dtype: 'float64' });
      const grads = grad(out.mul(w).sum(), leaves);
      names.forEach((n, i) => expectClose(`${c.name} ∂F/∂${n}`, grads[i].data, c.grads[n]));

      // ψ = ½ Σ w ⊙ out², H·v by double backward.
      const psi = f(leaves[0], ...leaves.slice(1))
        .pow(2)
        .mul(w)
        .sum()
        .mul(0.5);
      const g1 = grad(psi, leaves, { createGraph: true });
      let dot: Tensor | null = null;
      g1.forEach((g, i) => {
        const v = tensor(Float64Array.from(c.v[names[i]]), { shape: [...leaves[i].shape], dtype: 'float64' });
        const term = g.mul(v).sum();
        dot = dot === null ? term : dot.add(term);
      });
      const hv = grad(dot!, leaves);
      names.forEach((n, i) => expectClose(`${c.name} (H·v)[${n}]`, hv[i].data, c.hvp[n]));
    });
  },
);

describe('conv and pool layers: finite differences', () => {
  const small = [
    'conv1d_stride2_pad1',
    'conv1d_same_even_dilated',
    'conv1d_groups2',
    'conv2d_stride2_pad1',
    'conv2d_same_even',
    'conv2d_depthwise',
    'conv2d_rect',
    'maxpool1d_pad_stride',
    'maxpool2d_dilation_rect',
    'avgpool1d_pad_exclude',
    'avgpool2d_pad_include',
    'adaptive_avgpool2d_uneven',
  ];
  it.each(small)('%s: gradcheck and gradgradcheck', (name) => {
    const c = fixture.cases.find((x) => x.name === name)!;
    const layer = build(c.spec, c.input);
    const f = asFunction(layer);
    const leaves = leavesOf(c, layer);
    const first = gradcheck(f, leaves);
    expect(first.ok, first.message).toBe(true);
    // Second order through a nonlinearity, so pools (piecewise linear) have a Hessian too.
    const sq = (...xs: Tensor[]) => f(xs[0], ...xs.slice(1)).pow(2);
    const second = gradgradcheck(sq, leaves, { directions: 2 });
    expect(second.ok, second.message).toBe(true);
  });
});

describe('conv and pool layers: shape errors', () => {
  const conv2d = (over: Partial<Extract<LayerSpec, { type: 'conv2d' }>>): LayerSpec => ({
    type: 'conv2d',
    out: 4,
    kernel: 3,
    stride: 1,
    padding: 0,
    dilation: 1,
    groups: 1,
    bias: true,
    ...over,
  });
  const conv1d = (over: Partial<Extract<LayerSpec, { type: 'conv1d' }>>): LayerSpec => ({
    type: 'conv1d',
    out: 4,
    kernel: 3,
    stride: 1,
    padding: 0,
    dilation: 1,
    groups: 1,
    bias: true,
    ...over,
  });
  const cases: [string, LayerSpec, number[], string][] = [
    ['conv2d rank', conv2d({}), [64], 'conv2d expects [C, H, W], the previous layer gives [64]'],
    ['conv1d rank', conv1d({}), [1, 8, 8], 'conv1d expects [C, L], the previous layer gives [1, 8, 8]'],
    [
      'kernel too large',
      conv2d({ kernel: 5 }),
      [1, 4, 4],
      'conv2d kernel 5×5 does not fit the input 1×4×4 with padding 0',
    ],
    [
      'dilated kernel too large',
      conv2d({ kernel: [2, 3], dilation: 2, padding: [0, 1] }),
      [1, 2, 4],
      'conv2d kernel 2×3 (dilation 2×2: it spans 3×5) does not fit the input 1×2×4 with padding 0×1',
    ],
    [
      'conv1d kernel too large',
      conv1d({ kernel: 6 }),
      [2, 5],
      'conv1d kernel 6 does not fit the input 2×5 with padding 0',
    ],
    [
      'groups vs channels',
      conv2d({ groups: 2 }),
      [3, 8, 8],
      'conv2d groups 2 must divide both the input channels (3) and out (4)',
    ],
    [
      'groups vs out',
      conv1d({ groups: 3, out: 4 }),
      [3, 8],
      'conv1d groups 3 must divide both the input channels (3) and out (4)',
    ],
    [
      'same with stride',
      conv2d({ padding: 'same', stride: 2 }),
      [1, 8, 8],
      'conv2d padding "same" needs stride 1 (as in torch), got stride 2×2',
    ],
    ['zero stride', conv2d({ stride: 0 }), [1, 8, 8], 'conv2d stride must be a positive integer, got 0'],
    [
      'pool padding over half the kernel',
      { type: 'maxpool2d', kernel: 3, padding: 2, dilation: 1 },
      [1, 8, 8],
      "maxpool2d padding 2 must be at most half the kernel 3 (torch's rule)",
    ],
    [
      'pool1d padding',
      { type: 'avgpool1d', kernel: 2, padding: 2, countIncludePad: true },
      [1, 8],
      "avgpool1d padding 2 must be at most half the kernel 2 (torch's rule)",
    ],
    [
      'pool empty output',
      { type: 'maxpool2d', kernel: 3, padding: 0, dilation: 2 },
      [2, 4, 4],
      'maxpool2d kernel 3 (dilation 2) does not fit the input 2×4×4 with padding 0',
    ],
    [
      'pool rank',
      { type: 'avgpool2d', kernel: 2, padding: 0, countIncludePad: true },
      [4, 5],
      'avgpool2d expects [C, H, W], the previous layer gives [4, 5]',
    ],
    [
      'adaptive rank',
      { type: 'adaptive_avgpool2d', output: 2 },
      [10],
      'adaptive_avgpool2d expects [C, H, W], the previous layer gives [10]',
    ],
  ];
  it.each(cases)('%s', (_n, spec, input, message) => {
    let err: unknown;
    try {
      build(spec, input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LayerShapeError);
    expect((err as Error).message).toBe(message);
  });
});

describe('conv layers: torch default init', () => {
  it.each([
    [
      'conv2d',
      { type: 'conv2d', out: 16, kernel: 3, stride: 1, padding: 1, dilation: 1, groups: 2, bias: true },
      [4, 8, 8],
    ],
    [
      'conv1d',
      { type: 'conv1d', out: 12, kernel: 5, stride: 1, padding: 0, dilation: 1, groups: 1, bias: true },
      [3, 20],
    ],
  ] as [string, LayerSpec, number[]][])(
    '%s: U(±1/√fan_in) for weight and bias, fans as torch',
    (_n, spec, input) => {
      const layer = build(spec, input);
      const [weight, bias] = layer.params;
      const s = spec as Extract<LayerSpec, { type: 'conv1d' | 'conv2d' }>;
      const area =
        typeof s.kernel === 'number'
          ? s.type === 'conv2d'
            ? s.kernel ** 2
            : s.kernel
          : s.kernel[0] * s.kernel[1];
      const fanIn = (input[0] / s.groups) * area;
      expect(weight.isWeight).toBe(true);
      expect(bias.isWeight).toBe(false);
      expect(weight.fan).toEqual({ in: fanIn, out: s.out * area });
      const bound = 1 / Math.sqrt(fanIn);
      const rng = createRng(7);
      // Many draws through the declared init, to measure its distribution.
      for (const p of [weight, bias]) {
        const n = 20000;
        const out = new Float64Array(n);
        p.init(out, rng);
        let mean = 0;
        let sq = 0;
        let maxAbs = 0;
        for (const v of out) {
          mean += v / n;
          sq += (v * v) / n;
          maxAbs = Math.max(maxAbs, Math.abs(v));
        }
        expect(maxAbs).toBeLessThanOrEqual(bound);
        expect(maxAbs).toBeGreaterThan(0.99 * bound);
        // U(±b): mean 0 (sd b/√(3n)), E[v²] = b²/3 (sd ≈ 0.3·b²/√n).
        expect(Math.abs(mean)).toBeLessThan((5 * bound) / Math.sqrt(3 * n));
        expect(Math.abs(sq - bound ** 2 / 3)).toBeLessThan((5 * 0.3 * bound ** 2) / Math.sqrt(n));
      }
    },
  );
});

describe.each(kernelBackends())('conv and pool layers: float32, %s kernels', (_name, k) => {
  let prev: Kernels;
  beforeAll(() => {
    prev = setKernels(k);
  });
  afterAll(() => {
    setKernels(prev);
  });
  it.each(fixture.cases.map((c) => [c.name, c] as const))(
    '%s: forward and backward follow the input dtype',
    (_n, c) => {
      const layer = build(c.spec, c.input);
      const leaves = leavesOf(c, layer, 'float32');
      const out = asFunction(layer)(leaves[0], ...leaves.slice(1));
      expect(out.dtype).toBe('float32');
      const m = firstMismatch(out.data, c.output.data, 1e-5, 1e-5);
      expect(m, `${c.name}: element ${m?.index}: ${m?.got} vs ${m?.want}`).toBeNull();
      const w = tensor(Float32Array.from(c.w), { shape: c.output.shape, dtype: 'float32' });
      const grads = grad(out.mul(w).sum(), leaves);
      namesOf(layer).forEach((n, i) => {
        expect(grads[i].dtype).toBe('float32');
        const mg = firstMismatch(grads[i].data, c.grads[n], 1e-5, 1e-5);
        expect(mg, `${c.name} ∂F/∂${n}: element ${mg?.index}: ${mg?.got} vs ${mg?.want}`).toBeNull();
      });
    },
  );
});
