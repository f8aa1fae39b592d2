#!/usr/bin/env node
/*
 * Build the optional OpenBLAS addon native/build/descent_blas.node (Tier 2 kernels).
 * Needs a C compiler (cc/gcc/clang), Node's headers (node_api.h) and OpenBLAS (cblas.h + libopenblas).
 * When any is missing it prints why and exits 0: the wasm kernels are always there, so `npm ci` must never fail
 * for lack of this. `--strict` makes a failure exit 1 (for CI jobs that want the native tier).
 */
'use strict';
/* global process, require, __dirname */
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS install script: it must run before any build step */
const { execFileSync } = require('node:child_process');
const { existsSync, mkdirSync } = require('node:fs');
const { dirname, join } = require('node:path');

const root = join(__dirname, '..');
const strict = process.argv.includes('--strict');
const say = (m) => process.stderr.write(`[descent build-native] ${m}\n`);

function giveUp(why) {
  say(`skipped: ${why} (the WebAssembly kernels will be used)`);
  process.exit(strict ? 1 : 0);
}

if (process.env.DESCENT_SKIP_NATIVE === '1') giveUp('DESCENT_SKIP_NATIVE=1');
if (process.platform === 'win32') giveUp('not supported on Windows');

const has = (cmd) => {
  try {
    execFileSync(cmd, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const cc = [process.env.CC, 'cc', 'gcc', 'clang'].find((c) => c && has(c));
if (!cc) giveUp('no C compiler');

const nodeIncludes = [
  process.env.NODE_INCLUDE_DIR,
  join(dirname(process.execPath), '..', 'include', 'node'),
  '/usr/include/node',
  '/usr/local/include/node',
].filter(Boolean);
const nodeInc = nodeIncludes.find((d) => existsSync(join(d, 'node_api.h')));
if (!nodeInc) giveUp(`no node_api.h in ${nodeIncludes.join(', ')}`);

const blasIncludes = [
  '/usr/include/x86_64-linux-gnu',
  '/usr/include/aarch64-linux-gnu',
  '/usr/include/openblas',
  '/usr/include',
  '/usr/local/include',
  '/opt/homebrew/opt/openblas/include',
];
const blasInc = blasIncludes.find((d) => existsSync(join(d, 'cblas.h')));
if (!blasInc) giveUp('no cblas.h (install libopenblas-dev)');

const out = join(root, 'native', 'build', 'descent_blas.node');
mkdirSync(dirname(out), { recursive: true });
const args = [
  '-O3',
  // The optimizer updates must give the same bits as the TypeScript loops: no fused multiply-add contraction.
  '-ffp-contract=off',
  // sqrt without errno, so the Adam loops vectorize (results are the same: IEEE sqrt either way).
  '-fno-math-errno',
  '-fPIC',
  '-shared',
  '-std=c11',
  '-Wall',
  `-I${nodeInc}`,
  `-I${blasInc}`,
  '-DNODE_GYP_MODULE_NAME=descent_blas',
  '-DNAPI_VERSION=8',
  join(root, 'native', 'descent_blas.c'),
  '-o',
  out,
  '-lopenblas',
  '-lm',
];
if (process.platform === 'darwin')
  args.push('-undefined', 'dynamic_lookup', '-L/opt/homebrew/opt/openblas/lib');
try {
  execFileSync(cc, args, { stdio: ['ignore', 'inherit', 'inherit'] });
} catch {
  // target_clones needs ifunc support (glibc); retry without the per-ISA clones before giving up.
  try {
    say('retrying without target_clones');
    execFileSync(cc, [...args, '-DNO_CLONES'], { stdio: ['ignore', 'inherit', 'inherit'] });
  } catch {
    giveUp(`${cc} failed (is libopenblas installed?)`);
  }
}
// Load it once here so a broken build is caught at install time, not at the first job.
try {
  const addon = require(out);
  say(`built ${out} (OpenBLAS ${String(addon.config()).trim()})`);
} catch (e) {
  giveUp(`built but failed to load: ${e.message}`);
}
