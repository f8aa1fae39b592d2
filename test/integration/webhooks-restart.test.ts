/**
 * Issue 17, acceptance 3: kill the delivery process (SIGKILL) and restart Redis (append-only) in
 * the middle of a delivery's retries — the event is still delivered, with one webhook-id, and the
 * receiver counts no more requests than the attempts the log shows (at-least-once, no extra
 * copies). A job that ends while the delivery process is down is delivered too (the outbox).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { startReceiver, type Receiver } from '../helpers/webhook-receiver.js';
import { killAllProcesses, poll, startWebhooksProcess, type Proc } from '../helpers/processes.js';
import { TINY_LINEAR_SPEC } from '../helpers/specs.js';
import { newId } from '../../src/queue/ids.js';

let redis: TestRedis;
let t: TestApp;
let rx: Receiver;

beforeAll(async () => {
  redis = await startRedis(['--appendonly', 'yes', '--appendfsync', 'always']);
  rx = await startReceiver();
  t = await makeTestApp(redis.url, 'webhooks-restart', {
    cfg: { webhookAllowHttp: true, webhookAllowPrivate: true },
  });
});
afterAll(async () => {
  await killAllProcesses();
  await t?.close();
  await rx?.close();
  await redis?.stop();
});

const env = () => ({
  REDIS_URL: redis.url,
  DESCENT_PREFIX: t.cfg.prefix,
  DESCENT_WEBHOOK_ALLOW_HTTP: '1',
  DESCENT_WEBHOOK_ALLOW_PRIVATE: '1',
  // retries 1.5 s, 2.25 s, 3.4 s, … (±20 %): slow enough to kill the process between two
  DESCENT_WEBHOOK_RETRY_BASE_MS: '1500',
  DESCENT_WEBHOOK_RETRY_FACTOR: '1.5',
  DESCENT_LOCK_MS: '2000',
  DESCENT_STALLED_MS: '500',
});

async function finishJob(): Promise<string> {
  const id = newId('job');
  await t.deps.jobs.create({ id, tenant: 'default', spec: TINY_LINEAR_SPEC, metadata: {} });
  await t.deps.jobs.finish(id, '*', 'cancelled', {});
  return id;
}

it('SIGKILL of the delivery process + Redis restart mid-retry: delivered once, one webhook-id', async () => {
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/webhooks',
    payload: { url: `${rx.url}/hook`, events: ['job.cancelled'] },
  });
  expect(res.statusCode, res.body).toBe(201);
  const ep = res.json();
  // down for the first 3 requests
  rx.respond = (n) => (n <= 3 ? { status: 500, body: 'down' } : { status: 204 });

  let proc: Proc = await startWebhooksProcess(env());
  const jobA = await finishJob();
  await rx.waitFor(2, 30_000);
  // mid-retry: two attempts failed and are logged; the delivery waits for its 3rd
  await poll(async () => {
    const d = (await t.app.inject({ url: `/v1/webhooks/${ep.id}/deliveries` })).json().data[0];
    return d?.status === 'retrying' && d.attempts.length === 2 && d.nextRetryAt;
  }, 30_000);
  proc.killGroup('SIGKILL');
  await proc.exited;

  // while nothing delivers: Redis restarts (from its append-only file) and another job ends
  await redis.restart();
  const jobB = await poll(async () => {
    try {
      return await finishJob();
    } catch {
      return null; // the API's connection is still reconnecting
    }
  });

  proc = await startWebhooksProcess(env());
  const seen = await poll(
    () => {
      const ok = rx.received.filter((_, i) => i >= 3); // the 4th request on answer 204
      const ids = new Set(ok.map((r) => JSON.parse(r.body).data.id));
      return ids.has(jobA) && ids.has(jobB) ? rx.received : null;
    },
    60_000,
    50,
  );
  // a little longer, to see a duplicate if one were coming
  await new Promise((r) => setTimeout(r, 1500));

  const wh = new Webhook(ep.secret);
  const byJob = new Map<string, Set<string>>();
  for (const r of seen) {
    const body = wh.verify(r.body, {
      'webhook-id': String(r.headers['webhook-id']),
      'webhook-timestamp': String(r.headers['webhook-timestamp']),
      'webhook-signature': String(r.headers['webhook-signature']),
    }) as { data: { id: string } };
    const ids = byJob.get(body.data.id) ?? new Set();
    ids.add(String(r.headers['webhook-id']));
    byJob.set(body.data.id, ids);
  }
  expect(byJob.get(jobA)?.size).toBe(1);
  expect(byJob.get(jobB)?.size).toBe(1);

  const list = (await t.app.inject({ url: `/v1/webhooks/${ep.id}/deliveries` })).json().data as {
    eventId: string;
    status: string;
    attempts: { statusCode: number | null }[];
  }[];
  expect(list).toHaveLength(2);
  for (const d of list) expect(d.status).toBe('delivered');
  // every request the receiver counted is an attempt in the log (no copies beyond at-least-once),
  // and each event was answered 2xx exactly once
  const logged = list.reduce((n, d) => n + d.attempts.length, 0);
  expect(rx.received.length).toBe(logged);
  for (const d of list) {
    const hits = rx.received.filter((r) => r.headers['webhook-id'] === d.eventId);
    expect(hits.length).toBe(d.attempts.length);
    expect(d.attempts.filter((a) => a.statusCode === 204)).toHaveLength(1);
  }
  proc.killGroup('SIGTERM');
}, 120_000);
