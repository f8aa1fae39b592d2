/**
 * The web dashboard: `GET /` redirects to `/ui/`, and `/ui/` serves the bundle that
 * `npm run build` writes to dist/ui (scripts/build-ui.mjs, from ui/), under a strict
 * Content-Security-Policy: scripts, styles and connections from this origin only, no inline
 * script or style, no frames, no plugins. Without a bundle `/ui/` says how to build one.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';

/**
 * The page's policy. `style-src 'self'` forbids `<style>` and `style=""` in markup; styles set
 * through the CSSOM (uPlot sizes its canvas that way) are not markup and stay allowed.
 * `blob:` images and downloads carry the weights the page fetched with its key.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** dist/ui, from src/api (tsx) or from dist/src/api (compiled). */
function bundleDir(): string {
  const fromDist = import.meta.url.endsWith('.js') && import.meta.url.includes('/dist/src/');
  return fileURLToPath(new URL(fromDist ? '../../ui/' : '../../dist/ui/', import.meta.url));
}

const securityHeaders = (set: (name: string, value: string) => unknown) => {
  set('content-security-policy', DASHBOARD_CSP);
  set('x-content-type-options', 'nosniff');
  set('referrer-policy', 'no-referrer');
  set('cross-origin-opener-policy', 'same-origin');
};

/** Register `/` and `/ui/` (kept out of the OpenAPI document: pages, not API). */
export async function registerDashboard(app: FastifyInstance, dir = bundleDir()): Promise<void> {
  app.get('/', { schema: { hide: true } }, async (_req, reply) => {
    securityHeaders((n, v) => reply.header(n, v));
    return reply.redirect('/ui/', 302);
  });
  if (!existsSync(`${dir}/index.html`)) {
    const notBuilt = async (_req: unknown, reply: import('fastify').FastifyReply) => {
      securityHeaders((n, v) => reply.header(n, v));
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
    setHeaders: (res) => securityHeaders((n, v) => res.setHeader(n, v)),
  });
}
