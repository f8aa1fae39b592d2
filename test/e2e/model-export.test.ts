/**
 * Issue 16, export (acceptance 1 and 2). Every model family the engine trains is trained for a few
 * epochs through the API with a real worker (sandboxed processor, real trainer) on seeded rows, then
 * exported with `GET /v1/jobs/{id}/model`:
 * - `?format=onnx` loads in ONNX Runtime (onnxruntime-node, CPU) and its `output` equals what
 *   `POST /v1/jobs/{id}/predict` returns, ≤ 1e-5 (float32, relative to max(1, |v|)), over random
 *   inputs at batch sizes 1 and 7 — for linear, an MLP per activation with and without dropout, the
 *   iris example, a reinforce policy, every `sequential` layer family and a table job with
 *   categorical, boolean and numeric columns, missing values and an unknown category (the graph
 *   holds the preprocessing);
 * - Debian's python3-onnx `onnx.checker.check_model(m, full_check=True)` passes on every file;
 * - `?format=torch` runs under /usr/bin/python3 with torch: `Model().load_state_dict(<the job's
 *   safetensors>, strict=True)`, then its outputs equal /predict's, ≤ 1e-5.
 * The Python parts are skipped where python3-onnx or python3-torch is missing (`.ci/run` installs both).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { finishedJob, makeTestApp, type TestApp } from '../helpers/app.js';
import { REPO } from '../helpers/service-process.js';
import { EXPORT_CASES, inputRows, trainingRows, uniform } from '../helpers/export-models.js';
import { startWorker, type RunningWorker } from '../../workers/worker.js';
import { predictWithModels } from '../../src/api/server.js';

const PY = '/usr/bin/python3';
const has = (mod: string) => spawnSync(PY, ['-c', `import ${mod}`], { stdio: 'ignore' }).status === 0;
const ONNX = has('onnx');
const TORCH = has('torch');
const TOL = 1e-5;

let redis: TestRedis;
let t: TestApp;
let worker: RunningWorker;
let dir: string;

/** A trained job to export: its id and the rows (`inputs` for /predict, the ONNX / torch input). */
interface Trained {
  name: string;
  id: string;
  /** What /predict is asked: inputs, or records of a table job. */
  predictBody: (rows: number[][]) => object;
  /** Random rows of the export's input. */
  rows: (n: number, seed: number) => number[][];
}
const trained: Trained[] = [];

async function submit(spec: object): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: spec });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}

/** Categorical values as the records /predict takes: names; ONNX gets the index (−1 unknown, NaN missing). */
interface FittedColumn {
  name: string;
  type: 'numeric' | 'boolean' | 'categorical';
  missing: string;
  categories?: string[];
  min?: number;
  max?: number;
  mean?: number;
  std?: number;
}

/** The churn table with every preprocessing option at once (as test/e2e/tables-end-to-end.test.ts). */
async function tableJob(): Promise<Trained> {
  const csv = readFileSync(join(REPO, 'test/fixtures/tables/churn.csv'), 'utf8');
  const up = await t.app.inject({
    method: 'POST',
    url: '/v1/datasets?target=churn&types=churn:categorical,support_calls:categorical',
    headers: { 'content-type': 'text/csv' },
    payload: csv,
  });
  expect(up.statusCode, up.body).toBe(201);
  const id = await submit({
    model: { type: 'mlp', hidden: [8], activation: 'tanh' },
    data: { datasetId: up.json().id },
    loss: 'cross_entropy',
    optimizer: { type: 'adam', lr: 0.01 },
    training: { epochs: 3, batchSize: 32, seed: 11 },
    preprocess: {
      numeric: 'minmax',
      categorical: 'ordinal',
      missing: 'mean',
      unknownCategory: 'ignore',
      perColumn: { region: { categorical: 'onehot' }, monthly_charge: { numeric: 'standardize' } },
    },
  });
  let columns: FittedColumn[] = [];
  // Random rows in the export's column form: values, category indices (−1: an unknown one), NaN.
  const rows = (n: number, seed: number) => {
    const r = uniform(seed);
    return Array.from({ length: n }, () =>
      columns.map((c) => {
        if (r() < 0.15) return NaN;
        if (c.type === 'categorical') return r() < 0.1 ? -1 : Math.floor(r() * c.categories!.length);
        if (c.type === 'boolean') return r() < 0.5 ? 0 : 1;
        const lo = c.min ?? (c.mean ?? 0) - 2 * (c.std ?? 1);
        const hi = c.max ?? (c.mean ?? 0) + 2 * (c.std ?? 1);
        return lo + (hi - lo) * (1.4 * r() - 0.2);
      }),
    );
  };
  const toRecords = (rs: number[][]) => ({
    records: rs.map((row) =>
      Object.fromEntries(
        columns.map((c, j) => {
          const v = row[j];
          if (Number.isNaN(v)) return [c.name, null];
          if (c.type === 'categorical') return [c.name, v < 0 ? 'never-seen' : c.categories![v]];
          if (c.type === 'boolean') return [c.name, v === 1];
          return [c.name, v];
        }),
      ),
    ),
  });
  const entry: Trained = {
    name: 'table: minmax, standardize, ordinal, one-hot, boolean, fills, unknown',
    id,
    predictBody: toRecords,
    rows,
  };
  // The columns are known once the job has succeeded (its fitted preprocessing).
  (entry as Trained & { init: () => Promise<void> }).init = async () => {
    const job = await finishedJob(t, id, 120_000);
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    columns = job.result.preprocessing.columns;
    expect(columns.some((c) => c.type === 'boolean')).toBe(true);
  };
  return entry;
}

beforeAll(async () => {
  redis = await startRedis();
  // The jobs outlive the tests' default 60 s retention: the torch part alone runs a Python process per model.
  t = await makeTestApp(redis.url, 'model-export', {
    predict: predictWithModels,
    cfg: { retentionMs: 3_600_000 },
  });
  worker = await startWorker(t.cfg, { backend: 'test', log: () => {} });
  dir = mkdtempSync(join(tmpdir(), 'descent-export-'));

  for (const [i, c] of EXPORT_CASES.entries()) {
    const ds = await t.app.inject({
      method: 'POST',
      url: '/v1/datasets',
      payload: trainingRows(c, 1000 + i),
    });
    expect(ds.statusCode, ds.body).toBe(201);
    const id = await submit({
      model: c.model,
      data: { datasetId: ds.json().id },
      loss: c.loss,
      optimizer: { type: 'adam', lr: 0.01 },
      training: { epochs: 3, batchSize: 8, seed: 5, ...(c.dtype ? { dtype: c.dtype } : {}) },
    });
    trained.push({
      name: c.name,
      id,
      predictBody: (inputs) => ({ inputs }),
      rows: (n, s) => inputRows(c, n, s),
    });
  }
  const iris = JSON.parse(readFileSync(join(REPO, 'examples/iris-mlp-adam.json'), 'utf8'));
  const irisId = await submit({ ...iris, training: { ...iris.training, epochs: 3 } });
  trained.push({
    name: 'iris (examples/iris-mlp-adam.json)',
    id: irisId,
    predictBody: (inputs) => ({ inputs }),
    rows: (n, s) => {
      const r = uniform(s);
      return Array.from({ length: n }, () => [4 + 4 * r(), 2 + 2.5 * r(), 1 + 6 * r(), 0.1 + 2.4 * r()]);
    },
  });
  const policyId = await submit({
    task: 'reinforce',
    env: { type: 'cartpole', maxSteps: 50 },
    episodes: 3,
    // a value baseline: its tensors (value.*) are in the weights, so the torch file must hold them too
    baseline: 'value',
    policy: { hidden: [8], activation: 'tanh' },
    optimizer: { type: 'adam', lr: 0.01 },
    seed: 2,
  });
  trained.push({
    name: 'reinforce policy (cartpole, value baseline)',
    id: policyId,
    predictBody: (inputs) => ({ inputs }),
    rows: (n, s) => {
      const r = uniform(s);
      return Array.from({ length: n }, () => Array.from({ length: 4 }, () => 2 * r() - 1));
    },
  });
  const table = await tableJob();
  trained.push(table);
  for (const j of trained) {
    const init = (j as Trained & { init?: () => Promise<void> }).init;
    if (init) await init();
    else {
      const job = await finishedJob(t, j.id, 120_000);
      expect(job.status, `${j.name}: ${JSON.stringify(job.error)}`).toBe('succeeded');
    }
  }
}, 600_000);

afterAll(async () => {
  await worker?.close(2000);
  await t?.close();
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** max |a − b| / max(1, |b|) over two equally shaped tables. */
function maxRelErr(a: number[][], b: number[][]): number {
  expect(a.map((r) => r.length)).toEqual(b.map((r) => r.length));
  let e = 0;
  a.forEach((row, i) =>
    row.forEach((v, j) => (e = Math.max(e, Math.abs(v - b[i][j]) / Math.max(1, Math.abs(b[i][j]))))),
  );
  return e;
}

async function predicted(j: Trained, rows: number[][]): Promise<number[][]> {
  const res = await t.app.inject({
    method: 'POST',
    url: `/v1/jobs/${j.id}/predict`,
    payload: j.predictBody(rows),
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().outputs;
}

describe('ONNX export (acceptance 1)', () => {
  test('every trained model: ONNX Runtime runs the file and its output equals /predict (≤ 1e-5)', async () => {
    for (const [k, j] of trained.entries()) {
      const res = await t.app.inject({ url: `/v1/jobs/${j.id}/model?format=onnx` });
      expect(res.statusCode, `${j.name}: ${res.body}`).toBe(200);
      expect(res.headers['content-type']).toBe('application/onnx');
      const bytes = res.rawPayload;
      expect(Number(res.headers['content-length'])).toBe(bytes.length);
      writeFileSync(join(dir, `${k}.onnx`), bytes);
      const session = await ort.InferenceSession.create(bytes);
      expect(session.inputNames).toEqual(['input']);
      expect(session.outputNames).toEqual(['output']);
      let worst = 0;
      for (const n of [1, 7]) {
        const rows = j.rows(n, 77 + k * 10 + n);
        const width = rows[0].length;
        const out = await session.run({
          input: new ort.Tensor('float32', Float32Array.from(rows.flat()), [n, width]),
        });
        const y = out.output;
        const outW = y.dims[1] as number;
        expect(y.dims).toEqual([n, outW]);
        const got = Array.from({ length: n }, (_, i) =>
          Array.from((y.data as Float32Array).subarray(i * outW, (i + 1) * outW)),
        );
        worst = Math.max(worst, maxRelErr(got, await predicted(j, rows)));
      }
      console.log(`${j.name}: ONNX Runtime vs /predict max relative |Δ| = ${worst.toExponential(2)}`);
      expect(worst, j.name).toBeLessThanOrEqual(TOL);
    }
  }, 600_000);

  test('metadata_props: job id, spec sha256, metrics; Accept: application/onnx; ETag and 304', async () => {
    const j = trained[0];
    const res = await t.app.inject({
      url: `/v1/jobs/${j.id}/model`,
      headers: { accept: 'application/onnx' },
    });
    expect(res.statusCode).toBe(200);
    const session = await ort.InferenceSession.create(res.rawPayload);
    // onnxruntime-node does not list metadata_props; the bytes hold them (the python checker reads them below).
    const text = res.rawPayload.toString('latin1');
    for (const key of ['descent.job_id', 'descent.spec_sha256', 'descent.metrics', j.id])
      expect(text).toContain(key);
    expect(session.inputNames).toEqual(['input']);
    const etag = res.headers.etag as string;
    expect(etag).toMatch(/^"[0-9a-f]{64}"$/);
    const again = await t.app.inject({
      url: `/v1/jobs/${j.id}/model?format=onnx`,
      headers: { 'if-none-match': etag },
    });
    expect(again.statusCode).toBe(304);
  });

  test.skipIf(!ONNX)('python3-onnx: onnx.checker.check_model(full_check=True) passes on every file', () => {
    const files = trained.map((_, k) => join(dir, `${k}.onnx`));
    const script = [
      'import json, sys, onnx',
      'out = []',
      'for f in sys.argv[1:]:',
      '    m = onnx.load(f)',
      '    onnx.checker.check_model(m, full_check=True)',
      '    out.append({"opset": m.opset_import[0].version, "meta": {p.key: p.value for p in m.metadata_props},',
      '                "batch": m.graph.input[0].type.tensor_type.shape.dim[0].dim_param})',
      'print(json.dumps(out))',
    ].join('\n');
    const py = spawnSync(PY, ['-c', script, ...files], { encoding: 'utf8' });
    expect(py.status, py.stderr).toBe(0);
    const models = JSON.parse(py.stdout) as { opset: number; meta: Record<string, string>; batch: string }[];
    models.forEach((m, k) => {
      expect(m.opset).toBe(17);
      expect(m.batch).toBe('N');
      expect(m.meta['descent.job_id']).toBe(trained[k].id);
      expect(m.meta['descent.spec_sha256']).toMatch(/^[0-9a-f]{64}$/);
      expect(Object.keys(JSON.parse(m.meta['descent.metrics']))).not.toHaveLength(0);
    });
  });
});

describe('a job without a model to export', () => {
  test('minimize → 409 naming why, for both formats; a queued job → 409 before success', async () => {
    const spec = JSON.parse(readFileSync(join(REPO, 'examples/minimize-himmelblau-newton.json'), 'utf8'));
    const id = await submit({ ...spec, steps: 3 });
    const queued = await t.app.inject({ url: `/v1/jobs/${id}/model` });
    if (queued.statusCode === 409 && !queued.json().detail.includes('minimize'))
      expect(queued.json().detail).toMatch(/weights exist only once it has succeeded/);
    const job = await finishedJob(t, id);
    expect(job.status).toBe('succeeded');
    for (const format of ['onnx', 'torch']) {
      const res = await t.app.inject({ url: `/v1/jobs/${id}/model?format=${format}` });
      expect(res.statusCode).toBe(409);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
      expect(res.json().detail).toMatch(/minimize job: it found a point, not a model/);
    }
    expect((await t.app.inject({ url: `/v1/jobs/${id}/model?format=keras` })).statusCode).toBe(400);
  });
});

describe.skipIf(!TORCH)('torch export (acceptance 2)', () => {
  test('every trained model: the .py loads the safetensors with strict=True and predicts like /predict', async () => {
    const cases: { py: string; weights: string; rows: (number | null)[][] }[] = [];
    const rowsOf: number[][][] = [];
    for (const [k, j] of trained.entries()) {
      const py = await t.app.inject({ url: `/v1/jobs/${j.id}/model?format=torch` });
      expect(py.statusCode, `${j.name}: ${py.body}`).toBe(200);
      expect(py.headers['content-type']).toMatch(/^text\/x-python/);
      const st = await t.app.inject({ url: `/v1/jobs/${j.id}/weights?format=safetensors` });
      const file = join(dir, `m${k}.py`);
      writeFileSync(file, py.rawPayload);
      writeFileSync(join(dir, `m${k}.safetensors`), st.rawPayload);
      const rows = j.rows(5, 500 + k);
      rowsOf.push(rows);
      cases.push({
        py: file,
        weights: join(dir, `m${k}.safetensors`),
        rows: rows.map((r) => r.map((v) => (Number.isNaN(v) ? null : v))),
      });
    }
    // One Python process imports every generated file as its own module (torch loads once).
    const script = [
      'import importlib.util, json, sys, torch',
      'out = []',
      'for i, c in enumerate(json.load(sys.stdin)):',
      '    spec = importlib.util.spec_from_file_location(f"job_model_{i}", c["py"])',
      '    mod = importlib.util.module_from_spec(spec)',
      '    spec.loader.exec_module(mod)',
      '    m = mod.load_model(c["weights"])  # Model().load_state_dict(..., strict=True)',
      '    dtype = next(m.parameters()).dtype',
      '    x = torch.tensor([[float("nan") if v is None else v for v in r] for r in c["rows"]], dtype=dtype)',
      '    with torch.no_grad():',
      '        out.append(m(x).tolist())',
      'print(json.dumps(out))',
    ].join('\n');
    const run = spawnSync(PY, ['-c', script], { input: JSON.stringify(cases), encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const outputs = JSON.parse(run.stdout) as number[][][];
    for (const [k, j] of trained.entries()) {
      const err = maxRelErr(outputs[k], await predicted(j, rowsOf[k]));
      console.log(`${j.name}: torch module vs /predict max relative |Δ| = ${err.toExponential(2)}`);
      expect(err, j.name).toBeLessThanOrEqual(TOL);
    }
    // Run as a script, the file predicts rows from stdin (what docs/export.md shows).
    const last = trained.length - 1;
    const asScript = spawnSync(PY, [cases[last].py, cases[last].weights], {
      input: JSON.stringify(cases[last].rows),
      encoding: 'utf8',
    });
    expect(asScript.status, asScript.stderr).toBe(0);
    expect(maxRelErr(JSON.parse(asScript.stdout), outputs[last])).toBe(0);
  }, 600_000);
});
