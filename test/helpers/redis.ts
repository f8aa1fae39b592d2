import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/** A free TCP port on 127.0.0.1 (bound then released; good enough for one test process). */
export async function freePort(): Promise<number> {
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

export interface TestRedis {
  url: string;
  port: number;
  dir: string;
  /** Stop the server (SIGTERM: an append-only one flushes its log first). */
  kill(): Promise<void>;
  /** Start it again on the same port and data directory. */
  restart(): Promise<void>;
  /** Stop it and remove its data directory. */
  stop(): Promise<void>;
}

async function answers(url: string): Promise<boolean> {
  const r = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  r.on('error', () => {});
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

/** Spawn redis-server and wait until it answers; null when it exited (port taken). */
async function launch(port: number, dir: string, extraArgs: string[]): Promise<ChildProcess | null> {
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    '--loglevel',
    'warning',
  ];
  const proc = spawn('redis-server', [...args, ...extraArgs], { stdio: 'ignore' });
  let exited = false;
  proc.on('exit', () => {
    exited = true;
  });
  const deadline = Date.now() + 5000;
  while (!exited && Date.now() < deadline) {
    if (await answers(`redis://127.0.0.1:${port}`)) return proc;
    await new Promise((res) => setTimeout(res, 30));
  }
  if (!exited) proc.kill('SIGKILL');
  return null;
}

async function terminate(proc: ChildProcess | null): Promise<void> {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  const done = new Promise((res) => proc.once('exit', res));
  proc.kill('SIGTERM');
  await Promise.race([done, new Promise((res) => setTimeout(res, 3000))]);
  if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
}

/**
 * Start a throwaway redis-server on a free loopback port, no persistence unless `extraArgs` ask
 * for it, data in a temp dir. Never touches the system Redis on 6379. Stop it in afterAll.
 */
export async function startRedis(extraArgs: string[] = []): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'descent-redis-'));
  for (let tryNo = 0; tryNo < 5; tryNo++) {
    const port = await freePort();
    let proc = await launch(port, dir, extraArgs);
    if (!proc) continue;
    return {
      url: `redis://127.0.0.1:${port}`,
      port,
      dir,
      async kill() {
        await terminate(proc);
      },
      async restart() {
        await terminate(proc);
        proc = await launch(port, dir, extraArgs);
        if (!proc) throw new Error(`redis-server did not restart on port ${port}`);
      },
      async stop() {
        await terminate(proc);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error('could not start redis-server on a free port (is redis-server installed?)');
}

/** A key prefix unique to one test file/run (a Cluster hash tag, as in production). */
export function uniquePrefix(name: string): string {
  return `{t-${name}-${process.pid}-${Math.random().toString(36).slice(2, 8)}}`;
}
