/**
 * dropout(x, p, rng, training): inverted dropout. Each element is kept (scaled by 1/(1−p)) or zeroed;
 * the mask it used is read back from out/x and the gradient must be exactly that mask times the
 * upstream gradient. A fixed seed gives the same mask; evaluation mode and p = 0 are the identity.
 */
import { describe, expect, it } from 'vitest';
import { Tensor, dropout, grad, mul, sum, tensor } from '../../../src/tensor/index.js';
import { createRng } from '../../../src/rng/rng.js';
import { randomTensor } from '../../helpers/gradcheck.js';

const P = 0.3;

function setup(seed = 11): { x: Tensor; w: Tensor; out: Tensor; mask: Float64Array } {
  const x = randomTensor(createRng(1), [50, 40], { awayFrom: [0], margin: 0.1 });
  const w = randomTensor(createRng(2), [50, 40], { requiresGrad: false });
  const out = dropout(x, P, createRng(seed));
  const mask = Float64Array.from(out.data, (o, i) => o / x.data[i]);
  return { x, w, out, mask };
}

describe('dropout', () => {
  it('zeroes or scales by 1/(1−p), dropping about p of the elements', () => {
    const { mask, out } = setup();
    expect([...out.shape]).toEqual([50, 40]);
    let zeros = 0;
    for (const m of mask) {
      if (m === 0) zeros++;
      else expect(Math.abs(m - 1 / (1 - P))).toBeLessThan(1e-12);
    }
    // 2000 Bernoulli(0.3) draws: sd ≈ 0.0102, allow ±4 sd
    expect(Math.abs(zeros / mask.length - P)).toBeLessThan(0.041);
  });
  it('gradient is the mask it used times the upstream gradient', () => {
    const { x, w, out, mask } = setup();
    const [g] = grad(sum(mul(out, w)), [x]);
    for (let i = 0; i < mask.length; i++) {
      const want = mask[i] === 0 ? 0 : w.data[i] / (1 - P);
      expect(Math.abs(g.data[i] - want)).toBeLessThanOrEqual(1e-15 * Math.abs(want));
    }
  });
  it('same seed, same mask; the rng advances between calls', () => {
    const a = setup(11).mask;
    const b = setup(11).mask;
    expect(Array.from(a)).toEqual(Array.from(b));
    const x = randomTensor(createRng(1), [50, 40], { awayFrom: [0] });
    const rng = createRng(11);
    const first = dropout(x, P, rng).toArray();
    const second = dropout(x, P, rng).toArray();
    expect(first).not.toEqual(second);
  });
  it('evaluation mode and p = 0 are the identity with gradient 1', () => {
    const x = randomTensor(createRng(4), [3, 4]);
    for (const y of [dropout(x, P, createRng(1), false), dropout(x, 0, createRng(1))]) {
      expect(y.toArray()).toEqual(x.toArray());
      expect(grad(sum(y), [x])[0].toArray()).toEqual(new Array(12).fill(1));
    }
  });
  it('float32 in, float32 out and float32 gradient', () => {
    const x = tensor(
      Float32Array.from({ length: 20 }, (_, i) => i + 1),
      { shape: [4, 5], requiresGrad: true },
    );
    const y = dropout(x, 0.5, createRng(3));
    expect(y.dtype).toBe('float32');
    expect(y.data).toBeInstanceOf(Float32Array);
    const [g] = grad(sum(y), [x]);
    expect(g.dtype).toBe('float32');
    for (let i = 0; i < 20; i++) expect(g.data[i] === 0 || g.data[i] === 2).toBe(true);
  });
});
