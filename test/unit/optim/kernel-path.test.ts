/**
 * The optimizers hand large arrays to the backend's update kernels (native/wasm) when they exist;
 * those must give exactly the bits of the TypeScript loops: trajectories under every available
 * backend are identical, f32 and f64, for every flag combination that changes the arithmetic.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createOptimizer, type OptimizerSpec } from '../../../src/optim/index.js';
import { createRng } from '../../../src/rng/rng.js';
import { referenceKernels, setKernels } from '../../../src/tensor/index.js';
import { availableBackends, loadBackend } from '../../../src/tensor/kernels/select.js';

const specs: OptimizerSpec[] = [
  { type: 'adam', lr: 0.01, weightDecay: 0.1, amsgrad: true, betas: [0.9, 0.5] },
  { type: 'adamw', lr: 0.01, weightDecay: 0.05, maximize: true },
  { type: 'sgd', lr: 0.1, momentum: 0.9, dampening: 0.2, weightDecay: 0.01 },
  { type: 'sgd', lr: 0.1, momentum: 0.9, nesterov: true },
  { type: 'sgd', lr: 0.1, weightDecay: 0.01, maximize: true },
];

function trajectory(spec: OptimizerSpec, f64: boolean): number[] {
  const rng = createRng(5);
  const make = (values: ArrayLike<number>) => (f64 ? Float64Array.from(values) : Float32Array.from(values));
  const p = [
    make(Array.from({ length: 5000 }, () => rng.normal())),
    make(Array.from({ length: 7 }, () => rng.normal())),
  ];
  const opt = createOptimizer(spec);
  const state = opt.init(p);
  for (let s = 0; s < 6; s++) {
    const g = p.map((a) => make(Array.from(a, (v) => Math.sin(v * (s + 1)) + 0.1 * rng.normal())));
    opt.step(p, g, state, { lr: opt.hp.lr * (1 - s / 10) });
  }
  return [...p[0], ...p[1]];
}

afterEach(() => {
  setKernels(referenceKernels);
});

describe('optimizer kernels are bit-identical to the TypeScript loops', () => {
  for (const backend of availableBackends().filter((b) => b !== 'typescript')) {
    for (const spec of specs) {
      for (const f64 of [false, true]) {
        it(`${backend}: ${JSON.stringify(spec)} ${f64 ? 'f64' : 'f32'}`, () => {
          setKernels(referenceKernels);
          const ref = trajectory(spec, f64);
          setKernels(loadBackend(backend)!);
          const got = trajectory(spec, f64);
          expect(got.every((v, i) => Object.is(v, ref[i]))).toBe(true);
        });
      }
    }
  }
});
