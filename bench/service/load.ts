/**
 * Phase 3: job submissions per second under load. wrk (Debian package `wrk`) POSTs one tiny JobSpec
 * over `connections` keep-alive connections for `seconds`; bench/service/post-job.lua counts the
 * answers by status. Redis memory is read before, right after, and once more after the workers had
 * `settleSeconds` to work through the backlog (finished jobs expire after DESCENT_RETENTION_SECONDS).
 * Without wrk, a fetch-based closed loop with the same connection count stands in (and says so).
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { sleep } from './api.js';
import { redisMemory } from './procs.js';
import { summarize } from './stats.js';

const LUA = fileURLToPath(new URL('./post-job.lua', import.meta.url));

export interface LoadResult {
  tool: string;
  seconds: number;
  threads: number;
  connections: number;
  requests: number;
  requestsPerSecond: number;
  statuses: Record<string, number>;
  non201: number;
  socketErrors: Record<string, number>;
  latencyMs: { mean: number; p50: number; p90: number; p99: number; p999: number | null; max: number };
  redis: {
    usedBefore: number;
    usedAfter: number;
    usedAfterSettle: number;
    peak: number;
    /** Jobs still waiting in the queue right after the load, and after the settle time. */
    waitingAfter: number;
    waitingAfterSettle: number;
    settleSeconds: number;
  };
}

function hasWrk(): boolean {
  return spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined;
}

async function runWrk(url: string, body: string, seconds: number, threads: number, connections: number) {
  const args = [`-t${threads}`, `-c${connections}`, `-d${seconds}s`, '--latency', '-s', LUA, url];
  const out = await new Promise<string>((resolve, reject) => {
    const p = spawn('wrk', args, {
      env: { ...process.env, BENCH_BODY: body },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let s = '';
    p.stdout.on('data', (d) => (s += d));
    p.stderr.on('data', (d) => (s += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), (seconds + 30) * 1000);
    p.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(s);
      else reject(new Error(`wrk exited ${code}:\n${s}`));
    });
  });
  const line = out.split('\n').find((l) => l.startsWith('WRKJSON '));
  if (!line) throw new Error(`no result line from wrk:\n${out}`);
  const r = JSON.parse(line.slice(8)) as {
    durationUs: number;
    requests: number;
    errors: Record<string, number>;
    latencyUs: Record<string, number>;
    statuses: Record<string, number>;
  };
  const ms = (us: number) => Math.round(us / 10) / 100;
  return {
    tool: `wrk ${args.slice(0, 4).join(' ')} -s post-job.lua`,
    requests: r.requests,
    requestsPerSecond: Math.round((r.requests * 1e6) / r.durationUs),
    statuses: r.statuses,
    socketErrors: r.errors,
    latencyMs: {
      mean: ms(r.latencyUs.mean),
      p50: ms(r.latencyUs.p50),
      p90: ms(r.latencyUs.p90),
      p99: ms(r.latencyUs.p99),
      p999: ms(r.latencyUs.p999),
      max: ms(r.latencyUs.max),
    },
  };
}

/** Stand-in without wrk: `connections` closed loops of fetch POSTs in this process. */
async function runFetchLoop(url: string, body: string, seconds: number, connections: number) {
  const statuses: Record<string, number> = {};
  const lat: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < end) {
        const s = performance.now();
        try {
          const res = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
          });
          await res.arrayBuffer();
          statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        } catch {
          errors++;
        }
        lat.push(performance.now() - s);
      }
    }),
  );
  const el = (performance.now() - t0) / 1000;
  const s = summarize(lat);
  return {
    tool: `fetch closed loop, ${connections} concurrent, in the benchmark process`,
    requests: lat.length,
    requestsPerSecond: Math.round(lat.length / el),
    statuses,
    socketErrors: { fetch: errors },
    latencyMs: { mean: s.mean, p50: s.p50, p90: s.p90, p99: s.p99, p999: null, max: s.max },
  };
}

/** BullMQ's wait list: `<prefix>:<queue>:wait`. */
async function waiting(redis: Redis, prefix: string, queue: string): Promise<number> {
  return redis.llen(`${prefix}:${queue}:wait`);
}

export async function measureLoad(
  base: string,
  opts: {
    spec: unknown;
    seconds: number;
    threads: number;
    connections: number;
    redis: Redis;
    prefix: string;
    queue: string;
    settleSeconds: number;
    /** 'wrk' (default when installed) or 'fetch' (the in-process stand-in). */
    tool?: 'wrk' | 'fetch';
    /** Called right after the load tool finishes (before the settle time). */
    onLoadDone?: () => void;
  },
): Promise<LoadResult> {
  const body = JSON.stringify(opts.spec);
  const before = await redisMemory(opts.redis);
  const url = `${base}/v1/jobs`;
  const useWrk = opts.tool ? opts.tool === 'wrk' : hasWrk();
  if (useWrk && !hasWrk())
    throw new Error('wrk is not installed (apt-get install wrk), or use --load-tool fetch');
  const r = useWrk
    ? await runWrk(url, body, opts.seconds, opts.threads, opts.connections)
    : await runFetchLoop(url, body, opts.seconds, opts.connections);
  opts.onLoadDone?.();
  const after = await redisMemory(opts.redis);
  const waitingAfter = await waiting(opts.redis, opts.prefix, opts.queue);
  await sleep(opts.settleSeconds * 1000);
  const settled = await redisMemory(opts.redis);
  const waitingAfterSettle = await waiting(opts.redis, opts.prefix, opts.queue);
  const non201 = Object.entries(r.statuses)
    .filter(([code]) => code !== '201')
    .reduce((a, [, n]) => a + n, 0);
  return {
    ...r,
    seconds: opts.seconds,
    threads: opts.threads,
    connections: opts.connections,
    non201,
    redis: {
      usedBefore: before.used,
      usedAfter: after.used,
      usedAfterSettle: settled.used,
      peak: settled.peak,
      waitingAfter,
      waitingAfterSettle,
      settleSeconds: opts.settleSeconds,
    },
  };
}
