/**
 * `npm start`: the whole service in one command. Makes sure Redis answers (starting a local
 * redis-server when needed), starts WORKERS worker processes, one webhook delivery process
 * (src/cli/webhooks.ts; DESCENT_WEBHOOKS=0 leaves it out) and the API in this process, and
 * shuts everything down on SIGTERM/SIGINT.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../queue/config.js';
import { startApi } from '../api/server.js';
import { measuredSpeed } from '../train/speed.js';
import { ensureRedis } from './redis-launcher.js';
import { logJobsQueued } from './job-lines.js';

const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const WORKER_ENTRY = fileURLToPath(new URL(`../../workers/main${ext}`, import.meta.url));
const WEBHOOKS_ENTRY = fileURLToPath(new URL(`./webhooks${ext}`, import.meta.url));

async function main() {
  const env = process.env;
  const cfg = loadConfig(env);
  const host = env.HOST || '127.0.0.1';
  const port = Number(env.PORT ?? 8080);
  const count = Math.max(0, Number(env.WORKERS ?? availableParallelism()));

  let redis;
  try {
    redis = await ensureRedis(cfg.redisUrl, env.DESCENT_REDIS_DIR);
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }

  let stopping = false;
  const workers = new Set<ChildProcess>();
  const spawnWorker = (n: number, entry = WORKER_ENTRY, what = `worker ${n}`) => {
    // An IPC channel ties the worker's life to ours: if this process dies without running its
    // shutdown (SIGKILL, crash), the channel closes and the worker stops gracefully by itself.
    const child = spawn(process.execPath, [...process.execArgv, entry], {
      stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
      env,
    });
    workers.add(child);
    child.on('exit', (code, signal) => {
      workers.delete(child);
      if (stopping) return;
      console.error(`${what} exited (${signal ?? code}); restarting it in 1 s`);
      setTimeout(() => !stopping && spawnWorker(n, entry, what), 1000);
    });
  };
  for (let i = 0; i < count; i++) spawnWorker(i + 1);
  // Webhook deliveries run in a process of their own (never on a training worker's time).
  if (env.DESCENT_WEBHOOKS !== '0') spawnWorker(0, WEBHOOKS_ENTRY, 'webhooks process');

  let api;
  try {
    api = await startApi(cfg, {
      host,
      port,
      logger: env.LOG_LEVEL !== undefined,
      speed: measuredSpeed,
      beforeListen: (app) => logJobsQueued(app, (line) => console.log(line)),
    });
  } catch (err) {
    console.error(`API failed to start: ${(err as Error).message}`);
    stopping = true;
    for (const w of workers) w.kill('SIGTERM');
    await redis.stop();
    process.exit(1);
  }

  // First signal: workers checkpoint their jobs and hand them back to the queue, then Redis stops.
  // A second SIGINT/SIGTERM exits at once (workers SIGKILLed; their jobs resume from the last
  // checkpoint on the next start), with 130 as a shell reports an interrupted command.
  // One Ctrl-C under `npm start` arrives twice: from the terminal (to the whole process group) and
  // forwarded by npm a moment later; signals within ECHO_MS of the first are that one press.
  // (package.json's start script `exec`s node, so no shell sits between npm and us: a shell would
  // die of the SIGINT at once, and npm would report the interrupt while we are still stopping.)
  const ECHO_MS = 300;
  let firstSignalAt = 0;
  const shutdown = async (signal: string) => {
    const now = Date.now();
    if (firstSignalAt === 0) firstSignalAt = now;
    else if (now - firstSignalAt < ECHO_MS) return;
    else {
      console.log(
        `${signal} again: stopping now; running jobs resume from their last checkpoint on the next start`,
      );
      for (const w of workers) w.kill('SIGKILL');
      await redis.stop();
      process.exit(130);
    }
    if (stopping) return;
    stopping = true;
    console.log(
      `${signal}: shutting down (workers checkpoint their jobs; press Ctrl-C again to stop at once)`,
    );
    const exits = [...workers].map(
      (w) => new Promise((r) => (w.exitCode !== null || w.signalCode !== null ? r(null) : w.once('exit', r))),
    );
    for (const w of workers) w.kill('SIGTERM');
    // Bounded: an SSE client that never reads must not hold the process.
    await Promise.race([api.close().catch(() => {}), new Promise((r) => setTimeout(r, 3000))]);
    const grace = Number(env.DESCENT_SHUTDOWN_GRACE_MS ?? 10_000) + 2000;
    await Promise.race([Promise.all(exits), new Promise((r) => setTimeout(r, grace))]);
    for (const w of workers) w.kill('SIGKILL');
    await redis.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

void main();
