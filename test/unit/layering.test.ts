/**
 * The layer check (`npm run lint:layers`, dependency-cruiser with .dependency-cruiser.cjs) fails on
 * a deliberate violation. Each case writes a tiny tree under a temporary folder, laid out like ours
 * (src/rng, src/api, …), and runs the real config over it from there, so the repo itself is never
 * touched while other tests run.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../..');
const bin = join(repo, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
const config = join(repo, '.dependency-cruiser.cjs');

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Writes `files` (path → source) into a fresh fixture tree and runs the layer check on its src/. */
function cruise(files: Record<string, string>): { status: number | null; out: string } {
  dir = mkdtempSync(join(tmpdir(), 'descent-layers-'));
  const all: Record<string, string> = {
    'package.json': '{ "name": "fixture", "type": "module", "private": true }',
    'tsconfig.json': JSON.stringify({
      compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true },
      include: ['src'],
    }),
    ...files,
  };
  for (const [path, text] of Object.entries(all)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const r = spawnSync(process.execPath, [bin, 'src', '--config', config, '--output-type', 'err'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 50_000,
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('layer check', () => {
  it('passes a tree that keeps the layers (the elementwise ↔ reduce pair included)', () => {
    const r = cruise({
      'node_modules/zod/package.json': '{ "name": "zod", "version": "4.0.0", "main": "index.js" }',
      'node_modules/zod/index.js': 'export const z = 1;\n',
      'src/contracts/job.ts': "import 'zod';\nexport const y = 1;\n",
      'src/rng/rng.ts': 'export class Rng {}\n',
      'src/data/split.ts': "import { Rng } from '../rng/rng.js';\nexport const r = new Rng();\n",
      'src/models/init.ts': "import type { Rng } from '../rng/rng.js';\nexport type R = Rng;\n",
      'src/data/types.ts': 'export type Dataset = { rows: number };\n',
      'src/queue/dataset-store.ts':
        "import type { Dataset } from '../data/types.js';\nexport type D = Dataset;\n",
      'src/tensor/ops/elementwise.ts': "import { b } from './reduce.js';\nexport const a = () => b;\n",
      'src/tensor/ops/reduce.ts': "import { a } from './elementwise.js';\nexport const b = () => a;\n",
    });
    expect(r.out).not.toMatch(/error/);
    expect(r.status).toBe(0);
  });

  it('fails, naming each one, on deliberate violations', () => {
    const r = cruise({
      'node_modules/zod/package.json': '{ "name": "zod", "version": "4.0.0", "main": "index.js" }',
      'node_modules/zod/index.js': 'export const z = 1;\n',
      'src/api/app.ts': 'export const app = 1;\n',
      'src/queue/keys.ts': 'export const k = 1;\n',
      'src/rng/rng.ts': 'export class Rng {}\n',
      // a layer reaching up
      'src/rng/__violation.ts': "import { app } from '../api/app.js';\nexport const x = app;\n",
      // train knows no Redis
      'src/train/__violation.ts': "import { k } from '../queue/keys.js';\nexport const x = k;\n",
      // models may name the Rng type, never make one
      'src/models/__violation.ts': "import { Rng } from '../rng/rng.js';\nexport const r = new Rng();\n",
      // queue names the types it stores, never runs src/data
      'src/data/split.ts': 'export const split = 1;\n',
      'src/queue/__violation.ts': "import { split } from '../data/split.js';\nexport const x = split;\n",
      // an engine layer importing an npm package
      'src/optim/__violation.ts': "import 'zod';\nexport const x = 1;\n",
      // a circle between two files
      'src/tensor/__cycle-a.ts': "import { d } from './__cycle-b.js';\nexport const c = () => d;\n",
      'src/tensor/__cycle-b.ts': "import { c } from './__cycle-a.js';\nexport const d = () => c;\n",
      // a circle through ops/elementwise and a file other than ops/reduce
      'src/tensor/ops/elementwise.ts': "import { t } from '../third.js';\nexport const a = () => t;\n",
      'src/tensor/third.ts': "import { a } from './ops/elementwise.js';\nexport const t = () => a;\n",
    });
    expect(r.out).toMatch(/error layer-rng: src\/rng\/__violation\.ts → src\/api\/app\.ts/);
    expect(r.out).toMatch(/error layer-train: src\/train\/__violation\.ts → src\/queue\/keys\.ts/);
    expect(r.out).toMatch(/error models-rng-type-only: src\/models\/__violation\.ts → src\/rng\/rng\.ts/);
    expect(r.out).toMatch(
      /error queue-stored-types-only: src\/queue\/__violation\.ts → src\/data\/split\.ts/,
    );
    expect(r.out).toMatch(/error pure-layers-no-packages: src\/optim\/__violation\.ts → node_modules\/zod/);
    expect(r.out).toMatch(/error no-circular: src\/tensor\/__cycle-a\.ts →\s+src\/tensor\/__cycle-b\.ts/);
    expect(r.out).toMatch(
      /error no-circular-elementwise: src\/tensor\/ops\/elementwise\.ts →\s+src\/tensor\/third\.ts/,
    );
    expect(r.status).not.toBe(0);
  });
});
