/**
 * A/B of the batched matmul kernel on attention-sized products: [128, 16, 8]·[128, 8, 16] forward, and forward +
 * backward (dA = G·Bᵀ, dB = Aᵀ·G, both batched), per backend. (The stacked-GEMM paths for a shared B, e.g. a
 * linear layer on [batch, T, in], never call matmulBatched: bench/ab-matmul.ts measures them against a base
 * checkout.) "per-product" is the path batchedProduct took
 * before matmulBatched (one `matmul` call, and for wasm one copy in/out, per batch element), emulated by a
 * backend whose matmulBatched loops over `matmul` on views; "batched" is the backend as shipped. The two run
 * interleaved in one process, in many short rounds, and are timed in process CPU time (not wall time), so a
 * loaded machine's scheduling stalls hit neither; the figure is the median round.
 *   node --import tsx bench/matmul-batched.ts [ms-per-round=60] [rounds=15]
 */
import { grad, matmul, setKernels, tensor, type Tensor } from '../src/tensor/index.js';
import { loadBackend, type BackendName } from '../src/tensor/kernels/select.js';
import type { Kernels } from '../src/tensor/kernels/types.js';
import { gaussian } from './common.js';

const roundMs = Number(process.argv[2] ?? 60);
const rounds = Number(process.argv[3] ?? 15);
const B = 128;
const M = 16;
const K = 8;
const N = 16;
const g = gaussian(7);

/** `k` with matmulBatched replaced by per-product `matmul` calls: the old batchedProduct loop. */
function perProduct(k: Kernels): Kernels {
  return {
    ...k,
    name: `${k.name} per-product`,
    matmul: k.matmul.bind(k),
    binary: k.binary.bind(k),
    binaryRow: k.binaryRow.bind(k),
    sumRows: k.sumRows.bind(k),
    matmulBatched(a, b, c, batch, m, n, kk, ta, tb, sa, sb, sc) {
      for (let t = 0; t < batch; t++)
        k.matmul(
          a.subarray(t * sa, t * sa + m * kk),
          b.subarray(t * sb, t * sb + kk * n),
          c.subarray(t * sc, t * sc + m * n),
          m,
          n,
          kk,
          ta,
          tb,
          false,
        );
    },
  };
}

/** CPU µs per call of `step` over one round of about `roundMs` of CPU time. */
function cpuMicros(step: () => void): number {
  const t0 = process.cpuUsage();
  let n = 0;
  let used = 0;
  while (used < roundMs * 1000) {
    step();
    n++;
    const d = process.cpuUsage(t0);
    used = d.user + d.system;
  }
  return used / n;
}

const rand = (shape: number[], dtype: 'float32' | 'float64'): Tensor =>
  tensor(
    Float64Array.from({ length: shape.reduce((p, q) => p * q, 1) }, () => g()),
    { shape, dtype, requiresGrad: true },
  );

const rows = [
  '| backend | dtype | case | per-product µs | batched µs | speed-up |',
  '|---|---|---|---|---|---|',
];
for (const name of ['wasm', 'native', 'typescript'] as BackendName[]) {
  const k = loadBackend(name);
  if (!k) {
    rows.push(`| ${name} | – | not available | | | |`);
    continue;
  }
  for (const dtype of ['float32', 'float64'] as const) {
    const a = rand([B, M, K], dtype);
    const b = rand([B, K, N], dtype);
    const go = rand([B, M, N], dtype);
    const cases: Array<[string, () => void]> = [
      ['bmm fwd', () => void matmul(a, b)],
      ['bmm fwd+bwd', () => void grad(matmul(a, b), [a, b], { gradOutput: go })],
    ];
    for (const [label, step] of cases) {
      const best: Record<'old' | 'new', number[]> = { old: [], new: [] };
      const old = perProduct(k);
      for (let r = -1; r < rounds; r++)
        for (const v of ['old', 'new'] as const) {
          setKernels(v === 'old' ? old : k);
          const us = cpuMicros(step);
          if (r >= 0) best[v].push(us); // round -1 warms the JIT up
        }
      const med = (xs: number[]): number => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)];
      const o = med(best.old);
      const n = med(best.new);
      rows.push(
        `| ${name} | ${dtype} | ${label} | ${o.toFixed(1)} | ${n.toFixed(1)} | ${(o / n).toFixed(2)}× |`,
      );
    }
  }
}
console.log(
  `bmm = [${B}, ${M}, ${K}]·[${B}, ${K}, ${N}]; CPU µs/call, median of ${rounds} interleaved rounds of ${roundMs} ms`,
);
console.log(rows.join('\n'));
