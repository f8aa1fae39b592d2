/**
 * A finished job → one self-contained Python file (torch only): python/descent_torch.py (the layer
 * wrappers and the builder users already have) followed by the job's model spec, its fitted
 * preprocessing and a `Model` (torch.nn.Module) whose state_dict names are the job's weight names,
 * so `Model().load_state_dict(<the job's safetensors>, strict=True)` loads them. `Model()(x)`
 * returns what /predict returns: probabilities (softmax, sigmoid) for classification, raw values
 * for regression; with preprocessing, x holds the table's columns as the ONNX export takes them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FittedPreprocess } from '../data/preprocess/types.js';
import type { NamedWeights } from '../tensor/index.js';
import { exportModel, type ExportSpec } from './exportable.js';

/** What the torch export reads of a succeeded job. */
export interface TorchJob {
  id: string;
  spec: ExportSpec;
  specHash: string;
  metrics: Readonly<Record<string, number | null>>;
  preprocessing: FittedPreprocess | null;
}

let library: string | undefined;

/** python/descent_torch.py, found above this file (src/export or dist/src/export), without its `__main__` block. */
function descentTorch(): string {
  if (library !== undefined) return library;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const p = join(dir, 'python', 'descent_torch.py');
    if (existsSync(p)) {
      const text = readFileSync(p, 'utf8');
      const main = text.indexOf("\nif __name__ == '__main__':");
      library = main >= 0 ? text.slice(0, main + 1) : text;
      return library;
    }
    dir = dirname(dir);
  }
  throw new Error('python/descent_torch.py is not installed next to the service');
}

/** A value as a Python expression: JSON parsed at import (a JSON string is a valid Python string literal). */
const pyJson = (v: unknown): string => `json.loads(${JSON.stringify(JSON.stringify(v))})`;

const TAIL = String.raw`

class Preprocess:
    """The job's fitted table preprocessing on columns [N, C] (not a module: it holds no state_dict
    entries). Numeric and boolean columns hold their value, categorical ones the index of the value in
    the column's categories, NaN where a value is missing: the ONNX export's input."""

    def __init__(self, fitted):
        self.columns = fitted['columns']

    def __call__(self, x):
        parts = []
        for j, c in enumerate(self.columns):
            v = x[:, j:j + 1]
            fill = c.get('fill')
            if c['type'] == 'categorical':
                if fill is not None:
                    v = torch.where(torch.isnan(v), torch.full_like(v, c['categories'].index(fill)), v)
                k = len(c['categories'])
                onehot = (v == torch.arange(k, dtype=v.dtype)).to(v.dtype)
                if c['encoding'] == 'onehot':
                    parts.append(onehot)
                else:  # ordinal: the index, -1 for an unknown one
                    parts.append(onehot @ torch.arange(1, k + 1, dtype=v.dtype).unsqueeze(1) - 1)
                continue
            if fill is not None:
                v = torch.where(torch.isnan(v), torch.full_like(v, fill), v)
            if c.get('scaling') == 'standardize':
                v = (v - c['mean']) / c['std']
            elif c.get('scaling') == 'minmax':
                span = c['max'] - c['min']
                scale = 1 / (span if span >= 10 * 2 ** -52 else 1)
                v = v * scale + (0 - c['min'] * scale)
            parts.append(v)
        return torch.cat(parts, dim=1)


class Model(nn.Module):
    """The job's model with its preprocessing and the output /predict returns.

    Its state_dict names are the job's weight names: load_state_dict(read_safetensors(path),
    strict=True) takes the file of GET /v1/jobs/{id}/weights?format=safetensors as it is.
    """

    def __init__(self):
        super().__init__()
        core = build_module(MODEL, out_width=OUT_WIDTH, in_width=IN_WIDTH)
        self.preprocess = Preprocess(PREPROCESSING) if PREPROCESSING else None
        self.kind = 'linear' if isinstance(core, nn.Linear) else 'sequential'
        if PREFIX:  # a reinforce policy: its weights are named policy.<i>.weight
            self.kind = 'policy'
            self.add_module(PREFIX, core)
            if VALUE is not None:  # the value baseline training used; stored with the weights, not used here
                self.add_module('value', build_module(VALUE['model'], out_width=1, in_width=VALUE['in']))
        elif self.kind == 'linear':
            self.weight, self.bias = core.weight, core.bias
        else:
            for name, child in core.named_children():
                self.add_module(name, child)
            self.input_shape = core.input_shape
            self.layers = len(core)

    def logits(self, x):
        if self.kind == 'policy':
            return self._modules[PREFIX](x)
        if self.kind == 'linear':
            return nn.functional.linear(x, self.weight, self.bias)
        x = x.reshape(x.shape[0], *self.input_shape)
        if self.layers and isinstance(self._modules['0'], nn.Embedding):
            x = torch.round(x).long()  # token ids arrive as numbers in data rows
        for i in range(self.layers):
            x = self._modules[str(i)](x)
        return x

    def forward(self, x):
        if self.preprocess is not None:
            x = self.preprocess(x)
        y = self.logits(x)
        if OUTPUT == 'softmax':
            return torch.softmax(y, dim=-1)
        if OUTPUT == 'sigmoid':
            return torch.sigmoid(y)
        return y


def load_model(path):
    """Model() with the job's safetensors loaded strictly, in the weights' dtype, eval mode."""
    state = read_safetensors(path)
    floats = [t.dtype for t in state.values() if t.is_floating_point()]
    model = Model()
    if floats:
        model = model.to(floats[0])
    model.load_state_dict(state, strict=True)
    return model.eval()


if __name__ == '__main__':  # python3 this.py weights.safetensors < rows.json  ->  outputs as JSON
    import sys
    model = load_model(sys.argv[1])
    dtype = next(model.parameters()).dtype
    rows = json.load(sys.stdin)
    with torch.no_grad():
        out = model(torch.tensor([[float('nan') if v is None else v for v in r] for r in rows], dtype=dtype))
    print(json.dumps(out.tolist()))
`;

/** The Python source; NotExportableError when the job has no model to export. */
export function exportTorch(job: TorchJob, weights: NamedWeights): string {
  const m = exportModel(job.id, job.spec, weights);
  const spec = job.spec as { task?: string; model?: { type: string } };
  const dense = spec.task !== 'reinforce' && spec.model && spec.model.type !== 'sequential';
  // The model as descent_torch builds it: the spec's own model (its loss-free part), or the policy MLP.
  const policy = (job.spec as unknown as { policy?: { hidden: number[]; activation: string } }).policy;
  const model =
    spec.task === 'reinforce' && policy
      ? { type: 'mlp', hidden: policy.hidden, activation: policy.activation, dropout: 0 }
      : (spec.model as object);
  let value: { model: object; in: number } | null = null;
  if (spec.task === 'reinforce' && weights['value.0.weight']) {
    const hidden = Object.keys(weights)
      .filter((k) => k.startsWith('value.') && k.endsWith('.weight'))
      .slice(0, -1);
    value = {
      model: { ...(model as object), hidden: hidden.map((k) => weights[k].shape[0]) },
      in: weights['value.0.weight'].shape[1],
    };
  }
  const header = [
    `# Descent job ${job.id}: a torch.nn.Module for its trained model, generated by GET /v1/jobs/${job.id}/model?format=torch.`,
    `# Needs torch only. Load the weights of GET /v1/jobs/${job.id}/weights?format=safetensors:`,
    '#     model = load_model("model.safetensors")   # Model().load_state_dict(..., strict=True), eval mode',
    `#     model(torch.tensor(rows))                  # what POST /v1/jobs/${job.id}/predict returns`,
    `# spec sha256 ${job.specHash}`,
    '',
  ].join('\n');
  const constants = [
    '',
    '# ------------------------------------------------------------------------- the job',
    `JOB_ID = ${JSON.stringify(job.id)}`,
    `SPEC_SHA256 = ${JSON.stringify(job.specHash)}`,
    `METRICS = ${pyJson(job.metrics)}`,
    `MODEL = ${pyJson(model)}`,
    `IN_WIDTH = ${dense || spec.task === 'reinforce' ? m.inFeatures : 'None'}`,
    `OUT_WIDTH = ${m.outWidth}`,
    `OUTPUT = ${JSON.stringify(m.output)}`,
    `PREFIX = ${JSON.stringify(m.prefix.replace(/\.$/, ''))}`,
    `VALUE = ${value ? pyJson(value) : 'None'}`,
    `PREPROCESSING = ${job.preprocessing ? pyJson(job.preprocessing) : 'None'}`,
  ].join('\n');
  return header + descentTorch() + constants + TAIL;
}
