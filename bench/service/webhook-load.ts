/**
 * The webhook load run (issue 17, acceptance 5), shared by `npm run bench:webhooks` and
 * test/integration/webhooks-load.test.ts: N jobs end within a few seconds (finished through the
 * job store's FINISH_JOB script, as workers finish them: the outbox entry is written there), the
 * webhook service (dispatcher + BullMQ delivery worker) delivers one `job.succeeded` per job to a
 * loopback receiver. Counts what arrived (distinct webhook-ids) and the delivery delay: receiver
 * arrival − the job's `finishedAt`.
 */
import { loadConfig, type ServiceConfig } from '../../src/queue/config.js';
import { createKeys } from '../../src/queue/keys.js';
import { createRedis, waitReady } from '../../src/queue/redis.js';
import { createJobStore } from '../../src/queue/job-store.js';
import { createWebhookStore } from '../../src/queue/webhook-store.js';
import { newId } from '../../src/queue/ids.js';
import { startWebhookService } from '../../src/webhooks/service.js';
import { startReceiver } from '../../test/helpers/webhook-receiver.js';
import { summarize, type Summary } from './stats.js';

export interface WebhookLoadResult {
  jobs: number;
  /** Seconds from the first job's end to the last's. */
  endSpreadSeconds: number;
  delivered: number;
  lost: number;
  /** Requests beyond one per event (at-least-once copies). */
  duplicates: number;
  /** Seconds from the first end to the last delivery. */
  drainSeconds: number;
  delayMs: Summary;
}

export async function runWebhookLoad(opts: {
  redisUrl: string;
  jobs: number;
  concurrency?: number;
  timeoutMs?: number;
}): Promise<WebhookLoadResult> {
  const cfg: ServiceConfig = {
    ...loadConfig({}),
    redisUrl: opts.redisUrl,
    prefix: `{whload-${process.pid}-${Math.random().toString(36).slice(2, 8)}}`,
    webhookAllowHttp: true,
    webhookAllowPrivate: true,
    webhookConcurrency: opts.concurrency ?? 32,
    retentionMs: 3600_000,
  };
  const keys = createKeys(cfg.prefix);
  const redis = createRedis(cfg.redisUrl, 'blocking');
  await waitReady(redis);
  const jobs = createJobStore(redis, keys, cfg);
  const hooks = createWebhookStore(redis, keys, cfg.retentionMs);
  const rx = await startReceiver();
  rx.respond = () => ({ status: 204 });
  await hooks.create('default', { url: `${rx.url}/load`, events: ['job.succeeded'], description: 'load' });
  const svc = await startWebhookService(cfg, { log: () => {} });
  try {
    const ids = Array.from({ length: opts.jobs }, () => newId('job'));
    for (let i = 0; i < ids.length; i += 200)
      await Promise.all(
        ids.slice(i, i + 200).map((id) => jobs.create({ id, tenant: 'default', spec: {}, metadata: {} })),
      );
    // queued and running events are not subscribed; let the dispatcher clear them first
    await new Promise((r) => setTimeout(r, 500));
    const t0 = Date.now();
    for (let i = 0; i < ids.length; i += 100)
      await Promise.all(
        ids.slice(i, i + 100).map((id) => jobs.finish(id, '*', 'succeeded', { result: null })),
      );
    const endSpreadSeconds = (Date.now() - t0) / 1000;
    const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
    const distinct = () => new Set(rx.received.map((r) => r.headers['webhook-id'])).size;
    while (distinct() < ids.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300)); // late duplicates, if any
    const firstArrival = new Map<string, number>();
    for (const r of rx.received) {
      const data = (JSON.parse(r.body) as { data: { id: string; finishedAt: string } }).data;
      if (!firstArrival.has(data.id)) firstArrival.set(data.id, r.at - Date.parse(data.finishedAt));
    }
    const last = Math.max(...rx.received.map((r) => r.at));
    const delivered = ids.filter((id) => firstArrival.has(id)).length;
    return {
      jobs: ids.length,
      endSpreadSeconds,
      delivered,
      lost: ids.length - delivered,
      duplicates: rx.received.length - firstArrival.size,
      drainSeconds: (last - t0) / 1000,
      delayMs: summarize([...firstArrival.values()]),
    };
  } finally {
    await svc.close();
    await rx.close();
    redis.disconnect();
  }
}
