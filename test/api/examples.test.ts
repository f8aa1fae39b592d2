/**
 * Every JobSpec in examples/ is valid as shipped (the README's curl walk-through uses them), and so
 * is every sweep request (examples/sweep-*.json, bodies of POST /v1/sweeps: the request schema and
 * the planner, which validates each trial's spec). Validation only: the app runs on in-memory
 * stores (test/helpers/fake-deps.ts), no Redis.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/contracts/limits.js';
import { SweepRequestSchema } from '../../src/contracts/sweep.js';
import { planSweep } from '../../src/sweep/plan.js';
import { makeFakeApp, type FakeApp } from '../helpers/fake-deps.js';

const dir = new URL('../../examples/', import.meta.url);
const all = readdirSync(dir).filter((f) => f.endsWith('.json'));
/** Sweep requests (POST /v1/sweeps); every other example is a JobSpec. */
const sweeps = all.filter((f) => f.startsWith('sweep-'));
const files = all.filter((f) => !f.startsWith('sweep-'));

let t: FakeApp;
beforeAll(async () => {
  t = await makeFakeApp();
});
afterAll(async () => {
  await t?.close();
});

test('examples cover every optimizer and batch, stochastic and mini-batch descent', () => {
  const specs = files.map((f) => JSON.parse(readFileSync(new URL(f, dir), 'utf8')));
  const optimizers = new Set(specs.map((s) => s.optimizer.type));
  for (const o of ['sgd', 'adagrad', 'rmsprop', 'adam', 'adamw', 'nadam', 'radam', 'newton', 'lbfgs'])
    expect(optimizers).toContain(o);
  const batches = specs.map((s) => s.training?.batchSize);
  expect(batches).toContain('full');
  expect(batches).toContain(1);
  expect(batches.some((b) => typeof b === 'number' && b > 1)).toBe(true);
});

test.each(files)('%s validates', async (file) => {
  const spec = JSON.parse(readFileSync(new URL(file, dir), 'utf8'));
  const res = await t.app.inject({ method: 'POST', url: '/v1/jobs/validate', payload: spec });
  expect(res.statusCode, res.body).toBe(200);
  expect(res.json().estimate.totalSteps).toBeGreaterThan(0);
});

test('the sweep examples: an lr × momentum grid and an ASHA sweep', () => {
  expect(sweeps).toContain('sweep-lr-momentum-grid.json');
  expect(sweeps).toContain('sweep-asha.json');
});

test.each(sweeps)('%s is a valid sweep request whose every trial validates', (file) => {
  const body = JSON.parse(readFileSync(new URL(file, dir), 'utf8'));
  const req = SweepRequestSchema.safeParse(body);
  expect(req.success, JSON.stringify(req.error?.issues)).toBe(true);
  const plan = planSweep(req.data!, DEFAULT_LIMITS);
  expect(plan.ok, JSON.stringify(!plan.ok && plan.issues)).toBe(true);
  if (plan.ok) {
    expect(plan.plan.trials.length).toBeGreaterThan(1);
    expect(plan.plan.epochsMax).toBeLessThanOrEqual(DEFAULT_LIMITS.maxSweepEpochs);
  }
});
