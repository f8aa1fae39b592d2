/** `npm run start:api`: the HTTP API alone (workers run elsewhere, e.g. docker-compose's worker service). */
import { loadConfig } from '../queue/config.js';
import { startApi } from '../api/server.js';
import { measuredSpeed } from '../train/speed.js';

async function main() {
  const cfg = loadConfig(process.env);
  const api = await startApi(cfg, {
    host: process.env.HOST || '127.0.0.1',
    port: Number(process.env.PORT ?? 8080),
    logger: process.env.LOG_LEVEL !== undefined,
    speed: measuredSpeed,
  });
  const stop = async (signal: string) => {
    console.log(`${signal}: shutting down`);
    await api.close().catch(() => {});
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  // Started with an IPC channel (by a supervisor or a test): when the parent is gone, stop too.
  if (process.send) process.once('disconnect', () => void stop('parent exited'));
}

main().catch((err) => {
  console.error(`API failed to start: ${(err as Error).message}`);
  process.exit(1);
});
