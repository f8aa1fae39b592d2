/**
 * One `sequential` layer → ONNX nodes (opset 17), in eval mode: dropout is the identity, batch norm
 * uses its running statistics. Each emitter takes the layer's input value ([N, ...inShape]) and
 * returns its output value ([N, ...outShape]); the maths are those of src/models/layers, written
 * with the ops ONNX has at opset 17 (GELU, for one, is composed from Erf: the Gelu op is opset 20).
 */
import type { LayerSpec, Pair } from '../models/layers/types.js';
import { attentionLayer, transformerEncoderLayer } from './onnx-attention.js';
import {
  float,
  geluExact,
  layerNorm,
  linearOp,
  need,
  type GraphBuilder,
  type LayerInput,
} from './onnx-graph.js';
import { recurrentLayer } from './onnx-recurrent.js';

const pairOf = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

/** gelu(approximate="tanh"): ½x(1 + tanh(√(2/π)(x + 0.044715x³))). */
function geluTanh(b: GraphBuilder, x: string): string {
  const cube = b.op('Mul', [b.op('Mul', [x, x]), x]);
  const inner = b.op('Mul', [
    b.op('Add', [x, b.op('Mul', [cube, b.scalar(0.044715)])]),
    b.scalar(Math.sqrt(2 / Math.PI)),
  ]);
  return b.op('Mul', [b.op('Mul', [x, b.scalar(0.5)]), b.op('Add', [b.op('Tanh', [inner]), b.scalar(1)])]);
}

/** softplus with β and threshold: x where βx > threshold, else log(1 + e^(βx))/β (torch's). */
function softplus(b: GraphBuilder, x: string, beta: number, threshold: number): string {
  const bx = beta === 1 ? x : b.op('Mul', [x, b.scalar(beta)]);
  const soft = b.op('Softplus', [bx]);
  const scaled = beta === 1 ? soft : b.op('Div', [soft, b.scalar(beta)]);
  return b.op('Where', [b.op('Greater', [bx, b.scalar(threshold)]), x, scaled]);
}

/** The element-wise activations, or null for another layer type. */
export function activation(b: GraphBuilder, x: string, spec: LayerSpec): string | null {
  switch (spec.type) {
    case 'relu':
      return b.op('Relu', [x]);
    case 'tanh':
      return b.op('Tanh', [x]);
    case 'sigmoid':
      return b.op('Sigmoid', [x]);
    case 'silu':
      return b.op('Mul', [x, b.op('Sigmoid', [x])]);
    case 'leaky_relu':
      return b.op('LeakyRelu', [x], { alpha: float(spec.slope) });
    case 'elu':
      return b.op('Elu', [x], { alpha: float(spec.alpha) });
    case 'gelu':
      return spec.approximate === 'tanh' ? geluTanh(b, x) : geluExact(b, x);
    case 'softplus':
      return softplus(b, x, spec.beta, spec.threshold);
    default:
      return null;
  }
}

/** The window attributes of a conv or pool, 1-d (the width entries) or 2-d. */
function windowAttrs(
  oneD: boolean,
  k: [number, number],
  s: [number, number],
  d: [number, number],
  pads: [[number, number], [number, number]],
) {
  const pick = (v: [number, number]) => (oneD ? [v[1]] : v);
  // ONNX pads: all the begins, then all the ends.
  const p = oneD ? [pads[1][0], pads[1][1]] : [pads[0][0], pads[1][0], pads[0][1], pads[1][1]];
  return { kernel_shape: pick(k), strides: pick(s), dilations: pick(d), pads: p };
}

/** torch's split of "same" padding: the smaller half before (src/tensor samePadding). */
function samePads(kernel: number, dilation: number): [number, number] {
  const total = dilation * (kernel - 1);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

function conv(l: LayerInput, spec: Extract<LayerSpec, { type: 'conv1d' | 'conv2d' }>): string {
  const oneD = spec.type === 'conv1d';
  const k: [number, number] = oneD ? [1, spec.kernel as number] : pairOf(spec.kernel as Pair);
  const s: [number, number] = oneD ? [1, spec.stride as number] : pairOf(spec.stride as Pair);
  const d: [number, number] = oneD ? [1, spec.dilation as number] : pairOf(spec.dilation as Pair);
  let pads: [[number, number], [number, number]];
  if (spec.padding === 'same') pads = [samePads(k[0], d[0]), samePads(k[1], d[1])];
  else {
    const p: [number, number] =
      spec.padding === 'valid' ? [0, 0] : oneD ? [0, spec.padding as number] : pairOf(spec.padding as Pair);
    pads = [
      [p[0], p[0]],
      [p[1], p[1]],
    ];
  }
  const w = need(l.tensors, 'weight');
  const inputs = [l.x, l.b.constant(`${l.hint}.weight`, w.shape, w.data)];
  if (spec.bias) inputs.push(l.b.constant(`${l.hint}.bias`, [spec.out], need(l.tensors, 'bias').data));
  return l.b.op('Conv', inputs, { ...windowAttrs(oneD, k, s, d, pads), group: spec.groups });
}

function pool(
  l: LayerInput,
  spec: Extract<LayerSpec, { type: 'maxpool1d' | 'maxpool2d' | 'avgpool1d' | 'avgpool2d' }>,
): string {
  const oneD = spec.type.endsWith('1d');
  const two = (v: Pair | undefined, dflt: Pair): [number, number] =>
    oneD ? [1, (v ?? dflt) as number] : pairOf(v ?? dflt);
  const k = two(spec.kernel, spec.kernel);
  const s = two(spec.stride, spec.kernel);
  const p = two(spec.padding, 0);
  const pads: [[number, number], [number, number]] = [
    [p[0], p[0]],
    [p[1], p[1]],
  ];
  if (spec.type === 'maxpool1d' || spec.type === 'maxpool2d') {
    const d = two(spec.dilation, 1);
    return l.b.op('MaxPool', [l.x], windowAttrs(oneD, k, s, d, pads));
  }
  const { kernel_shape, strides, pads: onnxPads } = windowAttrs(oneD, k, s, [1, 1], pads);
  return l.b.op('AveragePool', [l.x], {
    kernel_shape,
    strides,
    pads: onnxPads,
    count_include_pad: spec.countIncludePad ? 1 : 0,
  });
}

/**
 * adaptive_avgpool2d as two averaging matrices, P_h·X·P_w: window i of n over `len` inputs spans
 * ⌊i·len/n⌋ … ⌈(i + 1)·len/n⌉ − 1 (torch's), and a rectangle's mean is separable.
 */
function adaptiveAvgPool(l: LayerInput, output: Pair): string {
  const [oH, oW] = pairOf(output);
  const [, H, W] = l.inShape;
  const windows = (len: number, n: number, rowsOut: boolean) => {
    const m = new Float32Array(len * n);
    for (let i = 0; i < n; i++) {
      const start = Math.floor((i * len) / n);
      const end = Math.ceil(((i + 1) * len) / n);
      for (let j = start; j < end; j++) m[rowsOut ? i * len + j : j * n + i] = 1 / (end - start);
    }
    return m;
  };
  const ph = l.b.constant(`${l.hint}.rows`, [oH, H], windows(H, oH, true));
  const pw = l.b.constant(`${l.hint}.cols`, [W, oW], windows(W, oW, false));
  return l.b.op('MatMul', [ph, l.b.op('MatMul', [l.x, pw])]);
}

/** BatchNormalization in inference mode over channel dim 1, with the running statistics. */
function batchNorm(l: LayerInput, spec: Extract<LayerSpec, { type: 'batchnorm1d' | 'batchnorm2d' }>): string {
  const c = l.inShape[0];
  const { b, hint } = l;
  const scale = spec.affine ? need(l.tensors, 'weight').data : new Float32Array(c).fill(1);
  const shift = spec.affine ? need(l.tensors, 'bias').data : new Float32Array(c);
  return b.op(
    'BatchNormalization',
    [
      l.x,
      b.constant(`${hint}.weight`, [c], scale),
      b.constant(`${hint}.bias`, [c], shift),
      b.constant(`${hint}.running_mean`, [c], need(l.tensors, 'running_mean').data),
      b.constant(`${hint}.running_var`, [c], need(l.tensors, 'running_var').data),
    ],
    { epsilon: float(spec.eps) },
  );
}

/** Emit one layer; returns the value holding its output. */
export function emitLayer(l: LayerInput, spec: LayerSpec): string {
  const { b, x, hint } = l;
  const act = activation(b, x, spec);
  if (act !== null) return act;
  switch (spec.type) {
    case 'linear':
      return linearOp(
        b,
        x,
        need(l.tensors, 'weight'),
        spec.bias ? need(l.tensors, 'bias').data : undefined,
        hint,
      );
    case 'flatten':
      return b.op('Flatten', [x], { axis: 1 });
    case 'dropout':
      return x; // the identity in eval mode
    case 'conv1d':
    case 'conv2d':
      return conv(l, spec);
    case 'maxpool1d':
    case 'maxpool2d':
    case 'avgpool1d':
    case 'avgpool2d':
      return pool(l, spec);
    case 'adaptive_avgpool2d':
      return adaptiveAvgPool(l, spec.output);
    case 'batchnorm1d':
    case 'batchnorm2d':
      return batchNorm(l, spec);
    case 'layernorm': {
      const f = l.inShape[l.inShape.length - 1];
      const [w, bias] = spec.affine ? [need(l.tensors, 'weight').data, need(l.tensors, 'bias').data] : [];
      return layerNorm(b, x, f, spec.eps, w, bias, hint);
    }
    case 'embedding': {
      // Ids arrive as floats in the data row: round (as descent_torch does), then index rows.
      const ids = b.op('Cast', [b.op('Round', [x])], { to: 7 }); // 7: INT64
      const w = need(l.tensors, 'weight');
      return b.op('Gather', [b.constant(`${hint}.weight`, w.shape, w.data), ids], { axis: 0 });
    }
    case 'positional': {
      const [t, f] = l.inShape;
      const w = need(l.tensors, 'weight');
      return b.op('Add', [x, b.constant(`${hint}.weight`, [t, f], Array.from(w.data).slice(0, t * f))]);
    }
    case 'mean_pool':
      return b.op('ReduceMean', [x], { axes: [1], keepdims: 0 });
    case 'rnn':
    case 'lstm':
    case 'gru':
      return recurrentLayer(l, spec);
    case 'attention':
      return attentionLayer(l, spec);
    case 'transformer_encoder':
      return transformerEncoderLayer(l, spec);
    default:
      throw new Error(`no ONNX form for layer type ${(spec as { type: string }).type}`);
  }
}
