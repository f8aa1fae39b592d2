/**
 * The `sequential` model: layers built in order from the input shape (src/models/layers), named as
 * torch.nn.Sequential names them (`i.weight`, `i.running_mean`), so weights load into the torch
 * module with load_state_dict.
 *
 * A flat data row holds prod(input) values, row-major: the forward pass reshapes [N, prod] to
 * [N, ...input] before the first layer, as `x.view(N, *input)` does.
 */
import type { Rng } from '../rng/rng.js';
import {
  allocate,
  reshape,
  Tensor,
  type DType,
  type FloatArray,
  type NamedWeights,
} from '../tensor/index.js';
import { initWeight, type InitScheme } from './init.js';
import { buildLayer } from './layers/registry.js';
import { LayerShapeError, type BuiltLayer, type LayerSpec, type ParamDecl } from './layers/types.js';
import type {
  ForwardOptions,
  LayerReport,
  Model,
  NamedBuffer,
  NamedParam,
  SequentialConfig,
} from './model.js';
import { SpecError } from './spec-error.js';

/** One tensor of the plan: a parameter or a buffer, under its state_dict name. */
export interface PlannedTensor {
  name: string;
  shape: number[];
  /** The layer it belongs to and its name there. */
  layer: number;
  local: string;
}

/** The layers built for a spec and a data shape, before any value exists. */
export interface SequentialPlan {
  built: BuiltLayer[];
  /** The layer specs with `out` of the last linear resolved. */
  specs: LayerSpec[];
  params: (PlannedTensor & { decl: ParamDecl })[];
  buffers: (PlannedTensor & { fill: number; integer: boolean })[];
  report: LayerReport[];
  inFeatures: number;
}

/** Index of the layer whose `out` the output-width rule sets (the last linear, if it omits out), or −1. */
export function openLinear(config: SequentialConfig): number {
  for (let i = config.layers.length - 1; i >= 0; i--) {
    const l = config.layers[i];
    if (l.type === 'linear') return l.out === undefined ? i : -1;
  }
  return -1;
}

const shapeText = (s: readonly number[]) => `[${s.join(', ')}]`;

/**
 * Build the layers for one sample of shape `config.input`, giving the model `outWidth` outputs.
 * Throws SpecError at `/model/layers/i` when a layer cannot take its input (the layer's own
 * LayerShapeError message, prefixed with the path), or at the last layer when the output per
 * sample is not `[outWidth]`.
 */
export function planSequential(config: SequentialConfig, outWidth: number): SequentialPlan;
/** With `outWidth` null: the model's own output width (no omitted `out` allowed), unchecked. */
export function planSequential(config: SequentialConfig, outWidth: number | null): SequentialPlan;
export function planSequential(config: SequentialConfig, outWidth: number | null): SequentialPlan {
  const open = openLinear(config);
  const plan: SequentialPlan = {
    built: [],
    specs: [],
    params: [],
    buffers: [],
    report: [],
    inFeatures: config.input.reduce((a, b) => a * b, 1),
  };
  let shape: readonly number[] = config.input;
  config.layers.forEach((given, i) => {
    const path = `/model/layers/${i}`;
    let spec: LayerSpec;
    if (given.type === 'linear') {
      const out = i === open ? (outWidth ?? undefined) : given.out;
      if (out === undefined)
        throw new SpecError(`${path}: linear needs out (only the last linear layer may leave it out)`, path);
      spec = { type: 'linear', out, bias: given.bias };
    } else {
      spec = given;
    }
    let layer: BuiltLayer;
    try {
      layer = buildLayer(spec, shape);
    } catch (err) {
      if (err instanceof LayerShapeError) throw new SpecError(`${path}: ${err.message}`, path);
      throw err;
    }
    plan.built.push(layer);
    plan.specs.push(spec);
    let count = 0;
    for (const p of layer.params) {
      plan.params.push({ name: `${i}.${p.name}`, shape: p.shape, layer: i, local: p.name, decl: p });
      count += p.shape.reduce((a, b) => a * b, 1);
    }
    for (const b of layer.buffers) {
      plan.buffers.push({
        name: `${i}.${b.name}`,
        shape: b.shape,
        layer: i,
        local: b.name,
        fill: b.fill,
        integer: b.integer ?? false,
      });
    }
    plan.report.push({ index: i, type: spec.type, outputShape: [...layer.outputShape], parameters: count });
    shape = layer.outputShape;
  });
  if (outWidth !== null && (shape.length !== 1 || shape[0] !== outWidth)) {
    const last = Math.max(0, config.layers.length - 1);
    const path = `/model/layers/${last}`;
    throw new SpecError(
      `${path}: the model gives ${shapeText(shape)} per sample; the loss and the data need [${outWidth}] ` +
        `(end with flatten or mean_pool and a linear layer whose out is ${outWidth}, or leave out unset)`,
      path,
    );
  }
  return plan;
}

/**
 * A trained sequential model from its weights (predict, gradients): the output width is that of
 * the weights of the last linear layer when its `out` was left to the output-width rule.
 */
export function sequentialFromWeights(config: SequentialConfig, weights: NamedWeights): Model {
  const open = openLinear(config);
  const any = Object.values(weights)[0];
  if (!any) throw new Error('weights do not match the model');
  const dtype = any.data instanceof Float64Array ? 'float64' : 'float32';
  let outWidth: number;
  if (open >= 0) {
    const w = weights[`${open}.weight`];
    if (!w) throw new Error(`weights lack ${open}.weight`);
    outWidth = w.shape[0];
  } else {
    const out = planSequential(config, null).report.at(-1)?.outputShape ?? config.input;
    outWidth = out[0];
  }
  return buildSequential(config, outWidth, dtype, { values: weights });
}

/** Parameters of a sequential model for a data shape: the sum of the layers' counts. */
export function sequentialParameters(plan: SequentialPlan): number {
  return plan.report.reduce((n, l) => n + l.parameters, 0);
}

/** A generator for eval mode, which draws nothing: a draw would be a bug, so it throws. */
const NO_RNG: Rng = {
  next: () => {
    throw new Error('a layer drew a random number in eval mode');
  },
  int: () => NO_RNG.next(),
  uniform: () => NO_RNG.next(),
  normal: () => NO_RNG.next(),
  state: () => ({ s: [0, 0, 0, 0], spare: null }),
};

/** Fill parameter `p` by `scheme` (torch's own default init, or a weight rule and zero biases). */
function initParam(
  p: SequentialPlan['params'][number],
  siblings: SequentialPlan['params'],
  arr: FloatArray,
  scheme: InitScheme,
  rng: Rng,
): void {
  const d = p.decl;
  if (scheme === 'default') return d.init(arr, rng);
  if (d.isWeight && d.fan) return initWeight(arr, d.fan.in, d.fan.out, scheme, rng);
  // A scheme zeroes the bias of a layer whose weight it sets (as it does for dense layers); norm
  // scales, embeddings and recurrent biases keep torch's init.
  const hasFanWeight = siblings.some((q) => q.layer === p.layer && q.decl.isWeight && q.decl.fan);
  if (d.name === 'bias' && hasFanWeight) return void arr.fill(0);
  d.init(arr, rng);
}

/**
 * Build a sequential model with freshly initialized parameters (seeded, drawn in state_dict order,
 * always, so that given values for some tensors do not shift the draws of the others), then
 * `values[name]` (from `init.weights`, a checkpoint or trained weights) where present, for
 * parameters and buffers alike.
 */
export function buildSequential(
  config: SequentialConfig,
  outWidth: number,
  dtype: DType,
  init: { scheme: InitScheme; rng: Rng; values?: Record<string, FloatArray> } | { values: NamedWeights },
): Model {
  const plan = planSequential(config, outWidth);
  const values: Record<string, FloatArray | undefined> = {};
  if ('rng' in init) Object.assign(values, init.values ?? {});
  else for (const [k, v] of Object.entries(init.values)) values[k] = v.data;
  const params: NamedParam[] = plan.params.map((p) => {
    const arr = allocate(
      dtype,
      p.shape.reduce((a, b) => a * b, 1),
    );
    if ('rng' in init) initParam(p, plan.params, arr, init.scheme, init.rng);
    const given = values[p.name];
    if (given) arr.set(given);
    else if (!('rng' in init)) throw new Error(`weights lack ${p.name}`);
    return { name: p.name, tensor: new Tensor(arr, p.shape, true), isWeight: p.decl.isWeight };
  });
  const buffers: NamedBuffer[] = plan.buffers.map((b) => {
    const arr = allocate(
      dtype,
      b.shape.reduce((a, c) => a * c, 1),
    );
    arr.fill(b.fill);
    const given = values[b.name];
    if (given) arr.set(given);
    return { name: b.name, shape: b.shape, data: arr, integer: b.integer };
  });
  const forwardWith = (ts: readonly Tensor[], x: Tensor, opts: ForwardOptions = {}): Tensor => {
    const training = opts.training ?? false;
    if (training && !opts.rng) throw new Error('training mode needs the dropout generator');
    const ctx = { training, rng: opts.rng ?? NO_RNG, dtype: x.dtype };
    let h = reshape(x, [x.shape[0], ...config.input]);
    plan.built.forEach((layer, i) => {
      const state = { params: {} as Record<string, Tensor>, buffers: {} as Record<string, FloatArray> };
      plan.params.forEach((p, k) => {
        if (p.layer === i) state.params[p.local] = ts[k];
      });
      plan.buffers.forEach((b, k) => {
        if (b.layer === i) state.buffers[b.local] = buffers[k].data;
      });
      h = layer.forward(h, state, ctx);
    });
    return h;
  };
  return {
    config,
    params,
    buffers,
    inFeatures: plan.inFeatures,
    outWidth,
    layers: plan.report,
    forward: (x, opts) =>
      forwardWith(
        params.map((p) => p.tensor),
        x,
        opts,
      ),
    forwardWith,
  };
}
