/**
 * Finite-difference verification of every op of the engine, first and second order, in float64.
 * See test/helpers/gradcheck.ts for the method and tolerances (h = 1e-6, atol = rtol = 1e-6).
 * Inputs come from the seeded generator and are kept off kinks (|x| > 0.1 for relu/abs/…, positive for
 * log/sqrt/fractional powers, away from clamp bounds and softplus's threshold, no near-ties for max/min).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Tensor,
  tensor,
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
  erf,
  cast,
  broadcastTo,
  sumTo,
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
  dropout,
  noGrad,
  setKernels,
  type Kernels,
} from '../../../src/tensor/index.js';
import { createRng, type Rng } from '../../../src/rng/rng.js';
import { gradcheck, gradgradcheck, kernelBackends, randomTensor } from '../../helpers/gradcheck.js';

type Fn = (...xs: Tensor[]) => Tensor;
interface Check {
  name: string;
  f: Fn;
  inputs: (rng: Rng) => Tensor[];
}

const rngFor = (name: string): Rng => {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619) >>> 0;
  return createRng(h);
};

/** A random shape of 0–3 dims, each 1–4, at most 24 elements. */
function randomShape(rng: Rng): number[] {
  for (;;) {
    const nd = rng.int(4);
    const s = Array.from({ length: nd }, () => 1 + rng.int(4));
    if (s.reduce((a, b) => a * b, 1) <= 24) return s;
  }
}

const R =
  (shape: number[], opts: Parameters<typeof randomTensor>[2] = {}) =>
  (rng: Rng) => [randomTensor(rng, shape, opts)];

const checks: Check[] = [];
const add1 = (name: string, f: Fn, inputs: (rng: Rng) => Tensor[]): void =>
  void checks.push({ name, f, inputs });

// ---------------------------------------------------------------- unary ops on random shapes
const UNARY: [string, (x: Tensor) => Tensor, Parameters<typeof randomTensor>[2]][] = [
  ['neg', neg, {}],
  ['exp', exp, {}],
  ['log', log, { positive: true }],
  ['sqrt', sqrt, { positive: true }],
  ['abs', abs, { awayFrom: [0] }],
  ['sin', sin, { scale: 2 }],
  ['cos', cos, { scale: 2 }],
  ['tanh', tanh, { scale: 2 }],
  ['sigmoid', sigmoid, { scale: 3 }],
  ['relu', relu, { awayFrom: [0] }],
  ['leakyRelu default', (x) => leakyRelu(x), { awayFrom: [0] }],
  ['leakyRelu 0.2', (x) => leakyRelu(x, 0.2), { awayFrom: [0] }],
  ['elu default', (x) => elu(x), { awayFrom: [0] }],
  ['elu 0.7', (x) => elu(x, 0.7), { awayFrom: [0] }],
  ['gelu', gelu, { scale: 2 }],
  ['erf', erf, { scale: 2 }],
  ['cast to float64 (identity)', (x) => cast(x, 'float64'), {}],
  ['softplus default', (x) => softplus(x), { scale: 3 }],
  // beta·x = threshold is where torch switches to the identity: keep x off 1.5
  ['softplus beta 2 threshold 3', (x) => softplus(x, 2, 3), { scale: 2, awayFrom: [1.5] }],
  ['pow 2', (x) => pow(x, 2), {}],
  ['pow 3', (x) => pow(x, 3), {}],
  ['pow -1', (x) => pow(x, -1), { awayFrom: [0], margin: 0.4 }],
  ['pow 0.5', (x) => pow(x, 0.5), { positive: true }],
  ['pow -1.5', (x) => pow(x, -1.5), { positive: true }],
  ['pow 2.5', (x) => pow(x, 2.5), { positive: true }],
  ['pow 1/3', (x) => pow(x, 1 / 3), { positive: true }],
  ['clamp both', (x) => clamp(x, -0.5, 0.7), { scale: 1.5, awayFrom: [-0.5, 0.7], margin: 0.05 }],
  ['clamp min only (max null)', (x) => clamp(x, -0.5, null), { awayFrom: [-0.5], margin: 0.05 }],
  ['clamp max only (min undefined)', (x) => clamp(x, undefined, 0.7), { awayFrom: [0.7], margin: 0.05 }],
  ['add number right', (x) => add(x, 2.5), {}],
  ['add number left', (x) => add(2.5, x), {}],
  ['sub number right', (x) => sub(x, 2.5), {}],
  ['sub number left', (x) => sub(2.5, x), {}],
  ['mul number right', (x) => mul(x, -1.5), {}],
  ['mul number left', (x) => mul(-1.5, x), {}],
  ['div number right', (x) => div(x, 4), {}],
  ['div number left', (x) => div(3, x), { awayFrom: [0], margin: 0.4 }],
  ['maximum with number', (x) => maximum(x, 0.2), { awayFrom: [0.2] }],
  ['minimum with number', (x) => minimum(x, 0.2), { awayFrom: [0.2] }],
];
for (const [name, op, opts] of UNARY) {
  for (let k = 0; k < 2; k++) {
    const shape = randomShape(rngFor(`${name}#${k}`));
    add1(`${name} [${shape}]`, op, R(shape, opts));
  }
}

// ---------------------------------------------------------------- binary ops with broadcasting
const BIN: [string, (a: Tensor, b: Tensor) => Tensor][] = [
  ['add', add],
  ['sub', sub],
  ['mul', mul],
  ['div', div],
  ['maximum', maximum],
  ['minimum', minimum],
];
const PAIRS: [number[], number[]][] = [
  [
    [3, 1],
    [1, 4],
  ],
  [[2, 3, 4], [4]],
  [[4], [2, 3, 4]],
  [[], [3, 2]],
  [[3, 2], []],
  [
    [2, 1, 4],
    [3, 1],
  ],
  [
    [2, 3],
    [2, 3],
  ],
  [[1], [2, 2]],
  [
    [2, 3, 4],
    [1, 3, 4],
  ],
  [
    [1, 3, 4],
    [2, 3, 4],
  ],
  [
    [2, 3, 4],
    [3, 1],
  ],
  [
    [1, 3, 1],
    [2, 1, 4],
  ],
];
/** Pairs with no broadcast pair of elements closer than 0.05 (no ties for maximum/minimum). */
function separated(rng: Rng, sa: number[], sb: number[], divisor: boolean): Tensor[] {
  for (;;) {
    const a = randomTensor(rng, sa);
    const b = randomTensor(rng, sb, divisor ? { awayFrom: [0], margin: 0.4 } : {});
    const gap = noGrad(() => min(abs(sub(a, b)))).item();
    if (gap > 0.05) return [a, b];
  }
}
for (const [name, op] of BIN) {
  for (const [sa, sb] of PAIRS)
    add1(`${name} [${sa}] with [${sb}]`, op, (rng) => separated(rng, sa, sb, name === 'div'));
}
add1(
  'a used twice: a*a + a/b',
  (a, b) => add(mul(a, a), div(a, b)),
  (rng) => separated(rng, [3, 1], [1, 4], true),
);

// ---------------------------------------------------------------- reductions
const AXES: (number | number[] | undefined)[] = [
  undefined,
  0,
  1,
  2,
  -1,
  -2,
  [0, 2],
  [1, 2],
  [0, 1, 2],
  [-1, 0],
];
const REDS: [string, (x: Tensor, axis?: number | number[], keepdim?: boolean) => Tensor][] = [
  ['sum', sum],
  ['mean', mean],
  ['max', max],
  ['min', min],
];
for (const [name, op] of REDS) {
  for (const axis of AXES) {
    for (const keep of [false, true]) {
      if (axis === undefined && keep) continue;
      add1(
        `${name} axis ${JSON.stringify(axis) ?? 'all'} keepdim ${keep}`,
        (x) => (axis === undefined ? op(x) : op(x, axis, keep)),
        R([2, 3, 4]),
      );
    }
  }
}
add1('sum all keepdim true', (x) => sum(x, [0, 1], true), R([3, 2]));
for (const axis of [0, 1, 2, -1]) {
  for (const keep of [false, true]) {
    add1(
      `logsumexp axis ${axis} keepdim ${keep}`,
      (x) => logsumexp(x, axis, keep),
      R([2, 3, 4], { scale: 2 }),
    );
  }
}
for (const axis of [0, 1, -1]) {
  add1(`softmax axis ${axis}`, (x) => softmax(x, axis), R([2, 3, 4], { scale: 2 }));
  add1(`logSoftmax axis ${axis}`, (x) => logSoftmax(x, axis), R([2, 3, 4], { scale: 2 }));
}
add1('softmax default axis', (x) => softmax(x), R([3, 4]));
add1('logSoftmax default axis', (x) => logSoftmax(x), R([3, 4]));

// ---------------------------------------------------------------- matmul
const MM: [number[], number[]][] = [
  [
    [3, 4],
    [4, 2],
  ],
  [
    [1, 4],
    [4, 1],
  ],
  [
    [2, 3, 4],
    [2, 4, 5],
  ],
  [
    [2, 3, 4],
    [4, 5],
  ],
  [
    [3, 4],
    [2, 4, 5],
  ],
  [
    [2, 1, 3, 4],
    [3, 4, 2],
  ],
  [
    [1, 3, 2],
    [2, 2, 3],
  ],
];
for (const [sa, sb] of MM)
  add1(`matmul [${sa}] @ [${sb}]`, matmul, (rng) => [randomTensor(rng, sa), randomTensor(rng, sb)]);
add1(
  'matmul chain x@W^T + b (a linear layer)',
  (x, w, b) => add(matmul(x, transpose(w)), b),
  (rng) => [randomTensor(rng, [4, 3]), randomTensor(rng, [2, 3]), randomTensor(rng, [2])],
);

add1(
  'linear x·Wᵀ + b',
  (x, w, b) => linear(x, w, b),
  (rng) => [randomTensor(rng, [4, 3]), randomTensor(rng, [2, 3]), randomTensor(rng, [2])],
);
add1(
  'linear without bias',
  (x, w) => linear(x, w),
  (rng) => [randomTensor(rng, [5, 3]), randomTensor(rng, [4, 3])],
);
add1(
  'linear batched x [2,3,4]',
  (x, w, b) => linear(x, w, b),
  (rng) => [randomTensor(rng, [2, 3, 4]), randomTensor(rng, [2, 4]), randomTensor(rng, [2])],
);
add1(
  'linear stacked with tanh (transB path to second order)',
  (x, w1, w2) => linear(tanh(linear(x, w1)), w2),
  (rng) => [randomTensor(rng, [3, 2]), randomTensor(rng, [3, 2]), randomTensor(rng, [2, 3])],
);

add1('broadcastTo [3,1]→[2,3,4]', (x) => broadcastTo(x, [2, 3, 4]), R([3, 1]));
add1('sumTo [2,3,4]→[3,1]', (x) => sumTo(x, [3, 1]), R([2, 3, 4]));
add1('sumTo [2,3]→[]', (x) => sumTo(x, []), R([2, 3]));

// ---------------------------------------------------------------- movement ops
add1('transpose default', (x) => transpose(x), R([2, 3, 4]));
add1('transpose 0,2', (x) => transpose(x, 0, 2), R([2, 3, 4]));
add1('transpose 2-D', (x) => transpose(x, 0, 1), R([3, 5]));
add1('reshape [2,3,4]→[6,4]', (x) => reshape(x, [6, 4]), R([2, 3, 4]));
add1('reshape [2,3,4]→[24]', (x) => reshape(x, [24]), R([2, 3, 4]));
add1('reshape [6]→[1,2,3,1]', (x) => reshape(x, [1, 2, 3, 1]), R([6]));
add1(
  'concat axis 0',
  (a, b, c) => concat([a, b, c], 0),
  (rng) => [randomTensor(rng, [2, 3]), randomTensor(rng, [1, 3]), randomTensor(rng, [3, 3])],
);
add1(
  'concat axis 1',
  (a, b) => concat([a, b], 1),
  (rng) => [randomTensor(rng, [2, 3, 2]), randomTensor(rng, [2, 1, 2])],
);
add1(
  'concat axis -1',
  (a, b) => concat([a, b], -1),
  (rng) => [randomTensor(rng, [2, 3]), randomTensor(rng, [2, 2])],
);
add1(
  'concat default axis',
  (a, b) => concat([a, b]),
  (rng) => [randomTensor(rng, [1, 3]), randomTensor(rng, [2, 3])],
);
add1('concat same tensor twice', (a) => concat([a, mul(a, a)], 0), R([2, 2]));
add1('slice axis 0', (x) => slice(x, 0, 1, 2), R([2, 3, 4]));
add1('slice axis 1', (x) => slice(x, 1, 1, 3), R([2, 3, 4]));
add1('slice axis -1', (x) => slice(x, -1, 0, 3), R([2, 3, 4]));
add1('gather [5,3] by [5]', (x) => gather(x, [2, 0, 1, 1, 2]), R([5, 3]));
add1('gather Int32Array axis -1', (x) => gather(x, Int32Array.from([1, 0, 3]), -1), R([3, 4]));
{
  const cond = tensor([1, 0, 0, 1, 1, 0, 1, 0, 0, 0, 1, 1], { shape: [3, 4], dtype: 'float64' });
  add1(
    'where same shape',
    (a, b) => where(cond, a, b),
    (rng) => [randomTensor(rng, [3, 4]), randomTensor(rng, [3, 4])],
  );
  add1(
    'where b broadcast [4]',
    (a, b) => where(cond, a, b),
    (rng) => [randomTensor(rng, [3, 4]), randomTensor(rng, [4])],
  );
  add1(
    'where a scalar tensor',
    (a, b) => where(cond, a, b),
    (rng) => [randomTensor(rng, []), randomTensor(rng, [3, 4])],
  );
  add1('where nonlinear branches', (a) => where(cond, pow(a, 3), exp(a)), R([3, 4]));
}
add1('gather axis 1 of [2,3,2]', (x) => gather(x, [2, 0, 1, 1], 1), R([2, 3, 2]));
add1('gather axis 0 of [3,2]', (x) => gather(x, [2, 0], 0), R([3, 2]));
{
  const cond3 = tensor(
    Float64Array.from({ length: 24 }, (_, i) => ((i * 7) % 3 === 0 ? 1 : 0)),
    { shape: [2, 3, 4], dtype: 'float64' },
  );
  add1(
    'where cond [2,3,4], a [3,4], b [4]',
    (a, b) => where(cond3, a, b),
    (rng) => [randomTensor(rng, [3, 4]), randomTensor(rng, [4])],
  );
}
add1('reshape with -1', (x) => reshape(x, [-1, 4]), R([2, 3, 4]));
add1(
  'matmul with a constant operand',
  (a) => matmul(a, tensor([1, 2, 3, -1, 0.5, 2], { shape: [3, 2], dtype: 'float64' })),
  R([2, 3]),
);
add1('dropout p=0.3 (fixed rng)', (x) => dropout(x, 0.3, createRng(5)), R([4, 5]));
add1('dropout eval mode', (x) => dropout(x, 0.3, createRng(5), false), R([4, 5]));

// ---------------------------------------------------------------- composites (graph plumbing)
add1(
  'mlp-like composite',
  (x, w1, w2) => mean(pow(matmul(tanh(matmul(x, w1)), w2), 2)),
  (rng) => [randomTensor(rng, [3, 2]), randomTensor(rng, [2, 3]), randomTensor(rng, [3, 1])],
);
add1('softmax·log composite', (x) => sum(mul(softmax(x, -1), logSoftmax(x, -1))), R([2, 3]));
add1(
  'method forms',
  (x, y) => x.add(y).mul(x).matmul(transpose(y)).sum(),
  (rng) => [randomTensor(rng, [2, 3]), randomTensor(rng, [2, 3])],
);

describe.each(kernelBackends())('%s kernels', (_name, k) => {
  let prev: Kernels;
  beforeAll(() => {
    prev = setKernels(k);
  });
  afterAll(() => {
    setKernels(prev);
  });

  describe('gradcheck: first derivatives vs central differences (float64)', () => {
    it.each(checks.map((c) => [c.name, c] as const))('%s', (_n, c) => {
      const xs = c.inputs(rngFor(c.name));
      const r = gradcheck(c.f, xs);
      expect(r.ok, `${c.name}: ${r.message}`).toBe(true);
    });
  });

  describe('gradgradcheck: double-backward H·v vs differences of the gradient (float64)', () => {
    it.each(checks.map((c) => [c.name, c] as const))('%s', (_n, c) => {
      const xs = c.inputs(rngFor(c.name));
      const r = gradgradcheck(c.f, xs, { fullHessianUpTo: 12, directions: 2 });
      expect(r.ok, `${c.name}: ${r.message}`).toBe(true);
    });
  });
});
