/**
 * Issue 11, acceptance 4: the safetensors export of every kind of `sequential` model loads with
 * `load_state_dict(strict=True)` into the torch module that python/descent_torch.py (the file users
 * get) builds from the job's spec, and that module predicts what `POST /v1/jobs/{id}/predict` returns
 * (≤ 1e-5, float32). Each model trains a few float32 steps through the API with a real worker
 * (sandboxed processor, real trainer) on seeded rows, so batchnorm's running statistics are not
 * at their initial values. `mlp` and `linear` models go through the same file (their widths read off
 * the weights). Needs Debian's python3-torch (`.ci/run` installs it); skipped without.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { finishedJob, makeTestApp, type TestApp } from '../helpers/app.js';
import { REPO } from '../helpers/service-process.js';
import { startWorker, type RunningWorker } from '../../workers/worker.js';
import { predictWithModels } from '../../src/api/server.js';

const TORCH = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const ROWS = 32;
const TOL = 1e-5;

/** mulberry32: seeded uniform [0, 1), so the rows are the same on every run. */
function uniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Loss = 'cross_entropy' | 'mse' | 'bce';
interface Model {
  name: string;
  /** A sequential model, or one of the older types (their input width is the data's). */
  model:
    | { type: 'sequential'; input: number[]; layers: Record<string, unknown>[] }
    | { type: 'mlp' | 'linear'; [k: string]: unknown };
  /** Features per row when the model has no `input`. */
  features?: number;
  loss: Loss;
  /** Token ids in 0..vocab−1 rather than real features. */
  vocab?: number;
  /** Classes (cross_entropy) or target columns (mse). */
  width: number;
}

const MODELS: Model[] = [
  {
    name: 'mlp (the older model type; descent_torch reads its widths off the weights)',
    model: { type: 'mlp', hidden: [6, 5], activation: 'elu', dropout: 0.1 },
    loss: 'cross_entropy',
    features: 4,
    width: 3,
  },
  { name: 'linear (names without an index)', model: { type: 'linear' }, loss: 'mse', features: 3, width: 2 },
  {
    name: 'MLP-like: linear, batchnorm1d, leaky_relu, dropout, layernorm, softplus',
    model: {
      type: 'sequential',
      input: [6],
      layers: [
        { type: 'linear', out: 8 },
        { type: 'batchnorm1d' },
        { type: 'leaky_relu', slope: 0.1 },
        { type: 'dropout', p: 0.2 },
        { type: 'linear', out: 8 },
        { type: 'layernorm' },
        { type: 'softplus' },
        { type: 'linear' },
      ],
    },
    loss: 'cross_entropy',
    width: 3,
  },
  {
    name: 'CNN 2d: conv2d same, batchnorm2d, maxpool2d, grouped conv2d, adaptive_avgpool2d',
    model: {
      type: 'sequential',
      input: [2, 6, 6],
      layers: [
        { type: 'conv2d', out: 4, kernel: 3, padding: 'same' },
        { type: 'batchnorm2d' },
        { type: 'relu' },
        { type: 'maxpool2d', kernel: 2 },
        { type: 'conv2d', out: 4, kernel: 2, groups: 2 },
        { type: 'adaptive_avgpool2d', output: 1 },
        { type: 'flatten' },
        { type: 'linear' },
      ],
    },
    loss: 'mse',
    width: 2,
  },
  {
    name: 'CNN 1d: dilated conv1d, batchnorm1d, elu, maxpool1d, avgpool1d, sigmoid (bce)',
    model: {
      type: 'sequential',
      input: [2, 12],
      layers: [
        { type: 'conv1d', out: 3, kernel: 3, padding: 1, dilation: 2 },
        { type: 'batchnorm1d', momentum: 0.2 },
        { type: 'elu' },
        { type: 'maxpool1d', kernel: 2 },
        { type: 'avgpool1d', kernel: 2, stride: 1, padding: 1, countIncludePad: false },
        { type: 'flatten' },
        { type: 'sigmoid' },
        { type: 'linear' },
      ],
    },
    loss: 'bce',
    width: 1,
  },
  {
    name: 'LSTM: bidirectional, 2 layers, sequence output, mean_pool',
    model: {
      type: 'sequential',
      input: [6, 2],
      layers: [
        { type: 'lstm', hidden: 5, layers: 2, bidirectional: true, dropout: 0.1, output: 'sequence' },
        { type: 'mean_pool' },
        { type: 'linear' },
      ],
    },
    loss: 'mse',
    width: 1,
  },
  {
    name: 'RNN (relu) then bidirectional GRU, last output',
    model: {
      type: 'sequential',
      input: [6, 2],
      layers: [
        { type: 'rnn', hidden: 4, nonlinearity: 'relu', output: 'sequence' },
        { type: 'gru', hidden: 3, bidirectional: true, output: 'last' },
        { type: 'tanh' },
        { type: 'linear' },
      ],
    },
    loss: 'cross_entropy',
    width: 2,
  },
  {
    name: 'attention: causal multi-head self-attention, layernorm, gelu tanh',
    model: {
      type: 'sequential',
      input: [5, 4],
      layers: [
        { type: 'attention', heads: 2, causal: true },
        { type: 'layernorm' },
        { type: 'gelu', approximate: 'tanh' },
        { type: 'mean_pool' },
        { type: 'linear' },
      ],
    },
    loss: 'mse',
    width: 1,
  },
  {
    name: 'transformer: embedding (paddingIdx), positional, pre-norm causal encoder, gelu',
    model: {
      type: 'sequential',
      input: [6],
      layers: [
        { type: 'embedding', num: 7, dim: 8, paddingIdx: 0 },
        { type: 'positional', maxLen: 10 },
        {
          type: 'transformer_encoder',
          dModel: 8,
          heads: 2,
          ff: 16,
          dropout: 0.1,
          activation: 'gelu',
          normFirst: true,
          causal: true,
        },
        { type: 'mean_pool' },
        { type: 'linear' },
      ],
    },
    loss: 'cross_entropy',
    vocab: 7,
    width: 2,
  },
  {
    name: 'embedding, flatten, silu, linear',
    model: {
      type: 'sequential',
      input: [5],
      layers: [
        { type: 'embedding', num: 6, dim: 3 },
        { type: 'flatten' },
        { type: 'linear', out: 4 },
        { type: 'silu' },
        { type: 'linear' },
      ],
    },
    loss: 'mse',
    vocab: 6,
    width: 2,
  },
];

/** Seeded rows for a model: features (or token ids) and targets of the loss's kind. */
function rowsFor(m: Model, seed: number): { x: number[][]; y: (number | number[])[] } {
  const r = uniform(seed);
  const features = m.model.type === 'sequential' ? m.model.input.reduce((a, b) => a * b, 1) : m.features!;
  const x = Array.from({ length: ROWS }, () =>
    Array.from({ length: features }, () => (m.vocab ? Math.floor(r() * m.vocab) : 2 * r() - 1)),
  );
  // Labels cycle through every class, so the output-width rule gives `width` classes.
  const y =
    m.loss === 'cross_entropy'
      ? x.map((_, i) => i % m.width)
      : m.loss === 'bce'
        ? x.map((_, i) => i % 2)
        : x.map(() => Array.from({ length: m.width }, () => r()));
  return { x, y };
}

/** The tensor names of a safetensors file's header (the test parser takes floats only; this file
 * also holds int64 num_batches_tracked). */
function safetensorsNames(buf: Buffer): string[] {
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<string, unknown>;
  return Object.keys(header).filter((k) => k !== '__metadata__');
}

let redis: TestRedis;
let t: TestApp;
let worker: RunningWorker;
let dir: string;

beforeAll(async () => {
  redis = await startRedis();
  t = await makeTestApp(redis.url, 'seq-torch', { predict: predictWithModels });
  worker = await startWorker(t.cfg, { backend: 'test', log: () => {} });
  dir = mkdtempSync(join(tmpdir(), 'descent-seq-torch-'));
});
afterAll(async () => {
  await worker?.close(2000);
  await t?.close();
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!TORCH)(
  'safetensors of sequential models load strict into descent_torch and predict like /predict',
  () => {
    test.each(MODELS.map((m, i) => ({ ...m, seed: 1000 + i })))(
      '$name',
      async (m) => {
        const { x, y } = rowsFor(m, m.seed);
        const ds = await t.app.inject({ method: 'POST', url: '/v1/datasets', payload: { x, y } });
        expect(ds.statusCode, ds.body).toBe(201);
        const spec = {
          model: m.model,
          data: { datasetId: ds.json().id },
          loss: m.loss,
          optimizer: { type: 'adam', lr: 0.01 },
          training: { epochs: 3, batchSize: 8, seed: 5 },
        };
        const res = await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: spec });
        expect(res.statusCode, res.body).toBe(201);
        const job = await finishedJob(t, res.json().id);
        expect(job.status, JSON.stringify(job.error)).toBe('succeeded');

        const st = await t.app.inject({ url: `/v1/jobs/${job.id}/weights?format=safetensors` });
        expect(st.statusCode, st.body).toBe(200);
        const bytes = st.rawPayload;
        const names = safetensorsNames(bytes);
        const rows = x.slice(0, 6);
        const pred = await t.app.inject({
          method: 'POST',
          url: `/v1/jobs/${job.id}/predict`,
          payload: { inputs: rows },
        });
        expect(pred.statusCode, pred.body).toBe(200);
        const outputs = pred.json().outputs as number[][];

        const weightsJson = (await t.app.inject({ url: `/v1/jobs/${job.id}/weights` })).json();
        const file = join(dir, `m${m.seed}.safetensors`);
        writeFileSync(file, bytes);
        const py = spawnSync('/usr/bin/python3', [join(REPO, 'test/e2e/sequential_torch_load.py'), file], {
          input: JSON.stringify({ job, rows, weightsJson }),
          encoding: 'utf8',
        });
        expect(py.status, `python: ${py.stderr}`).toBe(0);
        const torch = JSON.parse(py.stdout) as {
          names: string[];
          dtype: string;
          outputs: number[][];
          jsonVsSafetensors: number;
        };
        expect(torch.dtype).toBe('torch.float32');
        // strict=True already failed on any difference; this names them when the lists differ.
        expect([...torch.names].sort()).toEqual([...names].sort());
        let maxErr = 0;
        torch.outputs.forEach((row, i) =>
          row.forEach(
            (v, j) => (maxErr = Math.max(maxErr, Math.abs(v - outputs[i][j]) / Math.max(1, Math.abs(v)))),
          ),
        );
        expect(torch.outputs.map((r) => r.length)).toEqual(outputs.map((r) => r.length));
        console.log(`${m.name}: torch vs /predict max relative |Δ| = ${maxErr.toExponential(2)}`);
        expect(maxErr).toBeLessThanOrEqual(TOL);
        // The JSON weights (float32 values as JSON numbers) load to the same module.
        expect(torch.jsonVsSafetensors).toBeLessThanOrEqual(1e-6);
      },
      120_000,
    );
  },
);
