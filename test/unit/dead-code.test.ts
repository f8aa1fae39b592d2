/**
 * The dead-code check (`npm run lint:dead`, knip with knip.json) fails on a deliberate unused export
 * or file. Each case writes a tiny tree under a temporary folder, laid out like ours (src/cli entry
 * points, src/rng, src/contracts), copies the real knip.json into it and runs knip there, so the
 * repo itself is never touched while other tests run.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../..');
const bin = join(repo, 'node_modules/knip/bin/knip.js');

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** A tree that uses everything it exports: the entry point imports both modules. */
const CLEAN: Record<string, string> = {
  'src/cli/start.ts': [
    "import { seed } from '../rng/rng.js';",
    "import type { Spec } from '../contracts/spec.js';",
    'const s: Spec = { seed };',
    'console.log(s);',
    '',
  ].join('\n'),
  // `helper` is exported and used only in its own file: needlessly exported, not dead
  'src/rng/rng.ts': 'export const helper = 2;\nexport const seed = helper * 21;\n',
  // contract types are the schemas' type catalogue, kept whole (knip.json ignoreIssues)
  'src/contracts/spec.ts': 'export type Spec = { seed: number };\nexport type SpecList = Spec[];\n',
};

/** Writes `files` over the clean tree into a fresh fixture and runs knip with the repo's config. */
function knip(files: Record<string, string>): { status: number | null; out: string } {
  dir = mkdtempSync(join(tmpdir(), 'descent-knip-'));
  const all: Record<string, string> = {
    'package.json': '{ "name": "fixture", "type": "module", "private": true }',
    'tsconfig.json': JSON.stringify({
      compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true },
      include: ['src'],
    }),
    ...CLEAN,
    ...files,
  };
  for (const [path, text] of Object.entries(all)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  copyFileSync(join(repo, 'knip.json'), join(dir, 'knip.json'));
  const r = spawnSync(process.execPath, [bin, '--no-progress', '--no-config-hints'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 50_000,
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('dead-code check', () => {
  it('passes a tree with no dead code', () => {
    const r = knip({});
    expect(r.out).toBe('');
    expect(r.status).toBe(0);
  });

  it('fails, naming them, on an unused export and an unused file', () => {
    const r = knip({
      'src/rng/rng.ts':
        'export const seed = 42;\nexport function __unusedExport(): number {\n  return 1;\n}\n',
      'src/rng/__orphan.ts': 'export const nobody = 1;\n',
    });
    expect(r.out).toMatch(/Unused exports \(1\)\s+__unusedExport\s+function\s+src\/rng\/rng\.ts/);
    expect(r.out).toMatch(/Unused files \(1\)\s+src\/rng\/__orphan\.ts/);
    expect(r.status).not.toBe(0);
  });
});
