import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyRequest } from 'fastify';
import { UsageQuerySchema, UsageSchema, utcDay, type Usage } from '../../contracts/usage.js';
import { ApiError, ProblemSchema } from '../../contracts/problem.js';
import type { UsageStore } from '../../queue/usage-store.js';
import { scopeOf, tenantOf } from '../auth.js';
import { quotaFor, type QuotaConfig } from '../quota-config.js';

/**
 * The tenant a usage request reports on: `?tenant=` for an `admin` key, else the caller's own
 * (naming another tenant without an admin key is a 403 naming the scope, as `GET /v1/jobs`).
 */
export function usageTenant(req: FastifyRequest, asked: string | undefined): string {
  const own = tenantOf(req);
  if (asked === undefined || asked === own) return own;
  if (scopeOf(req) === 'admin') return asked;
  throw new ApiError(
    'FORBIDDEN',
    `tenant=${asked} names another tenant than this request's (${own}); another tenant's usage needs an admin key (scope admin)`,
    [{ path: '/querystring/tenant', message: 'needs scope admin' }],
  );
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
            'Compute seconds of the current UTC day (training run time, recorded by the workers as jobs train), bytes stored now (datasets, weights, checkpoints), jobs submitted today and running now, each quota (null: none). An `admin` key may ask for any tenant\'s (`?tenant=`). A job submitted over the compute quota answers 429 until `period.end`; an upload or job over the stored-bytes quota answers 413.',
          querystring: UsageQuerySchema,
          response: { 200: UsageSchema, 403: ProblemSchema },
        },
      },
      async (req) => usageOf(usage, cfg, usageTenant(req, req.query.tenant)),
    );
  };
