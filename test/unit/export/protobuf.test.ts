/**
 * The protobuf writer of the ONNX export (src/export/protobuf.ts) against the wire format's own
 * examples (protobuf.dev/programming-guides/encoding) and edge cases: varints of 0, 1, 127, 128,
 * 150, 2³¹, 2⁶³ and negative values (ten bytes, two's complement), fixed32 floats, strings,
 * nested messages, packed repeated ints; and a small decoder reading an encoded ONNX model back.
 */
import { describe, expect, test } from 'vitest';
import { ProtoWriter } from '../../../src/export/protobuf.js';
import { encodeModel } from '../../../src/export/onnx-proto.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('ProtoWriter', () => {
  test('the encoding guide examples: 150 in field 1, "testing" in field 2, a nested message in field 3', () => {
    expect(hex(new ProtoWriter().int(1, 150).finish())).toBe('089601');
    expect(hex(new ProtoWriter().string(2, 'testing').finish())).toBe('120774657374696e67');
    expect(hex(new ProtoWriter().message(3, new ProtoWriter().int(1, 150)).finish())).toBe('1a03089601');
    // packed repeated: field 4, [3, 270, 86942]
    expect(hex(new ProtoWriter().packedInts(4, [3, 270, 86942]).finish())).toBe('2206038e029ea705');
  });

  test("varint edges, negatives as ten-byte two's complement, bigints", () => {
    const one = (v: number | bigint) => hex(new ProtoWriter().int(1, v).finish()).slice(2);
    expect(one(0)).toBe('00');
    expect(one(1)).toBe('01');
    expect(one(127)).toBe('7f');
    expect(one(128)).toBe('8001');
    expect(one(2 ** 31)).toBe('8080808008');
    expect(one(2n ** 63n)).toBe('80808080808080808001');
    expect(one(-1)).toBe('ffffffffffffffffff01');
    expect(one(-2)).toBe('feffffffffffffffff01');
    expect(() => new ProtoWriter().int(1, 1.5)).toThrow(/not an integer/);
    expect(() => new ProtoWriter().int(0, 1)).toThrow(/field number/);
  });

  test('fixed32 floats little-endian, multi-byte keys, UTF-8, length across writes', () => {
    expect(hex(new ProtoWriter().float(2, 1).finish())).toBe('150000803f');
    expect(hex(new ProtoWriter().float(2, -Infinity).finish())).toBe('15000080ff');
    // field 20, wire type 0: key 160 = a0 01
    expect(hex(new ProtoWriter().int(20, 2).finish())).toBe('a00102');
    expect(hex(new ProtoWriter().string(1, 'é').finish())).toBe('0a02c3a9');
    const w = new ProtoWriter().int(1, 1).bytes(2, new Uint8Array(300));
    expect(w.length).toBe(2 + 1 + 2 + 300);
    expect(w.finish().length).toBe(305);
  });
});

/** A minimal reader: the fields of one message as [field, wire, value] (value: bigint or bytes). */
function fields(b: Uint8Array): [number, number, bigint | Uint8Array][] {
  const out: [number, number, bigint | Uint8Array][] = [];
  let i = 0;
  const varint = () => {
    let v = 0n;
    let s = 0n;
    for (;;) {
      const byte = b[i++];
      v |= BigInt(byte & 0x7f) << s;
      s += 7n;
      if (byte < 0x80) return v;
    }
  };
  while (i < b.length) {
    const key = Number(varint());
    const [field, wire] = [key >> 3, key & 7];
    if (wire === 0) out.push([field, wire, varint()]);
    else if (wire === 2) {
      const n = Number(varint());
      out.push([field, wire, b.subarray(i, i + n)]);
      i += n;
    } else if (wire === 5) {
      out.push([field, wire, b.subarray(i, i + 4)]);
      i += 4;
    } else throw new Error(`wire type ${wire}`);
  }
  return out;
}

test('an encoded ModelProto reads back: ir_version, opset 17, graph nodes, initializer raw data, metadata', () => {
  const bytes = encodeModel({
    irVersion: 8,
    opset: 17,
    producerName: 'descent',
    producerVersion: 'v1',
    docString: 'doc',
    graph: {
      name: 'g',
      nodes: [{ opType: 'Relu', inputs: ['input'], outputs: ['output'], name: 'Relu_0' }],
      initializers: [{ name: 'w', dims: [2], data: new Float32Array([1.5, -2]) }],
      inputs: [{ name: 'input', elemType: 1, shape: ['N', 2] }],
      outputs: [{ name: 'output', elemType: 1, shape: ['N', 2] }],
    },
    metadata: { 'descent.job_id': 'job_x' },
  });
  const top = fields(bytes);
  const text = (v: unknown) => Buffer.from(v as Uint8Array).toString('utf8');
  expect(top.find(([f]) => f === 1)?.[2]).toBe(8n);
  const opset = fields(top.find(([f]) => f === 8)![2] as Uint8Array);
  expect(opset.find(([f]) => f === 2)?.[2]).toBe(17n);
  const graph = fields(top.find(([f]) => f === 7)![2] as Uint8Array);
  const node = fields(graph.find(([f]) => f === 1)![2] as Uint8Array);
  expect(text(node.find(([f]) => f === 4)![2])).toBe('Relu');
  const init = fields(graph.find(([f]) => f === 5)![2] as Uint8Array);
  const raw = init.find(([f]) => f === 9)![2] as Uint8Array;
  expect(Array.from(new Float32Array(raw.slice().buffer))).toEqual([1.5, -2]);
  const meta = fields(top.find(([f]) => f === 14)![2] as Uint8Array);
  expect(meta.map(([, , v]) => text(v))).toEqual(['descent.job_id', 'job_x']);
  // The batch dimension is symbolic: dim_param "N" (field 2 of Dimension).
  const input = fields(graph.find(([f]) => f === 11)![2] as Uint8Array);
  const tensorType = fields(fields(input.find(([f]) => f === 2)![2] as Uint8Array)[0][2] as Uint8Array);
  const shape = fields(tensorType.find(([f]) => f === 2)![2] as Uint8Array);
  const first = fields(shape[0][2] as Uint8Array);
  expect(first[0][0]).toBe(2);
  expect(text(first[0][2])).toBe('N');
});
