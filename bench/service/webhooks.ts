/**
 * `npm run bench:webhooks -- [--jobs 1000] [--concurrency 32]`: 1,000 jobs end within a few
 * seconds; the webhook service delivers 1,000 `job.succeeded` events to a loopback receiver.
 * Prints how many arrived (none may be lost) and the delivery delay (arrival − finishedAt):
 * p50/p90/p99/max. Starts its own redis-server (free loopback port, append-only, as production).
 */
import { startRedis } from '../../test/helpers/redis.js';
import { runWebhookLoad } from './webhook-load.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : dflt;
}

const redis = await startRedis(['--appendonly', 'yes']);
try {
  const r = await runWebhookLoad({
    redisUrl: redis.url,
    jobs: Number(arg('jobs', '1000')),
    concurrency: Number(arg('concurrency', '32')),
  });
  console.log(JSON.stringify(r, null, 2));
  console.log(
    `${r.delivered}/${r.jobs} delivered (${r.lost} lost, ${r.duplicates} duplicates); jobs ended within ${r.endSpreadSeconds.toFixed(2)} s, all delivered ${r.drainSeconds.toFixed(2)} s after the first end; delay p50 ${r.delayMs.p50} ms, p90 ${r.delayMs.p90} ms, p99 ${r.delayMs.p99} ms, max ${r.delayMs.max} ms`,
  );
  if (r.lost > 0) process.exitCode = 1;
} finally {
  await redis.stop();
}
