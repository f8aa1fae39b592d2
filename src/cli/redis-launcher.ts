import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { pingRedis } from '../queue/redis.js';

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]', '0.0.0.0']);

/** True when an executable named `cmd` is in one of the PATH directories. */
export function onPath(cmd: string, path = process.env.PATH ?? ''): boolean {
  return path
    .split(delimiter)
    .filter(Boolean)
    .some((dir) => {
      try {
        accessSync(join(dir, cmd), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
}

export interface EnsureRedisResult {
  /** The redis-server we started, or null when one was already answering. */
  started: ChildProcess | null;
  stop(): Promise<void>;
}

/**
 * Make sure Redis answers at `url`. If nothing does and the URL is local and `redis-server` is on
 * PATH, start one on that port, append-only, data under `dataDir` (default ./data/redis), with
 * `maxmemory-policy noeviction` as BullMQ requires. Otherwise throw a message that says what to do.
 */
export async function ensureRedis(url: string, dataDir = resolve('data/redis')): Promise<EnsureRedisResult> {
  if (await pingRedis(url, 1000)) return { started: null, stop: async () => {} };
  const u = new URL(url);
  const host = u.hostname || '127.0.0.1';
  const port = Number(u.port || 6379);
  if (!LOCAL_HOSTS.has(host)) {
    throw new Error(`No Redis answers at ${url}. Start it, or point REDIS_URL at a reachable Redis.`);
  }
  if (!onPath('redis-server')) {
    throw new Error(
      `No Redis answers at ${url} and redis-server is not installed.\n` +
        `Install Redis (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis) and run npm start again,\n` +
        `or start one yourself (docker run -p 6379:6379 redis:7), or set REDIS_URL to a running Redis.`,
    );
  }
  mkdirSync(dataDir, { recursive: true });
  const bind = host === 'localhost' ? '127.0.0.1' : host.replace(/^\[|\]$/g, '');
  const args = [
    '--port',
    String(port),
    '--bind',
    bind,
    '--appendonly',
    'yes',
    '--dir',
    dataDir,
    '--maxmemory-policy',
    'noeviction',
    '--save',
    '',
  ];
  if (u.password) args.push('--requirepass', decodeURIComponent(u.password));
  // Its own process group: Ctrl-C in the terminal signals the whole foreground group, and Redis
  // must outlive the workers' last checkpoint writes. We stop it ourselves, last.
  // (If this process is SIGKILLed, Redis stays up; the next `npm start` finds it answering and
  // uses it, so nothing is lost.)
  const proc = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'inherit'], detached: true });
  let exited = false;
  proc.on('exit', () => {
    exited = true;
  });
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && !exited) {
    if (await pingRedis(url, 500)) {
      console.log(
        `started redis-server on ${bind}:${port} (pid ${proc.pid}, append-only, data in ${dataDir}); it stops with this process`,
      );
      return {
        started: proc,
        async stop() {
          if (exited) return;
          const done = new Promise((r) => proc.once('exit', r));
          proc.kill('SIGTERM');
          await Promise.race([done, new Promise((r) => setTimeout(r, 5000))]);
          if (!exited) proc.kill('SIGKILL');
        },
      };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!exited) proc.kill('SIGKILL');
  throw new Error(
    `redis-server did not come up on port ${port} (is the port taken by something that is not Redis?)`,
  );
}
