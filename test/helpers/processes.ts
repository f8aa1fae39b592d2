/**
 * Real service processes for reliability tests: API-only (`src/cli/api.ts`) and worker
 * (`workers/main.ts`) processes, each in its own process group, with their output captured, and
 * the process-tree helpers the crash tests need (children of a pid, is a pid alive).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { REPO } from './service-process.js';

export interface Proc {
  proc: ChildProcess;
  pid: number;
  output(): string;
  /** Resolves with the exit code / signal once it exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Wait until `re` matches the output (or throw after `timeoutMs`); returns the match. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** SIGKILL the whole process group (the process and any child it forked). */
  killGroup(signal?: NodeJS.Signals): void;
}

const running = new Set<Proc>();

function launch(args: string[], env: Record<string, string>): Proc {
  const proc = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: REPO,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', ...env },
    // The IPC channel ties the process to this test process: if the test runner dies before its
    // afterAll, the API / worker sees the channel close and stops by itself (no stray processes).
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    detached: true,
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const p: Proc = {
    proc,
    pid: proc.pid!,
    output: () => out,
    exited,
    async waitFor(re, timeoutMs = 30_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const m = re.exec(out);
        if (m) return m;
        if (proc.exitCode !== null || proc.signalCode !== null)
          throw new Error(`process exited before ${re}:\n${out}`);
        if (Date.now() > end) throw new Error(`timed out waiting for ${re}:\n${out}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    killGroup(signal = 'SIGKILL') {
      try {
        process.kill(-proc.pid!, signal);
      } catch {
        /* gone */
      }
    },
  };
  running.add(p);
  void exited.then(() => running.delete(p));
  if (running.size === 1) process.once('exit', killSync);
  return p;
}

/** An API-only process; resolves once it logged `listening on …`. */
export async function startApiProcess(env: Record<string, string>): Promise<Proc & { url: string }> {
  const p = launch(['src/cli/api.ts'], env);
  const m = await p.waitFor(/listening on (http:\/\/\S+)/, 45_000);
  return Object.assign(p, { url: m[1] });
}

/** A worker process (`npm run start:worker`), not waited for. */
export function launchWorkerProcess(env: Record<string, string>): Proc {
  return launch(['workers/main.ts'], env);
}

/** A worker process (`npm run start:worker`); resolves once it logged `ready`. */
export async function startWorkerProcess(env: Record<string, string>): Promise<Proc & { workerId: string }> {
  const p = launchWorkerProcess(env);
  const m = await p.waitFor(/worker (w_\S+) ready/, 45_000);
  return Object.assign(p, { workerId: m[1] });
}

/** A webhook delivery process (`npm run start:webhooks`); resolves once it logged `ready`. */
export async function startWebhooksProcess(env: Record<string, string>): Promise<Proc> {
  const p = launch(['src/cli/webhooks.ts'], env);
  await p.waitFor(/webhooks ready/, 45_000);
  return p;
}

function killSync(): void {
  for (const p of running) p.killGroup('SIGKILL');
}

/** SIGKILL every process group these helpers started that is still running (afterAll). */
export async function killAllProcesses(): Promise<void> {
  const all = [...running];
  for (const p of all) p.killGroup('SIGKILL');
  await Promise.race([Promise.all(all.map((p) => p.exited)), new Promise((r) => setTimeout(r, 3000))]);
}

/** Pids whose parent is `pid` (Linux /proc). */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // pid (comm) state ppid …; comm may contain spaces, so split after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/** True while `pid` exists and is not a zombie. */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Poll `fn` until it returns a truthy value. */
export async function poll<T>(
  fn: () => Promise<T> | T,
  timeoutMs = 20_000,
  everyMs = 25,
): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out; last: ${String(last)}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
