import { afterEach, describe, expect, it } from 'vitest';
import { kernels, setKernels } from '../../../src/tensor/kernels/active.js';
import { referenceKernels } from '../../../src/tensor/kernels/reference.js';
import {
  availableBackends,
  loadBackend,
  selectKernels,
  useFastestKernels,
} from '../../../src/tensor/kernels/select.js';

const original = kernels();
afterEach(() => {
  setKernels(original);
});

describe('backend selection', () => {
  it('always has typescript and wasm here; picks the fastest available by default', () => {
    const avail = availableBackends();
    expect(avail).toContain('typescript');
    expect(avail).toContain('wasm');
    expect(selectKernels('').name).toBe(avail[0]);
    expect(selectKernels(undefined).name).toBe(process.env.DESCENT_KERNELS || avail[0]);
  });

  it('DESCENT_KERNELS forces one backend', () => {
    expect(selectKernels('typescript')).toBe(referenceKernels);
    expect(selectKernels('wasm').name).toBe('wasm');
    expect(() => selectKernels('cuda')).toThrow(/DESCENT_KERNELS/);
    if (loadBackend('native') === null) expect(() => selectKernels('native')).toThrow(/not available/);
  });

  it('useFastestKernels installs the choice process-wide', () => {
    const k = useFastestKernels('wasm');
    expect(kernels()).toBe(k);
    expect(k.name).toBe('wasm');
  });
});
