import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../contracts/problem.js';

/** The media types a route takes: its OpenAPI `consumes`, else JSON. */
function accepted(req: FastifyRequest): string[] {
  const consumes = (req.routeOptions.schema as { consumes?: string[] } | undefined)?.consumes;
  return consumes?.length ? consumes : ['application/json'];
}

/** True when the request carries body bytes (or may: chunked). */
function hasBody(req: FastifyRequest): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  return Number(req.headers['content-length'] ?? 0) > 0;
}

/**
 * Content types checked per route, before any parser runs:
 *
 * - A route that takes a body answers an unaccepted `Content-Type` with a 415 that says which
 *   types it takes ("POST /v1/jobs takes application/json; the request sent text/plain"), rather
 *   than parsing it with whatever parser matches and failing on the result.
 * - A route that takes no body (`/cancel`, DELETE) accepts an empty body whatever its
 *   `Content-Type`: many HTTP client wrappers send `Content-Type: application/json` on every POST.
 */
export function registerContentTypeChecks(app: FastifyInstance): void {
  app.addHook('onRequest', async (req) => {
    const ct = req.headers['content-type'];
    if (ct === undefined) return;
    const schema = req.routeOptions.schema as { body?: unknown } | undefined;
    if (!schema?.body) {
      if (!hasBody(req)) delete req.headers['content-type'];
      return;
    }
    const media = ct.split(';')[0].trim().toLowerCase();
    const types = accepted(req);
    if (!types.includes(media)) {
      const route = `${req.method} ${req.routeOptions.url ?? req.url.split('?')[0]}`;
      const list =
        types.length > 1 ? `${types.slice(0, -1).join(', ')} or ${types[types.length - 1]}` : types[0];
      const message = `${route} takes ${list}; the request sent ${media || 'an empty Content-Type'}`;
      throw new ApiError('UNSUPPORTED_MEDIA_TYPE', message, [{ path: '/headers/content-type', message }]);
    }
  });
}
