import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { problem } from '../contracts/problem.js';
import type { AppDeps } from './deps.js';
import { sendProblem } from './errors.js';
import type { Scope } from './key-file.js';
import type { KeyStore } from './key-store.js';
import type { Metrics } from './metrics.js';
import { createAuthThrottle, type AuthThrottleConfig } from './auth-throttle.js';

export type { Scope } from './key-file.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Owner of what this request creates or reads; `default` when the API is open. */
    tenant: string;
    /** What the request's key may do; `write` when the API is open (no keys). */
    scope: Scope;
  }
}

/** The tenant of a request (set by the auth hook). */
export function tenantOf(req: FastifyRequest): string {
  return req.tenant ?? 'default';
}

/** The scope of a request's key (set by the auth hook): `read`, `write` or `admin`. */
export function scopeOf(req: FastifyRequest): Scope {
  return req.scope ?? 'write';
}

/** The routes through which an admin key acts on another tenant's job (besides every GET). */
const ADMIN_ACTIONS = new Set(['POST /v1/jobs/:id/cancel']);

/**
 * Whose jobs this request may read by id: its own tenant's, or — for an `admin` key on a GET or
 * a cancel — every tenant's (`undefined`: no owner check). Everything else an admin key does
 * (submit, delete, predict, datasets, webhooks, sweeps) stays within its own tenant.
 */
export function jobOwnerOf(req: FastifyRequest): string | undefined {
  if (scopeOf(req) !== 'admin') return tenantOf(req);
  const m = req.method;
  if (m === 'GET' || m === 'HEAD' || ADMIN_ACTIONS.has(`${m} ${req.routeOptions.url}`)) return undefined;
  return tenantOf(req);
}

/** Routes that stay open with keys configured: probes, Prometheus, the API description. */
function isProtected(req: FastifyRequest): boolean {
  // Decide on the matched route, not only on the raw URL: the router percent-decodes the path, so
  // `/%761/jobs` reaches `/v1/jobs` while `req.url` does not start with `/v1`.
  const route = req.routeOptions.url;
  return (route !== undefined && route.startsWith('/v1')) || req.url.startsWith('/v1');
}

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;
const READ_METHODS = new Set(['GET', 'HEAD']);

function unauthorized(reply: FastifyReply, presented: boolean): FastifyReply {
  reply.header(
    'www-authenticate',
    presented ? 'Bearer realm="descent", error="invalid_token"' : 'Bearer realm="descent"',
  );
  return sendProblem(
    reply,
    problem(
      'UNAUTHORIZED',
      presented ? 'Unknown API key.' : 'This API needs a key: send Authorization: Bearer <key>.',
    ),
  );
}

/**
 * With keys configured (`DESCENT_API_KEYS`, `DESCENT_API_KEYS_FILE`), every `/v1` call needs
 * `Authorization: Bearer <key>` and acts as that key's tenant with its scope; other tenants' jobs
 * and datasets answer 404. Without keys the API is open. A missing or wrong key answers 401
 * problem+json with `WWW-Authenticate: Bearer` (RFC 6750); a `read` key on anything but GET/HEAD
 * 403 `FORBIDDEN` naming the scope needed.
 *
 * Failed-auth throttle (`throttle`): every presented key that is refused counts against the
 * client's address (`req.ip`: the socket's peer, or X-Forwarded-For with DESCENT_TRUST_PROXY) in
 * Redis; an address over the limit gets 429 with `Retry-After` on every `/v1` call — its keys are
 * not even checked, so it cannot go on guessing — while every other address is served as before.
 * A missing header is not a guess and does not count. The key is never logged: the app's logger
 * redacts the Authorization header.
 */
export function registerAuth(
  app: FastifyInstance,
  deps: AppDeps,
  store: KeyStore,
  opts: { metrics: Metrics; throttle: AuthThrottleConfig | null },
): void {
  const throttle = opts.throttle ? createAuthThrottle(deps.redis, deps.keys.prefix, opts.throttle) : null;
  app.decorateRequest('tenant', 'default');
  app.decorateRequest('scope', 'write');
  app.addHook('onRequest', async (req, reply) => {
    req.tenant = 'default';
    req.scope = 'write';
    if (!store.enabled || !isProtected(req)) return;
    const address = req.ip;
    if (throttle) {
      const s = await throttle.check(address);
      if (s.blocked) {
        opts.metrics.authThrottled.inc();
        reply.header('retry-after', s.retryAfterSeconds);
        return sendProblem(
          reply,
          problem(
            'RATE_LIMITED',
            `Too many failed authentications from ${address}: ${s.failures} in ${throttle.config.windowSeconds} s; the limit is ${throttle.config.failures} ` +
              `(DESCENT_AUTH_FAILURE_LIMIT, DESCENT_AUTH_FAILURE_WINDOW_SECONDS); retry after ${s.retryAfterSeconds} s.`,
          ),
        );
      }
    }
    const h = req.headers.authorization;
    const m = typeof h === 'string' && h.length <= 4096 ? BEARER.exec(h) : null;
    const who = m ? store.ring().verify(m[1]) : null;
    if (!who) {
      // A header that did not verify is a guess (a wrong key, a wrong scheme); no header is not.
      if (h !== undefined) {
        opts.metrics.authFailures.inc();
        if (throttle) await throttle.fail(address);
      }
      return unauthorized(reply, m !== null);
    }
    req.tenant = who.tenant;
    req.scope = who.scope;
    if (who.scope === 'read' && !READ_METHODS.has(req.method))
      return sendProblem(
        reply,
        problem(
          'FORBIDDEN',
          `This key has scope read, which allows GET and HEAD only; ${req.method} ${req.routeOptions.url ?? req.url.split('?')[0]} needs scope write (or admin).`,
        ),
      );
  });
}
