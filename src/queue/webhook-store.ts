import { createHash, randomBytes } from 'node:crypto';
import type { Redis, Result } from 'ioredis';
import type {
  Delivery,
  DeliveryAttempt,
  DeliveryStatus,
  Webhook,
  WebhookEventType,
} from '../contracts/webhook.js';
import { newId } from './ids.js';
import type { Keys } from './keys.js';

/** How long a rotated-out secret keeps signing (ms): receivers have a day to switch. */
export const SECRET_OVERLAP_MS = 24 * 3600_000;
/** Deliveries an endpoint's log keeps (the oldest are dropped beyond). */
const DELIVERY_LOG_KEEP = 1000;

/** A fresh Standard Webhooks secret: `whsec_` + base64 of 32 random bytes (the HMAC key). */
export function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * The delivery id of one event to one target: a hash of the two, so dispatching an outbox entry a
 * second time (after a crash between enqueue and acknowledgement) names the same delivery and
 * BullMQ's jobId de-duplication makes it a no-op.
 */
export function deliveryIdFor(eventId: string, target: string): string {
  return `dlv_${createHash('sha256').update(`${eventId}|${target}`).digest('hex').slice(0, 26)}`;
}

/** An endpoint as stored (the secrets included: internal use only). */
export interface EndpointRecord {
  id: string;
  tenant: string;
  url: string;
  events: WebhookEventType[];
  description: string;
  createdAt: string;
  secret: string;
  previousSecret: string;
  previousSecretExpiresAt: string;
  disabledReason: '' | 'gone' | 'failing';
  disabledAt: string;
  failingSince: string;
}

/** A delivery as stored: the signed body is kept so every attempt sends the same bytes. */
export interface DeliveryRecord {
  id: string;
  endpointId: string;
  tenant: string;
  eventId: string;
  type: WebhookEventType;
  /** The target URL (the endpoint's, or a job spec's own). */
  url: string;
  /** '1' when the target is a job spec's own webhook (not the endpoint's URL). */
  perJob: string;
  body: string;
  status: DeliveryStatus;
  createdAt: string;
  nextRetryAt: string;
  redeliveries: string;
}

function toEndpoint(h: Record<string, string>): EndpointRecord {
  return {
    id: h.id,
    tenant: h.tenant,
    url: h.url,
    events: JSON.parse(h.events || '[]') as WebhookEventType[],
    description: h.description ?? '',
    createdAt: h.createdAt,
    secret: h.secret,
    previousSecret: h.previousSecret ?? '',
    previousSecretExpiresAt: h.previousSecretExpiresAt ?? '',
    disabledReason: (h.disabledReason ?? '') as EndpointRecord['disabledReason'],
    disabledAt: h.disabledAt ?? '',
    failingSince: h.failingSince ?? '',
  };
}

/** The secrets that sign now: the current one, and the previous one during its overlap. */
export function signingSecrets(e: EndpointRecord, now = Date.now()): string[] {
  const prev = e.previousSecret && Date.parse(e.previousSecretExpiresAt) > now ? [e.previousSecret] : [];
  return [e.secret, ...prev];
}

/** What the API shows of an endpoint (no secret). */
export function publicWebhook(e: EndpointRecord, isDefault: boolean, now = Date.now()): Webhook {
  const overlap = e.previousSecret && Date.parse(e.previousSecretExpiresAt) > now;
  return {
    id: e.id,
    object: 'webhook',
    url: e.url,
    events: e.events,
    description: e.description,
    createdAt: e.createdAt,
    default: isDefault,
    disabled: e.disabledReason !== '',
    disabledReason: e.disabledReason || null,
    disabledAt: e.disabledAt || null,
    failingSince: e.failingSince || null,
    previousSecretExpiresAt: overlap ? e.previousSecretExpiresAt : null,
  };
}

/**
 * KEYS delivery, endpointLog · ARGV id, fieldsJson, score, keep, ttlMs → 1 when the delivery is
 * new or still unfinished (enqueue it), 0 when it already ended (a re-dispatch: leave it alone).
 */
const CREATE_DELIVERY = `
local st = redis.call('HGET', KEYS[1], 'status')
if st then
  if st == 'delivered' or st == 'failed' or st == 'skipped' then return 0 end
  return 1
end
local f = cjson.decode(ARGV[2])
for k, v in pairs(f) do redis.call('HSET', KEYS[1], k, v) end
local ttl = tonumber(ARGV[5])
if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
local n = redis.call('ZCARD', KEYS[2])
if n > tonumber(ARGV[4]) then redis.call('ZREMRANGEBYRANK', KEYS[2], 0, n - tonumber(ARGV[4]) - 1) end
return 1
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    descentCreateDelivery(
      delivery: string,
      log: string,
      id: string,
      fields: string,
      score: number,
      keep: number,
      ttlMs: number,
    ): Result<number, Context>;
  }
}

/**
 * Webhook endpoints, their secrets and the delivery log, in Redis (see keys.ts for the layout).
 * `retentionMs` bounds how long a delivery record is kept (0: for ever).
 */
export function createWebhookStore(redis: Redis, keys: Keys, retentionMs: number) {
  if (!(redis as unknown as { descentCreateDelivery?: unknown }).descentCreateDelivery)
    redis.defineCommand('descentCreateDelivery', { numberOfKeys: 2, lua: CREATE_DELIVERY });
  // A delivery record outlives its retries (≈ a day) by at least a week.
  const deliveryTtl = retentionMs > 0 ? Math.max(retentionMs, 8 * 24 * 3600_000) : 0;

  async function getEndpoint(id: string, tenant?: string): Promise<EndpointRecord | null> {
    const h = await redis.hgetall(keys.webhook(id));
    if (!h?.id || (tenant !== undefined && h.tenant !== tenant)) return null;
    return toEndpoint(h);
  }

  /** The tenant's endpoints, oldest first (the first is the default). */
  async function endpointsOf(tenant: string): Promise<EndpointRecord[]> {
    const ids = await redis.zrange(keys.webhookIndex(tenant), 0, -1);
    if (!ids.length) return [];
    const pipe = redis.pipeline();
    for (const id of ids) pipe.hgetall(keys.webhook(id));
    const rows = (await pipe.exec()) ?? [];
    return rows
      .map(([, h]) => h as Record<string, string>)
      .filter((h) => h?.id)
      .map(toEndpoint);
  }

  async function getDelivery(id: string): Promise<DeliveryRecord | null> {
    const h = await redis.hgetall(keys.webhookDelivery(id));
    return h?.id ? (h as unknown as DeliveryRecord) : null;
  }

  async function attemptsOf(id: string): Promise<DeliveryAttempt[]> {
    return (await redis.lrange(keys.webhookAttempts(id), 0, -1)).map((s) => JSON.parse(s) as DeliveryAttempt);
  }

  function toDelivery(d: DeliveryRecord, attempts: DeliveryAttempt[]): Delivery {
    return {
      id: d.id,
      object: 'webhook.delivery',
      webhookId: d.endpointId,
      eventId: d.eventId,
      type: d.type,
      url: d.url,
      status: d.status,
      createdAt: d.createdAt,
      nextRetryAt: d.nextRetryAt || null,
      attempts,
    };
  }

  return {
    getEndpoint,
    endpointsOf,

    async count(tenant: string): Promise<number> {
      return redis.zcard(keys.webhookIndex(tenant));
    },

    /** Register an endpoint; its secret is in the answer and nowhere else the API shows. */
    async create(tenant: string, e: { url: string; events: WebhookEventType[]; description: string }) {
      const now = new Date();
      const rec: EndpointRecord = {
        id: newId('wh'),
        tenant,
        url: e.url,
        events: e.events,
        description: e.description,
        createdAt: now.toISOString(),
        secret: newSecret(),
        previousSecret: '',
        previousSecretExpiresAt: '',
        disabledReason: '',
        disabledAt: '',
        failingSince: '',
      };
      await redis
        .multi()
        .hset(keys.webhook(rec.id), { ...rec, events: JSON.stringify(rec.events) })
        .zadd(keys.webhookIndex(tenant), now.getTime(), rec.id)
        .exec();
      return rec;
    },

    /** Delete an endpoint and its delivery log index; pending deliveries find it gone and stop. */
    async remove(id: string, tenant: string): Promise<boolean> {
      if (!(await getEndpoint(id, tenant))) return false;
      await redis
        .multi()
        .del(keys.webhook(id), keys.webhookDeliveries(id))
        .zrem(keys.webhookIndex(tenant), id)
        .exec();
      return true;
    },

    /**
     * A new secret; the current one becomes the previous one and keeps signing (both signatures
     * are sent) for {@link SECRET_OVERLAP_MS}.
     */
    async rotate(id: string, tenant: string): Promise<EndpointRecord | null> {
      const e = await getEndpoint(id, tenant);
      if (!e) return null;
      const next: EndpointRecord = {
        ...e,
        secret: newSecret(),
        previousSecret: e.secret,
        previousSecretExpiresAt: new Date(Date.now() + SECRET_OVERLAP_MS).toISOString(),
      };
      await redis.hset(keys.webhook(id), {
        secret: next.secret,
        previousSecret: next.previousSecret,
        previousSecretExpiresAt: next.previousSecretExpiresAt,
      });
      return next;
    },

    /** Stop sending to an endpoint (410 Gone, or failing for too long), saying why. */
    async disable(id: string, reason: 'gone' | 'failing'): Promise<void> {
      if (await redis.exists(keys.webhook(id)))
        await redis.hset(keys.webhook(id), { disabledReason: reason, disabledAt: new Date().toISOString() });
    },

    /** Note a failed delivery; returns when the endpoint started failing (ISO). */
    async markFailing(id: string): Promise<string | null> {
      // not on a deleted endpoint: HSETNX would create a stray hash
      if (!(await redis.exists(keys.webhook(id)))) return null;
      await redis.hsetnx(keys.webhook(id), 'failingSince', new Date().toISOString());
      return redis.hget(keys.webhook(id), 'failingSince');
    },

    async markHealthy(id: string): Promise<void> {
      await redis.hdel(keys.webhook(id), 'failingSince');
    },

    /**
     * Record a delivery unless it exists (CREATE_DELIVERY); true when it should be enqueued.
     * Idempotent: the dispatcher may run it twice for one outbox entry.
     */
    async createDelivery(
      d: Omit<DeliveryRecord, 'status' | 'nextRetryAt' | 'redeliveries'>,
    ): Promise<boolean> {
      const fields = { ...d, status: 'pending', nextRetryAt: '', redeliveries: '0' };
      const n = await redis.descentCreateDelivery(
        keys.webhookDelivery(d.id),
        keys.webhookDeliveries(d.endpointId),
        d.id,
        JSON.stringify(fields),
        Date.parse(d.createdAt),
        DELIVERY_LOG_KEEP,
        deliveryTtl,
      );
      return n === 1;
    },

    getDelivery,

    /** Append one attempt to the log and set the delivery's status (and next retry time). */
    async recordAttempt(
      id: string,
      attempt: DeliveryAttempt,
      status: DeliveryStatus,
      nextRetryAt: string | null,
    ): Promise<void> {
      await redis
        .multi()
        .rpush(keys.webhookAttempts(id), JSON.stringify(attempt))
        .hset(keys.webhookDelivery(id), { status, nextRetryAt: nextRetryAt ?? '' })
        .exec();
      if (deliveryTtl > 0) await redis.pexpire(keys.webhookAttempts(id), deliveryTtl);
    },

    async setStatus(id: string, status: DeliveryStatus): Promise<void> {
      await redis.hset(keys.webhookDelivery(id), { status, nextRetryAt: '' });
    },

    /** Attempts logged so far (the next attempt's number is this + 1). */
    async attemptCount(id: string): Promise<number> {
      return redis.llen(keys.webhookAttempts(id));
    },

    /**
     * Put an ended delivery back to `pending` for a manual redelivery; the redelivery's number
     * (1, 2, …: part of its BullMQ job id), or null when it is not ended (still being retried).
     */
    async reopen(id: string): Promise<number | null> {
      const st = await redis.hget(keys.webhookDelivery(id), 'status');
      if (st !== 'delivered' && st !== 'failed' && st !== 'skipped') return null;
      const n = await redis.hincrby(keys.webhookDelivery(id), 'redeliveries', 1);
      await redis.hset(keys.webhookDelivery(id), { status: 'pending', nextRetryAt: '' });
      return n;
    },

    /** One delivery of an endpoint, with its attempts (null: unknown, or not this endpoint's). */
    async delivery(endpointId: string, id: string): Promise<Delivery | null> {
      const d = await getDelivery(id);
      if (!d || d.endpointId !== endpointId) return null;
      return toDelivery(d, await attemptsOf(id));
    },

    /** An endpoint's newest deliveries first, with their attempts. */
    async deliveries(endpointId: string, limit: number): Promise<Delivery[]> {
      const ids = await redis.zrevrange(keys.webhookDeliveries(endpointId), 0, limit - 1);
      const out: Delivery[] = [];
      for (const id of ids) {
        const d = await getDelivery(id);
        if (d) out.push(toDelivery(d, await attemptsOf(id)));
      }
      return out;
    },
  };
}

export type WebhookStore = ReturnType<typeof createWebhookStore>;
