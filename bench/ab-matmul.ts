/**
 * True A/B of the engine's matmul against another checkout (e.g. a worktree of main): both engines are loaded
 * side by side in this process and run interleaved, timed in process CPU time (robust to a loaded machine),
 * median of `rounds` rounds of 60 ms. Cases: [128, 16, 8]·[128, 8, 16] (attention heads) forward and
 * forward + backward, and a linear layer on [32, 16, 32] with W [32, 32] forward + backward.
 *   node --import tsx bench/ab-matmul.ts <base-checkout> [rounds=11]
 * Set DESCENT_NATIVE_ADDON to one addon build so both engines' native tier uses it.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as NEW from '../src/tensor/index.js';
import * as NEWSEL from '../src/tensor/kernels/select.js';

const base = process.argv[2];
if (!base) throw new Error('usage: bench/ab-matmul.ts <base-checkout> [rounds]');
const rounds = Number(process.argv[3] ?? 11);
const ROUND_US = 60_000;
const load = (p: string): Promise<unknown> => import(pathToFileURL(resolve(base, p)).href);
const OLD = (await load('src/tensor/index.ts')) as typeof NEW;
const OLDSEL = (await load('src/tensor/kernels/select.ts')) as typeof NEWSEL;

function cpuMicros(step: () => void): number {
  const t0 = process.cpuUsage();
  let n = 0;
  let used = 0;
  while (used < ROUND_US) {
    step();
    n++;
    const d = process.cpuUsage(t0);
    used = d.user + d.system;
  }
  return used / n;
}

let seed = 1;
const rnd = (): number => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648 - 0.5;
};

const rows = ['| backend | dtype | case | base µs | this µs | speed-up |', '|---|---|---|---|---|---|'];
for (const be of ['wasm', 'native'] as const)
  for (const dtype of ['float32', 'float64'] as const) {
    const engines = [OLD, NEW].map((E, i) => {
      const k = (i === 0 ? OLDSEL : NEWSEL).loadBackend(be);
      if (!k) return null;
      const t = (shape: number[]): NEW.Tensor => {
        seed = shape.length * 7 + shape[0]; // same data in both engines
        const n = shape.reduce((p, q) => p * q, 1);
        return E.tensor(Float64Array.from({ length: n }, rnd), { shape, dtype, requiresGrad: true });
      };
      const a = t([128, 16, 8]);
      const b = t([128, 8, 16]);
      const go = t([128, 16, 16]);
      const x = t([32, 16, 32]);
      const w = t([32, 32]);
      const gy = t([32, 16, 32]);
      const cases: Record<string, () => void> = {
        'bmm fwd': () => void E.matmul(a, b),
        'bmm fwd+bwd': () => void E.grad(E.matmul(a, b), [a, b], { gradOutput: go }),
        'linear fwd+bwd': () => void E.grad(E.linear(x, w), [x, w], { gradOutput: gy }),
      };
      return { E, k, cases };
    });
    if (!engines[0] || !engines[1]) {
      rows.push(`| ${be} | ${dtype} | not available | | | |`);
      continue;
    }
    for (const label of Object.keys(engines[0].cases)) {
      const us: number[][] = [[], []];
      for (let r = -1; r < rounds; r++)
        for (const v of [0, 1]) {
          const e = engines[v]!;
          e.E.setKernels(e.k);
          const t = cpuMicros(e.cases[label]);
          if (r >= 0) us[v].push(t); // round -1 warms the JIT up
        }
      const med = (xs: number[]): number => [...xs].sort((p, q) => p - q)[xs.length >> 1];
      const [o, n] = [med(us[0]), med(us[1])];
      rows.push(
        `| ${be} | ${dtype} | ${label} | ${o.toFixed(1)} | ${n.toFixed(1)} | ${(o / n).toFixed(2)}× |`,
      );
    }
  }
console.log(`base ${base}; CPU µs/call, median of ${rounds} interleaved rounds of ${ROUND_US / 1000} ms`);
console.log(rows.join('\n'));
