/**
 * The web dashboard: `GET /` redirects to `/ui/`, and `/ui/` serves the bundle that
 * `npm run build` writes to dist/ui (scripts/build-ui.mjs, from ui/), under the service's one strict
 * Content-Security-Policy (src/api/security-headers.ts: scripts, styles and connections from this
 * origin only, no inline script or style, no frames, no plugins), set for every route by helmet.
 * Without a bundle `/ui/` says how to build one.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';

/** dist/ui, from src/api (tsx) or from dist/src/api (compiled). */
function bundleDir(): string {
  const fromDist = import.meta.url.endsWith('.js') && import.meta.url.includes('/dist/src/');
  return fileURLToPath(new URL(fromDist ? '../../ui/' : '../../dist/ui/', import.meta.url));
}

/** Register `/` and `/ui/` (kept out of the OpenAPI document: pages, not API). */
export async function registerDashboard(app: FastifyInstance, dir = bundleDir()): Promise<void> {
  app.get('/', { schema: { hide: true } }, async (_req, reply) => {
    return reply.redirect('/ui/', 302);
  });
  if (!existsSync(`${dir}/index.html`)) {
    const notBuilt = async (_req: unknown, reply: import('fastify').FastifyReply) => {
      return reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send('The dashboard is not built: run `npm run build` (it writes dist/ui), then restart.\n');
    };
    app.get('/ui', { schema: { hide: true } }, notBuilt);
    app.get('/ui/*', { schema: { hide: true } }, notBuilt);
    return;
  }
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/ui/',
    // `/ui` → `/ui/`, so the page's relative URLs resolve under /ui/.
    redirect: true,
    decorateReply: false,
    schemaHide: true,
  });
}
