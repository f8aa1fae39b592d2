/**
 * Entry of one worker process (`npm run start:worker`, and each of the WORKERS children of `npm start`).
 */
import { loadConfig } from '../src/queue/config.js';
import { startWorker } from './worker.js';

async function main() {
  const cfg = loadConfig(process.env);
  let backend = 'unknown';
  try {
    backend = (await import('./trainer.js')).realTrainer.backend();
  } catch (err) {
    console.error(`worker: trainer not loadable yet (${(err as Error).message})`);
  }
  const w = await startWorker(cfg, { backend });
  console.log(`worker ${w.id} ready (pid ${process.pid}, kernels ${backend})`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`worker ${w.id}: ${signal}, finishing`);
    await w.close(Number(process.env.DESCENT_SHUTDOWN_GRACE_MS ?? 10_000));
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  // Started by `npm start` (with an IPC channel): when that process is gone, stop too.
  if (process.send) process.once('disconnect', () => void stop('parent exited'));
}

main().catch((err) => {
  console.error(`worker failed to start: ${(err as Error).message}`);
  process.exit(1);
});
