import type { FastifyInstance } from 'fastify';
import { problem } from '../contracts/problem.js';
import { tenantOf } from './auth.js';
import { sendProblem } from './errors.js';

/**
 * Caps the dataset uploads one API process reads at once, across tenants and per tenant. Each
 * upload in flight holds its parsed table (float64 columns: about the size of the CSV) until it is
 * stored, so without a cap N parallel uploads of the body limit need N times that in memory.
 *
 * Decided in `onRequest`, after authentication and before a byte of the body is read: over a cap,
 * 429 problem+json `RATE_LIMITED` with `Retry-After`, and `Connection: close` so the unread body
 * is not drained. A slot is freed when the response is finished or the connection closes (an
 * aborted upload frees its slot too). The count is per process: memory is per process.
 */
export function registerUploadCap(
  app: FastifyInstance,
  opts: { maxUploads: number | null; maxUploadsPerTenant: number | null; retrySeconds: number },
): void {
  let total = 0;
  const byTenant = new Map<string, number>();
  app.addHook('onRequest', async (req, reply) => {
    if (req.method !== 'POST' || req.routeOptions.url !== '/v1/datasets') return;
    const tenant = tenantOf(req);
    const mine = byTenant.get(tenant) ?? 0;
    const overTotal = opts.maxUploads !== null && total >= opts.maxUploads;
    const overTenant = opts.maxUploadsPerTenant !== null && mine >= opts.maxUploadsPerTenant;
    if (overTotal || overTenant) {
      reply.header('retry-after', opts.retrySeconds).header('connection', 'close');
      return sendProblem(
        reply,
        problem(
          'RATE_LIMITED',
          overTenant
            ? `Tenant ${tenant} has ${mine} dataset uploads in progress; the limit is ${opts.maxUploadsPerTenant} at once ` +
                `(DESCENT_MAX_CONCURRENT_UPLOADS_PER_TENANT). Retry after ${opts.retrySeconds} s.`
            : `This server is reading ${total} dataset uploads; the limit is ${opts.maxUploads} at once ` +
                `(DESCENT_MAX_CONCURRENT_UPLOADS). Retry after ${opts.retrySeconds} s.`,
        ),
      );
    }
    total++;
    byTenant.set(tenant, mine + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      total--;
      const n = (byTenant.get(tenant) ?? 1) - 1;
      if (n <= 0) byTenant.delete(tenant);
      else byTenant.set(tenant, n);
    };
    reply.raw.once('close', release);
    reply.raw.once('finish', release);
  });
}
