/**
 * The web dashboard: `GET /` redirects to `/ui/`, and `/ui/` serves the bundle that
 * `npm run build` writes to dist/ui (scripts/build-ui.mjs, from ui/), under the service's one strict
 * Content-Security-Policy (src/api/security-headers.ts: scripts, styles and connections from this
 * origin only, no inline script or style, no frames, no plugins), set for every route by helmet.
 * Without a bundle `/ui/` says how to build one.
 *
 * The page may call an API on another origin: `DESCENT_DASHBOARD_API_URL` names it, `/ui/config.json`
 * tells the page (`{ "apiBase": … }`) and the policy's `connect-src` allows that origin too
 * (registerSecurityHeaders is given the same URL). That API must list this page's origin in its
 * `DESCENT_CORS_ORIGINS` (cors.ts), else the browser refuses its answers and the page says so.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';

/**
 * `DESCENT_DASHBOARD_API_URL`: the API the page calls when it is not this process, an http(s) URL
 * with no query or fragment (`https://api.example.com`, or `https://example.com/descent` behind a
 * proxy), without a trailing slash. Anything else fails at boot, naming the value.
 */
export function dashboardApiFromEnv(env: NodeJS.ProcessEnv): string | null {
  const raw = env.DESCENT_DASHBOARD_API_URL?.trim();
  if (!raw) return null;
  let u: URL | null = null;
  try {
    u = new URL(raw);
  } catch {
    /* not a URL */
  }
  if (!u || !/^https?:$/.test(u.protocol) || u.search || u.hash || u.username || raw.endsWith('/'))
    throw new Error(
      `DESCENT_DASHBOARD_API_URL must be an http(s) URL such as https://api.example.com (no query, no trailing slash), got "${raw}"`,
    );
  return raw;
}

/** dist/ui, from src/api (tsx) or from dist/src/api (compiled). */
function bundleDir(): string {
  const fromDist = import.meta.url.endsWith('.js') && import.meta.url.includes('/dist/src/');
  return fileURLToPath(new URL(fromDist ? '../../ui/' : '../../dist/ui/', import.meta.url));
}

/**
 * Register `/`, `/ui/` and `/ui/config.json` (kept out of the OpenAPI document: pages, not API).
 * `apiUrl`: the API the page calls (null: this origin).
 */
export async function registerDashboard(
  app: FastifyInstance,
  dir = bundleDir(),
  apiUrl: string | null = null,
): Promise<void> {
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
  // Read by the page before its first call; served here so it follows this process's setting
  // (the bundle's own config.json, for hosting dist/ui elsewhere, says "same origin").
  app.get('/ui/config.json', { schema: { hide: true } }, async (_req, reply) => {
    return reply.header('cache-control', 'no-store').send({ apiBase: apiUrl ?? '' });
  });
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/ui/',
    // `/ui` → `/ui/`, so the page's relative URLs resolve under /ui/.
    redirect: true,
    decorateReply: false,
    schemaHide: true,
  });
}
