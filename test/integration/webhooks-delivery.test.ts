/**
 * Issue 17, acceptance 1 and 2: every delivery verifies with the `standardwebhooks` package (an
 * independent implementation), a tampered body and an old timestamp are rejected, the rotated
 * secret works in the overlap; a receiver down for 3 attempts gets the 4th with the same
 * webhook-id, the log shows all 4, redeliver works, 410 disables. Real Redis, the real webhook
 * service (dispatcher + BullMQ worker) in this process, a receiver on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { makeTestApp, tableResolver, type TestApp } from '../helpers/app.js';
import { startReceiver, type Receiver } from '../helpers/webhook-receiver.js';
import { poll } from '../helpers/processes.js';
import { TINY_LINEAR_SPEC } from '../helpers/specs.js';
import { startWebhookService, type WebhookService } from '../../src/webhooks/service.js';
import { webhookHeaders } from '../../src/webhooks/signing.js';
import { WebhookEventBodySchema } from '../../src/contracts/webhook.js';
import { newId } from '../../src/queue/ids.js';

let redis: TestRedis;
let t: TestApp;
let svc: WebhookService;
let rx: Receiver;

const CFG = {
  webhookAllowHttp: true,
  webhookAllowPrivate: true,
  webhookRetryBaseMs: 100,
  webhookRetryFactor: 2,
  lockDurationMs: 3000,
  lockRenewMs: 600,
  stalledIntervalMs: 1000,
};

beforeAll(async () => {
  redis = await startRedis();
  rx = await startReceiver();
  t = await makeTestApp(redis.url, 'webhooks-delivery', { cfg: CFG });
  svc = await startWebhookService(t.cfg, { resolve: tableResolver(), log: () => {} });
});
afterAll(async () => {
  await svc?.close();
  await t?.close();
  await rx?.close();
  await redis?.stop();
});

async function endpoint(path: string, events: string[]) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/webhooks',
    payload: { url: `${rx.url}${path}`, events },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; secret: string; default: boolean };
}

/** A job that runs and succeeds (through the store, as a worker would). */
async function finishedJob(status: 'succeeded' | 'failed' = 'succeeded'): Promise<string> {
  const id = newId('job');
  await t.deps.jobs.create({ id, tenant: 'default', spec: TINY_LINEAR_SPEC, metadata: { run: 'x' } });
  const { attempt } = await t.deps.jobs.start(id);
  await t.deps.jobs.finish(id, attempt, status, {
    result: status === 'succeeded' ? { finalLoss: 0.1, epochs: 1, steps: 3 } : null,
    error: status === 'failed' ? { code: 'DIVERGED', message: 'NaN at step 3' } : null,
  } as never);
  return id;
}

const onPath = (path: string) => rx.received.filter((r) => r.path === path);
const hdrs = (h: Record<string, unknown>) =>
  Object.fromEntries(['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((k) => [k, String(h[k])]));

describe('signing (acceptance 1)', () => {
  it('every delivery verifies with standardwebhooks; tampering and old timestamps are rejected', async () => {
    const ep = await endpoint('/sign', ['job.running', 'job.succeeded']);
    expect(ep.secret).toMatch(/^whsec_/);
    expect(ep.default).toBe(true);
    // the secret is shown once: GET does not show it
    const got = (await t.app.inject({ url: `/v1/webhooks/${ep.id}` })).json();
    expect(got.secret).toBeUndefined();

    const jobId = await finishedJob();
    const reqs = await poll(() => (onPath('/sign').length >= 2 ? onPath('/sign') : null));
    const wh = new Webhook(ep.secret);
    const types = reqs.map((r) => {
      const payload = wh.verify(r.body, hdrs(r.headers)) as { type: string; data: Record<string, unknown> };
      WebhookEventBodySchema.parse(payload);
      expect(payload.data.id).toBe(jobId);
      expect(payload.data.spec).toBeUndefined(); // the summary, no spec, no weights
      return payload.type;
    });
    expect(types.sort()).toEqual(['job.running', 'job.succeeded']);
    const done = reqs.find((r) => r.body.includes('job.succeeded'))!;
    expect(JSON.parse(done.body).data).toMatchObject({ status: 'succeeded', metadata: { run: 'x' } });

    // a tampered body fails
    expect(() => wh.verify(done.body.replace('succeeded', 'failed'), hdrs(done.headers))).toThrow();
    // a wrong secret fails
    expect(() =>
      new Webhook(`whsec_${Buffer.alloc(32, 7).toString('base64')}`).verify(done.body, hdrs(done.headers)),
    ).toThrow();
    // correctly signed but 10 minutes old: refused (the receiver's replay window is 5 minutes)
    const old = Math.floor(Date.now() / 1000) - 600;
    const oldHeaders = webhookHeaders([ep.secret], done.headers['webhook-id'] as string, old, done.body);
    expect(() => wh.verify(done.body, oldHeaders)).toThrow(/timestamp/i);
    // …and the same with a fresh timestamp verifies (so it is the age that is refused)
    const fresh = webhookHeaders(
      [ep.secret],
      done.headers['webhook-id'] as string,
      Math.floor(Date.now() / 1000),
      done.body,
    );
    expect(wh.verify(done.body, fresh)).toBeTruthy();
    await t.app.inject({ method: 'DELETE', url: `/v1/webhooks/${ep.id}` });
  });

  it('after a rotation both secrets verify for the overlap, then only the new one', async () => {
    const ep = await endpoint('/rotate', ['job.succeeded']);
    const rot = await t.app.inject({ method: 'POST', url: `/v1/webhooks/${ep.id}/rotate-secret` });
    expect(rot.statusCode, rot.body).toBe(200);
    const next = rot.json() as { secret: string; previousSecretExpiresAt: string };
    expect(next.secret).not.toBe(ep.secret);
    expect(Date.parse(next.previousSecretExpiresAt) - Date.now()).toBeGreaterThan(23.9 * 3600_000);

    await finishedJob();
    const [r] = await poll(() => (onPath('/rotate').length >= 1 ? onPath('/rotate') : null));
    expect(String(r.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(new Webhook(next.secret).verify(r.body, hdrs(r.headers))).toBeTruthy();
    expect(new Webhook(ep.secret).verify(r.body, hdrs(r.headers))).toBeTruthy();

    // the overlap ends: the old secret no longer signs
    await t.deps.redis.hset(
      t.deps.keys.webhook(ep.id),
      'previousSecretExpiresAt',
      new Date(Date.now() - 1000).toISOString(),
    );
    await finishedJob();
    const [, r2] = await poll(() => (onPath('/rotate').length >= 2 ? onPath('/rotate') : null));
    expect(new Webhook(next.secret).verify(r2.body, hdrs(r2.headers))).toBeTruthy();
    expect(() => new Webhook(ep.secret).verify(r2.body, hdrs(r2.headers))).toThrow();
    await t.app.inject({ method: 'DELETE', url: `/v1/webhooks/${ep.id}` });
  });
});

describe('retries, the log, redeliver, 410 (acceptance 2)', () => {
  it('down for 3 attempts → delivered on the 4th with the same webhook-id; all 4 logged; redeliver', async () => {
    const ep = await endpoint('/flaky', ['job.failed']);
    let n = 0;
    const prev = rx.respond;
    rx.respond = (i, req) =>
      req.path === '/flaky'
        ? ++n <= 3
          ? { status: 503, body: 'down' }
          : { status: 200, body: 'thanks' }
        : prev(i, req);
    await finishedJob('failed');
    const reqs = await poll(() => (onPath('/flaky').length >= 4 ? onPath('/flaky') : null));
    expect(new Set(reqs.map((r) => r.headers['webhook-id'])).size).toBe(1);
    for (const r of reqs) expect(new Webhook(ep.secret).verify(r.body, hdrs(r.headers))).toBeTruthy();

    const list = await poll(async () => {
      const l = (await t.app.inject({ url: `/v1/webhooks/${ep.id}/deliveries` })).json();
      return l.data[0]?.status === 'delivered' ? l : null;
    });
    const d = list.data[0];
    expect(d.eventId).toBe(reqs[0].headers['webhook-id']);
    expect(d.type).toBe('job.failed');
    expect(d.attempts.map((a: { statusCode: number }) => a.statusCode)).toEqual([503, 503, 503, 200]);
    expect(d.attempts.map((a: { attempt: number }) => a.attempt)).toEqual([1, 2, 3, 4]);
    expect(d.attempts[0]).toMatchObject({ error: 'HTTP 503', response: 'down' });
    expect(d.attempts[3]).toMatchObject({ error: null, response: 'thanks' });
    expect(d.nextRetryAt).toBeNull();
    // the retries waited (base 100 ms ×2, jitter ±20 %): at least 80 + 160 + 320 ms in all
    expect(reqs[3].at - reqs[0].at).toBeGreaterThanOrEqual(500);

    const re = await t.app.inject({
      method: 'POST',
      url: `/v1/webhooks/${ep.id}/deliveries/${d.id}/redeliver`,
    });
    expect(re.statusCode, re.body).toBe(202);
    const again = await poll(() => (onPath('/flaky').length >= 5 ? onPath('/flaky') : null));
    expect(again[4].headers['webhook-id']).toBe(d.eventId);
    expect(again[4].body).toBe(reqs[0].body);
    const after = await poll(async () => {
      const one = (await t.app.inject({ url: `/v1/webhooks/${ep.id}/deliveries` })).json().data[0];
      return one.status === 'delivered' && one.attempts.length === 5 ? one : null;
    });
    expect(after.attempts[4].statusCode).toBe(200);

    const missing = await t.app.inject({
      method: 'POST',
      url: `/v1/webhooks/${ep.id}/deliveries/dlv_nosuchdelivery/redeliver`,
    });
    expect(missing.statusCode).toBe(404);
    await t.app.inject({ method: 'DELETE', url: `/v1/webhooks/${ep.id}` });
    rx.respond = prev;
  });

  it('a 410 disables the endpoint at once; later events are not sent to it', async () => {
    const ep = await endpoint('/gone', ['job.succeeded']);
    const prev = rx.respond;
    rx.respond = (i, req) => (req.path === '/gone' ? { status: 410, body: 'bye' } : prev(i, req));
    await finishedJob();
    const got = await poll(async () => {
      const w = (await t.app.inject({ url: `/v1/webhooks/${ep.id}` })).json();
      return w.disabled ? w : null;
    });
    expect(got).toMatchObject({ disabled: true, disabledReason: 'gone' });
    expect(onPath('/gone')).toHaveLength(1);
    const d = (await t.app.inject({ url: `/v1/webhooks/${ep.id}/deliveries` })).json().data[0];
    expect(d).toMatchObject({ status: 'failed' });
    expect(d.attempts).toHaveLength(1);
    await finishedJob();
    await new Promise((r) => setTimeout(r, 1000));
    expect(onPath('/gone')).toHaveLength(1);
    rx.respond = prev;
    await t.app.inject({ method: 'DELETE', url: `/v1/webhooks/${ep.id}` });
  });

  it('an endpoint failing for more than 5 days is disabled and flagged', async () => {
    const ep = await endpoint('/failing', ['job.succeeded']);
    const prev = rx.respond;
    rx.respond = (i, req) => (req.path === '/failing' ? { status: 500 } : prev(i, req));
    // it has been failing for 6 days (DESCENT_WEBHOOK_DISABLE_AFTER_SECONDS: 5 days)
    const since = new Date(Date.now() - 6 * 24 * 3600_000).toISOString();
    await t.deps.redis.hset(t.deps.keys.webhook(ep.id), 'failingSince', since);
    await finishedJob();
    const got = await poll(async () => {
      const w = (await t.app.inject({ url: `/v1/webhooks/${ep.id}` })).json();
      return w.disabled ? w : null;
    });
    expect(got).toMatchObject({ disabled: true, disabledReason: 'failing', failingSince: since });
    expect(onPath('/failing')).toHaveLength(1); // no retries once disabled
    rx.respond = prev;
    await t.app.inject({ method: 'DELETE', url: `/v1/webhooks/${ep.id}` });
  });

  it('a success clears failingSince', async () => {
    const ep = await endpoint('/recovers', ['job.succeeded']);
    await t.deps.redis.hset(t.deps.keys.webhook(ep.id), 'failingSince', new Date().toISOString());
    expect((await t.app.inject({ url: `/v1/webhooks/${ep.id}` })).json().failingSince).not.toBeNull();
    await finishedJob();
    await poll(
      async () => (await t.app.inject({ url: `/v1/webhooks/${ep.id}` })).json().failingSince === null,
    );
    await t.app.inject({ method: 'DELETE', url: `/v1/webhooks/${ep.id}` });
  });

  it('stores at most 2048 characters of a large response (reads at most 64 KiB)', async () => {
    const ep = await endpoint('/big', ['job.succeeded']);
    const prev = rx.respond;
    rx.respond = (i, req) =>
      req.path === '/big' ? { status: 200, body: 'x'.repeat(200_000) } : prev(i, req);
    await finishedJob();
    const d = await poll(async () => {
      const one = (await t.app.inject({ url: `/v1/webhooks/${ep.id}/deliveries` })).json().data[0];
      return one?.status === 'delivered' ? one : null;
    });
    expect(d.attempts[0].response).toHaveLength(2048);
    expect(d.attempts[0].responseTruncated).toBe(true);
    rx.respond = prev;
    await t.app.inject({ method: 'DELETE', url: `/v1/webhooks/${ep.id}` });
  });

  it("a job spec's own webhook is signed with the default endpoint's secret and logged under it", async () => {
    const ep = await endpoint('/default', ['job.failed']); // default: the only (oldest) endpoint
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: { ...TINY_LINEAR_SPEC, webhook: { url: `${rx.url}/per-job`, events: ['job.succeeded'] } },
    });
    expect(res.statusCode, res.body).toBe(201);
    const job = res.json();
    expect(job.spec.webhook).toEqual({ url: `${rx.url}/per-job`, events: ['job.succeeded'] });
    const { attempt } = await t.deps.jobs.start(job.id);
    await t.deps.jobs.finish(job.id, attempt, 'succeeded', { result: null });
    const [r] = await poll(() => (onPath('/per-job').length ? onPath('/per-job') : null));
    const payload = new Webhook(ep.secret).verify(r.body, hdrs(r.headers)) as {
      type: string;
      data: { id: string };
    };
    expect(payload).toMatchObject({ type: 'job.succeeded', data: { id: job.id } });
    expect(onPath('/default')).toHaveLength(0); // the endpoint asked only for job.failed
    const d = (await t.app.inject({ url: `/v1/webhooks/${ep.id}/deliveries` })).json().data[0];
    expect(d.url).toBe(`${rx.url}/per-job`);
    await t.app.inject({ method: 'DELETE', url: `/v1/webhooks/${ep.id}` });
    // no endpoint left: a job with its own webhook has nothing to sign with → 400 naming /webhook
    const bad = await t.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: { ...TINY_LINEAR_SPEC, webhook: { url: `${rx.url}/per-job` } },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].path).toBe('/webhook');
  });

  it('sweep.ended: the decision that ends a sweep reaches subscribed endpoints once, signed', async () => {
    const ep = await endpoint('/sweeps', ['sweep.ended']);
    /** A sweep of `tenant`, running, then ended by a CAS that carries its webhook data. */
    const endSweep = async (id: string, tenant: string) => {
      await t.deps.sweeps.create({
        id,
        tenant,
        request: { metric: 'valLoss' },
        rungs: [1],
        epochsMax: 1,
        params: [{}],
        specs: [{}],
        first: { state: {}, inflight: {}, actions: [], events: [] },
      });
      const ended = (finishedAt: string) => ({ id, object: 'sweep', status: 'succeeded', finishedAt });
      expect(await t.deps.sweeps.cas(id, 1, { state: {}, inflight: {}, actions: [], events: [], status: 'succeeded', ended })).toBe(2);
      // A stray second end (another process, a later version) tells nobody again.
      await t.deps.sweeps.cas(id, 2, { state: {}, inflight: {}, actions: [], events: [], status: 'cancelled', ended });
    };
    await endSweep('swp_0abc', 'default');
    const [r] = await poll(() => (onPath('/sweeps').length ? onPath('/sweeps') : null));
    const payload = new Webhook(ep.secret).verify(r.body, hdrs(r.headers)) as { type: string; data: { finishedAt: string } };
    expect(payload).toMatchObject({ type: 'sweep.ended', data: { id: 'swp_0abc', object: 'sweep', status: 'succeeded' } });
    expect(payload.data.finishedAt).toBe((await t.deps.sweeps.get('swp_0abc'))!.finishedAt);
    // another tenant's sweep does not reach this tenant's endpoint
    await endSweep('swp_0abd', 'other');
    await new Promise((res) => setTimeout(res, 800));
    expect(onPath('/sweeps')).toHaveLength(1);
    await t.app.inject({ method: 'DELETE', url: `/v1/webhooks/${ep.id}` });
  });
});
