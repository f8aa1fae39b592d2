import { describe, expect, it } from 'vitest';
import { decodeOptimState, encodeOptimState } from '../../../src/optim/index.js';

const roundTrip = <T>(x: T): T => decodeOptimState<T>(JSON.parse(JSON.stringify(encodeOptimState(x))));

describe('encodeOptimState / decodeOptimState', () => {
  it('keeps typed arrays exact, with their dtype', () => {
    const f64 = Float64Array.of(Math.PI, -0, 5e-324, 1.7976931348623157e308, NaN, Infinity, 0.1 + 0.2);
    const f32 = Float32Array.of(Math.fround(0.1), -3.4e38, 1e-45);
    const out = roundTrip({ a: f64, b: [f32, null] });
    expect(out.a).toBeInstanceOf(Float64Array);
    expect(out.b[0]).toBeInstanceOf(Float32Array);
    expect(new Uint8Array(out.a.buffer)).toEqual(new Uint8Array(f64.buffer));
    expect(new Uint8Array(out.b[0]!.buffer)).toEqual(new Uint8Array(f32.buffer));
    expect(out.b[1]).toBeNull();
  });

  it('encodes views (subarrays) by their own bytes only', () => {
    const big = Float64Array.of(1, 2, 3, 4);
    const out = roundTrip(big.subarray(1, 3));
    expect(Array.from(out)).toEqual([2, 3]);
  });

  it('keeps numbers JSON cannot hold', () => {
    const out = roundTrip({ n: [NaN, Infinity, -Infinity, -0, 0, 1.5] });
    expect(out.n[0]).toBeNaN();
    expect(out.n.slice(1, 3)).toEqual([Infinity, -Infinity]);
    expect(Object.is(out.n[3], -0)).toBe(true);
    expect(Object.is(out.n[4], 0)).toBe(true);
    expect(out.n[5]).toBe(1.5);
  });

  it('produces JSON-safe output and copies (no aliasing)', () => {
    const a = Float64Array.of(1, 2);
    const enc = encodeOptimState({ a, flag: true, name: 'x' });
    expect(JSON.parse(JSON.stringify(enc))).toEqual(enc);
    const dec = decodeOptimState<{ a: Float64Array }>(enc);
    dec.a[0] = 99;
    expect(a[0]).toBe(1);
  });

  it('rejects what it cannot encode or decode', () => {
    expect(() => encodeOptimState(Int32Array.of(1))).toThrow(/unsupported typed array/);
    expect(() => encodeOptimState(() => 1)).toThrow(/cannot encode/);
    expect(() => decodeOptimState({ $typed: 'int8', base64: '' })).toThrow(/unknown typed array/);
  });
});
