/**
 * The fused LSTM, GRU and Elman RNN ops (lstmSequence, gruSequence, rnnSequence) against the same
 * recurrences written with Tensor ops (lstmSequenceOps, …): values, first-order gradients (the fused BPTT) and second order (the recorded
 * rule), both directions, every kernel backend, and finite differences of the fused op itself.
 * The golden comparison with torch is test/golden/layers-recurrent.test.ts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createRng } from '../../../src/rng/rng.js';
import {
  grad,
  gruSequence,
  gruSequenceOps,
  kernels,
  lstmSequence,
  lstmSequenceOps,
  mul,
  rnnSequence,
  rnnSequenceOps,
  setKernels,
  sum,
  tensor,
  type Tensor,
} from '../../../src/tensor/index.js';
import {
  firstMismatch,
  gradcheck,
  gradgradcheck,
  kernelBackends,
  randomTensor,
} from '../../helpers/gradcheck.js';

const initial = kernels();
afterAll(() => setKernels(initial));

function inputs(T: number, n: number, H: number, seed: number): [Tensor, Tensor, Tensor] {
  const rng = createRng(seed);
  return [
    randomTensor(rng, [T * n, 4 * H]),
    randomTensor(rng, [4 * H, H], { scale: 0.5 }),
    randomTensor(rng, [T * n, H]),
  ];
}

function expectSame(got: Tensor, want: Tensor, rel = 1e-13): void {
  expect(got.shape).toEqual(want.shape);
  const m = firstMismatch(got.data, want.data, rel, 1e-15);
  expect(m, JSON.stringify(m)).toBeNull();
}

for (const [backend, k] of kernelBackends()) {
  describe(`lstmSequence (${backend} kernels)`, () => {
    for (const [T, n, H, reverse] of [
      [5, 3, 4, false],
      [5, 3, 4, true],
      [1, 2, 3, false],
      [4, 1, 2, true],
    ] as const) {
      it(`equals the ops recurrence: T=${T} n=${n} H=${H}${reverse ? ' reversed' : ''}, value and gradients`, () => {
        setKernels(k);
        const [xg, whh, w] = inputs(T, n, H, 100 + T * 10 + n);
        const fused = lstmSequence(xg, whh, n, reverse);
        const ops = lstmSequenceOps(xg, whh, n, reverse);
        expectSame(fused, ops);
        const gf = grad(sum(mul(fused, w)), [xg, whh]);
        const go = grad(sum(mul(ops, w)), [xg, whh]);
        expectSame(gf[0], go[0]);
        expectSame(gf[1], go[1]);
      });
    }

    it('double backward through the fused op equals the ops recurrence’s', () => {
      setKernels(k);
      const [xg, whh, w] = inputs(4, 2, 3, 7);
      const rng = createRng(8);
      const v = [
        randomTensor(rng, xg.shape, { requiresGrad: false }),
        randomTensor(rng, whh.shape, { requiresGrad: false }),
      ];
      const hv = (f: typeof lstmSequence) => {
        const g = grad(sum(mul(f(xg, whh, 2, true), w)), [xg, whh], { createGraph: true });
        return grad(sum(mul(g[0], v[0])).add(sum(mul(g[1], v[1]))), [xg, whh]);
      };
      const a = hv(lstmSequence);
      const b = hv(lstmSequenceOps);
      expectSame(a[0], b[0]);
      expectSame(a[1], b[1]);
    });
  });
}

describe('lstmSequence against finite differences', () => {
  it('first and second derivatives', () => {
    setKernels(initial);
    const [xg, whh] = inputs(3, 2, 2, 21);
    for (const reverse of [false, true]) {
      const f = (a: Tensor, b: Tensor) => lstmSequence(a, b, 2, reverse);
      const r1 = gradcheck(f, [xg, whh]);
      expect(r1.ok, r1.message).toBe(true);
      const r2 = gradgradcheck(f, [xg, whh], { directions: 2 });
      expect(r2.ok, r2.message).toBe(true);
    }
  });

  it('computes float32 in float32 storage and rejects shapes that do not fit', () => {
    setKernels(initial);
    const [xg, whh] = inputs(2, 2, 2, 3);
    const x32 = tensor(Float32Array.from(xg.data), { shape: [...xg.shape] });
    const w32 = tensor(Float32Array.from(whh.data), { shape: [...whh.shape] });
    const y = lstmSequence(x32, w32, 2, false);
    expect(y.dtype).toBe('float32');
    const m = firstMismatch(y.data, lstmSequence(xg, whh, 2, false).data, 1e-5, 1e-6);
    expect(m).toBeNull();
    expect(() => lstmSequence(xg, whh, 3, false)).toThrow(RangeError);
    expect(() => lstmSequence(xg, x32, 2, false)).toThrow(RangeError);
  });
});

/** GRU: xg [T·n, 3H], W_hh [3H, H], b_hh [3H] (or none), and an output weighting. */
function gruInputs(T: number, n: number, H: number, seed: number): [Tensor, Tensor, Tensor, Tensor] {
  const rng = createRng(seed);
  return [
    randomTensor(rng, [T * n, 3 * H]),
    randomTensor(rng, [3 * H, H], { scale: 0.5 }),
    randomTensor(rng, [3 * H]),
    randomTensor(rng, [T * n, H]),
  ];
}

for (const [backend, k] of kernelBackends()) {
  describe(`gruSequence (${backend} kernels)`, () => {
    for (const [T, n, H, reverse, bias] of [
      [5, 3, 4, false, true],
      [5, 3, 4, true, true],
      [4, 2, 3, true, false],
      [1, 2, 3, false, true],
    ] as const) {
      it(`equals the ops recurrence: T=${T} n=${n} H=${H}${reverse ? ' reversed' : ''}${bias ? '' : ' no bias'}`, () => {
        setKernels(k);
        const [xg, whh, b, w] = gruInputs(T, n, H, 300 + T * 10 + n);
        const bhh = bias ? b : null;
        const ins = bias ? [xg, whh, b] : [xg, whh];
        const fused = gruSequence(xg, whh, bhh, n, reverse);
        const ops = gruSequenceOps(xg, whh, bhh, n, reverse);
        expectSame(fused, ops);
        const gf = grad(sum(mul(fused, w)), ins);
        const go = grad(sum(mul(ops, w)), ins);
        gf.forEach((g, i) => expectSame(g, go[i]));
      });
    }

    it('double backward through the fused op equals the ops recurrence’s', () => {
      setKernels(k);
      const [xg, whh, b, w] = gruInputs(4, 2, 3, 9);
      const rng = createRng(10);
      const v = [xg, whh, b].map((x) => randomTensor(rng, x.shape, { requiresGrad: false }));
      const hv = (f: typeof gruSequence) => {
        const g = grad(sum(mul(f(xg, whh, b, 2, true), w)), [xg, whh, b], { createGraph: true });
        return grad(
          g.map((gi, i) => sum(mul(gi, v[i]))).reduce((p, q) => p.add(q)),
          [xg, whh, b],
        );
      };
      const a = hv(gruSequence);
      const c = hv(gruSequenceOps);
      a.forEach((x, i) => expectSame(x, c[i]));
    });
  });
}

describe('gruSequence against finite differences', () => {
  it('first and second derivatives, with and without b_hh', () => {
    setKernels(initial);
    const [xg, whh, b] = gruInputs(3, 2, 2, 31);
    for (const reverse of [false, true]) {
      const f = (a: Tensor, c: Tensor, d: Tensor) => gruSequence(a, c, d, 2, reverse);
      const r1 = gradcheck(f, [xg, whh, b]);
      expect(r1.ok, r1.message).toBe(true);
      const r2 = gradgradcheck(f, [xg, whh, b], { directions: 2 });
      expect(r2.ok, r2.message).toBe(true);
    }
    const r = gradcheck((a: Tensor, c: Tensor) => gruSequence(a, c, null, 2, false), [xg, whh]);
    expect(r.ok, r.message).toBe(true);
  });
});

for (const [backend, k] of kernelBackends()) {
  describe(`rnnSequence (${backend} kernels)`, () => {
    for (const relu of [false, true]) {
      for (const [T, n, H, reverse] of [
        [5, 3, 4, false],
        [5, 3, 4, true],
        [1, 2, 3, false],
      ] as const) {
        it(`equals the ops recurrence: ${relu ? 'relu' : 'tanh'} T=${T} n=${n} H=${H}${reverse ? ' reversed' : ''}`, () => {
          setKernels(k);
          const rng = createRng(500 + T + n + (relu ? 1 : 0));
          const xg = randomTensor(rng, [T * n, H], { awayFrom: [0], margin: 0.05 });
          const whh = randomTensor(rng, [H, H], { scale: 0.5 });
          const w = randomTensor(rng, [T * n, H]);
          const fused = rnnSequence(xg, whh, n, reverse, relu);
          const ops = rnnSequenceOps(xg, whh, n, reverse, relu);
          expectSame(fused, ops);
          const gf = grad(sum(mul(fused, w)), [xg, whh]);
          const go = grad(sum(mul(ops, w)), [xg, whh]);
          gf.forEach((g, i) => expectSame(g, go[i]));
        });
      }
    }
  });
}

describe('rnnSequence against finite differences', () => {
  it('first and second derivatives (tanh), first (relu)', () => {
    setKernels(initial);
    const rng = createRng(41);
    const xg = randomTensor(rng, [6, 2], { awayFrom: [0], margin: 0.2 });
    const whh = randomTensor(rng, [2, 2], { scale: 0.3 });
    for (const reverse of [false, true]) {
      const f = (a: Tensor, b: Tensor) => rnnSequence(a, b, 2, reverse, false);
      const r1 = gradcheck(f, [xg, whh]);
      expect(r1.ok, r1.message).toBe(true);
      const r2 = gradgradcheck(f, [xg, whh]);
      expect(r2.ok, r2.message).toBe(true);
      const r3 = gradcheck((a: Tensor, b: Tensor) => rnnSequence(a, b, 2, reverse, true), [xg, whh]);
      expect(r3.ok, r3.message).toBe(true);
    }
  });
});
