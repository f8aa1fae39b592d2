/**
 * Issue 11, acceptance 2: `sequential` models trained through the HTTP API by a real worker
 * (sandboxed processor, real trainer) follow PyTorch's trajectory. Three models (the digits CNN
 * conv2d → batchnorm2d → relu → maxpool2d → flatten → linear, an LSTM forecaster, a transformer
 * encoder classifier), each with `init.weights` from torch, float64, no shuffle, 80 uploaded rows
 * in batches of 16: after 1 and after 5 steps of SGD-momentum and of Adam, every tensor of the
 * weights, batchnorm's running statistics and num_batches_tracked included, equals torch's to
 * 1e-9 relative (what the fixture script says about zero-gradient parameters under Adam sets the
 * margin). Fixture: test/golden/fixtures/sequential_trajectories.json, written by
 * scripts/fixtures/sequential_fixtures.py (`/usr/bin/python3 scripts/fixtures/sequential_fixtures.py`).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { finishedJob, makeTestApp, type TestApp } from '../helpers/app.js';
import { startWorker, type RunningWorker } from '../../workers/worker.js';
import { predictWithModels } from '../../src/api/server.js';

interface Stored {
  shape: number[];
  values: number[];
}
interface Case {
  name: string;
  spec: { model: unknown; loss: string; training: Record<string, unknown> };
  paramNames: string[];
  bufferNames: string[];
  data: { x: number[][]; y: (number | number[])[] };
  init: Record<string, Stored>;
  trajectories: {
    optimizer: Record<string, unknown>;
    losses: number[];
    after: Record<string, Record<string, Stored>>;
  }[];
}
const fixture = JSON.parse(
  readFileSync(new URL('../golden/fixtures/sequential_trajectories.json', import.meta.url), 'utf8'),
) as { batchSize: number; steps: number; cases: Case[] };

/** Relative tolerance: per tensor, max |service − torch| ≤ TOL · max(1, max |torch|). */
const TOL = 1e-9;

/** Flat row-major values → nested arrays of `shape` (what init.weights takes). */
function nested(flat: number[], shape: number[]): unknown {
  if (shape.length <= 1) return flat;
  const inner = shape.slice(1).reduce((a, b) => a * b, 1);
  return Array.from({ length: shape[0] }, (_, i) =>
    nested(flat.slice(i * inner, (i + 1) * inner), shape.slice(1)),
  );
}

/** The torch state_dict as init.weights. Scalars (num_batches_tracked, 0 at init) are left to their
 * default: init.weights values are arrays. */
function initWeights(init: Record<string, Stored>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, t] of Object.entries(init)) if (t.shape.length > 0) out[name] = nested(t.values, t.shape);
  return out;
}

/** A JSON tensor (a number, or nested arrays of numbers) as its flat row-major values. */
function flatten(v: unknown): number[] {
  return Array.isArray(v) ? v.flatMap(flatten) : [v as number];
}

/** One line per tensor that differs (or is missing on either side), for the failure message. */
function differences(got: Record<string, unknown>, want: Record<string, Stored>): string[] {
  const out: string[] = [];
  for (const name of Object.keys(got))
    if (!(name in want)) out.push(`${name}: in the service's weights, not in torch's state_dict`);
  for (const [name, t] of Object.entries(want)) {
    if (!(name in got)) {
      out.push(`${name}: missing from the service's weights`);
      continue;
    }
    const g = flatten(got[name]);
    if (g.length !== t.values.length) {
      out.push(
        `${name}: ${g.length} values, torch has ${t.values.length} (shape ${JSON.stringify(t.shape)})`,
      );
      continue;
    }
    let err = 0;
    let worst = 0;
    let scale = 1;
    t.values.forEach((v, i) => {
      scale = Math.max(scale, Math.abs(v));
      const d = Math.abs(g[i] - v);
      if (!(d <= err)) {
        err = Number.isNaN(d) ? Infinity : d;
        worst = i;
      }
    });
    if (err > TOL * scale)
      out.push(
        `${name}: max |Δ| ${err.toExponential(2)} at [${worst}] (service ${g[worst]}, torch ${t.values[worst]})`,
      );
  }
  return out;
}

let redis: TestRedis;
let t: TestApp;
let worker: RunningWorker;

beforeAll(async () => {
  redis = await startRedis();
  t = await makeTestApp(redis.url, 'seq-traj', { predict: predictWithModels });
  worker = await startWorker(t.cfg, { backend: 'test', log: () => {} });
});
afterAll(async () => {
  await worker?.close(2000);
  await t?.close();
  await redis?.stop();
});

async function upload(x: number[][], y: unknown[]): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: '/v1/datasets', payload: { x, y } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}

const runs = fixture.cases.flatMap((c) =>
  c.trajectories.flatMap((tr) =>
    Object.keys(tr.after).map((steps) => ({
      c,
      tr,
      steps: Number(steps),
      label: `${c.name}, ${tr.optimizer.type}, ${steps} step(s)`,
    })),
  ),
);

describe('sequential models through the API follow PyTorch (float64, ≤ 1e-9 relative, buffers included)', () => {
  test.each(runs)(
    '$label',
    async ({ c, tr, steps }) => {
      // `steps` batches of batchSize rows, no shuffle, one epoch: exactly torch's first `steps` steps.
      const rows = steps * fixture.batchSize;
      const datasetId = await upload(c.data.x.slice(0, rows), c.data.y.slice(0, rows));
      const spec = {
        model: c.spec.model,
        data: { datasetId },
        loss: c.spec.loss,
        optimizer: tr.optimizer,
        training: c.spec.training,
        init: { weights: initWeights(c.init) },
      };
      const res = await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: spec });
      expect(res.statusCode, res.body).toBe(201);
      const job = await finishedJob(t, res.json().id);
      expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
      expect(job.result.steps).toBe(steps);
      // The reported epoch loss is the mean of the step losses (all batches have 16 rows).
      const meanLoss = tr.losses.slice(0, steps).reduce((a, b) => a + b, 0) / steps;
      expect(Math.abs(job.result.loss - meanLoss)).toBeLessThanOrEqual(TOL * Math.max(1, meanLoss));

      const w = (await t.app.inject({ url: `/v1/jobs/${job.id}/weights` })).json();
      expect(w.dtype).toBe('float64');
      const diff = differences(w.weights, tr.after[String(steps)]);
      expect(diff, `tensors that differ from torch after ${steps} step(s):\n${diff.join('\n')}`).toEqual([]);
    },
    90_000,
  );
});
