/**
 * Running the `descent` command in tests: from its sources through tsx (so a test sees the code
 * as it is, without a build), in the repo, with DESCENT_URL pointing at the test's service.
 * `runCli` waits for the exit; `spawnCli` hands back the process (signals, output so far).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { REPO } from './service-process.js';

export const CLI_ARGS = ['--import', 'tsx', 'src/cli/descent.ts'];

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  done: Promise<CliResult>;
}

/** Start `descent …args` with `env` added; stdin gets `input` (then closes). */
export function spawnCli(args: string[], env: Record<string, string> = {}, input?: string): CliProcess {
  const proc = spawn(process.execPath, [...CLI_ARGS, ...args], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (err += d));
  if (input !== undefined) proc.stdin!.end(input);
  else proc.stdin!.end();
  const done = new Promise<CliResult>((resolve) =>
    proc.on('close', (code, signal) => resolve({ code, signal, stdout: out, stderr: err })),
  );
  return { proc, stdout: () => out, stderr: () => err, done };
}

/** Run `descent …args` to its end (killed after `timeoutMs`). */
export async function runCli(
  args: string[],
  env: Record<string, string> = {},
  opts: { input?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  const p = spawnCli(args, env, opts.input);
  const timer = setTimeout(() => p.proc.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
  const r = await p.done;
  clearTimeout(timer);
  return r;
}

/** Poll until `fn()` is truthy (or throw after `timeoutMs`). */
export async function waitUntil(fn: () => boolean, timeoutMs = 60_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
