/**
 * Issue 17, acceptance 4: SSRF. Loopback, metadata, IPv6 loopback, a name resolving to 10.0.0.1,
 * IPv4-mapped and http without the flag are refused with a 400 naming the rule, before any
 * connection (names resolve through an injected table: no real DNS, no packet to a non-loopback
 * address). At delivery the address is checked again (a name that now resolves privately is
 * refused: DNS rebinding), and a redirect is never followed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { makeTestApp, tableResolver, type TestApp } from '../helpers/app.js';
import { startReceiver, type Receiver } from '../helpers/webhook-receiver.js';
import { poll } from '../helpers/processes.js';
import { TINY_LINEAR_SPEC } from '../helpers/specs.js';
import { startWebhookService, type WebhookService } from '../../src/webhooks/service.js';
import { newId } from '../../src/queue/ids.js';

let redis: TestRedis;
let strict: TestApp; // https only, public only
let httpOk: TestApp; // http allowed, still public only
let rx: Receiver;
const names = tableResolver({
  'internal.example': ['10.0.0.1'],
  'mixed.example': ['93.184.215.14', '192.168.1.20'],
  'rebind.example': ['93.184.215.14'],
});

beforeAll(async () => {
  redis = await startRedis();
  rx = await startReceiver();
  strict = await makeTestApp(redis.url, 'ssrf-strict', { resolveHost: names });
  httpOk = await makeTestApp(redis.url, 'ssrf-http', { cfg: { webhookAllowHttp: true }, resolveHost: names });
});
afterAll(async () => {
  await strict?.close();
  await httpOk?.close();
  await rx?.close();
  await redis?.stop();
});

async function refused(t: TestApp, url: string) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/webhooks',
    payload: { url, events: ['job.succeeded'] },
  });
  expect(res.statusCode, res.body).toBe(400);
  expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  const p = res.json();
  expect(p.errors[0].path).toBe('/url');
  return p as { detail: string; errors: { message: string }[] };
}

describe('refused at creation, before any connection', () => {
  it.each([
    ['http://127.0.0.1/hook', 'loopback'],
    [`http://127.0.0.1:PORT/hook`, 'loopback'],
    ['http://169.254.169.254/latest/meta-data', 'metadata'],
    ['http://[::1]/hook', 'loopback'],
    ['http://[::ffff:127.0.0.1]/hook', 'loopback'],
    ['http://[fd00::1]/hook', 'unique-local'],
    ['http://100.64.0.1/hook', 'cgnat'],
    ['http://internal.example/hook', 'private'],
    ['http://mixed.example/hook', 'private'],
    ['http://2130706433/hook', 'loopback'], // 127.0.0.1 as one number
    ['http://nowhere.example/hook', 'resolution'],
  ])('%s → 400 (%s)', async (url, rule) => {
    const p = await refused(httpOk, url.replace('PORT', String(rx.port)));
    expect(p.detail).toContain(`rule ${rule}`);
    expect(p.errors[0].message).toContain(rule);
  });

  it('http is refused without DESCENT_WEBHOOK_ALLOW_HTTP, naming the flag', async () => {
    const p = await refused(strict, 'http://example.com/hook');
    expect(p.detail).toContain('rule https-only');
    expect(p.detail).toContain('DESCENT_WEBHOOK_ALLOW_HTTP');
    const ok = await strict.app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      payload: { url: 'https://example.com/hook', events: ['job.succeeded'] },
    });
    expect(ok.statusCode, ok.body).toBe(201);
  });

  it('nothing connected to the loopback receiver', () => {
    expect(rx.connections()).toBe(0);
  });

  it("a job spec's own webhook gets the same check, at /webhook/url", async () => {
    await strict.app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      payload: { url: 'https://example.com/a', events: ['job.failed'] },
    });
    const res = await strict.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: { ...TINY_LINEAR_SPEC, webhook: { url: 'https://internal.example/x' } },
    });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().errors[0]).toMatchObject({ path: '/webhook/url' });
    expect(res.json().errors[0].message).toContain('private');
  });

  it('bad bodies are 400s naming the field and the limit', async () => {
    const long = await strict.app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      payload: { url: `https://example.com/${'a'.repeat(3000)}`, events: ['job.failed'] },
    });
    expect(long.statusCode).toBe(400);
    expect(long.json().errors[0].message).toContain('limit is 2048');
    const none = await strict.app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      payload: { url: 'https://example.com/', events: [] },
    });
    expect(none.statusCode).toBe(400);
    expect(none.json().errors[0].path).toBe('/events');
    const typo = await strict.app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      payload: { url: 'https://example.com/', events: ['job.finished'] },
    });
    expect(typo.statusCode).toBe(400);
  });
});

describe('checked again at delivery; no redirects', () => {
  let t: TestApp;
  let svc: WebhookService;
  beforeAll(async () => {
    // the API saw rebind.example public; at delivery it resolves to 10.0.0.1
    t = await makeTestApp(redis.url, 'ssrf-delivery', {
      cfg: { webhookAllowHttp: true, webhookRetryBaseMs: 50, webhookAttempts: 2 },
      resolveHost: names,
    });
    svc = await startWebhookService(
      { ...t.cfg, webhookAllowPrivate: false },
      { resolve: tableResolver({ 'rebind.example': ['10.0.0.1'] }), log: () => {} },
    );
  });
  afterAll(async () => {
    await svc?.close();
    await t?.close();
  });

  async function finishJob() {
    const id = newId('job');
    await t.deps.jobs.create({ id, tenant: 'default', spec: TINY_LINEAR_SPEC, metadata: {} });
    await t.deps.jobs.finish(id, '*', 'cancelled', {});
  }

  it('DNS rebinding: refused at delivery with the rule logged, nothing sent', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      payload: { url: 'http://rebind.example/hook', events: ['job.cancelled'] },
    });
    expect(res.statusCode, res.body).toBe(201);
    const ep = res.json();
    await finishJob();
    const d = await poll(async () => {
      const one = (await t.app.inject({ url: `/v1/webhooks/${ep.id}/deliveries` })).json().data[0];
      return one?.status === 'failed' ? one : null;
    });
    expect(d.attempts).toHaveLength(2);
    for (const a of d.attempts) {
      expect(a.statusCode).toBeNull();
      expect(a.error).toMatch(/refused \(private\).*10\.0\.0\.1/);
    }
    await t.app.inject({ method: 'DELETE', url: `/v1/webhooks/${ep.id}` });
  });

  it('a redirect to loopback is not followed (the loopback target sees no connection)', async () => {
    const target = await startReceiver();
    // the redirecting receiver may be reached (private allowed for it only through the pinned name)
    const redirector = await startReceiver();
    redirector.respond = () => ({ status: 302, headers: { location: `${target.url}/internal` } });
    const svc2 = await startWebhookService(
      { ...t.cfg, webhookAllowPrivate: true },
      { resolve: names, log: () => {} },
    );
    await svc.close(); // only the permissive service delivers now
    try {
      const ep = (
        await t.app.inject({
          method: 'POST',
          url: '/v1/webhooks',
          payload: { url: 'https://example.com/placeholder', events: ['job.cancelled'] },
        })
      ).json();
      // point the endpoint at the redirector (the API refuses loopback; the store does not check)
      await t.deps.redis.hset(t.deps.keys.webhook(ep.id), 'url', `${redirector.url}/hook`);
      await finishJob();
      const d = await poll(async () => {
        const one = (await t.app.inject({ url: `/v1/webhooks/${ep.id}/deliveries` })).json().data[0];
        return one?.status === 'failed' ? one : null;
      });
      expect(d.attempts[0].statusCode).toBe(302);
      expect(d.attempts[0].error).toMatch(
        /redirect \(302 to http:\/\/127\.0\.0\.1:\d+\/internal\) not followed/,
      );
      expect(redirector.received.length).toBe(2);
      expect(target.connections()).toBe(0);
    } finally {
      await svc2.close();
      await target.close();
      await redirector.close();
      svc = { close: async () => {} };
    }
  });
});
