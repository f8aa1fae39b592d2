/**
 * `npm run bench`: every workload on Descent, PyTorch (when /usr/bin/python3 has torch) and TensorFlow.js
 * (wasm and cpu backends) in one run, one process per (workload, system) so peak RSS is per workload.
 * Prints one table and writes bench/results/latest.json.
 *
 *   npm run bench -- [--only W1,W3,sgemm] [--seconds 2] [--systems descent,pytorch,tfjs-wasm,tfjs-cpu]
 *                    [--descent-modes train,loop] [--kernels native,wasm,typescript] [--repeat N] [--out FILE]
 * Descent's kernel backend is the fastest available unless DESCENT_KERNELS forces one.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { availableBackends } from '../src/tensor/kernels/select.js';
import type { Result } from './common.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : dflt;
}

const WORKLOADS = ['sgemm', 'dgemm', 'W1', 'W2', 'W3', 'W4', 'W5', 'W6'];
const DESCRIBE: Record<string, string> = {
  sgemm: 'sgemm 256×256×256 float32',
  dgemm: 'dgemm 256×256×256 float64',
  W1: 'W1 logistic regression 10,000×20, full-batch GD',
  W2: 'W2 MLP 784-256-128-10, Adam, batch 128, 60,000 samples',
  W3: 'W3 MLP 13-64-64-1, SGD momentum, batch 32, 10,000 samples',
  W4: "W4 Newton's method, logistic regression 10,000×50, 20 iterations",
  W5: 'W5 digits CNN conv3×3(8)-bn-relu-pool-linear, Adam, batch 32, 1,797 samples',
  W6: 'W6 LSTM(1→32) 20 steps → linear, Adam, batch 32, 10,000 samples',
};
const only = arg('only', WORKLOADS.join(',')).split(',');
const seconds = arg('seconds', '2');
const systems = arg('systems', 'descent,pytorch,tfjs-wasm,tfjs-cpu').split(',');
const modes = arg('descent-modes', 'train,loop').split(',');
/** Descent kernel backends to run (each a row): default every available one of native and wasm, or DESCENT_KERNELS. */
const backends = arg(
  'kernels',
  process.env.DESCENT_KERNELS ??
    availableBackends()
      .filter((b) => b !== 'typescript')
      .join(','),
).split(',');
const out = arg('out', join(here, 'results', 'latest.json'));
const repeat = Math.max(1, Number(arg('repeat', '1')));

const PY = '/usr/bin/python3';
function hasTorch(): string | null {
  try {
    return execFileSync(PY, ['-c', 'import torch; print(torch.__version__)'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return null;
  }
}

interface Failure {
  failed: true;
  system: string;
  error: string;
}

function isFailure(r: Result | Failure): r is Failure {
  return (r as Failure).failed === true;
}

interface Job {
  system: string;
  cmd: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

/** One BLAS thread, and OpenBLAS left to detect this CPU itself: OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset in the child only. */
function blasEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    OPENBLAS_NUM_THREADS: '1',
    OMP_NUM_THREADS: '1',
    MKL_NUM_THREADS: '1',
  };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

function jobsFor(w: string, torch: boolean): Job[] {
  const node = process.execPath;
  const tsx = ['--import', 'tsx'];
  const jobs: Job[] = [];
  if (systems.includes('descent')) {
    // W4–W6 run through train() only: their "loop" would need a hand-written step per model family.
    const ms =
      w === 'sgemm' || w === 'dgemm' ? ['kernel'] : ['W4', 'W5', 'W6'].includes(w) ? ['train'] : modes;
    // Same environment as the PyTorch child: the native tier calls the same system OpenBLAS.
    for (const kern of backends)
      for (const m of ms)
        jobs.push({
          system: `descent-${kern}`,
          cmd: node,
          args: [...tsx, join(here, 'descent/workloads.ts'), w, m, seconds],
          env: { ...blasEnv(), DESCENT_KERNELS: kern },
        });
  }
  if (systems.includes('pytorch') && torch) {
    jobs.push({
      system: 'pytorch',
      cmd: PY,
      args: [join(here, 'torch/workloads.py'), w, seconds],
      env: blasEnv(),
    });
  }
  for (const b of ['wasm', 'cpu']) {
    if (!systems.includes(`tfjs-${b}`) || w === 'dgemm') continue; // tfjs has no float64
    jobs.push({
      system: `tfjs-${b}`,
      cmd: node,
      args: [...tsx, join(here, 'tfjs/workloads.ts'), w, b, seconds],
    });
  }
  return jobs;
}

function runJob(j: Job): Result | Failure {
  const r = spawnSync(j.cmd, j.args, {
    cwd: root,
    env: j.env ?? process.env,
    encoding: 'utf8',
    timeout: 180_000,
  });
  const line = (r.stdout ?? '')
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .pop();
  if (r.status !== 0 || !line)
    return {
      system: j.system,
      failed: true,
      error: ((r.stderr ?? '') + (r.error?.message ?? '')).trim().split('\n').slice(-3).join(' | '),
    };
  return JSON.parse(line) as Result;
}

function fmt(v: number): string {
  if (v >= 1000) return Math.round(v).toLocaleString('en-US');
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

function label(r: Result): string {
  if (!r.system.startsWith('descent')) return r.system;
  return `${r.system}${r.variant && r.variant !== 'simd128' ? `/${String(r.variant)}` : ''} (${String(r.mode)})`;
}

const torchVersion = systems.includes('pytorch') ? hasTorch() : null;
const started = new Date();
const all: Result[] = [];
const lines: string[] = [];
const peers = ['pytorch', 'tfjs-wasm', 'tfjs-cpu'];
lines.push(
  `| workload | system | throughput (best window) | median | peak RSS MB | ${peers.map((p) => `Descent ÷ ${p}`).join(' | ')} |`,
);
lines.push(`|---|---|---|---|---|${peers.map(() => '---').join('|')}|`);
for (const w of WORKLOADS.filter((x) => only.includes(x))) {
  const results: Result[] = [];
  const jobs = jobsFor(w, torchVersion !== null);
  // With --repeat N every job runs N times, interleaved round by round so load spikes hit all systems alike; the
  // best result of each job is kept.
  const best: Array<Result | null> = jobs.map(() => null);
  const failed: Array<string | null> = jobs.map(() => null);
  for (let round = 0; round < repeat; round++) {
    jobs.forEach((j, i) => {
      process.stderr.write(
        `${w} ${j.system} ${j.args.slice(-2).join(' ')}${repeat > 1 ? ` (round ${round + 1})` : ''} … `,
      );
      const r = runJob(j);
      if (isFailure(r)) {
        process.stderr.write(`FAILED: ${r.error}\n`);
        failed[i] = r.error;
        return;
      }
      process.stderr.write(`${fmt(r.value)} ${r.unit}\n`);
      if (!best[i] || r.value > best[i]!.value) best[i] = r;
    });
  }
  jobs.forEach((j, i) => {
    const r = best[i];
    if (!r) {
      lines.push(
        `| ${w} | ${j.system} | failed: ${(failed[i] ?? '').slice(0, 120)} | | | ${peers.map(() => '').join(' | ')} |`,
      );
      return;
    }
    results.push(r);
    all.push(r);
  });
  for (const r of results) {
    const isD = r.system.startsWith('descent');
    const ratios = peers.map((p) => {
      const peer = results.find((x) => x.system === p);
      return isD && peer ? `${(r.value / peer.value).toFixed(2)}×` : '';
    });
    lines.push(
      `| ${DESCRIBE[w]} | ${label(r)} | ${fmt(r.value)} ${r.unit} | ${fmt(Number(r.median ?? r.value))} | ${fmt(r.peakRssMB)} | ${ratios.join(' | ')} |`,
    );
  }
}

const machine = `${cpus()[0]?.model ?? '?'} × ${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, PyTorch ${torchVersion ?? 'absent'}, load average at end ${loadavg()
  .map((x) => x.toFixed(2))
  .join(' ')}`;
const table = lines.join('\n');
process.stdout.write(`\n${started.toISOString()} — ${machine}\n\n${table}\n`);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  JSON.stringify(
    {
      started: started.toISOString(),
      machine,
      seconds: Number(seconds),
      repeat,
      kernels: backends,
      results: all,
      table,
    },
    null,
    2,
  ) + '\n',
);
