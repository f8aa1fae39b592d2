/**
 * Cold start of the service, TypeScript transpiled at run time (`node --import tsx src/cli/start.ts`,
 * what `npm start` ran before) against compiled JavaScript (`node dist/src/cli/start.js`, what it runs
 * now). For each run: process start → `GET /readyz` 200 (API up, Redis answering, a worker's heartbeat
 * seen), and process start → the first job, POSTed as soon as the API listens, is `running` (worker
 * forked its sandboxed trainer, which loaded the training code).
 *
 *   npm run build && node --import tsx bench/service/cold-start.ts [--runs 5]
 *
 * Runs alternate between the two modes so that machine load affects both alike; medians are reported.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { killAll, REPO, startRedis } from './procs.js';

const argv = process.argv.slice(2);
const RUNS = Number(argv[argv.indexOf('--runs') + 1] || 5) || 5;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const MODES = {
  tsx: ['--import', 'tsx', 'src/cli/start.ts'],
  compiled: ['dist/src/cli/start.js'],
} as const;

const SPEC = {
  model: { type: 'mlp', hidden: [8] },
  data: { builtin: 'iris' },
  loss: 'cross_entropy',
  optimizer: { type: 'adam', lr: 0.01 },
  training: { epochs: 200 },
};

async function once(mode: keyof typeof MODES, redisUrl: string, prefix: string) {
  const t0 = performance.now();
  const proc = spawn(process.execPath, [...MODES[mode]], {
    cwd: REPO,
    env: { ...process.env, PORT: '0', WORKERS: '1', REDIS_URL: redisUrl, DESCENT_PREFIX: prefix },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  try {
    let base: string | null = null;
    while (!base) {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) base = m[1];
      else if (proc.exitCode !== null) throw new Error(`exited: ${out}`);
      else await sleep(5);
    }
    const listenMs = performance.now() - t0;
    const post = await fetch(`${base}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(SPEC),
    });
    const { id } = (await post.json()) as { id: string };
    let readyMs = 0;
    let runningMs = 0;
    while (!readyMs || !runningMs) {
      const now = performance.now() - t0;
      if (now > 60_000) throw new Error(`timed out: ${out}`);
      if (!readyMs && (await fetch(`${base}/readyz`)).status === 200) readyMs = performance.now() - t0;
      if (!runningMs) {
        const job = (await (await fetch(`${base}/v1/jobs/${id}`)).json()) as { status: string };
        if (job.status !== 'queued') runningMs = performance.now() - t0;
      }
      await sleep(5);
    }
    return { listenMs, readyMs, runningMs };
  } finally {
    try {
      process.kill(-proc.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
    await new Promise((r) => (proc.exitCode !== null ? r(null) : proc.once('exit', r)));
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  if (!existsSync(join(REPO, 'dist/src/cli/start.js'))) throw new Error('run `npm run build` first');
  const redis = await startRedis();
  const rows: Record<string, { listenMs: number[]; readyMs: number[]; runningMs: number[] }> = {};
  try {
    for (let r = 0; r < RUNS; r++) {
      for (const mode of Object.keys(MODES) as (keyof typeof MODES)[]) {
        const res = await once(mode, redis.url, `{cold${r}${mode}}`);
        const row = (rows[mode] ??= { listenMs: [], readyMs: [], runningMs: [] });
        row.listenMs.push(res.listenMs);
        row.readyMs.push(res.readyMs);
        row.runningMs.push(res.runningMs);
        console.log(
          `${mode} run ${r + 1}: ${JSON.stringify(res, (_k, v) => (typeof v === 'number' ? Math.round(v) : v))}`,
        );
      }
    }
  } finally {
    await redis.stop();
    killAll();
  }
  console.log(`\nmedians of ${RUNS} runs (ms):`);
  console.log('mode       listening  /readyz 200  first job running');
  for (const [mode, r] of Object.entries(rows))
    console.log(
      `${mode.padEnd(10)} ${String(Math.round(median(r.listenMs))).padStart(9)}  ${String(Math.round(median(r.readyMs))).padStart(11)}  ${String(Math.round(median(r.runningMs))).padStart(17)}`,
    );
}

void main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    killAll();
    process.exit(1);
  },
);
