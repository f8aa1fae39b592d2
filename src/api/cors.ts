/**
 * CORS for pages on other origins (a dashboard served elsewhere): only the origins listed in
 * `DESCENT_CORS_ORIGINS` get `Access-Control-Allow-Origin`; any other origin gets no CORS header at
 * all, so its browser refuses to hand the response to the page. Written as one hook rather than
 * @fastify/cors because the SSE route writes its own head on the raw response (src/api/sse.ts):
 * the headers are set on the raw response, where that head keeps them.
 */
import type { FastifyInstance } from 'fastify';

/** Headers a page may send cross-origin: the key, JSON bodies, SSE resume, idempotency. */
const ALLOW_HEADERS = 'authorization, content-type, accept, last-event-id, idempotency-key';
/** Response headers a cross-origin page may read. */
const EXPOSE_HEADERS = 'etag, content-disposition, location, retry-after, www-authenticate, x-request-id';

/**
 * The allowed origins from `DESCENT_CORS_ORIGINS` (comma-separated, e.g.
 * `https://dash.example.com,http://localhost:5173`). Each must be an origin exactly as a browser
 * sends it (scheme, host, port if not the default; no path): anything else fails at boot.
 */
export function corsOriginsFromEnv(env: NodeJS.ProcessEnv): string[] {
  const raw = env.DESCENT_CORS_ORIGINS;
  if (!raw) return [];
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((o) => {
      let origin: string | null = null;
      try {
        origin = new URL(o).origin;
      } catch {
        /* not a URL */
      }
      if (origin !== o)
        throw new Error(
          `DESCENT_CORS_ORIGINS entries must be origins such as https://dash.example.com (no path, no trailing slash), got "${o}"`,
        );
      return o;
    });
}

/**
 * Answer CORS for `origins`: allowed origins get their origin echoed (with `Vary: Origin`) and
 * preflights a 204 before authentication (a preflight never carries the key). Registered before
 * the auth hook.
 */
export function registerCors(app: FastifyInstance, origins: readonly string[]): void {
  if (origins.length === 0) return;
  const allowed = new Set(origins);
  app.addHook('onRequest', async (req, reply) => {
    const origin = req.headers.origin;
    if (typeof origin !== 'string' || !allowed.has(origin)) return;
    const raw = reply.raw;
    raw.setHeader('access-control-allow-origin', origin);
    raw.setHeader('vary', 'Origin');
    raw.setHeader('access-control-expose-headers', EXPOSE_HEADERS);
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
      raw.setHeader('access-control-allow-methods', 'GET, POST, DELETE, OPTIONS');
      raw.setHeader('access-control-allow-headers', ALLOW_HEADERS);
      raw.setHeader('access-control-max-age', '600');
      return reply.code(204).send();
    }
  });
}
