import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));

export interface ServiceProcess {
  proc: ChildProcess;
  url: string | null;
  output(): string;
  /** Resolves when the process exits, with its code or the signal that ended it. */
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then wait for the exit code (SIGKILL after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<number | null>;
}

/**
 * Start the service the way a user does (`node --import tsx src/cli/start.ts`, which is what
 * `npm start` runs) and wait for its `listening on http://HOST:PORT` line.
 */
const started = new Map<ChildProcess, () => string>();

/** The pid of the redis-server a service started itself, read off its output; null if none. */
export function startedRedisPid(output: string): number | null {
  const m = /started redis-server on \S+ \(pid (\d+)/.exec(output);
  return m ? Number(m[1]) : null;
}

/**
 * Kill whatever a test left running (a failed or timed-out test never reaches its own stop):
 * each service runs in its own process group, so its workers go with it. A redis-server it
 * started runs in a group of its own (so that Ctrl-C does not reach it) and is killed by pid.
 */
export async function stopAllServices(): Promise<void> {
  for (const [proc, output] of started) {
    const redisPid = startedRedisPid(output());
    if (redisPid !== null) {
      try {
        process.kill(redisPid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
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
  opts: { waitForListen?: boolean; timeoutMs?: number; viaNpm?: boolean } = {},
): Promise<ServiceProcess> {
  // viaNpm: run `npm start` itself (npm, its shell and node), as a user's terminal does.
  const [cmd, args] = opts.viaNpm
    ? ['npm', ['start', '--silent']]
    : [process.execPath, ['--import', 'tsx', 'src/cli/start.ts']];
  const proc = spawn(cmd, args, {
    cwd: REPO,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  started.set(proc, () => out);
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  );
  let url: string | null = null;
  if (opts.waitForListen !== false) {
    // Through npm, start compiles dist/ first when the sources changed (about 30 s).
    const deadline = Date.now() + (opts.timeoutMs ?? (opts.viaNpm ? 120_000 : 45_000));
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
    exit,
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
