import type { FastifyInstance } from 'fastify';
import { ProblemSchema } from '../contracts/problem.js';

/**
 * Make the OpenAPI document say what the hooks do, which route schemas cannot know. Every route
 * with a params, query, header or body schema may answer 400 (its validation); a route with a
 * body 413 (body limit) and 415 (src/api/content-type.ts); every `/v1` route 503 (Redis down,
 * shutting down). With API keys every `/v1` operation may answer 401 and the open routes
 * (health, readiness, metrics) carry an empty `security`, and every `/v1` operation but a GET
 * may answer 403 (a `read` key), as may `GET /v1/jobs` (`?tenant=` of another tenant without an
 * `admin` key); with a rate limit or the failed-auth throttle every `/v1` operation may answer
 * 429, with a job cap or a compute quota `POST /v1/jobs`, forks and `POST /v1/sweeps` may, and
 * with an upload cap `POST /v1/datasets`. Call before the routes are registered.
 */
export function documentSecurity(
  app: FastifyInstance,
  opts: { keyed: boolean; rateLimited: boolean; authThrottled: boolean; jobCap: boolean; uploadCap?: boolean },
): void {
  app.addHook('onRoute', (route) => {
    const schema = route.schema as
      (Record<string, unknown> & { response?: Record<string, unknown> }) | undefined;
    if (!schema || schema.hide) return;
    const extra: Record<number, unknown> = {};
    if (schema.params || schema.querystring || schema.headers || schema.body) extra[400] = ProblemSchema;
    if (schema.body) {
      extra[413] = ProblemSchema;
      extra[415] = ProblemSchema;
    }
    if (!route.url.startsWith('/v1')) {
      if (opts.keyed) route.schema = { ...schema, security: [] };
    } else {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      extra[503] = ProblemSchema;
      if (opts.keyed) extra[401] = ProblemSchema;
      const writes = methods.some((m) => m !== 'GET' && m !== 'HEAD');
      // GET /v1/jobs?tenant= of another tenant is a 403 with or without keys (open: all is `default`'s).
      if ((opts.keyed && writes) || route.url === '/v1/jobs') extra[403] = ProblemSchema;
      const capped =
        route.url === '/v1/jobs' || route.url === '/v1/jobs/:id/fork' || route.url === '/v1/sweeps';
      const upload = route.url === '/v1/datasets' && methods.includes('POST');
      if (
        opts.rateLimited ||
        opts.authThrottled ||
        (opts.jobCap && capped && methods.includes('POST')) ||
        (opts.uploadCap && upload)
      )
        extra[429] = ProblemSchema;
    }
    if (Object.keys(extra).length)
      route.schema = { ...(route.schema as object), response: { ...extra, ...schema.response } };
  });
}
