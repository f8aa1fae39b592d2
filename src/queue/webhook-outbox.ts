import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';

/** The outbox's safety cap (`XADD MAXLEN ~`); the dispatcher deletes entries it has handled. */
const OUTBOX_MAXLEN = 1_000_000;

/**
 * Emit a tenant-level webhook event that no job script writes (the sweeps code calls this with
 * `sweep.ended` when a sweep finishes): the event goes to the outbox, and from there to every
 * endpoint of `tenant` subscribed to `type`, signed and retried like job events. `data` is the
 * event's `data` object as receivers get it (e.g. the sweep summary). Returns the outbox entry
 * id; the event's `webhook-id` is `evt_` + that id with `-` as `_`.
 */
export async function emitTenantWebhookEvent(
  redis: Pick<Redis, 'xadd'>,
  keys: Pick<Keys, 'webhookOutbox'>,
  ev: { tenant: string; type: 'sweep.ended'; data: Record<string, unknown>; time?: string },
): Promise<string> {
  const time = ev.time ?? new Date().toISOString();
  const id = await redis.xadd(
    keys.webhookOutbox,
    'MAXLEN',
    '~',
    OUTBOX_MAXLEN,
    '*',
    ...['type', ev.type, 'tenant', ev.tenant, 'time', time, 'data', JSON.stringify(ev.data)],
  );
  return id as string;
}
