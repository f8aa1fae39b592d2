/**
 * `npm run bench:service`: is the service the bottleneck? Starts its own redis-server (free loopback
 * port, never 6379) and the service exactly as a user does (`node --import tsx src/cli/start.ts`,
 * WORKERS=2, HOST=127.0.0.1), then measures on loopback:
 *
 *   latency — POST-to-`end` of a tiny job (linear model on `xor`, 1 epoch), one job at a time;
 *   fanout  — delivery lag of one job's events to N concurrent SSE subscribers, and that each got
 *             every event exactly once, in order; two jobs: `burst` (iris MLP, 200 epochs: ~400
 *             events, an epoch and a progress event per epoch, within a second or two) and `paced`
 *             (two_moons MLP 256-256, batch 4, 60 epochs: ~18 events/s for several seconds);
 *   load    — job submissions per second under wrk (2 threads, 32 connections, 10 s), Redis memory.
 *
 * Prints one table and writes bench/results/service-<time>.json. Stops everything it started, by
 * itself, also on Ctrl-C.
 *
 *   npm run bench:service -- [--only latency,fanout,load] [--jobs 200] [--warmup 10]
 *                            [--subscribers 1000] [--fanout burst,paced] [--progress-ms 100]
 *                            [--seconds 10] [--threads 2] [--connections 32] [--settle 10]
 *                            [--load-tool wrk|fetch] [--out FILE]
 * The load phase uses wrk when it is installed (`apt-get install wrk`), else a fetch loop in this process.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { until, validateSpec } from './api.js';
import { measureFanout, type FanoutResult } from './fanout.js';
import { measureLatency, type LatencyResult } from './latency.js';
import { measureLoad, type LoadResult } from './load.js';
import { freePort, killAll, redisMemory, startRedis, startService } from './procs.js';
import { cpuBetween, sampleCpu, type CpuSample } from './cpu.js';
import type { Summary } from './stats.js';

const here = dirname(fileURLToPath(import.meta.url));

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : dflt;
}

const only = arg('only', 'latency,fanout,load').split(',');
const JOBS = Number(arg('jobs', '200'));
const WARMUP = Number(arg('warmup', '10'));
const SUBSCRIBERS = Number(arg('subscribers', '1000'));
const FANOUT = arg('fanout', 'burst,paced').split(',');
const PROGRESS_MS = arg('progress-ms', '100');
const SECONDS = Number(arg('seconds', '10'));
const THREADS = Number(arg('threads', '2'));
const CONNECTIONS = Number(arg('connections', '32'));
const SETTLE = Number(arg('settle', '10'));
const LOAD_TOOL = arg('load-tool', '') as '' | 'wrk' | 'fetch';
const WORKERS = 2;
const PREFIX = '{bench}';
const started = new Date();
const out = arg(
  'out',
  join(here, '..', 'results', `service-${started.toISOString().slice(0, 16).replace(/:/g, '')}.json`),
);

/** Service settings of the run (on top of the defaults). */
const SERVICE_ENV = {
  WORKERS: String(WORKERS),
  DESCENT_PREFIX: PREFIX,
  // Finished jobs, their streams and weights expire after 20 s, so the load phase's thousands
  // of jobs do not pile up in Redis.
  DESCENT_RETENTION_SECONDS: '20',
  // The progress throttle; 100 ms is the service default (epoch events are never throttled).
  DESCENT_PROGRESS_MS: PROGRESS_MS,
  DESCENT_HEARTBEAT_MS: '500',
  DESCENT_SHUTDOWN_GRACE_MS: '2000',
};

/** The tiny job of the latency and load phases. */
const TINY = {
  model: { type: 'linear' },
  data: { builtin: 'xor' },
  loss: 'bce',
  optimizer: { type: 'sgd', lr: 0.1 },
  training: { epochs: 1 },
};
/** The job the fan-out subscribers follow: ~200 epoch events plus throttled progress events. */
const TARGET = {
  model: { type: 'mlp', hidden: [16], activation: 'relu' },
  data: { builtin: 'iris' },
  loss: 'cross_entropy',
  optimizer: { type: 'adam', lr: 0.01 },
  training: { epochs: 200, batchSize: 16, seed: 0, validationSplit: 0.2 },
};
/** A job that emits at a steady pace: an epoch (two events) every ~100–150 ms for several seconds. */
const PACED = {
  model: { type: 'mlp', hidden: [256, 256], activation: 'relu' },
  data: { builtin: 'two_moons' },
  loss: 'cross_entropy',
  optimizer: { type: 'adam', lr: 0.001 },
  training: { epochs: 60, batchSize: 4, seed: 0, validationSplit: 0.2 },
};
/** Keeps a worker busy (seconds per epoch) until cancelled; capped at 90 s of wall time anyway. */
const BLOCKER = {
  model: { type: 'mlp', hidden: [1024, 1024], activation: 'relu' },
  data: { builtin: 'two_moons' },
  loss: 'cross_entropy',
  optimizer: { type: 'sgd', lr: 0.01 },
  training: { epochs: 1000, batchSize: 1, maxWallSeconds: 90 },
};

process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });

/** Share of the last 10 s in which some runnable task waited for a CPU (Linux PSI), e.g. "88%". */
function cpuPressure(): string {
  try {
    return `${/some avg10=([\d.]+)/.exec(readFileSync('/proc/pressure/cpu', 'utf8'))?.[1] ?? '?'}%`;
  } catch {
    return 'n/a';
  }
}

const fmt = (v: number | null | undefined, d = 1) =>
  v === null || v === undefined || !Number.isFinite(v)
    ? '–'
    : v.toLocaleString('en-US', { maximumFractionDigits: d });
const pct = (s: Summary) => `p50 ${fmt(s.p50)} · p99 ${fmt(s.p99)} · max ${fmt(s.max)}`;
const mb = (b: number) => `${fmt(b / 2 ** 20, 1)} MB`;

async function main() {
  const load0 = loadavg();
  const psi0 = cpuPressure();
  const redis = await startRedis();
  const port = await freePort();
  process.stderr.write(`redis ${redis.url}; starting the service on 127.0.0.1:${port} …\n`);
  const svc = await startService({ ...SERVICE_ENV, PORT: String(port), REDIS_URL: redis.url });
  const base = svc.url;
  let latency: LatencyResult | null = null;
  const fanout: Record<string, FanoutResult> = {};
  const cpu: Record<string, CpuSample> = {};
  const sample = () => sampleCpu(svc.pid, redis.pid);
  let load: LoadResult | null = null;
  const failures: string[] = [];
  const memStart = await redisMemory(redis.client);
  try {
    await until(async () => (await fetch(`${base}/readyz`)).status === 200, 60_000, '/readyz');
    for (const s of [TINY, TARGET, PACED, BLOCKER]) await validateSpec(base, s);

    if (only.includes('latency')) {
      process.stderr.write(`latency: ${WARMUP} warm-up + ${JOBS} sequential tiny jobs …\n`);
      try {
        let c0 = sample();
        latency = await measureLatency(base, TINY, JOBS, WARMUP, {
          start: () => (c0 = sample()),
          end: () => (cpu.latency = cpuBetween(c0, sample())),
        });
      } catch (err) {
        failures.push(`latency: ${(err as Error).message}`);
      }
    }
    for (const kind of only.includes('fanout') ? FANOUT : []) {
      process.stderr.write(`fanout (${kind}): ${SUBSCRIBERS} SSE subscribers on one job …\n`);
      try {
        fanout[kind] = await measureFanout(base, {
          subscribers: SUBSCRIBERS,
          workers: WORKERS,
          target: kind === 'paced' ? PACED : TARGET,
          blocker: BLOCKER,
          sampleCpu: sample,
        });
      } catch (err) {
        failures.push(`fanout ${kind}: ${(err as Error).message}`);
      }
    }
    if (only.includes('load')) {
      process.stderr.write(`load: ${SECONDS} s, ${THREADS} threads, ${CONNECTIONS} connections …\n`);
      try {
        const c0 = sample();
        load = await measureLoad(base, {
          spec: TINY,
          seconds: SECONDS,
          threads: THREADS,
          connections: CONNECTIONS,
          redis: redis.client,
          prefix: PREFIX,
          queue: 'train',
          settleSeconds: SETTLE,
          tool: LOAD_TOOL || undefined,
          onLoadDone: () => (cpu.load = cpuBetween(c0, sample())),
        });
      } catch (err) {
        failures.push(`load: ${(err as Error).message}`);
      }
    }
  } finally {
    const code = await svc.stop();
    if (code !== 0) failures.push(`the service exited with ${code} on SIGTERM`);
    await redis.stop();
  }

  const rows: Array<[string, string]> = [];
  if (latency) {
    rows.push([
      `POST → end, tiny job (${latency.jobs} sequential, ${latency.warmup} warm-up)`,
      pct(latency.totalMs) + ' ms',
    ]);
    rows.push(['  POST answered (201)', pct(latency.postMs) + ' ms']);
    rows.push(['  POST → running event written (queue + worker pickup)', pct(latency.toRunningMs) + ' ms']);
    rows.push(['  running → end written (sandboxed training + result)', pct(latency.runMs) + ' ms']);
    rows.push(['  end written → received over SSE', pct(latency.endDeliveryMs) + ' ms']);
    rows.push([
      '  first job after start (cold)',
      `${fmt(latency.coldMs)} ms; failed jobs: ${latency.failed}`,
    ]);
  }
  const cpuText = (c: CpuSample | undefined | null) =>
    c
      ? `API ${fmt(c.api, 2)} s, workers+trainers ${fmt(c.workers, 2)} s, Redis ${fmt(c.redis, 2)} s, this client ${fmt(c.client, 2)} s in ${fmt(c.wall, 2)} s wall`
      : '–';
  if (latency && cpu.latency)
    rows.push([
      '  CPU over the measured jobs',
      `${cpuText(cpu.latency)}; per job: workers+trainers ${fmt((cpu.latency.workers * 1000) / latency.jobs)} ms, API ${fmt((cpu.latency.api * 1000) / latency.jobs)} ms`,
    ]);
  for (const [kind, f] of Object.entries(fanout)) {
    rows.push([
      `SSE fan-out (${kind}): ${fmt(f.subscribers, 0)} subscribers (attached in ${fmt(f.connectSeconds)} s) × ${f.liveEvents} live events`,
      `lag ${pct(f.lagMs)} ms`,
    ]);
    rows.push(['  lag from the event time field (trainer clock)', pct(f.lagFromTimeMs) + ' ms']);
    rows.push(['  per event, its slowest subscriber', pct(f.lastSubscriberLagMs) + ' ms']);
    rows.push([
      '  appended over / delivered over',
      `${fmt(f.emitSpanMs, 0)} ms / ${fmt(f.deliverSpanMs, 0)} ms (${fmt(f.framesPerSecond, 0)} frames/s)`,
    ]);
    rows.push([
      '  exactly once, in order (vs JSON pages)',
      `${f.exact}/${f.subscribers} exact; missing ${f.missing}, duplicates ${f.duplicates}, out of order ${f.outOfOrder}, failed streams ${f.failedStreams}; job ${f.endStatus}`,
    ]);
    rows.push([
      '  CPU from release to last end',
      `${cpuText(f.cpu)}${f.cpu ? `; API ${fmt((f.cpu.api * 1e6) / Math.max(1, f.lagMs.n), 1)} µs per frame` : ''}`,
    ]);
  }
  if (load) {
    rows.push([
      `POST /v1/jobs under load (${load.tool})`,
      `${fmt(load.requestsPerSecond, 0)} req/s (${fmt(load.requests, 0)} in ${load.seconds} s)`,
    ]);
    rows.push([
      '  latency',
      `p50 ${fmt(load.latencyMs.p50)} · p90 ${fmt(load.latencyMs.p90)} · p99 ${fmt(load.latencyMs.p99)} · max ${fmt(load.latencyMs.max)} ms`,
    ]);
    const errs = Object.entries(load.socketErrors).filter(([, n]) => n > 0);
    rows.push([
      '  answers',
      `${Object.entries(load.statuses)
        .map(([c, n]) => `${c}: ${fmt(n, 0)}`)
        .join(
          ', ',
        )}; non-201: ${load.non201}; socket errors: ${errs.length ? errs.map(([k, n]) => `${k} ${n}`).join(', ') : 0}`,
    ]);
    rows.push([
      '  Redis used_memory before → after → after settle',
      `${mb(load.redis.usedBefore)} → ${mb(load.redis.usedAfter)} → ${mb(load.redis.usedAfterSettle)} (${load.redis.settleSeconds} s later); peak ${mb(load.redis.peak)}`,
    ]);
    rows.push([
      '  jobs waiting in the queue after / after settle',
      `${fmt(load.redis.waitingAfter, 0)} / ${fmt(load.redis.waitingAfterSettle, 0)}`,
    ]);
    if (cpu.load)
      rows.push([
        '  CPU during the load',
        `${cpuText(cpu.load)}; API ${fmt((cpu.load.api * 1000) / Math.max(1, load.requests), 2)} ms per POST`,
      ]);
  }
  const machine = `${cpus()[0]?.model ?? '?'} × ${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; load average at start ${load0.map((x) => x.toFixed(2)).join(' ')}, at end ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}; CPU pressure (PSI some avg10) at start ${psi0}, at end ${cpuPressure()}`;
  const table = ['| measure | result |', '|---|---|', ...rows.map(([a, b]) => `| ${a} | ${b} |`)].join('\n');
  process.stdout.write(`\n${started.toISOString()} — ${machine}\n\n${table}\n`);
  if (failures.length) process.stdout.write(`\nFAILURES:\n${failures.map((f) => `- ${f}`).join('\n')}\n`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    JSON.stringify(
      {
        started: started.toISOString(),
        machine,
        env: SERVICE_ENV,
        specs: { tiny: TINY, burst: TARGET, paced: PACED, blocker: BLOCKER },
        redisAtStart: memStart,
        latency,
        fanout,
        load,
        cpu,
        failures,
        table,
      },
      null,
      2,
    ) + '\n',
  );
  process.stderr.write(`wrote ${out}\n`);
  process.exitCode = failures.length ? 1 : 0;
}

main().catch((err) => {
  console.error(err);
  killAll();
  process.exit(1);
});
