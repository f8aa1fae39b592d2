#!/usr/bin/env node
/*
 * Bundle the dashboard (ui/) into dist/ui: main.js and main.css by esbuild (uPlot included), and
 * index.html copied, and a config.json saying the API is on the page's own origin. Run by scripts/ensure-built.mjs (so `npm run build`, `npm ci` and
 * `npm start` all produce it) and by the browser tests. Not committed: dist/ is built output.
 */
/* global process */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'ui');

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  process.stderr.write('[descent build] esbuild is not installed (npm ci --omit=dev?): the dashboard is not built.\n');
  process.exit(1);
}
mkdirSync(out, { recursive: true });
await esbuild.build({
  absWorkingDir: root,
  entryPoints: ['ui/src/main.ts'],
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  outdir: out,
  entryNames: 'main',
  logLevel: 'warning',
  legalComments: 'linked',
});
copyFileSync(join(root, 'ui', 'index.html'), join(out, 'index.html'));
// Where the page finds the API: '' = its own origin. Descent serves its own /ui/config.json (from
// DESCENT_DASHBOARD_API_URL); this file is for dist/ui hosted elsewhere: edit apiBase there.
writeFileSync(join(out, 'config.json'), `${JSON.stringify({ apiBase: '' })}\n`);
