import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  KERNELS_RELAXED_WASM_BASE64,
  KERNELS_WASM_BASE64,
} from '../../../src/tensor/kernels/wasm/module.generated.js';

const root = join(import.meta.dirname, '../../..');
const dir = join(root, 'src/tensor/kernels/wasm');
const committed = join(dir, 'kernels.wasm');
const committedRelaxed = join(dir, 'kernels-relaxed.wasm');

function hasToolchain(): boolean {
  try {
    execFileSync('clang', ['--version'], { stdio: 'ignore' });
    execFileSync('wasm-ld', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('the committed kernels.wasm and kernels-relaxed.wasm', () => {
  it('is what module.generated.ts embeds', () => {
    expect(Buffer.from(KERNELS_WASM_BASE64, 'base64').equals(readFileSync(committed))).toBe(true);
    expect(Buffer.from(KERNELS_RELAXED_WASM_BASE64, 'base64').equals(readFileSync(committedRelaxed))).toBe(
      true,
    );
  });

  it.skipIf(!hasToolchain())('is reproduced byte for byte by scripts/build-wasm.sh from kernels.c', () => {
    const out = mkdtempSync(join(tmpdir(), 'descent-wasm-'));
    try {
      execFileSync('bash', [join(root, 'scripts/build-wasm.sh'), out], { stdio: 'ignore' });
      expect(readFileSync(join(out, 'kernels.wasm')).equals(readFileSync(committed))).toBe(true);
      expect(readFileSync(join(out, 'kernels-relaxed.wasm')).equals(readFileSync(committedRelaxed))).toBe(
        true,
      );
      expect(readFileSync(join(out, 'module.generated.ts'), 'utf8')).toBe(
        readFileSync(join(root, 'src/tensor/kernels/wasm/module.generated.ts'), 'utf8'),
      );
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
