/**
 * Which finished jobs have a model to export, and that model in one form for both exporters: a
 * `sequential` layer list (a `linear` or `mlp` model is the nn.Sequential it is), its weights by
 * layer, its input and output widths and the output /predict applies. A job without one gets a
 * {@link NotExportableError} naming why (the route answers 409 with it, never a broken file).
 */
import type { SequentialConfig } from '../models/model.js';
import { openLinear, planSequential, type SequentialPlan } from '../models/sequential.js';
import type { Activation, NamedWeights } from '../tensor/index.js';

/** A job that has no model to export, or whose model the exporter cannot write; the message says why. */
export class NotExportableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotExportableError';
  }
}

/** The parts of a JobSpec the exporters read. */
export type ExportSpec =
  | {
      task?: 'supervised';
      model:
        | { type: 'linear' }
        | { type: 'mlp'; hidden: readonly number[]; activation: Activation; dropout: number }
        | SequentialConfig;
      loss: string;
    }
  | { task: 'reinforce'; policy: { hidden: readonly number[]; activation: Activation } }
  | { task: 'minimize' }
  | { task: string };

/** The output /predict returns from the logits. */
export type OutputKind = 'softmax' | 'sigmoid' | 'identity';

/** An exportable model. */
export interface ExportModel {
  /** The model as a sequential stack (linear and mlp converted), every layer's `out` resolved. */
  config: SequentialConfig;
  plan: SequentialPlan;
  /** The stored weight of layer `i`'s tensor `local` (dense names are mapped: `weight` → layer 0). */
  tensor(layer: number, local: string): NamedWeights[string] | undefined;
  inFeatures: number;
  outWidth: number;
  output: OutputKind;
  /** Where the weights' names start (`policy.` for a reinforce policy), '' otherwise. */
  prefix: string;
}

function outputOf(loss: string): OutputKind {
  return loss === 'cross_entropy' ? 'softmax' : loss === 'bce' ? 'sigmoid' : 'identity';
}

/** linear / mlp as the layers of torch's nn.Sequential (the same indices as their weight names). */
function denseLayers(
  model:
    { type: 'linear' } | { type: 'mlp'; hidden: readonly number[]; activation: Activation; dropout: number },
  outWidth: number,
): SequentialConfig['layers'] {
  if (model.type === 'linear') return [{ type: 'linear', out: outWidth, bias: true }];
  const layers: SequentialConfig['layers'][number][] = [];
  // The activations' torch defaults, as src/tensor's ACTIVATIONS use them.
  const act = {
    relu: { type: 'relu' },
    tanh: { type: 'tanh' },
    sigmoid: { type: 'sigmoid' },
    leaky_relu: { type: 'leaky_relu', slope: 0.01 },
    elu: { type: 'elu', alpha: 1 },
    gelu: { type: 'gelu', approximate: 'none' },
    softplus: { type: 'softplus', beta: 1, threshold: 20 },
  }[model.activation] as SequentialConfig['layers'][number];
  for (const h of model.hidden) {
    layers.push({ type: 'linear', out: h, bias: true }, act);
    if (model.dropout > 0) layers.push({ type: 'dropout', p: model.dropout });
  }
  layers.push({ type: 'linear', out: outWidth, bias: true });
  return layers;
}

/** The job's model, or NotExportableError naming why there is none. */
export function exportModel(jobId: string, spec: ExportSpec, weights: NamedWeights): ExportModel {
  const task = spec.task ?? 'supervised';
  if (task === 'minimize')
    throw new NotExportableError(
      `job ${jobId} is a minimize job: it found a point, not a model; there is nothing to export (its result and weights hold the point)`,
    );
  let prefix = '';
  let model: Extract<ExportSpec, { model: unknown }>['model'];
  let loss: string;
  if (task === 'reinforce') {
    const policy = (spec as Extract<ExportSpec, { policy: unknown }>).policy;
    // The policy network is the model (softmax over actions, as /predict answers); a value
    // baseline, when trained, only steadied the gradient and is not exported.
    prefix = 'policy.';
    model = { type: 'mlp', hidden: policy.hidden, activation: policy.activation, dropout: 0 };
    loss = 'cross_entropy';
  } else if (task === 'supervised') {
    const s = spec as Extract<ExportSpec, { model: unknown }>;
    model = s.model;
    loss = s.loss;
  } else {
    throw new NotExportableError(
      `job ${jobId} is a ${task} job; only supervised and reinforce jobs have a model`,
    );
  }
  const get = (name: string) => weights[prefix + name];
  let config: SequentialConfig;
  // The stored name of layer i's tensor: `i.weight`, or `weight` for a linear model.
  let nameOf = (i: number, local: string) => `${i}.${local}`;
  if (model.type === 'sequential') {
    const open = openLinear(model);
    let outWidth: number | null = null;
    if (open >= 0) {
      const w = get(`${open}.weight`);
      if (!w) throw new NotExportableError(`job ${jobId}'s weights lack ${open}.weight`);
      outWidth = w.shape[0];
    }
    const layers = model.layers.map((l, i) =>
      i === open && l.type === 'linear' ? { ...l, out: outWidth as number } : l,
    );
    config = { type: 'sequential', input: model.input, layers };
  } else {
    const first = get(model.type === 'linear' ? 'weight' : '0.weight');
    if (!first || first.shape.length !== 2)
      throw new NotExportableError(
        `job ${jobId}'s weights do not hold its ${model.type} model's first layer`,
      );
    const names = Object.keys(weights).filter((k) => k.startsWith(prefix) && k.endsWith('weight'));
    const last = get(names[names.length - 1].slice(prefix.length));
    const outWidth = last!.shape[0];
    config = { type: 'sequential', input: [first.shape[1]], layers: denseLayers(model, outWidth) };
    if (model.type === 'linear') nameOf = (_i, local) => local;
  }
  const tensor: ExportModel['tensor'] = (i, local) => get(nameOf(i, local));
  let plan: SequentialPlan;
  try {
    plan = planSequential(config, null);
  } catch (e) {
    throw new NotExportableError(`job ${jobId}'s model does not fit its weights: ${(e as Error).message}`);
  }
  for (const p of [...plan.params, ...plan.buffers]) {
    const t = tensor(p.layer, p.local);
    const size = p.shape.reduce((a, b) => a * b, 1);
    if (!t || t.data.length !== size)
      throw new NotExportableError(
        `job ${jobId}'s weights lack ${prefix}${nameOf(p.layer, p.local)} of shape [${p.shape.join(', ')}]`,
      );
  }
  const outShape = plan.report.at(-1)?.outputShape ?? config.input;
  return {
    config,
    plan,
    tensor,
    inFeatures: plan.inFeatures,
    outWidth: outShape[0],
    output: outputOf(loss),
    prefix,
  };
}
