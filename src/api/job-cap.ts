import type { FastifyInstance, FastifyRequest } from 'fastify';
import { problem } from '../contracts/problem.js';
import { createActiveJobs, type ActiveJobs } from '../queue/active-jobs.js';
import type { AppDeps } from './deps.js';
import { sendProblem } from './errors.js';
import { tenantOf } from './auth.js';

const JOB_LOCATION = /^\/v1\/jobs\/(job_[A-Za-z0-9_-]+)$/;
/** The routes that create a job (and answer 201 with its Location). */
const CREATES_A_JOB = new Set(['/v1/jobs', '/v1/jobs/:id/fork']);

/**
 * Per-tenant cap on queued + running jobs for `POST /v1/jobs` and `POST /v1/jobs/{id}/fork`. The slot is reserved after the
 * spec has validated (a bad spec is a 400, not a 429) and before the route creates the job, and
 * settled when the response is sent: a 201 turns it into the new job's slot, anything else frees
 * it. At the cap: 429 problem+json `RATE_LIMITED` with `Retry-After`, naming the cap and the count.
 *
 * An idempotent replay of a job already created also needs a free slot while the tenant is at
 * the cap (it answers 429, and the same request succeeds once a slot is free).
 */
export function registerJobCap(
  app: FastifyInstance,
  deps: AppDeps,
  opts: { maxActiveJobs: number; retrySeconds: number },
): ActiveJobs {
  const active = createActiveJobs(deps.redis, deps.keys);
  const held = new WeakMap<FastifyRequest, string>();
  const heldBySweep = new WeakMap<FastifyRequest, string[]>();

  // A sweep runs up to maxConcurrentTrials trial jobs at once: it needs that many free slots to
  // start. Its trial jobs take their slots as they are queued (src/queue/sweep-executor.ts), so
  // these reservations are only held until the response is sent.
  app.addHook('preHandler', async (req, reply) => {
    if (req.method !== 'POST' || req.routeOptions.url !== '/v1/sweeps') return;
    const tenant = tenantOf(req);
    const want = Math.max(1, Number((req.body as { maxConcurrentTrials?: number }).maxConcurrentTrials ?? 1));
    const tokens: string[] = [];
    for (let i = 0; i < want; i++) {
      const r = await active.reserve(tenant, opts.maxActiveJobs);
      if (r.ok) {
        tokens.push(r.token);
        continue;
      }
      for (const t of tokens) await active.release(tenant, t);
      reply.header('retry-after', opts.retrySeconds);
      return sendProblem(
        reply,
        problem(
          'RATE_LIMITED',
          `Tenant ${tenant} has ${r.active - tokens.length} queued or running jobs; a sweep with maxConcurrentTrials ${want} needs ${want} free of the limit ${opts.maxActiveJobs} ` +
            `(DESCENT_MAX_ACTIVE_JOBS). Lower maxConcurrentTrials, or wait for jobs to finish, then retry.`,
        ),
      );
    }
    heldBySweep.set(req, tokens);
  });

  app.addHook('preHandler', async (req, reply) => {
    if (req.method !== 'POST' || !CREATES_A_JOB.has(req.routeOptions.url ?? '')) return;
    const tenant = tenantOf(req);
    const r = await active.reserve(tenant, opts.maxActiveJobs);
    if (r.ok) {
      held.set(req, r.token);
      return;
    }
    reply.header('retry-after', opts.retrySeconds);
    return sendProblem(
      reply,
      problem(
        'RATE_LIMITED',
        `Tenant ${tenant} has ${r.active} queued or running jobs; the limit is ${opts.maxActiveJobs} ` +
          `(DESCENT_MAX_ACTIVE_JOBS). Wait for one to finish or cancel one, then retry.`,
      ),
    );
  });

  app.addHook('onResponse', async (req) => {
    const tokens = heldBySweep.get(req);
    if (!tokens) return;
    heldBySweep.delete(req);
    for (const t of tokens) await active.release(tenantOf(req), t).catch(() => {});
  });

  app.addHook('onResponse', async (req, reply) => {
    const token = held.get(req);
    if (!token) return;
    held.delete(req);
    const tenant = tenantOf(req);
    const id =
      reply.statusCode === 201
        ? JOB_LOCATION.exec(String(reply.getHeader('location') ?? ''))?.[1]
        : undefined;
    try {
      if (id) await active.commit(tenant, token, id);
      else await active.release(tenant, token);
    } catch (err) {
      // Redis went away after the answer was sent: the reservation expires by itself.
      req.log.warn({ err }, 'could not settle a job-cap reservation');
    }
  });

  // A reservation whose answer never went out (client gone, process died) is dropped by the
  // next prune after a minute.
  return active;
}
