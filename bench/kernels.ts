/**
 * Kernel micro-benchmark: the matmul shapes of W1–W4 and sgemm 256³ on every backend, with the wasm backend
 * both copying operands in and out (ordinary JS arrays, what the engine passes today) and zero-copy (operands
 * already in wasm memory), plus elementwise add. Answers "do the copies eat the gain?".
 *   node --import tsx bench/kernels.ts [seconds-per-case=0.3]
 */
import { createNativeKernels } from '../src/tensor/kernels/native/index.js';
import { referenceKernels } from '../src/tensor/kernels/reference.js';
import type { FloatArray, Kernels } from '../src/tensor/kernels/types.js';
import { createWasmKernels } from '../src/tensor/kernels/wasm/index.js';
import { gaussian, timed } from './common.js';

const secs = Number(process.argv[2] ?? 0.3);
const wasm = createWasmKernels(referenceKernels, { matmulMinFlops: 0, elementwiseMin: 0 })!;
const native = createNativeKernels(wasm, { minFlops: 0 });
const g = gaussian(1);

type DT = 'float32' | 'float64';
const plain = (dt: DT, n: number): FloatArray => {
  const a = dt === 'float64' ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = g();
  return a;
};
const inWasm = (src: FloatArray, dt: DT): FloatArray => {
  const a = wasm.alloc(src.length, dt);
  a.set(src);
  return a;
};

const shapes: Array<[string, DT, number, number, number, boolean, boolean]> = [
  ['sgemm 256³', 'float32', 256, 256, 256, false, false],
  ['dgemm 256³', 'float64', 256, 256, 256, false, false],
  ['W2 fwd x·W1ᵀ 128×784·(256×784)ᵀ', 'float32', 128, 256, 784, false, true],
  ['W2 bwd Gᵀ·x (128×256)ᵀ·128×784', 'float32', 256, 784, 128, true, false],
  ['W3 fwd 32×13·(64×13)ᵀ', 'float32', 32, 64, 13, false, true],
  ['W3 fwd 32×64·(64×64)ᵀ', 'float32', 32, 64, 64, false, true],
  ['W1 fwd X·w 10000×20·20×1', 'float32', 10000, 1, 20, false, false],
  ['W1 bwd Xᵀ·g (10000×20)ᵀ·10000×1', 'float32', 20, 1, 10000, true, false],
  ['W4 X·v 10000×50·50×1 f64', 'float64', 10000, 1, 50, false, false],
];

const rows: string[] = ['| case | backend | µs/call | GFLOPS |', '|---|---|---|---|'];
function run(
  label: string,
  backend: string,
  k: Kernels,
  a: FloatArray,
  b: FloatArray,
  c: FloatArray,
  s: (typeof shapes)[number],
): void {
  const [, , m, n, kk, ta, tb] = s;
  const t = timed(() => k.matmul(a, b, c, m, n, kk, ta, tb, false), secs, 0.1);
  const us = 1e6 / t.best;
  rows.push(`| ${label} | ${backend} | ${us.toFixed(1)} | ${((2 * m * n * kk * t.best) / 1e9).toFixed(1)} |`);
}

for (const s of shapes) {
  const [label, dt, m, n, k] = s;
  const a = plain(dt, m * k);
  const b = plain(dt, k * n);
  const c = plain(dt, m * n);
  if (m * n * k <= 2 ** 22) run(label, 'typescript', referenceKernels, a, b, c, s);
  run(label, 'wasm (copy in/out)', wasm, a, b, c, s);
  run(label, 'wasm (zero-copy)', wasm, inWasm(a, dt), inWasm(b, dt), inWasm(c, dt), s);
  if (native) run(label, 'native OpenBLAS', native, a, b, c, s);
}

rows.push('', '| elementwise add | backend | ns/element |', '|---|---|---|');
for (const n of [1_000, 10_000, 100_000]) {
  const a = plain('float32', n);
  const b = plain('float32', n);
  const o = plain('float32', n);
  const cases: Array<[string, Kernels, FloatArray, FloatArray, FloatArray]> = [
    ['typescript', referenceKernels, a, b, o],
    ['wasm (copy in/out)', wasm, a, b, o],
    ['wasm (zero-copy)', wasm, inWasm(a, 'float32'), inWasm(b, 'float32'), inWasm(o, 'float32')],
  ];
  for (const [name, k, x, y, z] of cases) {
    const t = timed(() => k.binary('add', x, y, z), secs, 0.1);
    rows.push(`| n = ${n.toLocaleString('en-US')} | ${name} | ${(1e9 / t.best / n).toFixed(3)} |`);
  }
}
process.stdout.write(rows.join('\n') + '\n');
