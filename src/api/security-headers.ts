/**
 * Response headers of every route, the dashboard's pages and the API alike: @fastify/helmet with
 * one Content-Security-Policy (the dashboard's, which an API response satisfies trivially), and
 * an `x-request-id` on every response. Helmet writes its headers on the raw response in an
 * `onRequest` hook, so the SSE route, which writes its own head (src/api/sse.ts), keeps them.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply } from 'fastify';
import helmet from '@fastify/helmet';

/**
 * The one policy. `style-src 'self'` forbids `<style>` and `style=""` in markup; styles set
 * through the CSSOM (uPlot sizes its canvas that way, Swagger UI's React too) are not markup and
 * stay allowed. `blob:` images and downloads carry the weights the page fetched with its key.
 * No `upgrade-insecure-requests`: the service is often reached over plain http on loopback.
 *
 * The one hash in `style-src` is the `<style>` element Swagger UI (`/docs`, @fastify/swagger-ui
 * 5.2.6) inserts from its bundle: that exact text and nothing else. A new Swagger UI with another
 * style fails test/browser/docs-csp.test.ts, whose console error names the new hash.
 */
const SWAGGER_UI_STYLE = "'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='";
/**
 * The policy's directives. `dashboardApiUrl` (DESCENT_DASHBOARD_API_URL, src/api/dashboard.ts):
 * the origin of the API the dashboard calls when it is not this process, allowed in `connect-src`
 * beside this origin and nothing else.
 */
function cspDirectives(dashboardApiUrl: string | null = null): Record<string, string[]> {
  return {
    'default-src': ["'none'"],
    'script-src': ["'self'"],
    'style-src': ["'self'", SWAGGER_UI_STYLE],
    'img-src': ["'self'", 'data:', 'blob:'],
    'connect-src': ["'self'", ...(dashboardApiUrl ? [new URL(dashboardApiUrl).origin] : [])],
    'font-src': ["'self'"],
    'base-uri': ["'none'"],
    'form-action': ["'none'"],
    'frame-ancestors': ["'none'"],
  };
}

/** The Content-Security-Policy header value, exactly as helmet writes it. */
export function contentSecurityPolicy(dashboardApiUrl: string | null = null): string {
  return Object.entries(cspDirectives(dashboardApiUrl))
    .map(([name, values]) => `${name} ${values.join(' ')}`)
    .join(';');
}

/** The policy of a service whose dashboard calls this same origin. */
export const CONTENT_SECURITY_POLICY = contentSecurityPolicy();

/** An incoming `x-request-id` we keep: short, and only characters that are safe in a log line and a header. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:@-]{1,128}$/;

/**
 * Fastify's `genReqId`: the caller's `x-request-id` when it is sane (so a proxy's or client's id
 * follows the request through our logs), a random UUID otherwise. It becomes `req.id`, which
 * Fastify puts in every log line of the request (`reqId`).
 */
export function requestIdFor(raw: IncomingMessage): string {
  const h = raw.headers['x-request-id'];
  return typeof h === 'string' && SANE_REQUEST_ID.test(h) ? h : randomUUID();
}

/**
 * The essential headers, for the answers that no hook sees: the router's refusals of a malformed
 * URL (Fastify's `frameworkErrors` run before `onRequest`, so helmet never ran).
 */
export function setFallbackHeaders(reply: FastifyReply, requestId: string): void {
  reply
    .header('x-request-id', requestId)
    .header('content-security-policy', CONTENT_SECURITY_POLICY)
    .header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'no-referrer')
    .header('cross-origin-opener-policy', 'same-origin')
    .header('cross-origin-resource-policy', 'same-origin');
}

/**
 * Register helmet and the `x-request-id` echo. Call first, before any route and before the other
 * `onRequest` hooks (auth, rate limit), so that their refusals carry the headers too.
 */
export async function registerSecurityHeaders(
  app: FastifyInstance,
  dashboardApiUrl: string | null = null,
): Promise<void> {
  app.addHook('onRequest', async (req, reply) => {
    reply.raw.setHeader('x-request-id', req.id);
  });
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: cspDirectives(dashboardApiUrl) },
    // frame-ancestors 'none' for browsers that only know the older header
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    // Pages on DESCENT_CORS_ORIGINS fetch with CORS, which Cross-Origin-Resource-Policy does not block.
    crossOriginResourcePolicy: { policy: 'same-origin' },
    crossOriginOpenerPolicy: { policy: 'same-origin' },
  });
}
