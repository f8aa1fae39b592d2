/**
 * The processes `npm run bench:service` starts and always stops again: a throwaway redis-server on a
 * free loopback port (never 6379, no persistence, data in a temp dir) and the service exactly as a
 * user starts it (`node --import tsx src/cli/start.ts`, what `npm start` runs). Both run in their own
 * process group, so stopping one takes its children (workers, sandboxed trainers) with it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** A free TCP port on 127.0.0.1 (bound, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every process group we started, so an interrupted run still cleans up (see {@link killAll}). */
const groups = new Set<ChildProcess>();

function alive(p: ChildProcess): boolean {
  return p.exitCode === null && p.signalCode === null;
}

/** SIGTERM a process group, wait up to `graceMs`, then SIGKILL it. */
async function stopGroup(p: ChildProcess, graceMs: number): Promise<number | null> {
  if (alive(p)) {
    const exited = new Promise((r) => p.once('exit', r));
    try {
      process.kill(-p.pid!, 'SIGTERM');
    } catch {
      /* gone */
    }
    await Promise.race([exited, sleep(graceMs)]);
  }
  try {
    process.kill(-p.pid!, 'SIGKILL'); // leftovers of the group (a worker that ignored SIGTERM)
  } catch {
    /* none */
  }
  groups.delete(p);
  return p.exitCode;
}

/** Synchronous last resort on exit/signals: SIGKILL every group still running. */
export function killAll(): void {
  for (const p of groups) {
    try {
      process.kill(-p.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  groups.clear();
}

export interface BenchRedis {
  url: string;
  pid: number;
  client: Redis;
  stop(): Promise<void>;
}

/** Start redis-server on a free loopback port and wait until it answers PING. */
export async function startRedis(): Promise<BenchRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'descent-bench-redis-'));
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    if (port === 6379) continue;
    const proc = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      { stdio: 'ignore', detached: true },
    );
    groups.add(proc);
    const url = `redis://127.0.0.1:${port}`;
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
    client.on('error', () => {});
    const deadline = Date.now() + 5000;
    while (alive(proc) && Date.now() < deadline) {
      try {
        await client.connect();
        if ((await client.ping()) === 'PONG') {
          return {
            url,
            pid: proc.pid!,
            client,
            async stop() {
              client.disconnect();
              await stopGroup(proc, 3000);
              rmSync(dir, { recursive: true, force: true });
            },
          };
        }
      } catch {
        client.disconnect();
        await sleep(50);
      }
    }
    client.disconnect();
    await stopGroup(proc, 1000);
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error('could not start redis-server on a free loopback port (is redis-server installed?)');
}

export interface BenchService {
  url: string;
  /** The API's process (its group also holds the workers and their trainers). */
  pid: number;
  output(): string;
  stop(): Promise<number | null>;
}

/** `node --import tsx src/cli/start.ts` with `env` on top of ours; resolves on its `listening on` line. */
export async function startService(env: Record<string, string>): Promise<BenchService> {
  // Extra node flags for the service and (inherited) its workers, e.g. `--cpu-prof --cpu-prof-dir=/tmp/p`.
  const flags = (process.env.BENCH_SERVICE_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const proc = spawn(process.execPath, [...flags, '--import', 'tsx', 'src/cli/start.ts'], {
    cwd: REPO,
    env: { ...process.env, HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  groups.add(proc);
  let out = '';
  proc.stdout!.on('data', (d) => (out = (out + d).slice(-20_000)));
  proc.stderr!.on('data', (d) => (out = (out + d).slice(-20_000)));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const m = /listening on (http:\/\/\S+)/.exec(out);
    if (m) {
      return {
        url: m[1],
        pid: proc.pid!,
        output: () => out,
        stop: () => stopGroup(proc, Number(env.DESCENT_SHUTDOWN_GRACE_MS ?? 10_000) + 5000),
      };
    }
    if (!alive(proc) || Date.now() > deadline) {
      await stopGroup(proc, 1000);
      throw new Error(`the service did not start:\n${out}`);
    }
    await sleep(50);
  }
}

/** `INFO memory` → used_memory and used_memory_peak (bytes). */
export async function redisMemory(client: Redis): Promise<{ used: number; peak: number }> {
  const info = await client.info('memory');
  const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? NaN);
  return { used: field('used_memory'), peak: field('used_memory_peak') };
}
