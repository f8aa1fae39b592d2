/**
 * Random programs: seeded compositions of smooth ops (broadcast binaries against keepdim reductions of
 * the same tensor, matmul with fresh weights, transpose/reshape/slice/concat, softmax/logSoftmax/logsumexp)
 * checked to first and second order against finite differences. Catches interactions a per-op check
 * misses: broadcast gradients through keepdim reductions, shape bookkeeping after movement ops,
 * accumulation when a node feeds several users.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Tensor,
  add,
  concat,
  div,
  exp,
  gelu,
  logSoftmax,
  logsumexp,
  matmul,
  max,
  mean,
  mul,
  noGrad,
  pow,
  reshape,
  sigmoid,
  sin,
  slice,
  softmax,
  softplus,
  sub,
  sum,
  tanh,
  transpose,
  setKernels,
  type Kernels,
} from '../../../src/tensor/index.js';
import { createRng, type Rng } from '../../../src/rng/rng.js';
import { gradcheck, gradgradcheck, kernelBackends, randomTensor } from '../../helpers/gradcheck.js';

type Ref = { kind: 'L' | 'V'; i: number };
interface Program {
  leaves: Tensor[];
  steps: { text: string; run: (get: (r: Ref) => Tensor) => Tensor }[];
}

function randomAxes(rng: Rng, nd: number): number[] {
  const axes = [];
  for (let a = 0; a < nd; a++) if (rng.next() < 0.5) axes.push(rng.next() < 0.5 ? a : a - nd);
  return axes.length ? axes : [nd - 1];
}

function generate(seed: number, length: number): Program {
  const rng = createRng(seed);
  const leaves: Tensor[] = [];
  const values: Tensor[] = [];
  const steps: Program['steps'] = [];
  const shapeOf = (r: Ref): readonly number[] => (r.kind === 'L' ? leaves[r.i] : values[r.i]).shape;
  const newLeaf = (shape: number[]): Ref => {
    leaves.push(randomTensor(rng, shape, { scale: 0.8 }));
    return { kind: 'L', i: leaves.length - 1 };
  };
  const push = (text: string, run: (get: (r: Ref) => Tensor) => Tensor): Ref => {
    const get = (r: Ref) => (r.kind === 'L' ? leaves[r.i] : values[r.i]);
    values.push(noGrad(() => run(get)));
    steps.push({ text, run });
    return { kind: 'V', i: values.length - 1 };
  };
  const nd = 2 + rng.int(2);
  let cur = newLeaf(Array.from({ length: nd }, () => 1 + rng.int(3)));
  for (let s = 0; s < length; s++) {
    const c = cur;
    const sh = shapeOf(c);
    const pick = rng.int(9);
    if (pick === 0) {
      const [name, f] = (
        [
          ['tanh', tanh],
          ['sigmoid', sigmoid],
          ['sin', sin],
          ['gelu', gelu],
          ['softplus', (x: Tensor) => softplus(x)],
          ['exp∘tanh', (x: Tensor) => exp(tanh(x))],
        ] as const
      )[rng.int(6)];
      cur = push(`${name}`, (g) => f(g(c)));
    } else if (pick === 1 || pick === 2) {
      // combine with a keepdim reduction of itself: broadcasting back over the reduced axes
      const axes = randomAxes(rng, sh.length);
      const [rname, red] = (
        [
          ['sum', (x: Tensor) => sum(x, axes, true)],
          ['mean', (x: Tensor) => mean(x, axes, true)],
          ['max', (x: Tensor) => max(x, axes, true)],
          ['logsumexp', (x: Tensor) => logsumexp(x, axes, true)],
        ] as const
      )[rng.int(4)];
      const [bname, bin] = (
        [
          ['add', add],
          ['sub', sub],
          ['mul', mul],
          ['div(1+u²)', (a: Tensor, b: Tensor) => div(a, add(1, pow(b, 2)))],
        ] as const
      )[rng.int(4)];
      const flip = rng.next() < 0.5;
      cur = push(`${bname}(${flip ? 'u, x' : 'x, u'}), u=${rname}(x, ${JSON.stringify(axes)}, keep)`, (g) => {
        const x = g(c);
        const u = red(x);
        return flip ? bin(u, x) : bin(x, u);
      });
    } else if (pick === 3) {
      const k = 1 + rng.int(3);
      const w = newLeaf([sh[sh.length - 1], k]);
      cur = push(`matmul(x, W[${sh[sh.length - 1]},${k}])`, (g) => tanh(matmul(g(c), g(w))));
    } else if (pick === 4) {
      const a = rng.int(sh.length);
      const b = rng.int(sh.length);
      cur = push(`transpose(${a}, ${b})`, (g) => transpose(g(c), a, b));
    } else if (pick === 5) {
      const n = sh.reduce((p, q) => p * q, 1);
      const d0 = [1, 2, 3, 4, 6].filter((d) => n % d === 0);
      const first = d0[rng.int(d0.length)];
      cur = push(`reshape([${first}, ${n / first}])`, (g) => reshape(g(c), [first, n / first]));
    } else if (pick === 6) {
      const ax = rng.int(sh.length);
      const n = sh[ax];
      const start = rng.int(n);
      const end = start + 1 + rng.int(n - start);
      cur = push(`concat([x, slice(x, ${ax}, ${start}, ${end})], ${ax})`, (g) =>
        concat([g(c), mul(slice(g(c), ax, start, end), 0.5)], ax),
      );
    } else if (pick === 7) {
      const ax = rng.int(sh.length) - (rng.next() < 0.5 ? sh.length : 0);
      const lg = rng.next() < 0.5;
      cur = push(`${lg ? 'logSoftmax' : 'softmax'}(${ax})`, (g) =>
        lg ? logSoftmax(g(c), ax) : softmax(g(c), ax),
      );
    } else {
      // reuse: a node consumed twice, plus a second leaf broadcast against it
      const other = newLeaf(sh.map((d) => (rng.next() < 0.5 ? 1 : d)));
      cur = push(`x·tanh(x) + v (v broadcast [${shapeOf(other)}])`, (g) =>
        add(mul(g(c), tanh(g(c))), g(other)),
      );
    }
  }
  return { leaves, steps };
}

function asFunction(p: Program): (...xs: Tensor[]) => Tensor {
  return (...xs: Tensor[]) => {
    const vals: Tensor[] = [];
    const get = (r: Ref): Tensor => (r.kind === 'L' ? xs[r.i] : vals[r.i]);
    for (const st of p.steps) vals.push(st.run(get));
    return vals[vals.length - 1];
  };
}

const PROGRAMS = Array.from({ length: 40 }, (_, i) => generate(1000 + i, 3 + (i % 5)));

describe.each(kernelBackends())('random programs vs finite differences (float64), %s kernels', (_name, k) => {
  let prev: Kernels;
  beforeAll(() => {
    prev = setKernels(k);
  });
  afterAll(() => {
    setKernels(prev);
  });
  it.each(PROGRAMS.map((p, i) => [i, p] as const))('program %i', (_i, p) => {
    const f = asFunction(p);
    const text = p.steps.map((s) => s.text).join(' → ');
    if (process.env.SHOW_FUZZ) console.log(p.leaves.map((l) => `[${l.shape}]`).join(' '), '::', text);
    const r1 = gradcheck(f, p.leaves);
    expect(r1.ok, `${text}: ${r1.message}`).toBe(true);
    const r2 = gradgradcheck(f, p.leaves, { fullHessianUpTo: 0, directions: 2 });
    expect(r2.ok, `${text}: ${r2.message}`).toBe(true);
  });
});
