/**
 * The convolution and pooling ops as functions (the layer files and torch fixtures are in
 * test/golden/layers-conv.test.ts): im2col and col2im are each other's adjoint, the functional
 * options behave as torch's, and bad arguments fail with a message naming them.
 */
import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/rng/rng.js';
import {
  adaptiveAvgPool2d,
  avgPool2d,
  col2im,
  conv1d,
  conv2d,
  grad,
  tanh,
  im2col,
  maxPool1d,
  maxPool2d,
  tensor,
  Tensor,
  type AvgPool2dOptions,
  type Conv1dOptions,
  type Conv2dOptions,
  type ConvGeometry,
  type MaxPool2dOptions,
  type Pair2,
} from '../../../src/tensor/index.js';
import { gradcheck, gradgradcheck, randomTensor } from '../../helpers/gradcheck.js';

const geometries: [string, ConvGeometry][] = [
  [
    '3×3 pad 1',
    {
      channels: 2,
      height: 5,
      width: 6,
      kernel: [3, 3],
      stride: [1, 1],
      dilation: [1, 1],
      padBefore: [1, 1],
      out: [5, 6],
    },
  ],
  [
    'stride 2, dilation 2, uneven padding',
    {
      channels: 3,
      height: 7,
      width: 6,
      kernel: [2, 3],
      stride: [2, 2],
      dilation: [2, 1],
      padBefore: [1, 0],
      out: [4, 2],
    },
  ],
  [
    '1-d, even kernel, "same"-like split',
    {
      channels: 2,
      height: 1,
      width: 9,
      kernel: [1, 4],
      stride: [1, 1],
      dilation: [1, 1],
      padBefore: [0, 1],
      out: [1, 9],
    },
  ],
];

describe('im2col and col2im', () => {
  it.each(geometries)('%s: ⟨im2col(x), G⟩ = ⟨x, col2im(G)⟩', (_n, g) => {
    const rng = createRng(3);
    const n = 2;
    const x = randomTensor(rng, [n, g.channels, g.height, g.width], { requiresGrad: false });
    const cols = im2col(x, g);
    expect(cols.shape).toEqual([g.channels * g.kernel[0] * g.kernel[1], n * g.out[0] * g.out[1]]);
    const G = randomTensor(rng, [...cols.shape], { requiresGrad: false });
    const back = col2im(G, g, [...x.shape]);
    expect(back.shape).toEqual(x.shape);
    const lhs = cols.mul(G).sum().item();
    const rhs = x.mul(back).sum().item();
    expect(Math.abs(lhs - rhs)).toBeLessThan(1e-12 * Math.max(1, Math.abs(lhs)));
  });

  it('padding taps read 0 and every real tap reads its input', () => {
    const g = geometries[0][1];
    const x = tensor(
      Float64Array.from({ length: 2 * 30 }, (_, i) => i + 1),
      { shape: [1, 2, 5, 6], dtype: 'float64' },
    );
    const cols = im2col(x, g);
    // Row (c=0, p=0, q=0) at output (0, 0) reads x[0, 0, −1, −1]: padding.
    expect(cols.data[0]).toBe(0);
    // Row (c=1, p=1, q=1) (the centre tap of channel 1) at output (2, 3) reads x[0, 1, 2, 3].
    expect(cols.data[(9 + 4) * 30 + 2 * 6 + 3]).toBe(30 + 2 * 6 + 3 + 1);
  });
});

describe('conv ops', () => {
  it('padding "same" keeps the size for odd and even kernels, the even one padding more after', () => {
    const rng = createRng(5);
    const x = randomTensor(rng, [1, 1, 4, 5], { requiresGrad: false });
    const w = tensor(new Float64Array(2 * 4).fill(1), { shape: [1, 1, 2, 4], dtype: 'float64' });
    const opts: Conv2dOptions = { padding: 'same' };
    const y = conv2d(x, w, null, opts);
    expect(y.shape).toEqual([1, 1, 4, 5]);
    // Kernel 2×4: total padding 1×3, split 0 before / 1 after and 1 before / 2 after. y[0, 0] sums
    // x[0..1, −1..2] = x[0..1, 0..2].
    let want = 0;
    for (const i of [0, 1]) for (const j of [0, 1, 2]) want += x.data[i * 5 + j];
    expect(y.data[0]).toBeCloseTo(want, 14);
    const o1: Conv1dOptions = { padding: 'same', dilation: 2 };
    expect(conv1d(randomTensor(rng, [2, 3, 7]), randomTensor(rng, [4, 3, 2]), null, o1).shape).toEqual([
      2, 4, 7,
    ]);
  });

  it('one sample (the product needs no permute) with bias and groups: gradients match finite differences', () => {
    const rng = createRng(9);
    const args = [randomTensor(rng, [1, 4, 4, 5]), randomTensor(rng, [6, 2, 2, 3]), randomTensor(rng, [6])];
    const f = (x: Tensor, w: Tensor, b: Tensor) => conv2d(x, w, b, { groups: 2, stride: [2, 1], padding: 1 });
    const r = gradcheck(f, args);
    expect(r.ok, r.message).toBe(true);
  });

  it('errors name the argument', () => {
    const x = tensor(new Float32Array(3 * 16), { shape: [1, 3, 4, 4] });
    const w = tensor(new Float32Array(4 * 9), { shape: [4, 1, 3, 3] });
    expect(() => conv2d(x, w, null, { groups: 2 })).toThrow(/groups 2 must divide the input channels 3/);
    expect(() =>
      conv2d(x, tensor(new Float32Array(4 * 3 * 9), { shape: [4, 3, 3, 3] }), null, {
        padding: 'same',
        stride: 2,
      }),
    ).toThrow("conv2d: padding 'same' needs stride 1 (got stride 2×2), as in torch");
    expect(() => conv2d(x, tensor(new Float32Array(4 * 3 * 25), { shape: [4, 3, 5, 5] }))).toThrow(
      'conv2d: kernel 5×5 (dilation 1×1) does not fit the input 4×4 with padding 0+0, 0+0',
    );
    expect(() => conv2d(tensor(new Float32Array(16), { shape: [1, 16] }), w)).toThrow(/must be 4-d/);
    expect(() => maxPool2d(x, 3, { padding: 2 })).toThrow(
      "maxpool2d: padding 2×2 must be at most half the kernel 3×3 (torch's rule)",
    );
  });
});

describe('pool ops', () => {
  it('max pool: a NaN in the window wins (torch), and its gradient goes to the first maximum of a tie', () => {
    const x = tensor([[[1, 3, 3, NaN, 2, 0]]], { dtype: 'float64', requiresGrad: true });
    const y = maxPool1d(x, 2, { stride: 2 });
    expect(y.toArray()).toEqual([3, NaN, 2]);
    const y2 = maxPool1d(x, 3, { stride: 1 });
    const [g] = grad(y2.sum(), [x]);
    // Windows [1,3,3] → index 1; [3,3,NaN] → NaN at 3; [3,NaN,2] → 3; [NaN,2,0] → 3.
    expect(g.toArray()).toEqual([0, 1, 0, 3, 0, 0]);
  });

  it('the unrolled 2×2 pool keeps the scan order: ties go to the first tap, NaN wins, −∞ windows report their first tap', () => {
    const rng = createRng(13);
    const vals = Array.from({ length: 2 * 3 * 6 * 5 }, () => rng.int(3) - 1);
    vals[7] = NaN;
    for (const i of [60, 61, 65, 66]) vals[i] = -Infinity;
    const x = tensor(Float64Array.from(vals), { shape: [2, 3, 6, 5], dtype: 'float64', requiresGrad: true });
    for (const stride of [2, 1] as const) {
      const y = maxPool2d(x, 2, { stride });
      const [g] = grad(y.sum(), [x]);
      // Brute force: the first maximal tap in row-major order, a NaN replacing anything, as torch.
      const want = new Float64Array(x.size);
      const [oH, oW] = [y.shape[2], y.shape[3]];
      for (let pl = 0; pl < 6; pl++)
        for (let i = 0; i < oH; i++)
          for (let j = 0; j < oW; j++) {
            let best = -Infinity;
            let at = pl * 30 + i * stride * 5 + j * stride;
            for (const [a, b] of [
              [0, 0],
              [0, 1],
              [1, 0],
              [1, 1],
            ]) {
              const t = pl * 30 + (i * stride + a) * 5 + j * stride + b;
              if (vals[t] > best || Number.isNaN(vals[t])) [best, at] = [vals[t], t];
            }
            want[at] += 1;
          }
      expect(g.toArray()).toEqual([...want]);
    }
  });

  it('options as torch: stride defaults to the kernel, countIncludePad switches the divisor', () => {
    const x = tensor(
      Float64Array.from({ length: 16 }, (_, i) => i),
      { shape: [1, 1, 4, 4], dtype: 'float64' },
    );
    const mopts: MaxPool2dOptions = { padding: 1 };
    expect(maxPool2d(x, 2, mopts).toArray()).toEqual([0, 2, 3, 8, 10, 11, 12, 14, 15]);
    const include: AvgPool2dOptions = { padding: 1, countIncludePad: true };
    const exclude: AvgPool2dOptions = { padding: 1, countIncludePad: false };
    expect(avgPool2d(x, 2, include).data[0]).toBe(0 / 4);
    expect(avgPool2d(x, 2, include).data[1]).toBe((1 + 2) / 4);
    expect(avgPool2d(x, 2, exclude).data[1]).toBe((1 + 2) / 2);
    const out: Pair2 = [3, 2];
    // Rows 0–1, 1–2, 2–3; columns 0–1, 2–3.
    expect(adaptiveAvgPool2d(x, out).data[0]).toBe((0 + 1 + 4 + 5) / 4);
    expect(adaptiveAvgPool2d(x, out).shape).toEqual([1, 1, 3, 2]);
  });
});

describe('a small CNN of these ops', () => {
  it('conv2d → tanh → max pool → conv1d → adaptive avg pool: first and second derivatives match finite differences', () => {
    const rng = createRng(11);
    const x = randomTensor(rng, [2, 2, 5, 5]);
    const w1 = randomTensor(rng, [4, 1, 3, 3], { scale: 0.5 });
    const b1 = randomTensor(rng, [4]);
    const w2 = randomTensor(rng, [3, 4, 2], { scale: 0.5 });
    const net = (xx: Tensor, a: Tensor, b: Tensor, c: Tensor) => {
      const h = maxPool2d(tanh(conv2d(xx, a, b, { padding: 1, groups: 2 })), 2, { stride: 1 }); // [2, 4, 4, 4]
      const s = conv1d(h.reshape([2, 4, 16]), c, null, { stride: 2, padding: 'valid' }); // [2, 3, 8]
      return adaptiveAvgPool2d(s.reshape([2, 3, 2, 4]), [1, 3]);
    };
    const first = gradcheck(net, [x, w1, b1, w2]);
    expect(first.ok, first.message).toBe(true);
    const second = gradgradcheck(net, [x, w1, b1, w2], { directions: 3 });
    expect(second.ok, second.message).toBe(true);
  });
});
