import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { adamUpdate, type AdamHyper, type AdamState } from '../../../src/optim/adam.js';
import { stepSgd, type SgdHyper, type SgdState } from '../../../src/optim/sgd.js';
import { createNativeKernels } from '../../../src/tensor/kernels/native/index.js';
import type { OptimizerKernels } from '../../../src/tensor/kernels/wasm/index.js';
import { createWasmKernels } from '../../../src/tensor/kernels/wasm/index.js';
import { referenceKernels as ref } from '../../../src/tensor/kernels/reference.js';
import type { FloatArray } from '../../../src/tensor/kernels/types.js';
import { dtypeArb, fill } from './oracle.js';

// Thresholds 0: every call reaches the C / wasm code, however small.
const native = createNativeKernels(ref, { minElements: 0 });
const wasm = createWasmKernels(ref, { optimMin: 0 });
const backends: Array<[string, OptimizerKernels]> = [];
if (native) backends.push(['native', native]);
if (wasm) backends.push(['wasm', wasm]);

/** Bit-for-bit equality (NaN equal to NaN), with the first differing index in the message. */
function expectSameBits(got: FloatArray, want: FloatArray, what: string): void {
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) throw new Error(`${what}[${i}]: got ${got[i]}, want ${want[i]}`);
  }
}

const seedArb = fc.integer({ min: 1, max: 1e9 });
const lenArb = fc.oneof(fc.constantFrom(1, 3, 17, 256, 1000), fc.integer({ min: 1, max: 600 }));

describe.each(backends)('%s optimizer updates are bit-identical to src/optim', (_name, kern) => {
  it('Adam and AdamW: every flag combination, several steps, both dtypes', () => {
    fc.assert(
      fc.property(
        lenArb,
        dtypeArb,
        seedArb,
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom(0, 1e-2, 0.5),
        fc.constantFrom(1e-3, 0.1),
        fc.constantFrom<[number, number]>([0.9, 0.999], [0.5, 0.9]),
        (n, dtype, seed, decoupled, amsgrad, maximize, weightDecay, lr, betas) => {
          const hp: AdamHyper = { lr, betas, eps: 1e-8, weightDecay, amsgrad, maximize };
          const p0 = fill(seed, n, dtype, 'edge');
          const want = {
            p: p0.slice(),
            state: {
              step: [0],
              expAvg: [p0.map(() => 0)],
              expAvgSq: [p0.map(() => 0)],
              maxExpAvgSq: [amsgrad ? p0.map(() => 0) : null],
            } as AdamState,
          };
          const got = {
            p: p0.slice(),
            m: p0.map(() => 0),
            v: p0.map(() => 0),
            vmax: amsgrad ? p0.map(() => 0) : null,
            t: 0,
          };
          for (let s = 0; s < 3; s++) {
            const g = fill(seed + 10 + s, n, dtype, 'edge');
            adamUpdate([want.p], [g], want.state, hp, { lr }, decoupled);
            const t = ++got.t;
            const ok = kern.adamUpdate(got.p, g, got.m, got.v, got.vmax, {
              beta1: betas[0],
              beta2: betas[1],
              eps: hp.eps,
              l2: decoupled ? 0 : weightDecay,
              decay: decoupled ? 1 - lr * weightDecay : 1,
              applyDecay: decoupled && weightDecay !== 0,
              stepSize: lr / (1 - betas[0] ** t),
              bc2Sqrt: Math.sqrt(1 - betas[1] ** t),
              amsgrad,
              maximize,
            });
            expect(ok).toBe(true);
          }
          expectSameBits(got.p, want.p, 'p');
          expectSameBits(got.m, want.state.expAvg[0], 'm');
          expectSameBits(got.v, want.state.expAvgSq[0], 'v');
          if (amsgrad) expectSameBits(got.vmax!, want.state.maxExpAvgSq[0]!, 'vmax');
        },
      ),
      { numRuns: 120, seed: 2024 },
    );
  });

  it('SGD: plain, momentum, dampening, Nesterov, weight decay, maximize, both dtypes', () => {
    fc.assert(
      fc.property(
        lenArb,
        dtypeArb,
        seedArb,
        fc.constantFrom(0, 0.9),
        fc.constantFrom(0, 0.3),
        fc.boolean(),
        fc.constantFrom(0, 1e-3),
        fc.boolean(),
        (n, dtype, seed, momentum, dampening0, nesterov0, weightDecay, maximize) => {
          const nesterov = nesterov0 && momentum > 0;
          const dampening = nesterov ? 0 : dampening0;
          const hp: SgdHyper = { lr: 0.05, momentum, dampening, nesterov, weightDecay, maximize };
          const p0 = fill(seed, n, dtype, 'edge');
          const want = { p: p0.slice(), state: { step: [0], momentumBuffer: [null] } as SgdState };
          const got = { p: p0.slice(), buf: momentum > 0 ? p0.map(() => 0) : null };
          for (let s = 0; s < 3; s++) {
            const g = fill(seed + 20 + s, n, dtype, 'edge');
            stepSgd([want.p], [g], want.state, hp, { lr: hp.lr });
            const ok = kern.sgdUpdate(got.p, g, got.buf, {
              lr: hp.lr,
              momentum,
              dampening,
              weightDecay,
              nesterov,
              maximize,
              first: s === 0,
            });
            expect(ok).toBe(true);
          }
          expectSameBits(got.p, want.p, 'p');
          if (got.buf) expectSameBits(got.buf, want.state.momentumBuffer[0]!, 'buf');
        },
      ),
      { numRuns: 120, seed: 2025 },
    );
  });

  it('declines (returns false, touches nothing) below the size threshold and for mixed element types', () => {
    const k = _name === 'native' ? createNativeKernels(ref)! : createWasmKernels(ref)!;
    const p = new Float32Array(10).fill(1);
    const args = {
      lr: 0.1,
      momentum: 0,
      dampening: 0,
      weightDecay: 0,
      nesterov: false,
      maximize: false,
      first: true,
    };
    expect(k.sgdUpdate(p, new Float32Array(10).fill(1), null, args)).toBe(false);
    expect(p[0]).toBe(1);
    const big = new Float32Array(1000).fill(1);
    expect(k.sgdUpdate(big, new Float64Array(1000) as unknown as Float32Array, null, args)).toBe(false);
    expect(big[0]).toBe(1);
  });
});
