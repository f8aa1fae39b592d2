import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));

export interface ServiceProcess {
  proc: ChildProcess;
  url: string | null;
  output(): string;
  /** SIGTERM, then wait for the exit code (SIGKILL after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<number | null>;
}

/**
 * Start the service the way a user does (`node --import tsx src/cli/start.ts`, which is what
 * `npm start` runs) and wait for its `listening on http://HOST:PORT` line.
 */
const started = new Set<ChildProcess>();

/**
 * Kill whatever a test left running (a failed or timed-out test never reaches its own stop):
 * each service runs in its own process group, so its workers and Redis go with it.
 */
export async function stopAllServices(): Promise<void> {
  for (const proc of started) {
    if (proc.exitCode !== null || proc.signalCode !== null) continue;
    try {
      process.kill(-proc.pid!, 'SIGTERM');
    } catch {
      /* gone */
    }
    await new Promise((r) => setTimeout(r, 3000));
    try {
      process.kill(-proc.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  started.clear();
}

export async function startService(
  env: Record<string, string>,
  opts: { waitForListen?: boolean; timeoutMs?: number } = {},
): Promise<ServiceProcess> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/start.ts'], {
    cwd: REPO,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  started.add(proc);
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  let url: string | null = null;
  if (opts.waitForListen !== false) {
    const deadline = Date.now() + (opts.timeoutMs ?? 45_000);
    while (!url) {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) url = m[1];
      else if (proc.exitCode !== null) throw new Error(`service exited early (${proc.exitCode}):\n${out}`);
      else if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`service did not log "listening on" in time:\n${out}`);
      } else await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    proc,
    url,
    output: () => out,
    async stop(timeoutMs = 20_000) {
      if (proc.exitCode !== null) return proc.exitCode;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Poll until `fn` resolves truthy. */
export async function until<T>(fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch {
      /* not yet */
    }
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}
