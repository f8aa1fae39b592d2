/**
 * `npm run start:webhooks`: the webhook process (outbox dispatcher + delivery worker; see
 * src/webhooks/service.ts). `npm start` runs one as a child; run more for more deliveries.
 */
import { loadConfig } from '../queue/config.js';
import { startWebhookService } from '../webhooks/service.js';

async function main() {
  const cfg = loadConfig(process.env);
  const svc = await startWebhookService(cfg);
  console.log(`webhooks ready (pid ${process.pid})`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`webhooks: ${signal}, finishing`);
    await Promise.race([svc.close(), new Promise((r) => setTimeout(r, cfg.webhookTimeoutMs + 2000))]);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  // Started by `npm start` (with an IPC channel): when that process is gone, stop too.
  if (process.send) process.once('disconnect', () => void stop('parent exited'));
}

main().catch((err) => {
  console.error(`webhooks failed to start: ${(err as Error).message}`);
  process.exit(1);
});
