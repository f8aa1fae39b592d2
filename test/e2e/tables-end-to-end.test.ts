/**
 * Issue 12, acceptance 4: typed tables end to end over HTTP, with a real redis-server and worker
 * (real trainer). For each of three CSVs shipped in test/fixtures/tables (a seeded synthetic churn
 * table with numeric, categorical, boolean and missing values; scikit-learn's wine and breast
 * cancer, CC BY 4.0): upload → train an mlp with standardize + median imputation, a test split and a
 * validation split → the result lists `test` metrics and the fitted `preprocessing` → /predict takes
 * raw records (string categories, yes/no, a null) and answers probabilities and labels → /evaluate
 * on the dataset answers accuracy, confusion matrix, per-class scores and ROC AUC → the model has
 * learned → the safetensors download, run in torch on the same raw records through
 * python/descent_tables.py (the listed statistics only) and python/descent_torch.py, gives
 * /predict's probabilities to 1e-5, on a record at the decision boundary too. A last test runs the
 * helper's other branches (minmax, ordinal, perColumn, mean / most_frequent fills, an unknown
 * category under unknownCategory "ignore") against /predict the same way. The torch steps need
 * Debian's python3-torch (`.ci/run` installs it) and are skipped without; the rest always runs.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { finishedJob, makeTestApp, type TestApp } from '../helpers/app.js';
import { REPO } from '../helpers/service-process.js';
import { startWorker, type RunningWorker } from '../../workers/worker.js';
import { predictWithModels } from '../../src/api/server.js';

const TORCH = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const TOL = 1e-5;

type RawRecord = Record<string, number | string | boolean | null>;

interface Table {
  name: string;
  file: string;
  target: string;
  /** `?types=` of the upload: churn's yes/no target would otherwise be read as boolean. */
  types?: string;
  classes: string[];
  /** Epochs of training (breast cancer fits its training rows to a loss of 0.002 in 60, every output saturated). */
  epochs: number;
  /** Test accuracy the trained model must reach at least. */
  minAccuracy: number;
  /** Raw records for /predict and torch (with their target, which both ignore). */
  records: (rows: RawRecord[]) => RawRecord[];
  /** The fitted columns' types the upload must have inferred. */
  columnTypes: Record<string, string>;
}

/** The CSV's rows as records of raw values, as a client would send them (numbers as numbers, empty as null). */
function parseCsv(text: string): RawRecord[] {
  const [head, ...lines] = text.trimEnd().split('\n');
  const names = head.split(',');
  return lines.map((l) => {
    const cells = l.split(',');
    return Object.fromEntries(
      names.map((n, j) => {
        const c = cells[j];
        return [n, c === '' ? null : /^[-+0-9.eE]+$/.test(c) ? Number(c) : c];
      }),
    );
  });
}

/** w·a + (1 − w)·b of two rows' numeric values (the rest from a). */
function midpoint(a: RawRecord, b: RawRecord, w: number): RawRecord {
  return Object.fromEntries(
    Object.entries(a).map(([k, v]) => [
      k,
      typeof v === 'number' && typeof b[k] === 'number' ? w * v + (1 - w) * b[k] : v,
    ]),
  );
}

const TABLES: Table[] = [
  {
    name: 'churn (numeric, categorical, yes/no boolean, missing cells, yes/no string target)',
    file: 'churn.csv',
    target: 'churn',
    types: 'churn:categorical',
    classes: ['no', 'yes'],
    // 53% of the rows churn; the logistic model that drew the target scores 0.807 on all rows
    epochs: 60,
    minAccuracy: 0.7,
    records: (rows) => [
      ...rows.slice(0, 6),
      // every kind of raw value by hand: a missing charge (median fill), each contract, yes / no
      {
        tenure_months: 3,
        monthly_charge: null,
        contract: 'month',
        paperless: 'yes',
        support_calls: 5,
        region: 'south',
      },
      {
        tenure_months: 60,
        monthly_charge: 25.5,
        contract: 'two_year',
        paperless: 'no',
        support_calls: 0,
        region: 'west',
      },
      {
        tenure_months: 24,
        monthly_charge: 80,
        contract: 'one_year',
        paperless: true,
        support_calls: 2,
        region: 'east',
      },
    ],
    columnTypes: {
      tenure_months: 'numeric',
      monthly_charge: 'numeric',
      contract: 'categorical',
      paperless: 'boolean',
      support_calls: 'numeric',
      region: 'categorical',
    },
  },
  {
    name: 'wine (13 numeric features, class_0/1/2)',
    file: 'wine.csv',
    target: 'class',
    classes: ['class_0', 'class_1', 'class_2'],
    epochs: 60,
    minAccuracy: 0.9,
    // rows of every class, one with a missing value (median fill)
    records: (rows) => [rows[0], rows[70], rows[150], { ...rows[100], magnesium: null }],
    columnTypes: {},
  },
  {
    name: 'breast cancer (30 numeric features, malignant/benign)',
    file: 'breast_cancer.csv',
    target: 'class',
    classes: ['benign', 'malignant'],
    epochs: 8,
    minAccuracy: 0.9,
    records: (rows) => [rows[0], rows[19], rows[300], { ...rows[1], mean_area: null, worst_texture: null }],
    columnTypes: {},
  },
];

let redis: TestRedis;
let t: TestApp;
let worker: RunningWorker;
let dir: string;

beforeAll(async () => {
  redis = await startRedis();
  t = await makeTestApp(redis.url, 'tables-e2e', { predict: predictWithModels });
  worker = await startWorker(t.cfg, { backend: 'test', log: () => {} });
  dir = mkdtempSync(join(tmpdir(), 'descent-tables-e2e-'));
});
afterAll(async () => {
  await worker?.close(2000);
  await t?.close();
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const post = (url: string, payload: unknown) =>
  t.app.inject({ method: 'POST', url, payload: payload as object });

describe('typed tables over HTTP: upload, train, predict records, evaluate, same answers in torch', () => {
  test.each(TABLES)(
    '$name',
    async (tb) => {
      const csv = readFileSync(join(REPO, 'test/fixtures/tables', tb.file), 'utf8');
      const rows = parseCsv(csv);
      const query = `target=${tb.target}${tb.types ? `&types=${tb.types}` : ''}`;
      const up = await t.app.inject({
        method: 'POST',
        url: `/v1/datasets?${query}`,
        headers: { 'content-type': 'text/csv' },
        payload: csv,
      });
      expect(up.statusCode, up.body).toBe(201);
      const datasetId = up.json().id as string;

      const started = Date.now();
      const created = await post('/v1/jobs', {
        model: { type: 'mlp', hidden: [16], activation: 'relu' },
        data: { datasetId },
        loss: 'cross_entropy',
        optimizer: { type: 'adam', lr: 0.01 },
        training: { epochs: tb.epochs, batchSize: 32, testSplit: 0.2, validationSplit: 0.2, seed: 7 },
        preprocess: { numeric: 'standardize', missing: 'median' },
      });
      expect(created.statusCode, created.body).toBe(201);
      const job = await finishedJob(t, created.json().id, 120_000);
      expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
      const trainMs = Date.now() - started;

      // the fitted statistics, listed: one column per feature, in the CSV's order
      const p = job.result.preprocessing;
      expect(p.classes).toEqual(tb.classes);
      const names = Object.keys(rows[0]).filter((n) => n !== tb.target);
      expect(p.columns.map((c: { name: string }) => c.name)).toEqual(names);
      for (const c of p.columns) {
        expect(c.type).toBe(tb.columnTypes[c.name] ?? 'numeric');
        if (c.type === 'numeric') {
          expect(c.scaling).toBe('standardize');
          expect(c.mean).toBeTypeOf('number');
          expect(c.std).toBeGreaterThan(0);
          expect(c.fill).toBeTypeOf('number');
        }
      }
      const testRows = Math.ceil(rows.length * 0.2);
      expect(job.result.test.rows).toBe(testRows);
      // fitted on the training rows alone: all rows minus ⌈20%⌉ test and ⌈20%⌉ validation
      expect(p.fittedRows).toBe(rows.length - 2 * testRows);
      expect(job.result.validation.rows).toBe(testRows);

      // /predict with raw records, and one on the decision boundary (bisected with /predict between
      // rows of two classes), where the probabilities are not saturated at 0 or 1 and so show any
      // difference from torch
      const a = rows.find((r) => r[tb.target] === tb.classes[0])!;
      const b = rows.find((r) => r[tb.target] === tb.classes[1])!;
      let [lo, hi] = [0, 1];
      for (let i = 0; i < 14; i++) {
        const w = (lo + hi) / 2;
        const r = await post(`/v1/jobs/${job.id}/predict`, { records: [midpoint(a, b, w)] });
        expect(r.statusCode, r.body).toBe(200);
        // w = 1 is row a (class 0): more weight on a while class 0 is not the more likely
        const [p0, p1] = r.json().outputs[0] as number[];
        if (p0 > p1) hi = w;
        else lo = w;
      }
      const records = [...tb.records(rows), midpoint(a, b, (lo + hi) / 2)];
      const pred = await post(`/v1/jobs/${job.id}/predict`, { records });
      expect(pred.statusCode, pred.body).toBe(200);
      const answer = pred.json() as { outputs: number[][]; classes: number[]; labels: string[] };
      expect(answer.outputs).toHaveLength(records.length);
      for (const o of answer.outputs) {
        expect(o).toHaveLength(tb.classes.length);
        expect(o.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      }
      expect(answer.labels).toEqual(answer.classes.map((k) => tb.classes[k]));

      // /evaluate on the whole dataset
      const ev = await post(`/v1/jobs/${job.id}/evaluate`, { datasetId });
      expect(ev.statusCode, ev.body).toBe(200);
      const report = ev.json();
      expect(report.rows).toBe(rows.length);
      const k = tb.classes.length;
      expect(report.confusionMatrix).toHaveLength(k);
      const cm = report.confusionMatrix as number[][];
      expect(cm.flat().reduce((a, b) => a + b, 0)).toBe(rows.length);
      // the matrix's diagonal is the accuracy; its rows are each class's support
      expect(report.metrics.accuracy).toBeCloseTo(cm.reduce((s, r, i) => s + r[i], 0) / rows.length, 12);
      expect(report.perClass.map((s: { label: string }) => s.label)).toEqual(tb.classes);
      expect(report.perClass.map((s: { support: number }) => s.support)).toEqual(
        tb.classes.map((c) => rows.filter((r) => r[tb.target] === c).length),
      );
      expect(report.metrics.rocAuc).toBeGreaterThan(0.5);

      // it learned: on the test rows it never saw, and against always answering the majority class
      const majority =
        Math.max(...tb.classes.map((c) => rows.filter((r) => r[tb.target] === c).length)) / rows.length;
      const acc = job.result.test.metrics.accuracy as number;
      console.log(
        `${tb.file}: trained in ${trainMs} ms; test accuracy ${acc.toFixed(3)} (majority ${majority.toFixed(3)}), ` +
          `ROC AUC ${job.result.test.metrics.rocAuc?.toFixed(3)}; dataset accuracy ${report.metrics.accuracy.toFixed(3)}`,
      );
      expect(acc).toBeGreaterThanOrEqual(tb.minAccuracy);
      expect(acc).toBeGreaterThan(majority + 0.1);

      if (!TORCH) return;
      // the same raw records in torch: the listed statistics, then the safetensors download
      const st = await t.app.inject({ url: `/v1/jobs/${job.id}/weights?format=safetensors` });
      expect(st.statusCode, st.body).toBe(200);
      const file = join(dir, `${tb.file}.safetensors`);
      writeFileSync(file, st.rawPayload);
      const py = spawnSync('/usr/bin/python3', [join(REPO, 'test/e2e/tables_torch.py'), file], {
        input: JSON.stringify({ job, records }),
        encoding: 'utf8',
      });
      expect(py.status, `python: ${py.stderr}`).toBe(0);
      const torch = JSON.parse(py.stdout) as {
        rows: number[][];
        probabilities: number[][];
        labels: string[];
      };
      expect(torch.rows[0]).toHaveLength(p.featureNames.length);
      let maxErr = 0;
      torch.probabilities.forEach((r, i) =>
        r.forEach((v, j) => (maxErr = Math.max(maxErr, Math.abs(v - answer.outputs[i][j])))),
      );
      console.log(
        `${tb.file}: torch vs /predict max |Δ| = ${maxErr.toExponential(2)} over ${records.length} records ` +
          `(least confident: ${Math.min(...answer.outputs.map((o) => Math.max(...o))).toFixed(3)})`,
      );
      expect(torch.probabilities.map((r) => r.length)).toEqual(answer.outputs.map((r) => r.length));
      expect(maxErr).toBeLessThanOrEqual(TOL);
      expect(torch.labels).toEqual(answer.labels);
    },
    180_000,
  );
});

describe.skipIf(!TORCH)('descent_tables reproduces the other options as /predict applies them', () => {
  test('minmax, ordinal, perColumn one-hot, mean / most_frequent fills, an unknown category ignored', async () => {
    const csv = readFileSync(join(REPO, 'test/fixtures/tables/churn.csv'), 'utf8');
    const up = await t.app.inject({
      method: 'POST',
      url: '/v1/datasets?target=churn&types=churn:categorical,support_calls:categorical',
      headers: { 'content-type': 'text/csv' },
      payload: csv,
    });
    expect(up.statusCode, up.body).toBe(201);
    const created = await post('/v1/jobs', {
      model: { type: 'mlp', hidden: [8], activation: 'tanh' },
      data: { datasetId: up.json().id },
      loss: 'cross_entropy',
      optimizer: { type: 'adam', lr: 0.01 },
      training: { epochs: 5, batchSize: 32, testSplit: 0.2, seed: 11 },
      preprocess: {
        numeric: 'minmax',
        categorical: 'ordinal',
        missing: 'mean',
        unknownCategory: 'ignore',
        perColumn: { region: { categorical: 'onehot' }, paperless: { numeric: 'standardize' } },
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    const job = await finishedJob(t, created.json().id, 120_000);
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    const p = job.result.preprocessing;
    const byName = Object.fromEntries(p.columns.map((c: { name: string }) => [c.name, c]));
    expect(byName.contract.encoding).toBe('ordinal');
    expect(byName.region.encoding).toBe('onehot');
    expect(byName.support_calls.type).toBe('categorical');
    expect(byName.paperless.scaling).toBe('standardize');
    expect(byName.tenure_months.scaling).toBe('minmax');

    const records: RawRecord[] = [
      // an unknown region and contract (ignored: zeros / −1), a missing charge (mean), an unseen call count
      {
        tenure_months: 80,
        monthly_charge: null,
        contract: 'weekly',
        paperless: 'no',
        support_calls: 42,
        region: 'mars',
      },
      {
        tenure_months: 1,
        monthly_charge: 119.5,
        contract: 'two_year',
        paperless: 'YES',
        support_calls: 3,
        region: 'north',
      },
      // integer categories sent as numbers are read as their decimal text; a missing category gets the most frequent
      {
        tenure_months: 30,
        monthly_charge: 55,
        contract: null,
        paperless: false,
        support_calls: 1,
        region: null,
      },
    ];
    const pred = await post(`/v1/jobs/${job.id}/predict`, { records });
    expect(pred.statusCode, pred.body).toBe(200);
    const outputs = pred.json().outputs as number[][];
    const st = await t.app.inject({ url: `/v1/jobs/${job.id}/weights?format=safetensors` });
    const file = join(dir, 'churn-options.safetensors');
    writeFileSync(file, st.rawPayload);
    const py = spawnSync('/usr/bin/python3', [join(REPO, 'test/e2e/tables_torch.py'), file], {
      input: JSON.stringify({ job, records }),
      encoding: 'utf8',
    });
    expect(py.status, `python: ${py.stderr}`).toBe(0);
    const torch = JSON.parse(py.stdout) as { rows: number[][]; probabilities: number[][] };
    expect(torch.rows[0]).toHaveLength(p.featureNames.length);
    let maxErr = 0;
    torch.probabilities.forEach((r, i) =>
      r.forEach((v, j) => (maxErr = Math.max(maxErr, Math.abs(v - outputs[i][j])))),
    );
    console.log(`churn, other options: torch vs /predict max |Δ| = ${maxErr.toExponential(2)}`);
    expect(maxErr).toBeLessThanOrEqual(TOL);
  }, 120_000);
});
