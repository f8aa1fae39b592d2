/**
 * A finished job → an ONNX model (opset 17, IR version 8): the job's preprocessing when it has one
 * (onnx-preprocess.ts), every layer (onnx-layers.ts), then the output /predict returns — Softmax
 * for cross_entropy, Sigmoid for bce, the raw values for regression. Input `input` [N, features]
 * (or [N, columns] with preprocessing), output `output` [N, outWidth], N a symbolic batch
 * dimension. The graph is float32 whatever the job's dtype (ONNX Runtime's recurrent kernels are
 * float32 only); `metadata_props` carry the job id, the spec hash, the metrics and, with
 * preprocessing, the input columns and their categories.
 */
import type { FittedPreprocess } from '../data/preprocess/types.js';
import type { NamedWeights } from '../tensor/index.js';
import { exportModel, type ExportSpec } from './exportable.js';
import { GraphBuilder } from './onnx-graph.js';
import { emitLayer } from './onnx-layers.js';
import { preprocessNodes } from './onnx-preprocess.js';
import { DataType, encodeModel } from './onnx-proto.js';

/** What the ONNX export reads of a succeeded job. */
export interface OnnxJob {
  id: string;
  spec: ExportSpec;
  /** sha256 of the job's spec (hex), as the route computes it. */
  specHash: string;
  metrics: Readonly<Record<string, number | null>>;
  /** The fitted table preprocessing, for a job trained on an uploaded table. */
  preprocessing: (FittedPreprocess & { classes?: string[] }) | null;
  /** The service's version, for producer_version. */
  version: string;
}

/** The ONNX opset the export targets (LayerNormalization is new in 17). */
export const ONNX_OPSET = 17;

/** The serialized model; NotExportableError when the job has none to export. */
export function exportOnnx(job: OnnxJob, weights: NamedWeights): Uint8Array {
  const m = exportModel(job.id, job.spec, weights);
  const b = new GraphBuilder();
  const pre = job.preprocessing;
  const inWidth = pre ? pre.columns.length : m.inFeatures;
  let x = pre ? preprocessNodes(b, 'input', pre) : 'input';
  // A data row is flat: [N, prod(input)] → [N, ...input], as the engine's first reshape.
  if (m.config.input.length > 1) x = b.op('Reshape', [x, b.ints('shape', [-1, ...m.config.input])]);
  let shape: readonly number[] = m.config.input;
  m.plan.specs.forEach((spec, i) => {
    const outShape = m.plan.report[i].outputShape;
    x = emitLayer(
      { b, x, inShape: shape, outShape, tensors: (local) => m.tensor(i, local), hint: `layer${i}` },
      spec,
    );
    shape = outShape;
  });
  const last = m.output === 'softmax' ? 'Softmax' : m.output === 'sigmoid' ? 'Sigmoid' : 'Identity';
  b.op(last, [x], last === 'Softmax' ? { axis: -1 } : {}, 'output');
  const metadata: Record<string, string> = {
    'descent.job_id': job.id,
    'descent.spec_sha256': job.specHash,
    'descent.metrics': JSON.stringify(job.metrics),
    'descent.output': m.output === 'identity' ? 'regression values' : `${m.output} probabilities`,
  };
  if (pre) {
    metadata['descent.input_columns'] = JSON.stringify(
      pre.columns.map((c) =>
        c.type === 'categorical'
          ? { name: c.name, type: c.type, categories: c.categories }
          : { name: c.name, type: c.type },
      ),
    );
    if (pre.classes) metadata['descent.classes'] = JSON.stringify(pre.classes);
  }
  return encodeModel({
    irVersion: 8,
    opset: ONNX_OPSET,
    producerName: 'descent',
    producerVersion: job.version,
    docString: `Descent job ${job.id}: input "input" [N, ${inWidth}] → output "output" [N, ${m.outWidth}]`,
    graph: {
      name: job.id,
      nodes: b.nodes,
      initializers: b.initializers,
      inputs: [{ name: 'input', elemType: DataType.FLOAT, shape: ['N', inWidth] }],
      outputs: [{ name: 'output', elemType: DataType.FLOAT, shape: ['N', m.outWidth] }],
    },
    metadata,
  });
}
