import type { FastifyInstance } from 'fastify';
import { ProblemSchema } from '../contracts/problem.js';

/**
 * Make the OpenAPI document say what the auth and limit hooks do, which route schemas cannot know:
 * with API keys every `/v1` operation may answer 401 and the open routes (health, readiness,
 * metrics) carry an empty `security`; with a rate limit every `/v1` operation may answer 429, and
 * with a job cap `POST /v1/jobs` may. Call before the routes are registered.
 */
export function documentSecurity(
  app: FastifyInstance,
  opts: { keyed: boolean; rateLimited: boolean; jobCap: boolean },
): void {
  app.addHook('onRoute', (route) => {
    const schema = route.schema as
      (Record<string, unknown> & { response?: Record<string, unknown> }) | undefined;
    if (!schema || schema.hide) return;
    if (!route.url.startsWith('/v1')) {
      if (opts.keyed) route.schema = { ...schema, security: [] };
      return;
    }
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const extra: Record<number, unknown> = {};
    if (opts.keyed) extra[401] = ProblemSchema;
    if (opts.rateLimited || (opts.jobCap && route.url === '/v1/jobs' && methods.includes('POST')))
      extra[429] = ProblemSchema;
    if (Object.keys(extra).length) route.schema = { ...schema, response: { ...extra, ...schema.response } };
  });
}
