/**
 * The recurrent layers (rnn, lstm, gru) against torch.nn.RNN / LSTM / GRU 1.13 in float64.
 *
 * Fixture: test/golden/fixtures/recurrent.json, written by scripts/fixtures/recurrent_fixtures.py
 * (`/usr/bin/python3 scripts/fixtures/recurrent_fixtures.py`). For each case: the layer is built from
 * the same spec for one sample [T, F]; its parameter names and shapes must be torch's state_dict;
 * with torch's parameter values, the output, the gradients of L = Σ out ⊙ w with respect to x and
 * every parameter, and (some cases) H·v by double backward must equal torch's to
 * |ours − torch| ≤ 1e-12·max(|ours|, |torch|) + 1e-14.
 *
 * Finite differences (test/helpers/gradcheck.ts) check first and second derivatives independently
 * of torch on small cases; the remaining tests cover shape errors, initialization and dropout.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/rng/rng.js';
import { grad, mul, noGrad, sum, tensor, type Tensor } from '../../src/tensor/index.js';
import { recurrentLayers } from '../../src/models/layers/recurrent.js';
import { LayerShapeError, type BuiltLayer, type LayerSpec } from '../../src/models/layers/types.js';
import { firstMismatch, gradcheck, gradgradcheck, randomTensor } from '../helpers/gradcheck.js';

type RecurrentSpec = Extract<LayerSpec, { hidden: number }>;

interface Enc {
  shape: number[];
  data: number[];
}
interface Case {
  name: string;
  spec: RecurrentSpec;
  input: [number, number];
  x: Enc;
  params: Record<string, Enc>;
  output: Enc;
  w: Enc;
  grads: Record<string, Enc>;
  v?: Record<string, Enc>;
  hv?: Record<string, Enc>;
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/recurrent.json', import.meta.url), 'utf8')) as {
  torch: string;
  cases: Case[];
};

const t64 = (e: Enc, requiresGrad = false): Tensor =>
  tensor(Float64Array.from(e.data), { shape: e.shape, dtype: 'float64', requiresGrad });

function build(spec: RecurrentSpec, input: readonly number[]): BuiltLayer {
  return recurrentLayers[spec.type](spec as never, input);
}

const EVAL = { training: false, rng: createRng(1), dtype: 'float64' as const };

/** x and the parameters as leaves, and the layer's forward as a function of them (x first). */
function setup(c: Case): { layer: BuiltLayer; inputs: Tensor[]; f: (...xs: Tensor[]) => Tensor } {
  const layer = build(c.spec, c.input);
  const names = layer.params.map((p) => p.name);
  const inputs = [t64(c.x, true), ...names.map((n) => t64(c.params[n], true))];
  const f = (x: Tensor, ...ps: Tensor[]) =>
    layer.forward(x, { params: Object.fromEntries(names.map((n, i) => [n, ps[i]])), buffers: {} }, EVAL);
  return { layer, inputs, f: f as (...xs: Tensor[]) => Tensor };
}

function expectClose(got: Tensor, want: Enc, what: string): void {
  expect([...got.shape], `${what} shape`).toEqual(want.shape);
  const m = firstMismatch(got.data, want.data);
  expect(m, `${what}: ${JSON.stringify(m)}`).toBeNull();
}

describe(`recurrent layers equal torch ${fixture.torch} (float64, 1e-12 relative)`, () => {
  for (const c of fixture.cases) {
    describe(c.name, () => {
      it('has torch’s state_dict names, order and shapes, and its output shape', () => {
        const layer = build(c.spec, c.input);
        expect(layer.params.map((p) => [p.name, p.shape])).toEqual(
          Object.entries(c.params).map(([n, e]) => [n, e.shape]),
        );
        expect(layer.params.map((p) => p.isWeight)).toEqual(
          layer.params.map((p) => p.name.startsWith('weight')),
        );
        expect(layer.buffers).toEqual([]);
        expect([c.x.shape[0], ...layer.outputShape]).toEqual(c.output.shape);
      });

      it('output and gradients of Σ out ⊙ w w.r.t. x and every parameter', () => {
        const { layer, inputs, f } = setup(c);
        const out = f(...inputs);
        expectClose(out, c.output, 'output');
        const gs = grad(sum(mul(out, t64(c.w))), inputs);
        const keys = ['x', ...layer.params.map((p) => p.name)];
        keys.forEach((k, i) => expectClose(gs[i], c.grads[k], `grad ${k}`));
      });

      it('float32: output and gradients within float32 rounding of torch’s float64', () => {
        const layer = build(c.spec, c.input);
        const f32 = (e: Enc) => tensor(Float32Array.from(e.data), { shape: e.shape, requiresGrad: true });
        const inputs = [f32(c.x), ...layer.params.map((p) => f32(c.params[p.name]))];
        const params = Object.fromEntries(layer.params.map((p, i) => [p.name, inputs[i + 1]]));
        const out = layer.forward(inputs[0], { params, buffers: {} }, { ...EVAL, dtype: 'float32' });
        expect(out.dtype).toBe('float32');
        expect(firstMismatch(out.data, c.output.data, 1e-5, 1e-6)).toBeNull();
        const gs = grad(sum(mul(out, tensor(Float32Array.from(c.w.data), { shape: c.w.shape }))), inputs);
        const keys = ['x', ...layer.params.map((p) => p.name)];
        keys.forEach((k, i) => expect(firstMismatch(gs[i].data, c.grads[k].data, 1e-4, 1e-5), k).toBeNull());
      });

      if (c.v && c.hv) {
        const v = c.v;
        const hv = c.hv;
        it('Hessian-vector product by double backward', () => {
          const { layer, inputs, f } = setup(c);
          const keys = ['x', ...layer.params.map((p) => p.name)];
          const gs = grad(sum(mul(f(...inputs), t64(c.w))), inputs, { createGraph: true });
          const s = gs.map((g, i) => sum(mul(g, t64(v[keys[i]])))).reduce((a, b) => a.add(b));
          const hs = grad(s, inputs);
          keys.forEach((k, i) => expectClose(hs[i], hv[k], `H·v ${k}`));
        });
      }
    });
  }
});

const spec = (type: 'rnn' | 'lstm' | 'gru', over: Partial<RecurrentSpec> = {}): RecurrentSpec => ({
  type,
  hidden: 2,
  layers: 1,
  bidirectional: false,
  dropout: 0,
  output: 'sequence',
  bias: true,
  ...(type === 'rnn' ? { nonlinearity: 'tanh' as const } : {}),
  ...over,
});

/** Inputs for a finite-difference check: x [N, T, F] and every parameter drawn small and seeded. */
function smallCase(s: RecurrentSpec, T: number, F: number, N: number, seed: number) {
  const layer = build(s, [T, F]);
  const rng = createRng(seed);
  const names = layer.params.map((p) => p.name);
  const xs = [
    randomTensor(rng, [N, T, F]),
    ...layer.params.map((p) => randomTensor(rng, p.shape, { scale: 0.6 })),
  ];
  const f = (x: Tensor, ...ps: Tensor[]) =>
    layer.forward(x, { params: Object.fromEntries(names.map((n, i) => [n, ps[i]])), buffers: {} }, EVAL);
  return { xs, f: f as (...a: Tensor[]) => Tensor };
}

describe('recurrent layers against finite differences', () => {
  const cases: [string, RecurrentSpec][] = [
    ['rnn tanh bidirectional 2-layer', spec('rnn', { layers: 2, bidirectional: true })],
    ['rnn relu last', spec('rnn', { nonlinearity: 'relu', output: 'last' })],
    ['lstm bidirectional 2-layer', spec('lstm', { layers: 2, bidirectional: true })],
    ['lstm no bias last', spec('lstm', { bias: false, output: 'last' })],
    ['gru bidirectional 2-layer last', spec('gru', { layers: 2, bidirectional: true, output: 'last' })],
    ['gru no bias', spec('gru', { bias: false })],
  ];
  for (const [name, s] of cases) {
    it(`${name}: gradcheck`, () => {
      const { xs, f } = smallCase(s, 3, 2, 2, 7);
      const r = gradcheck(f, xs);
      expect(r.ok, r.message).toBe(true);
    });
  }
  for (const [name, s] of [cases[2], cases[4], cases[0]]) {
    it(`${name}: gradgradcheck`, () => {
      const { xs, f } = smallCase(s, 3, 2, 2, 8);
      const r = gradgradcheck(f, xs, { directions: 2 });
      expect(r.ok, r.message).toBe(true);
    });
  }
});

describe('recurrent layers: shapes, init and dropout', () => {
  it('rejects an input that is not [T, F], naming both shapes', () => {
    expect(() => build(spec('lstm'), [1, 8, 8])).toThrow(LayerShapeError);
    expect(() => build(spec('lstm'), [1, 8, 8])).toThrow(
      'lstm expects [T, F], the previous layer gives [1, 8, 8]',
    );
    expect(() => build(spec('gru'), [8])).toThrow('gru expects [T, F], the previous layer gives [8]');
  });

  it('rejects hidden < 1 and layers < 1, and allows dropout with one layer (torch warns)', () => {
    expect(() => build(spec('rnn', { hidden: 0 }), [4, 2])).toThrow(/hidden ≥ 1/);
    expect(() => build(spec('rnn', { layers: 0 }), [4, 2])).toThrow(/layers ≥ 1/);
    expect(() => build(spec('lstm', { dropout: 1.5 }), [4, 2])).toThrow(/dropout in \[0, 1\]/);
    expect(build(spec('lstm', { dropout: 0.5 }), [4, 2]).outputShape).toEqual([4, 2]);
  });

  it('gives [T, H·dirs] for the sequence and [H·dirs] for the last step', () => {
    expect(build(spec('gru', { hidden: 5, bidirectional: true }), [7, 3]).outputShape).toEqual([7, 10]);
    expect(build(spec('lstm', { hidden: 5, output: 'last' }), [7, 3]).outputShape).toEqual([5]);
  });

  it('initializes every tensor from U(−1/√hidden, 1/√hidden), with fans of the weights', () => {
    const layer = build(spec('lstm', { hidden: 16, layers: 2, bidirectional: true }), [6, 3]);
    const rng = createRng(3);
    const bound = 1 / 4;
    for (const p of layer.params) {
      const out = new Float64Array(p.shape.reduce((a, b) => a * b, 1));
      p.init(out, rng);
      expect(Math.max(...out.map(Math.abs))).toBeLessThanOrEqual(bound);
      expect(Math.max(...out.map(Math.abs))).toBeGreaterThan(0.9 * bound);
    }
    const w = layer.params.find((p) => p.name === 'weight_ih_l1_reverse')!;
    expect(w.shape).toEqual([64, 32]);
    expect(w.fan).toEqual({ in: 32, out: 64 });
  });

  it('drops between stacked layers only in training, deterministically for a seeded rng', () => {
    const s = spec('lstm', { layers: 2, dropout: 0.5, hidden: 4 });
    const { xs } = smallCase(s, 4, 3, 2, 11);
    const layer = build(s, [4, 3]);
    const state = {
      params: Object.fromEntries(layer.params.map((p, i) => [p.name, xs[i + 1]])),
      buffers: {},
    };
    const run = (training: boolean, seed: number) =>
      noGrad(() =>
        layer.forward(xs[0], state, { training, rng: createRng(seed), dtype: 'float64' }),
      ).toArray();
    const evalOut = run(false, 1);
    expect(run(false, 2)).toEqual(evalOut); // eval: no dropout, rng unused
    expect(run(true, 5)).toEqual(run(true, 5)); // same seed, same mask
    expect(run(true, 5)).not.toEqual(evalOut);
    expect(run(true, 5)).not.toEqual(run(true, 6));
    // One layer: no boundary between layers, so dropout changes nothing even in training.
    const one = build(spec('lstm', { dropout: 0.5, hidden: 4 }), [4, 3]);
    const st1 = { params: Object.fromEntries(one.params.map((p, i) => [p.name, xs[i + 1]])), buffers: {} };
    const run1 = (training: boolean) =>
      noGrad(() => one.forward(xs[0], st1, { training, rng: createRng(9), dtype: 'float64' })).toArray();
    expect(run1(true)).toEqual(run1(false));
  });

  it('rejects a batch whose sample shape differs from the built one', () => {
    const layer = build(spec('rnn'), [4, 2]);
    expect(() =>
      layer.forward(tensor([1, 2, 3], { dtype: 'float64' }), { params: {}, buffers: {} }, EVAL),
    ).toThrow(LayerShapeError);
  });
});
