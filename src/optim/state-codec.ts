/**
 * Exact JSON encoding of optimizer state (and of any plain data made of numbers, booleans, strings,
 * nulls, arrays, objects and Float32/Float64 arrays).
 *
 * Typed arrays become `{ "$typed": "float64" | "float32", "base64": … }` holding their little-endian
 * bytes, so a decoded state continues bit-identically. Numbers JSON cannot hold (NaN, ±Infinity, −0)
 * become `{ "$number": "NaN" | "Infinity" | "-Infinity" | "-0" }`.
 */
import type { FloatArray } from './types.js';

export type JsonSafe = null | boolean | number | string | JsonSafe[] | { [key: string]: JsonSafe };

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function bytesOf(a: FloatArray): Buffer {
  const copy = Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  if (LITTLE_ENDIAN) return copy;
  const out = Buffer.from(copy);
  if (a instanceof Float64Array) out.swap64();
  else out.swap32();
  return out;
}

function encodeNumber(x: number): JsonSafe {
  if (Number.isNaN(x)) return { $number: 'NaN' };
  if (x === Infinity) return { $number: 'Infinity' };
  if (x === -Infinity) return { $number: '-Infinity' };
  if (x === 0 && 1 / x < 0) return { $number: '-0' };
  return x;
}

/** Encode state to a JSON-safe value (a deep copy; the input is not retained). */
export function encodeOptimState(state: unknown): JsonSafe {
  if (state === null || state === undefined) return null;
  if (typeof state === 'number') return encodeNumber(state);
  if (typeof state === 'boolean' || typeof state === 'string') return state;
  if (state instanceof Float64Array || state instanceof Float32Array) {
    return {
      $typed: state instanceof Float64Array ? 'float64' : 'float32',
      base64: bytesOf(state).toString('base64'),
    };
  }
  if (Array.isArray(state)) return state.map(encodeOptimState);
  if (ArrayBuffer.isView(state))
    throw new Error(`encodeOptimState: unsupported typed array ${state.constructor.name}`);
  if (typeof state === 'object') {
    const out: { [key: string]: JsonSafe } = {};
    for (const [k, v] of Object.entries(state as Record<string, unknown>)) out[k] = encodeOptimState(v);
    return out;
  }
  throw new Error(`encodeOptimState: cannot encode a ${typeof state}`);
}

/** Inverse of {@link encodeOptimState}. Typed arrays are fresh, aligned copies. */
export function decodeOptimState<S = unknown>(obj: JsonSafe): S {
  return decode(obj) as S;
}

function decode(obj: JsonSafe): unknown {
  if (obj === null || typeof obj !== 'object') return obj;
  if (Array.isArray(obj)) return obj.map(decode);
  if (typeof obj.$typed === 'string' && typeof obj.base64 === 'string') {
    const bytes = Buffer.from(obj.base64, 'base64');
    const is64 = obj.$typed === 'float64';
    if (!is64 && obj.$typed !== 'float32')
      throw new Error(`decodeOptimState: unknown typed array "${obj.$typed}"`);
    const width = is64 ? 8 : 4;
    if (bytes.length % width !== 0)
      throw new Error('decodeOptimState: typed array byte length is not a multiple of its width');
    if (!LITTLE_ENDIAN) {
      if (is64) bytes.swap64();
      else bytes.swap32();
    }
    const ab = new ArrayBuffer(bytes.length);
    new Uint8Array(ab).set(bytes);
    return is64 ? new Float64Array(ab) : new Float32Array(ab);
  }
  if (typeof obj.$number === 'string' && Object.keys(obj).length === 1) {
    const map: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity, '-0': -0 };
    if (!(obj.$number in map)) throw new Error(`decodeOptimState: unknown number "${obj.$number}"`);
    return map[obj.$number];
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) out[k] = decode(v);
  return out;
}
