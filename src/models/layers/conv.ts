/**
 * `conv1d` and `conv2d` layers: torch.nn.Conv1d / Conv2d (zeros padding mode).
 *
 * Input one sample [C, L] or [C, H, W]; output [O, oL] or [O, oH, oW] with, per dimension,
 *   o = ⌊(i + padBefore + padAfter − d·(k − 1) − 1)/s⌋ + 1
 * (padBefore = padAfter = padding, or for `"same"` the total d·(k − 1) split as torch does: the
 * smaller half before). Parameters, in state_dict order: `weight` [O, C/groups, (kH,) kW] (a weight:
 * L1/L2 and `init.scheme` apply) and `bias` [O] (not a weight). torch's default init is
 * kaiming_uniform_(a=√5), i.e. U(±1/√fan_in), for the weight, and U(±1/√fan_in) for the bias, with
 * fan_in = C/groups·kH·kW and fan_out = O·kH·kW (torch's _calculate_fan_in_and_fan_out).
 */
import type { Rng } from '../../rng/rng.js';
import { conv1d, conv2d, convOutputLength, samePadding, type FloatArray } from '../../tensor/index.js';
import {
  LayerShapeError,
  type BuiltLayer,
  type LayerFamily,
  type Pair,
  type ParamDecl,
  type Shape,
  type SpecOf,
} from './types.js';

const pairOf = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

/** `2×3` for a 2-d pair, `3` for a 1-d one (written with its height of one dropped). */
const dims = (v: readonly number[], oneD: boolean): string => (oneD ? String(v[1]) : v.join('×'));

/** U(±bound) for every element, from our generator (torch's distribution, not its bit stream). */
function uniformInit(bound: number): (out: FloatArray, rng: Rng) => void {
  return (out, rng) => {
    for (let i = 0; i < out.length; i++) out[i] = rng.uniform(-bound, bound);
  };
}

function positiveInts(what: string, fields: Record<string, readonly number[]>): void {
  for (const [name, values] of Object.entries(fields)) {
    for (const v of values) {
      if (!Number.isInteger(v) || v < 1)
        throw new LayerShapeError(`${what} ${name} must be a positive integer, got ${v}`);
    }
  }
}

/** Both convolutions seen as 2-d: a 1-d one has height, kernel height, stride and dilation 1. */
interface Conv2dView {
  what: 'conv1d' | 'conv2d';
  out: number;
  kernel: [number, number];
  stride: [number, number];
  dilation: [number, number];
  padding: [number, number] | 'same' | 'valid';
  groups: number;
  bias: boolean;
}

function buildConv(v: Conv2dView, input: Shape): BuiltLayer {
  const oneD = v.what === 'conv1d';
  const rank = oneD ? 2 : 3;
  if (input.length !== rank) {
    throw new LayerShapeError(
      `${v.what} expects ${oneD ? '[C, L]' : '[C, H, W]'}, the previous layer gives [${input.join(', ')}]`,
    );
  }
  const [C, H, W] = oneD ? [input[0], 1, input[1]] : [input[0], input[1], input[2]];
  positiveInts(v.what, {
    out: [v.out],
    kernel: v.kernel,
    stride: v.stride,
    dilation: v.dilation,
    groups: [v.groups],
  });
  if (C % v.groups !== 0 || v.out % v.groups !== 0) {
    throw new LayerShapeError(
      `${v.what} groups ${v.groups} must divide both the input channels (${C}) and out (${v.out})`,
    );
  }
  let pads: [[number, number], [number, number]];
  if (v.padding === 'same') {
    if (v.stride[0] !== 1 || v.stride[1] !== 1) {
      throw new LayerShapeError(
        `${v.what} padding "same" needs stride 1 (as in torch), got stride ${dims(v.stride, oneD)}`,
      );
    }
    pads = [samePadding(v.kernel[0], v.dilation[0]), samePadding(v.kernel[1], v.dilation[1])];
  } else {
    const [ph, pw] = v.padding === 'valid' ? [0, 0] : v.padding;
    for (const p of [ph, pw]) {
      if (!Number.isInteger(p) || p < 0)
        throw new LayerShapeError(`${v.what} padding must be a non-negative integer, got ${p}`);
    }
    pads = [
      [ph, ph],
      [pw, pw],
    ];
  }
  const oH = convOutputLength(H, v.kernel[0], v.stride[0], pads[0][0] + pads[0][1], v.dilation[0]);
  const oW = convOutputLength(W, v.kernel[1], v.stride[1], pads[1][0] + pads[1][1], v.dilation[1]);
  if (oH < 1 || oW < 1) {
    const span = v.kernel.map((k, i) => v.dilation[i] * (k - 1) + 1);
    const dilated = v.dilation.some((d) => d !== 1)
      ? ` (dilation ${dims(v.dilation, oneD)}: it spans ${dims(span, oneD)})`
      : '';
    const padText =
      v.padding === 'same' || v.padding === 'valid'
        ? `"${v.padding}"`
        : oneD || v.padding[0] === v.padding[1]
          ? String(v.padding[1])
          : v.padding.join('×');
    throw new LayerShapeError(
      `${v.what} kernel ${dims(v.kernel, oneD)}${dilated} does not fit the input ${oneD ? `${C}×${W}` : `${C}×${H}×${W}`} with padding ${padText}`,
    );
  }
  const perGroup = C / v.groups;
  const area = v.kernel[0] * v.kernel[1];
  const fanIn = perGroup * area;
  const bound = 1 / Math.sqrt(fanIn);
  const kernelShape = oneD ? [v.kernel[1]] : [...v.kernel];
  const params: ParamDecl[] = [
    {
      name: 'weight',
      shape: [v.out, perGroup, ...kernelShape],
      isWeight: true,
      fan: { in: fanIn, out: v.out * area },
      init: uniformInit(bound),
    },
  ];
  if (v.bias) params.push({ name: 'bias', shape: [v.out], isWeight: false, init: uniformInit(bound) });
  // The op takes 'same' itself (it knows torch's split); numeric padding goes as the pair.
  const padding = v.padding === 'same' ? 'same' : ([pads[0][0], pads[1][0]] as [number, number]);
  return {
    outputShape: oneD ? [v.out, oW] : [v.out, oH, oW],
    params,
    buffers: [],
    forward(x, state) {
      const weight = state.params.weight;
      const bias = v.bias ? state.params.bias : null;
      if (oneD) {
        return conv1d(x, weight, bias, {
          stride: v.stride[1],
          padding: padding === 'same' ? 'same' : padding[1],
          dilation: v.dilation[1],
          groups: v.groups,
        });
      }
      return conv2d(x, weight, bias, { stride: v.stride, padding, dilation: v.dilation, groups: v.groups });
    },
  };
}

function conv1dLayer(spec: SpecOf<'conv1d'>, input: Shape): BuiltLayer {
  return buildConv(
    {
      what: 'conv1d',
      out: spec.out,
      kernel: [1, spec.kernel],
      stride: [1, spec.stride],
      dilation: [1, spec.dilation],
      padding: typeof spec.padding === 'number' ? [0, spec.padding] : spec.padding,
      groups: spec.groups,
      bias: spec.bias,
    },
    input,
  );
}

function conv2dLayer(spec: SpecOf<'conv2d'>, input: Shape): BuiltLayer {
  return buildConv(
    {
      what: 'conv2d',
      out: spec.out,
      kernel: pairOf(spec.kernel),
      stride: pairOf(spec.stride),
      dilation: pairOf(spec.dilation),
      padding: typeof spec.padding === 'string' ? spec.padding : pairOf(spec.padding),
      groups: spec.groups,
      bias: spec.bias,
    },
    input,
  );
}

/** The convolution layers, for the sequential registry. */
export const convLayers: LayerFamily<'conv1d' | 'conv2d'> = {
  conv1d: conv1dLayer,
  conv2d: conv2dLayer,
};
