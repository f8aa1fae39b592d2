/**
 * One of each (issue 9, point 5): the activation formulas, `NamedWeights`, `Dataset` and `dot` are
 * defined once in src/ and workers/, and everything else imports them. A second copy is how two
 * of them drifted apart (relu(NaN) was 0 in one of three activation copies), so a new one fails here.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}
const files = [...sources(join(root, 'src')), ...sources(join(root, 'workers'))].map((p) => ({
  path: relative(root, p),
  text: readFileSync(p, 'utf8'),
}));
const where = (re: RegExp) => files.filter((f) => re.test(f.text)).map((f) => f.path);

describe('one of each in src/ and workers/', () => {
  it('one activation table: the activation formulas live in src/tensor/ops/activations.ts', () => {
    // gelu's Φ and elu's expm1 are the formulas a copy of the table cannot do without.
    expect(where(/\berfScalar\(\w+(\[i\])? \* Math\.SQRT1_2\)/)).toEqual(['src/tensor/ops/activations.ts']);
    expect(where(/Math\.expm1\(/)).toEqual(['src/tensor/ops/activations.ts']);
    // its loops, one per activation; and the ONNX export's map from activation names to ONNX operators
    expect(where(/case 'leaky_relu':/)).toEqual(['src/export/onnx-layers.ts', 'src/train/fused-dense.ts']);
  });

  it('one NamedWeights type', () => {
    expect(where(/\btype NamedWeights\s*=|\binterface NamedWeights\b/)).toEqual(['src/tensor/dtype.ts']);
  });

  it('one Dataset type', () => {
    expect(where(/\binterface \w*Dataset\s*\{[^}]*\bx: Float64Array/)).toEqual(['src/data/types.ts']);
  });

  it('one dot', () => {
    expect(where(/\bfunction dot\s*\(/)).toEqual(['src/optim/linalg.ts']);
  });
});
