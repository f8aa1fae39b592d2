/**
 * Engine-level agreement of the kernel backends at realistic sizes, with their production thresholds
 * (loadBackend): an MLP forward + backward + H·v on a 256×32 batch in float64 must match the TypeScript
 * reference to 1e-12 relative (summation order may differ), and in float32 to 1e-4.
 * The small-tensor paths are covered by the gradcheck/golden suites, which force every backend's thresholds to 0.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  Tensor,
  add,
  grad,
  linear,
  logSoftmax,
  gather,
  mean,
  mul,
  neg,
  referenceKernels,
  setKernels,
  sum,
  tanh,
  relu,
  tensor,
  kernels,
} from '../../../src/tensor/index.js';
import { availableBackends, loadBackend } from '../../../src/tensor/kernels/select.js';
import { createRng } from '../../../src/rng/rng.js';
import { firstMismatch } from '../../helpers/gradcheck.js';

const N = 256;
const D = 32;
const H = 64;
const C = 5;

function data(dtype: 'float32' | 'float64') {
  const rng = createRng(2024);
  const t = (shape: number[], scale: number, requiresGrad = false): Tensor =>
    tensor(
      Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => scale * rng.normal()),
      {
        shape,
        dtype,
        requiresGrad,
      },
    );
  const x = t([N, D], 1);
  const params = [
    t([H, D], 0.2, true),
    t([H], 0.1, true),
    t([H, H], 0.15, true),
    t([H], 0.1, true),
    t([C, H], 0.2, true),
    t([C], 0.1, true),
  ];
  const y = Int32Array.from({ length: N }, () => rng.int(C));
  const v = params.map((p) => t([...p.shape], 1));
  return { x, params, y, v };
}

function run(dtype: 'float32' | 'float64'): Float64Array[] {
  const { x, params, y, v } = data(dtype);
  const [w1, b1, w2, b2, w3, b3] = params;
  const out = linear(relu(linear(tanh(linear(x, w1, b1)), w2, b2)), w3, b3);
  const loss = add(neg(mean(gather(logSoftmax(out, -1), y, -1))), mul(1e-3, sum(mul(w2, w2))));
  const g = grad(loss, params, { createGraph: true });
  let s: Tensor | null = null;
  g.forEach((gi, i) => {
    const term = sum(mul(gi, v[i]));
    s = s === null ? term : add(s, term);
  });
  const hv = grad(s!, params);
  return [
    Float64Array.of(loss.item()),
    ...g.map((t) => Float64Array.from(t.data)),
    ...hv.map((t) => Float64Array.from(t.data)),
  ];
}

describe('kernel backends agree with the reference on an MLP (forward, backward, H·v)', () => {
  const prev = kernels();
  afterAll(() => {
    setKernels(prev);
  });
  setKernels(referenceKernels);
  const ref64 = run('float64');
  const ref32 = run('float32');

  it.each(availableBackends())('%s', (name) => {
    const k = loadBackend(name)!;
    setKernels(k);
    const got64 = run('float64');
    const got32 = run('float32');
    setKernels(referenceKernels);
    got64.forEach((a, i) => {
      const m = firstMismatch(a, ref64[i], 1e-12, 1e-14);
      expect(
        m,
        `${name} float64 block ${i}: element ${m?.index}: ${m?.got} vs reference ${m?.want}`,
      ).toBeNull();
    });
    got32.forEach((a, i) => {
      const m = firstMismatch(a, ref32[i], 1e-4, 1e-6);
      expect(
        m,
        `${name} float32 block ${i}: element ${m?.index}: ${m?.got} vs reference ${m?.want}`,
      ).toBeNull();
    });
  });
});
