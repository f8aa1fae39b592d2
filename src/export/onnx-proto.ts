/**
 * The ONNX messages the export writes, as plain objects, and their encoding with {@link ProtoWriter}.
 * Field numbers are those of onnx.proto (github.com/onnx/onnx, onnx/onnx.proto, Apache-2.0; the
 * copy Debian's python3-onnx ships is /usr/lib/python3/dist-packages/onnx/onnx.proto): only the
 * fields the export uses are here.
 */
import { ProtoWriter } from './protobuf.js';

/** TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, INT64: 7, DOUBLE: 11 } as const;

/** An attribute of a node: its value decides the AttributeProto type. */
export type AttributeValue =
  | { kind: 'float'; value: number }
  | { kind: 'int'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'floats'; value: readonly number[] }
  | { kind: 'ints'; value: readonly number[] }
  | { kind: 'strings'; value: readonly string[] };

export interface OnnxNode {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name: string;
  attributes?: Readonly<Record<string, AttributeValue>>;
}

/** A constant tensor (an initializer): float32 or int64 data, row-major. */
export interface OnnxTensor {
  name: string;
  dims: readonly number[];
  data: Float32Array | BigInt64Array;
}

/** A graph input or output: element type and shape (a string dimension is symbolic, e.g. "N"). */
export interface OnnxValueInfo {
  name: string;
  elemType: number;
  shape: readonly (number | string)[];
}

export interface OnnxGraph {
  name: string;
  nodes: readonly OnnxNode[];
  initializers: readonly OnnxTensor[];
  inputs: readonly OnnxValueInfo[];
  outputs: readonly OnnxValueInfo[];
}

export interface OnnxModel {
  irVersion: number;
  opset: number;
  producerName: string;
  producerVersion: string;
  docString: string;
  graph: OnnxGraph;
  metadata: Readonly<Record<string, string>>;
}

// AttributeProto.AttributeType
const ATTR_TYPE = { float: 1, int: 2, string: 3, floats: 6, ints: 7, strings: 8 } as const;

function attribute(name: string, a: AttributeValue): ProtoWriter {
  const w = new ProtoWriter().string(1, name).int(20, ATTR_TYPE[a.kind]); // name = 1, type = 20
  switch (a.kind) {
    case 'float':
      return w.float(2, a.value); // f = 2
    case 'int':
      return w.int(3, a.value); // i = 3
    case 'string':
      return w.string(4, a.value); // s = 4 (bytes)
    case 'floats':
      for (const f of a.value) w.float(7, f); // floats = 7 (unpacked is valid for repeated float)
      return w;
    case 'ints':
      for (const i of a.value) w.int(8, i); // ints = 8
      return w;
    case 'strings':
      for (const s of a.value) w.string(9, s); // strings = 9
      return w;
  }
}

function node(n: OnnxNode): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(1, i); // input = 1
  for (const o of n.outputs) w.string(2, o); // output = 2
  w.string(3, n.name).string(4, n.opType); // name = 3, op_type = 4
  for (const [k, v] of Object.entries(n.attributes ?? {})) w.message(5, attribute(k, v)); // attribute = 5
  return w;
}

function tensor(t: OnnxTensor): ProtoWriter {
  const w = new ProtoWriter();
  if (t.dims.length > 0) w.packedInts(1, t.dims); // dims = 1 (none for a scalar)
  w.int(2, t.data instanceof Float32Array ? DataType.FLOAT : DataType.INT64); // data_type = 2
  w.string(8, t.name); // name = 8
  // raw_data = 9: the values little-endian, as the spec requires (every platform we run on is).
  w.bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  return w;
}

function valueInfo(v: OnnxValueInfo): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.shape) {
    // TensorShapeProto.Dimension: dim_value = 1, dim_param = 2
    const dim = typeof d === 'number' ? new ProtoWriter().int(1, d) : new ProtoWriter().string(2, d);
    shape.message(1, dim); // dim = 1
  }
  const tensorType = new ProtoWriter().int(1, v.elemType).message(2, shape); // elem_type = 1, shape = 2
  const type = new ProtoWriter().message(1, tensorType); // TypeProto.tensor_type = 1
  return new ProtoWriter().string(1, v.name).message(2, type); // name = 1, type = 2
}

function graph(g: OnnxGraph): ProtoWriter {
  const w = new ProtoWriter();
  for (const n of g.nodes) w.message(1, node(n)); // node = 1
  w.string(2, g.name); // name = 2
  for (const t of g.initializers) w.message(5, tensor(t)); // initializer = 5
  for (const i of g.inputs) w.message(11, valueInfo(i)); // input = 11
  for (const o of g.outputs) w.message(12, valueInfo(o)); // output = 12
  return w;
}

/** The serialized ModelProto (a `.onnx` file). */
export function encodeModel(m: OnnxModel): Uint8Array {
  const w = new ProtoWriter().int(1, m.irVersion); // ir_version = 1
  w.string(2, m.producerName).string(3, m.producerVersion); // producer_name = 2, producer_version = 3
  w.string(6, m.docString); // doc_string = 6
  w.message(7, graph(m.graph)); // graph = 7
  w.message(8, new ProtoWriter().string(1, '').int(2, m.opset)); // opset_import = 8: default domain
  for (const [k, v] of Object.entries(m.metadata)) w.message(14, new ProtoWriter().string(1, k).string(2, v)); // metadata_props = 14
  return w.finish();
}
