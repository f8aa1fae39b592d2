import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyRequest } from 'fastify';
import { UsageSchema, utcDay, type Usage } from '../../contracts/usage.js';
import type { UsageStore } from '../../queue/usage-store.js';
import { tenantOf } from '../auth.js';
import { quotaFor, type QuotaConfig } from '../quota-config.js';

/**
 * The tenant a usage request reports on: the caller's own. (An `admin` key's `?tenant=` of the
 * scoped keys extends this one function.)
 */
export function usageTenant(req: FastifyRequest): string {
  return tenantOf(req);
}

/** One tenant's usage of the current UTC day against its quotas. */
export async function usageOf(
  usage: UsageStore,
  cfg: QuotaConfig,
  tenant: string,
  now = Date.now(),
): Promise<Usage> {
  const day = utcDay(now);
  const since = Date.parse(day.start);
  const [computeSeconds, scan] = await Promise.all([
    usage.computeSeconds(tenant, now),
    usage.scan(tenant, since),
  ]);
  const q = quotaFor(cfg, tenant);
  return {
    tenant,
    period: { start: day.start, end: day.end },
    computeSeconds: Math.round(computeSeconds * 1000) / 1000,
    computeSecondsQuota: q.computeSecondsPerDay,
    storedBytes: scan.storedBytes,
    storedBytesQuota: q.storedBytes,
    jobs: { submitted: scan.submitted, running: scan.running },
  };
}

export const usageRoutes = (usage: UsageStore, cfg: QuotaConfig): FastifyPluginAsyncZod =>
  async function (app) {
    app.get(
      '/usage',
      {
        schema: {
          operationId: 'getUsage',
          summary: "The tenant's consumption today and its quotas",
          description:
            'Compute seconds of the current UTC day (training run time, recorded by the workers as jobs train), bytes stored now (datasets, weights, checkpoints), jobs submitted today and running now, each quota (null: none). A job submitted over the compute quota answers 429 until `period.end`; an upload or job over the stored-bytes quota answers 413.',
          response: { 200: UsageSchema },
        },
      },
      async (req) => usageOf(usage, cfg, usageTenant(req)),
    );
  };
