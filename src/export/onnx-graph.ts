/**
 * Building an ONNX graph: nodes and float32 / int64 initializers under fresh names, so the layer
 * emitters (onnx-layers.ts, onnx-recurrent.ts, onnx-attention.ts) only say which ops they chain.
 */
import type { AttributeValue, OnnxNode, OnnxTensor } from './onnx-proto.js';

/** Attribute shorthands: numbers are ints unless wrapped with {@link float}. */
type Attr = number | string | readonly number[] | readonly string[] | AttributeValue;

/** A float attribute (a bare number is an int attribute). */
export const float = (value: number): AttributeValue => ({ kind: 'float', value });

function attrOf(a: Attr): AttributeValue {
  if (typeof a === 'number') return { kind: 'int', value: a };
  if (typeof a === 'string') return { kind: 'string', value: a };
  if (Array.isArray(a)) {
    if (a.length > 0 && typeof a[0] === 'string') return { kind: 'strings', value: a as string[] };
    return { kind: 'ints', value: a as number[] };
  }
  return a as AttributeValue;
}

/** A graph under construction. */
export class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private count = 0;

  /** A new value name, `hint` and a counter (names are unique in the graph). */
  fresh(hint: string): string {
    return `${hint}_${this.count++}`;
  }

  /** A float32 constant of shape `dims`. */
  constant(hint: string, dims: readonly number[], data: ArrayLike<number>): string {
    const size = dims.reduce((a, b) => a * b, 1);
    if (data.length !== size)
      throw new Error(`${hint}: ${data.length} values for shape [${dims.join(', ')}]`);
    const name = this.fresh(hint);
    this.initializers.push({ name, dims: [...dims], data: Float32Array.from(data) });
    return name;
  }

  /** A float32 scalar constant (shape []), broadcast by the element-wise ops. */
  scalar(value: number): string {
    return this.constant('c', [], [value]);
  }

  /** A 1-d int64 constant (shapes, axes, indices); `scalar` gives shape [] instead. */
  ints(hint: string, values: readonly number[], scalar = false): string {
    const name = this.fresh(hint);
    this.initializers.push({
      name,
      dims: scalar ? [] : [values.length],
      data: BigInt64Array.from(values, (v) => BigInt(v)),
    });
    return name;
  }

  /** One node with one output; returns the output's name. `''` in inputs is an omitted optional input. */
  op(opType: string, inputs: readonly string[], attrs: Record<string, Attr> = {}, output?: string): string {
    const out = output ?? this.fresh(opType.toLowerCase());
    const attributes = Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, attrOf(v)]));
    this.nodes.push({ opType, inputs, outputs: [out], name: `${opType}_${this.nodes.length}`, attributes });
    return out;
  }
}

/** x·Wᵀ + b over the last dimension (nn.Linear): MatMul with the transposed weight, then Add. */
export function linearOp(
  b: GraphBuilder,
  x: string,
  weight: { shape: readonly number[]; data: ArrayLike<number> },
  bias: ArrayLike<number> | undefined,
  hint: string,
): string {
  const [out, inF] = weight.shape;
  const wt = new Float32Array(out * inF);
  for (let o = 0; o < out; o++) for (let i = 0; i < inF; i++) wt[i * out + o] = weight.data[o * inF + i];
  const y = b.op('MatMul', [x, b.constant(`${hint}.weightT`, [inF, out], wt)]);
  return bias ? b.op('Add', [y, b.constant(`${hint}.bias`, [out], bias)]) : y;
}

/** A layer's trained tensors by their name in the layer (`weight`, `running_var`, `weight_ih_l0`). */
export type LayerTensors = (
  local: string,
) => { shape: readonly number[]; data: ArrayLike<number> } | undefined;

/** What an emitter is given. */
export interface LayerInput {
  b: GraphBuilder;
  x: string;
  /** One sample's shape reaching the layer and leaving it. */
  inShape: readonly number[];
  outShape: readonly number[];
  tensors: LayerTensors;
  /** `layer3`: a prefix for the constants' names. */
  hint: string;
}

/** The tensor `local` of the layer; a missing one is a bug in the weights (the caller says 409). */
export function need(t: LayerTensors, local: string) {
  const v = t(local);
  if (!v) throw new Error(`the weights lack ${local}`);
  return v;
}

/** LayerNormalization over the last dim (opset 17), γ = 1 and β = 0 when not affine. */
export function layerNorm(
  b: GraphBuilder,
  x: string,
  width: number,
  eps: number,
  weight: ArrayLike<number> | undefined,
  bias: ArrayLike<number> | undefined,
  hint: string,
): string {
  const scale = b.constant(`${hint}.weight`, [width], weight ?? new Float32Array(width).fill(1));
  const shift = b.constant(`${hint}.bias`, [width], bias ?? new Float32Array(width));
  return b.op('LayerNormalization', [x, scale, shift], { axis: -1, epsilon: float(eps) });
}

/** gelu(x) = x·½(1 + erf(x/√2)), the exact form torch and src/tensor use (ONNX's Gelu is opset 20). */
export function geluExact(b: GraphBuilder, x: string): string {
  const e = b.op('Erf', [b.op('Div', [x, b.scalar(Math.SQRT2)])]);
  return b.op('Mul', [b.op('Mul', [x, b.op('Add', [e, b.scalar(1)])]), b.scalar(0.5)]);
}
