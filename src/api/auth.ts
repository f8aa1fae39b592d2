import type { FastifyInstance, FastifyRequest } from 'fastify';
import { problem } from '../contracts/problem.js';
import type { AppDeps } from './deps.js';
import { sendProblem } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Owner of what this request creates or reads; `default` when the API is open. */
    tenant: string;
  }
}

/** The tenant of a request (set by the auth hook). */
export function tenantOf(req: FastifyRequest): string {
  return req.tenant ?? 'default';
}

/**
 * With `DESCENT_API_KEYS` set, every `/v1` call needs `Authorization: Bearer <key>` and acts as
 * that key's tenant; other tenants' jobs and datasets answer 404. Without it the API is open.
 */
export function registerAuth(app: FastifyInstance, deps: AppDeps): void {
  app.decorateRequest('tenant', 'default');
  app.addHook('onRequest', async (req, reply) => {
    req.tenant = 'default';
    if (deps.cfg.apiKeys.size === 0 || !req.url.startsWith('/v1')) return;
    const h = req.headers.authorization ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(h);
    const tenant = m ? deps.cfg.apiKeys.get(m[1].trim()) : undefined;
    if (!tenant) {
      reply.header('www-authenticate', 'Bearer');
      return sendProblem(
        reply,
        problem('UNAUTHORIZED', m ? 'Unknown API key.' : 'Send Authorization: Bearer <key>.'),
      );
    }
    req.tenant = tenant;
  });
}
