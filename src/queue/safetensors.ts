import { createHash } from 'node:crypto';
import type { NamedWeights } from '../tensor/dtype.js';

const DTYPES = { F32: 4, F64: 8, I64: 8 } as const;
type StDtype = keyof typeof DTYPES;

/**
 * Encode weights as a safetensors file: an 8-byte little-endian header length, a JSON header
 * `{ name: { dtype, shape, data_offsets: [begin, end] }, __metadata__ }` padded with spaces to a
 * multiple of 8 bytes, then the tensors' little-endian bytes back to back, in insertion order.
 * (Spec: https://github.com/huggingface/safetensors#format.)
 */
export function encodeSafetensors(weights: NamedWeights, metadata: Record<string, string> = {}): Buffer {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  // Integer buffers (num_batches_tracked) are int64 in torch's state_dict: stored as I64 so that
  // load_state_dict takes them as they are.
  const raw = Object.values(weights).map((t) =>
    t.integer ? new Uint8Array(BigInt64Array.from(t.data, (v) => BigInt(Math.round(v))).buffer) : t.data,
  );
  let k = 0;
  for (const [name, t] of Object.entries(weights)) {
    const dtype: StDtype = t.integer ? 'I64' : t.data instanceof Float64Array ? 'F64' : 'F32';
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length)
      throw new Error(`weights ${name}: shape [${t.shape}] holds ${n} values, data has ${t.data.length}`);
    const bytes = raw[k++].byteLength;
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  const pad = (8 - (Buffer.byteLength(json) % 8)) % 8;
  json += ' '.repeat(pad);
  const headerBytes = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let pos = 8 + headerBytes.length;
  for (const r of raw) {
    // Typed arrays are little-endian on every platform Node runs on; copy the raw bytes.
    const src = Buffer.from(r.buffer, r.byteOffset, r.byteLength);
    src.copy(out, pos);
    pos += r.byteLength;
  }
  return out;
}

/** Parsed safetensors header entry. */
export interface SafetensorsEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** Decode a safetensors file produced by {@link encodeSafetensors} (F32, F64, I64), validating offsets. */
export function decodeSafetensors(buf: Buffer): { weights: NamedWeights; metadata: Record<string, string> } {
  if (buf.length < 8) throw new Error('safetensors: file shorter than its header length');
  const n = Number(buf.readBigUInt64LE(0));
  if (8 + n > buf.length) throw new Error('safetensors: header length past end of file');
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<
    string,
    SafetensorsEntry | Record<string, string>
  >;
  const base = 8 + n;
  const weights: NamedWeights = {};
  let metadata: Record<string, string> = {};
  for (const [name, e] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = e as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets } = e as SafetensorsEntry;
    const size = DTYPES[dtype as StDtype];
    if (!size) throw new Error(`safetensors: unsupported dtype ${dtype} for ${name}`);
    const [b, end] = data_offsets;
    const count = shape.reduce((a, c) => a * c, 1);
    if (end - b !== count * size || base + end > buf.length)
      throw new Error(`safetensors: bad offsets for ${name}`);
    // Copy into a fresh aligned buffer: the source offset need not be a multiple of 8.
    const bytes = new Uint8Array(end - b);
    bytes.set(buf.subarray(base + b, base + end));
    weights[name] =
      dtype === 'I64'
        ? { shape, data: Float64Array.from(new BigInt64Array(bytes.buffer), Number), integer: true }
        : { shape, data: dtype === 'F64' ? new Float64Array(bytes.buffer) : new Float32Array(bytes.buffer) };
  }
  return { weights, metadata };
}

/** Hex sha256 of bytes: the weights' ETag and integrity check. */
export function sha256Hex(b: Buffer | string): string {
  return createHash('sha256').update(b).digest('hex');
}

/** Reshape a flat row-major array into nested arrays (the `init.weights` layout). */
export function nest(data: ArrayLike<number>, shape: readonly number[]): unknown {
  if (shape.length === 0) return data[0];
  const rec = (offset: number, dim: number): unknown => {
    const len = shape[dim];
    if (dim === shape.length - 1) return Array.from({ length: len }, (_, i) => data[offset + i]);
    const stride = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
    return Array.from({ length: len }, (_, i) => rec(offset + i * stride, dim + 1));
  };
  return rec(0, 0);
}
