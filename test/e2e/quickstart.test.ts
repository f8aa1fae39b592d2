/**
 * Issue 10.8 — the README's quick start is run as written: its shell block (marked
 * `<!-- quickstart:sh -->`) with bash against a real `npm start` on a free PORT, then its Python
 * block with Debian's python3 and torch on the downloaded safetensors file. Also: a refused POST
 * makes the shell block fail loudly (non-zero exit, the problem printed), and the terminal of
 * `npm start` shows the job's lines.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startRedis, uniquePrefix, type TestRedis } from '../helpers/redis.js';
import {
  REPO,
  startService,
  stopAllServices,
  until,
  type ServiceProcess,
} from '../helpers/service-process.js';

/** The code block that follows `<!-- quickstart:NAME -->` in README.md. */
function readmeBlock(name: string): string {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const at = readme.indexOf(`<!-- quickstart:${name} -->`);
  expect(at, `README.md has no <!-- quickstart:${name} --> block`).toBeGreaterThan(-1);
  const m = /```\w*\n([\s\S]*?)```/.exec(readme.slice(at));
  return m![1];
}

let redis: TestRedis;
let svc: ServiceProcess;
let dir: string;
let port: string;

beforeAll(async () => {
  redis = await startRedis();
  svc = await startService({
    WORKERS: '1',
    REDIS_URL: redis.url,
    DESCENT_PREFIX: uniquePrefix('quickstart'),
  });
  await until(async () => (await fetch(`${svc.url}/readyz`)).status === 200);
  port = new URL(svc.url!).port;
  dir = mkdtempSync(join(tmpdir(), 'descent-quickstart-'));
  cpSync(join(REPO, 'examples'), join(dir, 'examples'), { recursive: true });
});
afterAll(async () => {
  await svc?.stop();
  await stopAllServices();
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function runShell(script: string) {
  return spawnSync('bash', ['-e', '-c', script], {
    cwd: dir,
    env: { ...process.env, PORT: port },
    encoding: 'utf8',
    timeout: 120_000,
  });
}

test('the shell block runs as written: job, SSE to end, weights, safetensors, predict, gradients', async () => {
  const r = runShell(readmeBlock('sh'));
  expect(r.status, r.stderr + r.stdout).toBe(0);
  expect(r.stdout).toMatch(/event: end\n/);
  expect(r.stdout).toMatch(/"status":"succeeded"/);
  expect(r.stdout).toMatch(/"0\.weight"/);
  expect(r.stdout).toMatch(/"classes":\[0\]/);
  expect(r.stdout).toMatch(/"jacobian"/);
  expect(readFileSync(join(dir, 'iris.safetensors')).length).toBeGreaterThan(8);
  // The terminal of npm start: a line when the job starts and one when it ends.
  const id = JSON.parse(readFileSync(join(dir, 'job.json'), 'utf8')).id as string;
  await until(async () => svc.output().includes(`job ${id} succeeded`), 10_000).catch(() =>
    console.log(svc.output()),
  );
  expect(svc.output()).toMatch(new RegExp(`job ${id} started on w_\\S+ \\(attempt 1\\)`));
  expect(svc.output()).toMatch(
    new RegExp(`job ${id} succeeded in \\d+\\.\\d s: loss [\\d.e-]+, accuracy [\\d.]+`),
  );
}, 180_000);

test('the Python block loads the download into torch without the safetensors package, and predicts like /predict', async () => {
  const torch = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
  expect(torch.status, 'python3-torch is needed (.ci/run installs it)').toBe(0);
  const noPkg = spawnSync('/usr/bin/python3', ['-c', 'import safetensors'], { encoding: 'utf8' });
  expect(
    noPkg.status,
    'the safetensors package is installed here, so this would not prove the point',
  ).not.toBe(0);
  writeFileSync(join(dir, 'quickstart.py'), readmeBlock('py'));
  const r = spawnSync('/usr/bin/python3', ['quickstart.py'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
  const probs = [...r.stdout.matchAll(/-?\d+\.\d+(?:e-?\d+)?/g)].map((m) => Number(m[0]));
  expect(probs).toHaveLength(3);
  const id = JSON.parse(readFileSync(join(dir, 'job.json'), 'utf8')).id as string;
  const predicted = (await (
    await fetch(`${svc.url}/v1/jobs/${id}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [[5.1, 3.5, 1.4, 0.2]] }),
    })
  ).json()) as { outputs: number[][] };
  // torch prints 4 significant digits.
  for (let k = 0; k < 3; k++) expect(Math.abs(probs[k] - predicted.outputs[0][k])).toBeLessThan(1e-3);
}, 120_000);

test('a refused POST fails the block loudly: non-zero exit, curl names the status, the problem is printed', () => {
  writeFileSync(join(dir, 'examples', 'bad.json'), JSON.stringify({ optimiser: { type: 'adam' } }));
  const r = runShell(readmeBlock('sh').replace('examples/iris-mlp-adam.json', 'examples/bad.json'));
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(/curl: \(22\) The requested URL returned error: 400/);
  expect(r.stdout).toMatch(/did you mean \\"optimizer\\"\?/);
  expect(r.stdout).not.toMatch(/event: end/);
});
