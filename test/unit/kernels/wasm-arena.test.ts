import { describe, expect, it } from 'vitest';
import { referenceKernels as ref } from '../../../src/tensor/kernels/reference.js';
import { createWasmKernels, wasmRuntime } from '../../../src/tensor/kernels/wasm/index.js';

const wasm = createWasmKernels(ref)!;
const rt = wasmRuntime()!;

describe('wasm arena (allocate / scope)', () => {
  it('outside a scope allocate gives ordinary zeroed JS arrays', () => {
    const a = wasm.allocate('float32', 100);
    expect(a).toBeInstanceOf(Float32Array);
    expect(rt.owns(a)).toBe(false);
    expect(a.every((v) => v === 0)).toBe(true);
  });

  it('inside a scope arrays live in wasm memory, start zeroed, and the space is reused by the next scope', () => {
    let first = -1;
    wasm.scope(() => {
      const a = wasm.allocate('float64', 1000);
      expect(rt.owns(a)).toBe(true);
      expect(a.every((v) => v === 0)).toBe(true);
      a.fill(7);
      first = a.byteOffset;
      const tiny = wasm.allocate('float32', 3); // below the arena minimum: plain array
      expect(rt.owns(tiny)).toBe(false);
    });
    wasm.scope(() => {
      const b = wasm.allocate('float64', 1000);
      expect(b.byteOffset).toBe(first);
      expect(b.every((v) => v === 0)).toBe(true); // re-zeroed on reuse
    });
  });

  it('scopes nest: the inner release keeps the outer arrays', () => {
    wasm.scope(() => {
      const outer = wasm.allocate('float32', 64);
      outer.fill(1);
      wasm.scope(() => {
        const inner = wasm.allocate('float32', 64);
        inner.fill(2);
        expect(inner.byteOffset).not.toBe(outer.byteOffset);
      });
      const again = wasm.allocate('float32', 64);
      expect(outer.every((v) => v === 1)).toBe(true);
      expect(again.every((v) => v === 0)).toBe(true);
    });
  });

  it('grows past a chunk and still multiplies in place (zero-copy)', () => {
    const before = wasm.copiedBytes;
    wasm.scope(() => {
      const big = wasm.allocate('float32', 3_000_000); // > one 8 MiB chunk
      expect(rt.owns(big)).toBe(true);
      const a = wasm.allocate('float32', 64 * 64).fill(1);
      const c = wasm.allocate('float32', 64 * 64);
      wasm.matmul(a, a, c, 64, 64, 64, false, false, false);
      expect(c[0]).toBe(64);
    });
    expect(wasm.copiedBytes).toBe(before);
  });

  it('releases the arena even when the body throws', () => {
    let off = -1;
    expect(() =>
      wasm.scope(() => {
        off = wasm.allocate('float32', 256).byteOffset;
        throw new Error('boom');
      }),
    ).toThrow('boom');
    wasm.scope(() => expect(wasm.allocate('float32', 256).byteOffset).toBe(off));
  });
});
