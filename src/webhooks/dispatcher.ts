/**
 * The outbox dispatcher: reads the webhook outbox (a Redis stream the job scripts append to in the
 * same script that changes a job; see OUTBOX in src/queue/scripts.ts) with a consumer group, and
 * turns each entry into one delivery per subscribed endpoint (plus the job spec's own webhook):
 * a delivery record (with the signed body, fixed now) and a BullMQ job whose id is the delivery
 * id. Only then is the entry acknowledged and deleted. A dispatcher that dies in between leaves
 * the entry pending; it is claimed again (XAUTOCLAIM) and dispatched a second time, which names
 * the same delivery ids: the record is not rewritten and BullMQ ignores the duplicate job id.
 */
import type { Redis } from 'ioredis';
import type { WebhookEventType } from '../contracts/webhook.js';
import { hashToJob } from '../queue/job-store.js';
import type { Keys } from '../queue/keys.js';
import { deliveryIdFor, type EndpointRecord, type WebhookStore } from '../queue/webhook-store.js';
import type { WebhookQueue } from '../queue/webhook-queue.js';

const GROUP = 'dispatch';
const BATCH = 500;

type Entry = [id: string, fields: string[]];

/** The `webhook-id` of an outbox entry: stable, because the entry id is. */
export function eventIdOf(entryId: string): string {
  return `evt_${entryId.replace('-', '_')}`;
}

function fieldsOf(fields: string[]): Record<string, string> {
  const o: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) o[fields[i]] = fields[i + 1];
  return o;
}

export interface DispatcherOptions {
  /** A connection of its own: XREADGROUP blocks it. */
  blocking: Redis;
  /** For everything else (job hashes, the store's writes). */
  command: Redis;
  keys: Keys;
  store: WebhookStore;
  queue: WebhookQueue;
  /** This dispatcher's consumer name (unique per process). */
  consumer: string;
  /** Entries pending this long on any consumer (a dead one) are taken over (ms). */
  claimIdleMs: number;
  log(msg: string): void;
}

export function createDispatcher(o: DispatcherOptions) {
  let running = false;
  let loop: Promise<void> | null = null;
  const outbox = o.keys.webhookOutbox;

  async function ensureGroup(): Promise<void> {
    try {
      await o.blocking.xgroup('CREATE', outbox, GROUP, '0', 'MKSTREAM');
    } catch (err) {
      if (!/BUSYGROUP/.test((err as Error).message)) throw err;
    }
  }

  /** The job summary of a job event: the Job without its spec, in the state the event names. */
  async function jobSummaries(
    entries: Record<string, string>[],
  ): Promise<Map<string, Record<string, unknown>>> {
    const ids = [...new Set(entries.map((e) => e.jobId).filter(Boolean))];
    const out = new Map<string, Record<string, unknown>>();
    if (!ids.length) return out;
    const pipe = o.command.pipeline();
    for (const id of ids) pipe.hgetall(o.keys.job(id));
    const rows = (await pipe.exec()) ?? [];
    ids.forEach((id, i) => {
      const h = rows[i]?.[1] as Record<string, string> | undefined;
      if (h?.id) {
        const { spec: _spec, ...summary } = hashToJob(h);
        out.set(id, summary);
      }
    });
    return out;
  }

  async function handle(entries: Entry[]): Promise<void> {
    if (!entries.length) return;
    const parsed: Record<string, string>[] = entries.map(([id, f]) => ({ ...fieldsOf(f), entryId: id }));
    const summaries = await jobSummaries(parsed);
    const endpoints = new Map<string, EndpointRecord[]>();
    const creates: Promise<string | null>[] = [];
    for (const e of parsed) {
      const type = e.type as WebhookEventType;
      const tenant = e.tenant || 'default';
      if (!endpoints.has(tenant)) endpoints.set(tenant, await o.store.endpointsOf(tenant));
      const eps = endpoints.get(tenant)!;
      const targets: { endpointId: string; url: string; perJob: string; key: string }[] = eps
        .filter((ep) => !ep.disabledReason && ep.events.includes(type))
        .map((ep) => ({ endpointId: ep.id, url: ep.url, perJob: '', key: ep.id }));
      if (e.webhook) {
        const own = JSON.parse(e.webhook) as { url: string; events: string[] };
        if (own.events.includes(type)) {
          // signed with, and logged under, the tenant's default endpoint (the oldest)
          if (eps.length) targets.push({ endpointId: eps[0].id, url: own.url, perJob: '1', key: 'job' });
          else
            o.log(
              `webhooks: job ${e.jobId} has its own webhook but tenant ${tenant} has no endpoint to sign with; dropped`,
            );
        }
      }
      if (!targets.length) continue;
      const eventId = eventIdOf(e.entryId);
      let data: Record<string, unknown>;
      if (e.jobId) {
        const status = type.slice('job.'.length);
        data = {
          ...(summaries.get(e.jobId) ?? { id: e.jobId, object: 'job' }),
          // the state this event is about (the job may have moved on since)
          status,
          attempt: Number(e.attempt ?? 0),
        };
      } else data = JSON.parse(e.data || '{}') as Record<string, unknown>;
      const body = JSON.stringify({ type, timestamp: e.time, data });
      const createdAt = new Date().toISOString();
      for (const t of targets) {
        const id = deliveryIdFor(eventId, t.key);
        creates.push(
          o.store
            .createDelivery({
              id,
              endpointId: t.endpointId,
              tenant,
              eventId,
              type,
              url: t.url,
              perJob: t.perJob,
              body,
              createdAt,
            })
            .then((fresh) => (fresh ? id : null)),
        );
      }
    }
    const ids = (await Promise.all(creates)).filter((x): x is string => x !== null);
    await o.queue.enqueue(ids);
    const done = entries.map(([id]) => id);
    await o.command
      .multi()
      .xack(outbox, GROUP, ...done)
      .xdel(outbox, ...done)
      .exec();
  }

  async function run(): Promise<void> {
    let groupReady = false;
    while (running) {
      try {
        if (!groupReady) {
          await ensureGroup();
          groupReady = true;
        }
        // entries a dead dispatcher (or this one, before a crash or an error) left unacknowledged
        const [, claimed] = (await o.blocking.xautoclaim(
          outbox,
          GROUP,
          o.consumer,
          o.claimIdleMs,
          '0-0',
          'COUNT',
          BATCH,
        )) as [string, Entry[]];
        await handle(claimed.filter((e) => e && e[1]));
        const res = (await o.blocking.xreadgroup(
          'GROUP',
          GROUP,
          o.consumer,
          'COUNT',
          BATCH,
          'BLOCK',
          1000,
          'STREAMS',
          outbox,
          '>',
        )) as [string, Entry[]][] | null;
        if (res) await handle(res[0][1]);
      } catch (err) {
        if (!running) break;
        if (/NOGROUP/.test((err as Error).message)) groupReady = false;
        else o.log(`webhooks: dispatcher: ${(err as Error).message}; retrying`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  return {
    start(): void {
      if (running) return;
      running = true;
      loop = run();
    },
    /** Stop after the current read (≤ 1 s: the XREADGROUP block). */
    async stop(): Promise<void> {
      running = false;
      await loop;
    },
  };
}
