/**
 * float32 stays float32: every op on float32 inputs (with plain-number operands too) gives a float32
 * result backed by a Float32Array, and gradients of float32 leaves are float32. Values agree with the
 * float64 computation to float32 precision.
 */
import { describe, expect, it } from 'vitest';
import {
  Tensor,
  tensor,
  zeros,
  ones,
  full,
  scalar,
  add,
  sub,
  mul,
  div,
  neg,
  pow,
  exp,
  log,
  sqrt,
  abs,
  sin,
  cos,
  tanh,
  sigmoid,
  relu,
  leakyRelu,
  elu,
  gelu,
  softplus,
  maximum,
  minimum,
  matmul,
  linear,
  transpose,
  reshape,
  sum,
  mean,
  max,
  min,
  logsumexp,
  softmax,
  logSoftmax,
  gather,
  concat,
  slice,
  where,
  clamp,
  grad,
  backward,
  cast,
  erf,
  hvp,
  hessian,
} from '../../../src/tensor/index.js';

type Op = (x: Tensor, y: Tensor) => Tensor;
const OPS: [string, Op][] = [
  ['add', (x, y) => add(x, y)],
  ['add number', (x) => add(x, 1.5)],
  ['sub', (x, y) => sub(x, y)],
  ['sub number left', (x) => sub(1.5, x)],
  ['mul', (x, y) => mul(x, y)],
  ['mul number', (x) => mul(0.1, x)],
  ['div', (x, y) => div(x, y)],
  ['div number left', (x) => div(1, x)],
  ['neg', (x) => neg(x)],
  ['pow', (x) => pow(x, 2.5)],
  ['exp', (x) => exp(x)],
  ['log', (x) => log(x)],
  ['sqrt', (x) => sqrt(x)],
  ['abs', (x) => abs(x)],
  ['sin', (x) => sin(x)],
  ['cos', (x) => cos(x)],
  ['tanh', (x) => tanh(x)],
  ['sigmoid', (x) => sigmoid(x)],
  ['relu', (x) => relu(x)],
  ['leakyRelu', (x) => leakyRelu(x, 0.2)],
  ['elu', (x) => elu(sub(x, 1))],
  ['gelu', (x) => gelu(x)],
  ['erf', (x) => erf(x)],
  ['softplus', (x) => softplus(x, 2, 3)],
  ['maximum', (x, y) => maximum(x, y)],
  ['minimum', (x, y) => minimum(x, y)],
  ['matmul', (x, y) => matmul(x, transpose(y))],
  ['linear', (x, y) => linear(x, y, tensor([0.5, -0.5]))],
  ['transpose', (x) => transpose(x)],
  ['reshape', (x) => reshape(x, [6])],
  ['sum axis', (x) => sum(x, 1)],
  ['mean', (x) => mean(x)],
  ['max axis', (x) => max(x, 0)],
  ['min', (x) => min(x)],
  ['logsumexp', (x) => logsumexp(x, 1)],
  ['softmax', (x) => softmax(x)],
  ['logSoftmax', (x) => logSoftmax(x, 0)],
  ['gather', (x) => gather(x, [2, 0])],
  ['concat', (x, y) => concat([x, y], 0)],
  ['slice', (x) => slice(x, 1, 0, 2)],
  ['where', (x, y) => where(tensor([1, 0, 1, 0, 0, 1], { shape: [2, 3] }), x, y)],
  ['clamp', (x) => clamp(x, 0.5, 2)],
];

const X = [0.3, 1.7, 2.2, 0.9, 1.1, 0.6];
const Y = [1.2, 0.4, 0.8, 2.5, 0.7, 1.9];

describe('float32 in, float32 out', () => {
  it('factories default to float32', () => {
    for (const t of [tensor([1, 2]), tensor(3), zeros([2]), ones([2, 2]), full([1], 7), scalar(1)]) {
      expect(t.dtype).toBe('float32');
      expect(t.data).toBeInstanceOf(Float32Array);
    }
    expect(zeros([2], 'float64').data).toBeInstanceOf(Float64Array);
  });

  it.each(OPS)('%s: value and gradients are float32 and match float64 to float32 precision', (_name, op) => {
    const x = tensor(X, { shape: [2, 3], requiresGrad: true });
    const y = tensor(Y, { shape: [2, 3], requiresGrad: true });
    const out = op(x, y);
    expect(out.dtype).toBe('float32');
    expect(out.data).toBeInstanceOf(Float32Array);
    const [gx, gy] = grad(sum(out), [x, y]);
    expect(gx.dtype).toBe('float32');
    expect(gx.data).toBeInstanceOf(Float32Array);
    if (gy) expect(gy.dtype).toBe('float32');

    const x64 = tensor(X, { shape: [2, 3], dtype: 'float64', requiresGrad: true });
    const y64 = tensor(Y, { shape: [2, 3], dtype: 'float64', requiresGrad: true });
    const out64 = op(x64, y64);
    expect(out64.dtype).toBe('float64');
    const [gx64] = grad(sum(out64), [x64, y64]);
    // float32 inputs are the float32 roundings of X, Y: compare loosely
    for (let i = 0; i < out.size; i++)
      expect(Math.abs(out.data[i] - out64.data[i])).toBeLessThan(1e-5 * (1 + Math.abs(out64.data[i])));
    for (let i = 0; i < gx.size; i++)
      expect(Math.abs(gx.data[i] - gx64.data[i])).toBeLessThan(1e-4 * (1 + Math.abs(gx64.data[i])));
  });

  it('cast: values rounded, gradient cast back to the input dtype', () => {
    const x = tensor([0.1, 1 / 3], { dtype: 'float64', requiresGrad: true });
    const y = cast(x, 'float32');
    expect(y.dtype).toBe('float32');
    expect(y.toArray()).toEqual([Math.fround(0.1), Math.fround(1 / 3)]);
    const [g] = grad(sum(mul(y, 3)), [x]);
    expect(g.dtype).toBe('float64');
    expect(g.toArray()).toEqual([3, 3]);
    const z = tensor([1, 2], { requiresGrad: true });
    const [gz] = grad(sum(cast(z, 'float64')), [z]);
    expect(gz.dtype).toBe('float32');
  });

  it('backward leaves float32 .grad on float32 leaves', () => {
    const w = tensor([0.5, -0.25, 1, 2], { shape: [2, 2], requiresGrad: true });
    const b = tensor([0.1, 0.2], { requiresGrad: true });
    const x = tensor([1, 2, 3, 4, 5, 6], { shape: [3, 2] });
    backward(mean(pow(add(matmul(x, w), b), 2)));
    expect(w.grad!.dtype).toBe('float32');
    expect(b.grad!.dtype).toBe('float32');
    expect(w.grad!.data).toBeInstanceOf(Float32Array);
  });

  it('second order in float32 stays float32', () => {
    const x = tensor([1.5, 1.5], { requiresGrad: true });
    const f = (t: Tensor) => sum(pow(t, 3));
    expect(hvp(f, x, tensor([1, -1])).dtype).toBe('float32');
    expect(hessian(f, x).dtype).toBe('float32');
  });
});
