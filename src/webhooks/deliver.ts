/**
 * One attempt of one delivery (the BullMQ processor of the `webhooks` queue): check the target
 * again (SSRF, on the address the request will use), sign, POST, log the attempt, and decide —
 * 2xx delivered; 410 disables the endpoint; any other answer or none is retried on the schedule
 * of backoff.ts until the tries are used up or the endpoint has failed for too long.
 */
import { UnrecoverableError, type Job } from 'bullmq';
import { MAX_STORED_RESPONSE_CHARS, type DeliveryAttempt } from '../contracts/webhook.js';
import type { ServiceConfig } from '../queue/config.js';
import type { WebhookJobData } from '../queue/webhook-queue.js';
import { signingSecrets, type WebhookStore } from '../queue/webhook-store.js';
import { checkWebhookUrl, WebhookUrlError, type Resolver } from './address-guard.js';
import { retryDelayMs } from './backoff.js';
import { postPinned, type PostOutcome } from './http-post.js';
import { webhookHeaders } from './signing.js';

/** A failed attempt that is to be retried after `delayMs` (read by the worker's backoff strategy). */
export class RetryLater extends Error {
  constructor(
    readonly delayMs: number,
    message: string,
  ) {
    super(message);
    this.name = 'RetryLater';
  }
}

type Cfg = Pick<
  ServiceConfig,
  | 'webhookAllowHttp'
  | 'webhookAllowPrivate'
  | 'webhookRetryBaseMs'
  | 'webhookRetryFactor'
  | 'webhookTimeoutMs'
  | 'webhookDisableAfterMs'
>;

export function createDeliveryProcessor(store: WebhookStore, cfg: Cfg, resolve: Resolver) {
  const policy = { allowHttp: cfg.webhookAllowHttp, allowPrivate: cfg.webhookAllowPrivate };
  const schedule = { baseMs: cfg.webhookRetryBaseMs, factor: cfg.webhookRetryFactor };

  return async function deliver(job: Job<WebhookJobData>): Promise<string> {
    const d = await store.getDelivery(job.data.deliveryId);
    // gone (expired), or ended already (a stalled re-run after the attempt was logged)
    if (!d || d.status === 'delivered' || d.status === 'failed' || d.status === 'skipped') return 'ended';
    const perJob = d.perJob === '1';
    let signer = await store.getEndpoint(d.endpointId);
    if (!signer && perJob) signer = (await store.endpointsOf(d.tenant))[0] ?? null;
    if (!signer || (!perJob && signer.disabledReason)) {
      // the endpoint was deleted or disabled meanwhile: nothing to send to (or sign with)
      await store.setStatus(d.id, 'skipped');
      return 'skipped';
    }
    const attemptNo = (await store.attemptCount(d.id)) + 1;
    const at = new Date();
    let out: PostOutcome;
    try {
      const { url, target } = await checkWebhookUrl(d.url, policy, resolve);
      const ts = Math.floor(Date.now() / 1000);
      const headers = webhookHeaders(signingSecrets(signer), d.eventId, ts, d.body);
      out = await postPinned(url, target, headers, d.body, cfg.webhookTimeoutMs);
    } catch (err) {
      if (!(err instanceof WebhookUrlError)) throw err;
      // refused before any connection: the address is not (or no longer) public
      out = {
        statusCode: null,
        body: '',
        truncated: false,
        error: `refused (${err.rule}): ${err.message}`,
        latencyMs: 0,
      };
    }
    const code = out.statusCode;
    const ok = code !== null && code >= 200 && code < 300;
    const attempt: DeliveryAttempt = {
      attempt: attemptNo,
      at: at.toISOString(),
      statusCode: code,
      latencyMs: out.latencyMs,
      error: ok ? null : (out.error ?? `HTTP ${code}`),
      response: out.body.slice(0, MAX_STORED_RESPONSE_CHARS),
      responseTruncated: out.truncated || out.body.length > MAX_STORED_RESPONSE_CHARS,
    };
    if (ok) {
      await store.recordAttempt(d.id, attempt, 'delivered', null);
      if (!perJob) await store.markHealthy(d.endpointId);
      return 'delivered';
    }
    if (code === 410) {
      await store.recordAttempt(d.id, attempt, 'failed', null);
      if (!perJob) await store.disable(d.endpointId, 'gone');
      throw new UnrecoverableError('410 Gone: the receiver asked to stop; endpoint disabled');
    }
    if (!perJob) {
      const since = await store.markFailing(d.endpointId);
      if (since && Date.now() - Date.parse(since) > cfg.webhookDisableAfterMs) {
        await store.recordAttempt(d.id, attempt, 'failed', null);
        await store.disable(d.endpointId, 'failing');
        throw new UnrecoverableError(`failing since ${since}: endpoint disabled`);
      }
    }
    const tries = job.opts.attempts ?? 1;
    if (job.attemptsMade + 1 >= tries) {
      await store.recordAttempt(d.id, attempt, 'failed', null);
      throw new UnrecoverableError(`${attempt.error}; no tries left`);
    }
    const delay = retryDelayMs(schedule, job.attemptsMade + 1);
    await store.recordAttempt(d.id, attempt, 'retrying', new Date(Date.now() + delay).toISOString());
    throw new RetryLater(delay, attempt.error ?? 'failed');
  };
}

/** The worker's `backoffStrategy`: the delay the processor chose (and logged as nextRetryAt). */
export function backoffFor(cfg: Cfg) {
  const schedule = { baseMs: cfg.webhookRetryBaseMs, factor: cfg.webhookRetryFactor };
  return (attemptsMade: number, _type?: string, err?: Error): number =>
    err instanceof RetryLater ? err.delayMs : retryDelayMs(schedule, attemptsMade);
}
