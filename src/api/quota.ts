import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { problem } from '../contracts/problem.js';
import { utcDay } from '../contracts/usage.js';
import { tableStoredBytes } from '../queue/dataset-store.js';
import type { UsageStore } from '../queue/usage-store.js';
import { tenantOf } from './auth.js';
import type { AppDeps } from './deps.js';
import { sendProblem } from './errors.js';
import { quotaFor, type QuotaConfig } from './quota-config.js';
import { uploadedTable } from './table-upload.js';

/** The routes that create jobs: the compute quota and the stored-bytes quota apply to them. */
const CREATES_JOBS = new Set(['/v1/jobs', '/v1/jobs/:id/fork', '/v1/sweeps']);
const UPLOAD = '/v1/datasets';

const isPost = (req: FastifyRequest, routes: Set<string> | string) =>
  req.method === 'POST' &&
  (typeof routes === 'string' ? req.routeOptions.url === routes : routes.has(req.routeOptions.url ?? ''));

/** 413 naming the stored-bytes quota, what is stored and what the request would add. */
function storedRefusal(
  reply: FastifyReply,
  tenant: string,
  stored: number,
  quota: number,
  adding: string,
): FastifyReply {
  return sendProblem(
    reply,
    problem(
      'PAYLOAD_TOO_LARGE',
      `Tenant ${tenant} stores ${stored} bytes (datasets, weights, checkpoints); ${adding} would exceed its stored-bytes quota of ${quota} bytes ` +
        `(DESCENT_QUOTA_STORED_BYTES). Delete datasets or finished jobs (DELETE /v1/datasets/{id}, DELETE /v1/jobs/{id}) to make room.`,
    ),
  );
}

/**
 * Quotas per tenant (src/api/quota-config.ts), checked where a request would consume:
 *
 * - compute seconds per UTC day: a job, fork or sweep submitted while the tenant's compute seconds
 *   of today have reached its quota answers 429 `RATE_LIMITED` naming the quota, its value, what
 *   was used and when it resets (the next UTC midnight; `Retry-After` in seconds). Checked after
 *   the body validated (a bad spec stays a 400). Jobs already queued or running finish: the quota
 *   is a gate on submission, and the day's overshoot is bounded by what was admitted before it
 *   was reached (the job cap times the wall-time limit).
 * - stored bytes: an upload whose declared length or parsed table would take the tenant past its
 *   quota answers 413 `PAYLOAD_TOO_LARGE` naming the quota — the declared length is checked
 *   before the body is read, the parsed table before it is stored — and a job submitted while the
 *   tenant's stored bytes are at or over the quota answers 413 too (its weights are not known
 *   until it trains).
 *
 * Checks read Redis (the usage hash, the tenant's indexes), so every API process agrees. Two
 * uploads checked at the same moment may both pass: the overshoot is bounded by the upload caps.
 */
export function registerQuotas(
  app: FastifyInstance,
  deps: AppDeps,
  cfg: QuotaConfig,
  usage: UsageStore,
): void {
  app.addHook('preHandler', async (req, reply) => {
    if (!isPost(req, CREATES_JOBS)) return;
    const tenant = tenantOf(req);
    const q = quotaFor(cfg, tenant);
    if (q.computeSecondsPerDay !== null) {
      const now = Date.now();
      const used = await usage.computeSeconds(tenant, now);
      if (used >= q.computeSecondsPerDay) {
        const day = utcDay(now);
        const retry = Math.max(1, Math.ceil((day.endMs - now) / 1000));
        reply.header('retry-after', retry);
        return sendProblem(
          reply,
          problem(
            'RATE_LIMITED',
            `Tenant ${tenant} has used ${used.toFixed(1)} compute seconds today (UTC ${day.day}); its daily compute quota is ${q.computeSecondsPerDay} s ` +
              `(DESCENT_QUOTA_COMPUTE_SECONDS_PER_DAY). The quota resets at ${day.end} (in ${retry} s); GET /v1/usage shows the figures.`,
          ),
        );
      }
    }
    if (q.storedBytes !== null) {
      const { storedBytes } = await usage.scan(tenant, 0);
      if (storedBytes >= q.storedBytes)
        return storedRefusal(
          reply,
          tenant,
          storedBytes,
          q.storedBytes,
          "a new job's weights and checkpoints",
        );
    }
  });

  // Before the body is read: the declared length alone already too much.
  app.addHook('onRequest', async (req, reply) => {
    if (!isPost(req, UPLOAD)) return;
    const tenant = tenantOf(req);
    const quota = quotaFor(cfg, tenant).storedBytes;
    if (quota === null) return;
    const declared = Number(req.headers['content-length'] ?? 0) || 0;
    const { storedBytes } = await usage.scan(tenant, 0);
    if (storedBytes >= quota || storedBytes + declared > quota) {
      // The body is not read: close the connection rather than drain it.
      reply.header('connection', 'close');
      return storedRefusal(reply, tenant, storedBytes, quota, `an upload of ${declared} bytes`);
    }
  });

  // After the body is parsed, before it is stored: the table's own size in Redis.
  app.addHook('preHandler', async (req, reply) => {
    if (!isPost(req, UPLOAD)) return;
    const tenant = tenantOf(req);
    const quota = quotaFor(cfg, tenant).storedBytes;
    if (quota === null) return;
    const table = uploadedTable(req)?.table;
    const adding = table ? tableStoredBytes(table) : Number(req.headers['content-length'] ?? 0) || 0;
    const { storedBytes } = await usage.scan(tenant, 0);
    if (storedBytes + adding > quota)
      return storedRefusal(reply, tenant, storedBytes, quota, `this dataset (${adding} bytes stored)`);
  });
}
