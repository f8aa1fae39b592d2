/**
 * Every JobSpec in examples/ is valid as shipped (the README's curl walk-through uses them).
 * Validation only: the app runs on in-memory stores (test/helpers/fake-deps.ts), no Redis.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { makeFakeApp, type FakeApp } from '../helpers/fake-deps.js';

const dir = new URL('../../examples/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

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
