/**
 * An independent safetensors reader for tests (not the service's codec): checks the 8-byte
 * little-endian header length, the JSON header, dtypes, shapes, contiguous non-overlapping
 * offsets that cover the data exactly, and returns the values.
 */
export interface ParsedTensor {
  /** I64: an integer buffer (torch's num_batches_tracked). */
  dtype: 'F32' | 'F64' | 'I64';
  shape: number[];
  offsets: [number, number];
  /** I64 values as exact float64 numbers; the raw bytes are in `bytes`. */
  values: Float32Array | Float64Array;
  bytes: Uint8Array;
}

export function parseSafetensors(buf: Buffer): {
  tensors: Record<string, ParsedTensor>;
  metadata: Record<string, string>;
  headerLength: number;
} {
  if (buf.length < 8) throw new Error('too short');
  const n = Number(buf.readBigUInt64LE(0));
  if (n <= 0 || 8 + n > buf.length) throw new Error(`bad header length ${n}`);
  const headerText = buf.subarray(8, 8 + n).toString('utf8');
  if (!headerText.startsWith('{')) throw new Error('header must start with {');
  const header = JSON.parse(headerText) as Record<string, unknown>;
  const dataLen = buf.length - 8 - n;
  const tensors: Record<string, ParsedTensor> = {};
  let metadata: Record<string, string> = {};
  const spans: [number, number, string][] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = raw as Record<string, string>;
      for (const v of Object.values(metadata))
        if (typeof v !== 'string') throw new Error('metadata values must be strings');
      continue;
    }
    const e = raw as { dtype: string; shape: number[]; data_offsets: [number, number] };
    if (e.dtype !== 'F32' && e.dtype !== 'F64' && e.dtype !== 'I64')
      throw new Error(`${name}: unexpected dtype ${e.dtype}`);
    if (!Array.isArray(e.shape) || e.shape.some((d) => !Number.isInteger(d) || d < 0))
      throw new Error(`${name}: bad shape`);
    const [b, end] = e.data_offsets;
    const size = e.dtype === 'F32' ? 4 : 8;
    const count = e.shape.reduce((a, c) => a * c, 1);
    if (end - b !== count * size)
      throw new Error(`${name}: offsets span ${end - b} bytes, shape needs ${count * size}`);
    if (b < 0 || end > dataLen) throw new Error(`${name}: offsets outside the data`);
    spans.push([b, end, name]);
    const bytes = Uint8Array.from(buf.subarray(8 + n + b, 8 + n + end));
    tensors[name] = {
      dtype: e.dtype,
      shape: e.shape,
      offsets: [b, end],
      values:
        e.dtype === 'F32'
          ? new Float32Array(bytes.buffer)
          : e.dtype === 'F64'
            ? new Float64Array(bytes.buffer)
            : Float64Array.from(new BigInt64Array(bytes.buffer.slice(0)), Number),
      bytes,
    };
  }
  spans.sort((a, b) => a[0] - b[0]);
  let pos = 0;
  for (const [b, end, name] of spans) {
    if (b !== pos) throw new Error(`${name}: gap or overlap at byte ${pos}`);
    pos = end;
  }
  if (pos !== dataLen) throw new Error(`data section has ${dataLen} bytes, tensors cover ${pos}`);
  return { tensors, metadata, headerLength: n };
}
