#!/usr/bin/env node
/*
 * Make sure dist/ holds the compiled service and is not older than its sources: `npm start`,
 * `start:api` and `start:worker` run compiled JavaScript (no TypeScript transpiled at run time), and
 * run this first. Compiles (tsc -p tsconfig.build.json) when dist/ is missing or any file under
 * src/ or workers/ is newer than it; bundles the dashboard (scripts/build-ui.mjs → dist/ui) when
 * that is missing or ui/ or examples/ is newer; otherwise returns at once. npm ci's `prepare`
 * runs it too. `--force` always compiles and bundles (`npm run build`).
 */
/* global process */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const marker = join(root, 'dist', 'src', 'cli', 'start.js');
const say = (m) => process.stderr.write(`[descent build] ${m}\n`);

/** Newest modification time (ms) of the files under `dir`. */
function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

const sources = Math.max(
  newest(join(root, 'src')),
  newest(join(root, 'workers')),
  statSync(join(root, 'tsconfig.json')).mtimeMs,
  statSync(join(root, 'tsconfig.build.json')).mtimeMs,
);
const force = process.argv.includes('--force');

// The dashboard bundle: its own staleness, its own builder (esbuild).
const uiMarker = join(root, 'dist', 'ui', 'main.js');
const uiSources = Math.max(newest(join(root, 'ui')), newest(join(root, 'examples')));
if (force || !existsSync(uiMarker) || statSync(uiMarker).mtimeMs < uiSources) {
  say('bundling the dashboard to dist/ui');
  const ui = spawnSync(process.execPath, [join(root, 'scripts', 'build-ui.mjs')], { stdio: 'inherit' });
  if (ui.status !== 0) say('the dashboard was not built; the API serves without it (/ui/ says how to build it)');
}

if (!force && existsSync(marker) && statSync(marker).mtimeMs >= sources) process.exit(0);

let tsc;
try {
  tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
} catch {
  say(
    existsSync(marker)
      ? 'dist/ is older than src/ and TypeScript is not installed (npm ci --omit=dev?): run `npm ci && npm run build`.'
      : 'dist/ is missing and TypeScript is not installed (npm ci --omit=dev?): run `npm ci && npm run build`.',
  );
  process.exit(1);
}
say(existsSync(marker) && !force ? 'sources changed: compiling to dist/' : 'compiling to dist/');
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
process.exit(r.status ?? 1);
