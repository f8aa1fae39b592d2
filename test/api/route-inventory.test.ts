/**
 * OWASP API9 (improper inventory management): the service answers on no route that its inventory
 * does not list. Every route the server has registered (read from Fastify's own route tree) is an
 * operation of the OpenAPI document, or one of the few non-API routes named below with the reason
 * it is not in the document; every operation of the document is listed in docs/api-v1.md; every
 * `/v1` route docs/api-v1.md lists exists. A route added without its schema, or without its line in
 * the docs, fails here. No Redis needed (fake deps: only the route table is read).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeFakeApp, type FakeApp } from '../helpers/fake-deps.js';

const repo = resolve(import.meta.dirname, '../..');

/**
 * Routes served outside the OpenAPI document, each with the reason: `METHOD /path` exactly, or a
 * prefix ending in `*` (the dashboard's and Swagger UI's static files vary with what is built).
 */
const NOT_IN_DOCUMENT: Record<string, string> = {
  'GET /': 'redirects a browser to the dashboard',
  'GET /openapi.json': 'the document itself',
  'GET /docs*': 'Swagger UI, which renders the document, and its static files',
  'GET /ui*': 'the dashboard: its pages and bundle (static files), or a 503 saying it is not built',
};
const excused = (route: string, rule: string): boolean =>
  rule.endsWith('*') ? route.startsWith(rule.slice(0, -1)) : route === rule;

let f: FakeApp;
beforeAll(async () => {
  f = await makeFakeApp();
});
afterAll(async () => {
  await f?.app.close();
});

/**
 * `METHOD /path` for every route in Fastify's route tree (`printRoutes()`: one node a line, four
 * columns of indent a level, a node's text appended to its parent's path; nodes without methods
 * are shared prefixes). Not `commonPrefix: false`: it flattens a one-child chain and prints a
 * wildcard sibling under the wrong parent (`/ui/*` beside `/ui/config.json` came out as `/*`).
 * HEAD is left out: Fastify adds it to every GET. (A wildcard child is printed without the `/`
 * before it, so `/ui/*` reads as `/ui*`; the prefix rules above cover both.)
 */
function servedRoutes(tree: string): string[] {
  const out: string[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([│ ]*)(?:├── |└── )(.*?)(?: \(([A-Z, ]+)\))?$/u.exec(line);
    if (!m) continue;
    const depth = [...m[1]!].length / 4;
    stack.length = depth;
    const path = (stack[depth - 1] ?? '') + m[2]!;
    stack[depth] = path;
    // a node without methods is a shared prefix (`ui/` above `config.json` and `*`)
    for (const method of m[3]?.split(', ') ?? []) if (method !== 'HEAD') out.push(`${method} ${path}`);
  }
  return out;
}

/** `METHOD /path` for every operation of the OpenAPI document, in Fastify's `:param` form. */
function documentedOperations(): string[] {
  const doc = f.app.swagger() as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
  );
}

/** `METHOD /path` for every route docs/api-v1.md names (`GET /v1/x`, `GET/DELETE /v1/x/{id}`). */
function routesInDocs(): Set<string> {
  const md = readFileSync(resolve(repo, 'docs/api-v1.md'), 'utf8');
  const seen = new Set<string>();
  for (const m of md.matchAll(
    /\b((?:GET|POST|PUT|PATCH|DELETE)(?:\/(?:GET|POST|PUT|PATCH|DELETE))*) (\/[^\s`|,)]*)/g,
  ))
    for (const method of m[1]!.split('/')) seen.add(`${method} ${m[2]!.replace(/\{(\w+)\}/g, ':$1')}`);
  return seen;
}

describe('route inventory', () => {
  test('every route the server answers on is in the OpenAPI document or named here with a reason', () => {
    const served = servedRoutes(f.app.printRoutes());
    expect(served.length).toBeGreaterThan(30);
    const documented = new Set(documentedOperations());
    const rules = Object.keys(NOT_IN_DOCUMENT);
    const shadow = served.filter((r) => !documented.has(r) && !rules.some((rule) => excused(r, rule)));
    expect(shadow, 'routes served but in neither the OpenAPI document nor NOT_IN_DOCUMENT').toEqual([]);
    // and the exceptions are real routes, so the list cannot outlive what it excuses
    for (const rule of rules)
      expect(
        served.some((r) => excused(r, rule)),
        rule,
      ).toBe(true);
    // the reader saw every documented operation (so it did not skip part of the tree), and the
    // document has nothing the server does not serve
    for (const op of documented) {
      expect(served, op).toContain(op);
      const [method, url] = op.split(' ') as [string, string];
      expect(f.app.hasRoute({ method: method as 'GET', url }), op).toBe(true);
    }
  });

  test('docs/api-v1.md lists every operation of the OpenAPI document, and no /v1 route that does not exist', () => {
    const inDocs = routesInDocs();
    const ops = documentedOperations();
    expect(
      ops.filter((op) => !inDocs.has(op)),
      'operations missing from docs/api-v1.md',
    ).toEqual([]);
    const extra = [...inDocs].filter((r) => r.includes(' /v1/') && !ops.includes(r));
    expect(extra, 'routes docs/api-v1.md lists that the service does not have').toEqual([]);
  });

  test('the route-tree reader sees nested and parameterised routes', () => {
    const tree = [
      '└── / (GET, HEAD)',
      '    ├── v1/jobs (POST, GET, HEAD)',
      '    │   └── /:id (GET, HEAD, DELETE)',
      '    │       └── /cancel (POST)',
      '    └── healthz (GET, HEAD)',
    ].join('\n');
    expect(servedRoutes(tree)).toEqual([
      'GET /',
      'POST /v1/jobs',
      'GET /v1/jobs',
      'GET /v1/jobs/:id',
      'DELETE /v1/jobs/:id',
      'POST /v1/jobs/:id/cancel',
      'GET /healthz',
    ]);
  });
});
