/**
 * A real stack for the dashboard tests, as docker-compose runs it: a test redis-server on a free
 * port, one worker process (`npm run start:worker`) and an API process (`npm run start:api`) on a
 * fixed port, so the API can be killed and started again at the same address while a page is open.
 * The dashboard bundle is built first (scripts/build-ui.mjs, as `npm run build` does).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { freePort, startRedis, uniquePrefix, type TestRedis } from './redis.js';
import { killAllProcesses, startApiProcess, startWorkerProcess, type Proc } from './processes.js';
import { REPO, until } from './service-process.js';

export const FAST = {
  DESCENT_HEARTBEAT_MS: '500',
  DESCENT_LOCK_MS: '5000',
  DESCENT_STALLED_MS: '5000',
  DESCENT_SHUTDOWN_GRACE_MS: '3000',
  DESCENT_CHECKPOINT_MS: '1000',
};

export interface DashboardStack {
  redis: TestRedis;
  port: number;
  base: string;
  env: Record<string, string>;
  api: Proc;
  /** SIGKILL the API process (the page's stream drops). */
  killApi(): Promise<void>;
  /** Start the API again on the same port. */
  startApi(): Promise<void>;
  /** Another API process on the same Redis and prefix, with its own environment (API keys, …). */
  extraApi(env: Record<string, string>): Promise<Proc & { url: string }>;
  stop(): Promise<void>;
}

/** Build the bundle (fails the test with esbuild's output when it does not build). */
export function buildUi(): void {
  const r = spawnSync(process.execPath, [join(REPO, 'scripts', 'build-ui.mjs')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`scripts/build-ui.mjs failed:\n${r.stdout}\n${r.stderr}`);
}

export async function startDashboardStack(env: Record<string, string> = {}): Promise<DashboardStack> {
  buildUi();
  const redis = await startRedis();
  const port = await freePort();
  const common = { ...FAST, REDIS_URL: redis.url, DESCENT_PREFIX: uniquePrefix('ui'), ...env };
  await startWorkerProcess(common);
  const apiEnv = { ...common, PORT: String(port) };
  const stack: DashboardStack = {
    redis,
    port,
    base: `http://127.0.0.1:${port}`,
    env: common,
    api: await startApiProcess(apiEnv),
    async killApi() {
      stack.api.killGroup('SIGKILL');
      await stack.api.exited;
    },
    async startApi() {
      stack.api = await startApiProcess(apiEnv);
      await until(async () => (await fetch(`${stack.base}/readyz`)).status === 200, 30_000);
    },
    extraApi: (extra) => startApiProcess({ ...common, PORT: '0', ...extra }),
    async stop() {
      await killAllProcesses();
      await redis.stop();
    },
  };
  await until(async () => (await fetch(`${stack.base}/readyz`)).status === 200, 30_000);
  return stack;
}
