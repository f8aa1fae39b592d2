/**
 * Pooling layers: torch.nn.MaxPool1d/2d, AvgPool1d/2d and AdaptiveAvgPool2d (ceil_mode off, no
 * parameters, no buffers).
 *
 * Strided pools give, per dimension, o = ⌊(i + 2·padding − dilation·(kernel − 1) − 1)/stride⌋ + 1
 * with stride defaulting to the kernel; torch requires padding ≤ kernel/2 (so no window is all
 * padding). Max pools read the padding as −∞ and send each gradient to the window's first maximum;
 * average pools read it as 0 and divide by kH·kW (`countIncludePad`) or by the real taps. The
 * adaptive pool's window i spans ⌊i·In/Out⌋ … ⌈(i + 1)·In/Out⌉ − 1.
 */
import {
  adaptiveAvgPool2d,
  avgPool1d,
  avgPool2d,
  convOutputLength,
  maxPool1d,
  maxPool2d,
} from '../../tensor/index.js';
import {
  LayerShapeError,
  type BuiltLayer,
  type LayerFamily,
  type Pair,
  type Shape,
  type SpecOf,
} from './types.js';

const pairOf = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

function expectRank(what: string, input: Shape, oneD: boolean): void {
  if (input.length !== (oneD ? 2 : 3)) {
    throw new LayerShapeError(
      `${what} expects ${oneD ? '[C, L]' : '[C, H, W]'}, the previous layer gives [${input.join(', ')}]`,
    );
  }
}

/** The window of a strided pool seen as 2-d (a 1-d pool has height 1 and a 1-row kernel). */
interface Window {
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
}

/** torch's checks of a strided pool and its output size [oH, oW]. */
function stridedOutput(what: string, input: Shape, oneD: boolean, w: Window): [number, number] {
  expectRank(what, input, oneD);
  const show = (v: [number, number]) => (oneD ? String(v[1]) : v[0] === v[1] ? String(v[0]) : v.join('×'));
  for (const [name, v] of [
    ['kernel', w.kernel],
    ['stride', w.stride],
    ['dilation', w.dilation],
  ] as const) {
    if (!v.every((d) => Number.isInteger(d) && d >= 1))
      throw new LayerShapeError(`${what} ${name} must be a positive integer, got ${show(v)}`);
  }
  if (!w.padding.every((p) => Number.isInteger(p) && p >= 0))
    throw new LayerShapeError(`${what} padding must be a non-negative integer, got ${show(w.padding)}`);
  if (w.padding[0] > w.kernel[0] / 2 || w.padding[1] > w.kernel[1] / 2) {
    throw new LayerShapeError(
      `${what} padding ${show(w.padding)} must be at most half the kernel ${show(w.kernel)} (torch's rule)`,
    );
  }
  const [H, W] = oneD ? [1, input[1]] : [input[1], input[2]];
  const oH = convOutputLength(H, w.kernel[0], w.stride[0], 2 * w.padding[0], w.dilation[0]);
  const oW = convOutputLength(W, w.kernel[1], w.stride[1], 2 * w.padding[1], w.dilation[1]);
  if (oH < 1 || oW < 1) {
    const dilated = w.dilation.some((d) => d !== 1) ? ` (dilation ${show(w.dilation)})` : '';
    throw new LayerShapeError(
      `${what} kernel ${show(w.kernel)}${dilated} does not fit the input ${input.join('×')} with padding ${show(w.padding)}`,
    );
  }
  return [oH, oW];
}

function maxpool1d(spec: SpecOf<'maxpool1d'>, input: Shape): BuiltLayer {
  const stride = spec.stride ?? spec.kernel;
  const [, oL] = stridedOutput('maxpool1d', input, true, {
    kernel: [1, spec.kernel],
    stride: [1, stride],
    padding: [0, spec.padding],
    dilation: [1, spec.dilation],
  });
  return {
    outputShape: [input[0], oL],
    params: [],
    buffers: [],
    forward: (x) => maxPool1d(x, spec.kernel, { stride, padding: spec.padding, dilation: spec.dilation }),
  };
}

function maxpool2d(spec: SpecOf<'maxpool2d'>, input: Shape): BuiltLayer {
  const kernel = pairOf(spec.kernel);
  const stride = pairOf(spec.stride ?? spec.kernel);
  const padding = pairOf(spec.padding);
  const dilation = pairOf(spec.dilation);
  const [oH, oW] = stridedOutput('maxpool2d', input, false, { kernel, stride, padding, dilation });
  return {
    outputShape: [input[0], oH, oW],
    params: [],
    buffers: [],
    forward: (x) => maxPool2d(x, kernel, { stride, padding, dilation }),
  };
}

function avgpool1d(spec: SpecOf<'avgpool1d'>, input: Shape): BuiltLayer {
  const stride = spec.stride ?? spec.kernel;
  const [, oL] = stridedOutput('avgpool1d', input, true, {
    kernel: [1, spec.kernel],
    stride: [1, stride],
    padding: [0, spec.padding],
    dilation: [1, 1],
  });
  return {
    outputShape: [input[0], oL],
    params: [],
    buffers: [],
    forward: (x) =>
      avgPool1d(x, spec.kernel, { stride, padding: spec.padding, countIncludePad: spec.countIncludePad }),
  };
}

function avgpool2d(spec: SpecOf<'avgpool2d'>, input: Shape): BuiltLayer {
  const kernel = pairOf(spec.kernel);
  const stride = pairOf(spec.stride ?? spec.kernel);
  const padding = pairOf(spec.padding);
  const [oH, oW] = stridedOutput('avgpool2d', input, false, { kernel, stride, padding, dilation: [1, 1] });
  return {
    outputShape: [input[0], oH, oW],
    params: [],
    buffers: [],
    forward: (x) => avgPool2d(x, kernel, { stride, padding, countIncludePad: spec.countIncludePad }),
  };
}

function adaptiveAvgpool2d(spec: SpecOf<'adaptive_avgpool2d'>, input: Shape): BuiltLayer {
  expectRank('adaptive_avgpool2d', input, false);
  const output = pairOf(spec.output);
  if (!output.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new LayerShapeError(`adaptive_avgpool2d output must be positive integers, got ${output.join('×')}`);
  }
  return {
    outputShape: [input[0], ...output],
    params: [],
    buffers: [],
    forward: (x) => adaptiveAvgPool2d(x, output),
  };
}

/** The pooling layers, for the sequential registry. */
export const poolLayers: LayerFamily<
  'maxpool1d' | 'maxpool2d' | 'avgpool1d' | 'avgpool2d' | 'adaptive_avgpool2d'
> = {
  maxpool1d,
  maxpool2d,
  avgpool1d,
  avgpool2d,
  adaptive_avgpool2d: adaptiveAvgpool2d,
};
