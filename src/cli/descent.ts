#!/usr/bin/env node
/**
 * The `descent` command (package.json "bin"; `npx descent --help`). Everything is in
 * ./descent/: this file only wires the process in — argv, stdio, environment, Ctrl-C — and exits
 * with the code main answers.
 */
import { main } from './descent/main.js';

// `descent sweep events … | head`: the reader closing the pipe is the end of the output, not a crash.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const handlers = new Set<() => void>();
process.on('SIGINT', () => {
  // With no command following a job, Ctrl-C stops at once, as a shell user expects.
  if (handlers.size === 0) process.exit(130);
  for (const h of [...handlers]) h();
});

const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  onSigint(fn) {
    handlers.add(fn);
    return () => handlers.delete(fn);
  },
});
// Let stdout drain (a pipe may still hold the tail of the output) before exiting.
process.exitCode = code;
if (process.stdout.writableNeedDrain) process.stdout.once('drain', () => process.exit(code));
else setImmediate(() => process.exit(code));
