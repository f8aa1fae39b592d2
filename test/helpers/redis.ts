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
  stop(): Promise<void>;
}

/**
 * Start a throwaway redis-server on a free loopback port, no persistence, data in a temp dir.
 * Never touches the system Redis on 6379. Stop it in afterAll.
 */
export async function startRedis(extraArgs: string[] = []): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'descent-redis-'));
  for (let tryNo = 0; tryNo < 5; tryNo++) {
    const port = await freePort();
    const proc: ChildProcess = spawn(
      'redis-server',
      [
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
        ...extraArgs,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let exited = false;
    proc.on('exit', () => {
      exited = true;
    });
    const url = `redis://127.0.0.1:${port}`;
    const deadline = Date.now() + 5000;
    while (!exited && Date.now() < deadline) {
      const r = new Redis(url, {
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
        enableOfflineQueue: false,
      });
      r.on('error', () => {});
      try {
        await r.connect();
        if ((await r.ping()) === 'PONG') {
          r.disconnect();
          return {
            url,
            port,
            async stop() {
              if (!exited) {
                const done = new Promise((res) => proc.once('exit', res));
                proc.kill('SIGTERM');
                await Promise.race([done, new Promise((res) => setTimeout(res, 3000))]);
                if (!exited) proc.kill('SIGKILL');
              }
              rmSync(dir, { recursive: true, force: true });
            },
          };
        }
      } catch {
        /* not up yet */
      } finally {
        r.disconnect();
      }
      await new Promise((res) => setTimeout(res, 30));
    }
    if (!exited) proc.kill('SIGKILL');
  }
  throw new Error('could not start redis-server on a free port (is redis-server installed?)');
}

/** A key prefix unique to one test file/run (a Cluster hash tag, as in production). */
export function uniquePrefix(name: string): string {
  return `{t-${name}-${process.pid}-${Math.random().toString(36).slice(2, 8)}}`;
}
