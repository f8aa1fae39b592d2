import { createHash, timingSafeEqual } from 'node:crypto';
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

/** Checks a presented key against the configured ones without leaking, through timing, how much of it matched. */
export interface KeyRing {
  /** The tenant whose key this is, or null. */
  verify(presented: string): string | null;
  readonly size: number;
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * Keys are compared as SHA-256 digests with `crypto.timingSafeEqual`: both sides are always 32
 * bytes (no length leak, no throw), and every configured key is compared on every request (no
 * early exit), so the time taken says nothing about which bytes of which key were right. A Map
 * lookup by the key itself would hash and compare strings in variable time.
 */
export function createKeyRing(apiKeys: ReadonlyMap<string, string>): KeyRing {
  const entries = [...apiKeys].map(([key, tenant]) => ({ d: digest(key), tenant }));
  return {
    size: entries.length,
    verify(presented) {
      const d = digest(presented);
      let found: string | null = null;
      for (const e of entries) if (timingSafeEqual(d, e.d)) found = e.tenant;
      return found;
    },
  };
}

/** Routes that stay open with keys configured: probes, Prometheus, the API description. */
function isProtected(req: FastifyRequest): boolean {
  // Decide on the matched route, not only on the raw URL: the router percent-decodes the path, so
  // `/%761/jobs` reaches `/v1/jobs` while `req.url` does not start with `/v1`.
  const route = req.routeOptions.url;
  return (route !== undefined && route.startsWith('/v1')) || req.url.startsWith('/v1');
}

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

/**
 * With `DESCENT_API_KEYS` set, every `/v1` call needs `Authorization: Bearer <key>` and acts as
 * that key's tenant; other tenants' jobs and datasets answer 404. Without it the API is open.
 * A missing or wrong key answers 401 problem+json with `WWW-Authenticate: Bearer` (RFC 6750).
 * The key is never logged: the app's logger redacts the Authorization header.
 */
export function registerAuth(app: FastifyInstance, deps: AppDeps): void {
  const ring = createKeyRing(deps.cfg.apiKeys);
  app.decorateRequest('tenant', 'default');
  app.addHook('onRequest', async (req, reply) => {
    req.tenant = 'default';
    if (ring.size === 0 || !isProtected(req)) return;
    const h = req.headers.authorization;
    const m = typeof h === 'string' && h.length <= 4096 ? BEARER.exec(h) : null;
    const tenant = m ? ring.verify(m[1]) : null;
    if (!tenant) {
      reply.header(
        'www-authenticate',
        m ? 'Bearer realm="descent", error="invalid_token"' : 'Bearer realm="descent"',
      );
      return sendProblem(
        reply,
        problem(
          'UNAUTHORIZED',
          m ? 'Unknown API key.' : 'This API needs a key: send Authorization: Bearer <key>.',
        ),
      );
    }
    req.tenant = tenant;
  });
}
