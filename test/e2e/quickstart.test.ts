/**
 * Issue 10.8 / 15.4 — the README's quick start is run as written: its `descent` block (marked
 * `<!-- quickstart:cli -->`, every command through `npx descent` as a user runs it) with bash
 * against a real `npm start` on a free PORT, then its Python block with Debian's python3 and torch
 * on the downloaded safetensors file; and the curl reference of docs/quickstart-curl.md
 * (`<!-- quickstart:sh -->`). Also: a refused spec makes either block fail loudly (non-zero exit,
 * the problem printed), and the terminal of `npm start` shows the job's lines.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
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

/** The code block that follows `<!-- quickstart:NAME -->` in README.md (or another file). */
function readmeBlock(name: string, file = 'README.md'): string {
  const readme = readFileSync(join(REPO, file), 'utf8');
  const at = readme.indexOf(`<!-- quickstart:${name} -->`);
  expect(at, `${file} has no <!-- quickstart:${name} --> block`).toBeGreaterThan(-1);
  const m = /```\w*\n([\s\S]*?)```/.exec(readme.slice(at));
  return m![1];
}

let redis: TestRedis;
let svc: ServiceProcess;
let dir: string;
let curlDir: string;
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
  // `npx descent` runs the package's bin, the compiled dist/src/cli/descent.js (npm ci builds it).
  const build = spawnSync(process.execPath, ['scripts/ensure-built.mjs'], { cwd: REPO, encoding: 'utf8' });
  expect(build.status, build.stderr).toBe(0);
  const bin = join(REPO, 'dist/src/cli/descent.js');
  chmodSync(bin, 0o755);
  dir = mkdtempSync(join(tmpdir(), 'descent-quickstart-'));
  curlDir = mkdtempSync(join(tmpdir(), 'descent-quickstart-curl-'));
  for (const d of [dir, curlDir]) cpSync(join(REPO, 'examples'), join(d, 'examples'), { recursive: true });
  // The blocks run in a scratch directory (their downloads land there), where `npx descent` finds
  // the bin as an installed package's: node_modules/.bin/descent, the link npm makes.
  mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true });
  symlinkSync(bin, join(dir, 'node_modules', '.bin', 'descent'));
}, 240_000);
afterAll(async () => {
  await svc?.stop();
  await stopAllServices();
  await redis?.stop();
  for (const d of [dir, curlDir]) if (d) rmSync(d, { recursive: true, force: true });
});

function runShell(script: string, cwd = dir) {
  return spawnSync('bash', ['-e', '-c', script], {
    cwd,
    env: { ...process.env, PORT: port },
    encoding: 'utf8',
    timeout: 120_000,
  });
}

/** The id of the job the README's block named `quickstart`. */
async function quickstartJob(): Promise<string> {
  const page = (await (await fetch(`${svc.url}/v1/jobs?metadata.name=quickstart`)).json()) as {
    data: { id: string }[];
  };
  expect(page.data, 'the README block submits one job named quickstart').toHaveLength(1);
  return page.data[0].id;
}

test('the descent block runs as written: train --follow, submit, job --follow, events, weights, predict, jobs', async () => {
  const r = runShell(readmeBlock('cli'));
  expect(r.status, r.stderr + r.stdout).toBe(0);
  const epochs = r.stdout.split('\n').filter((l) => /^epoch \d+\/60 {2}loss /.test(l));
  expect(epochs).toHaveLength(120); // two followed jobs, 60 epochs each, one line per epoch (piped)
  expect(r.stdout.match(/^status +succeeded$/gm)).toHaveLength(2);
  const id = await quickstartJob();
  expect(r.stdout).toMatch(new RegExp(`^weights +descent weights ${id} -o model\\.safetensors$`, 'm'));
  expect(r.stdout).toMatch(/^\d+-\d+ +end +succeeded$/m); // the last of `events | tail`
  expect(r.stderr).toMatch(/wrote iris\.safetensors \(\d+ bytes, safetensors\)/);
  expect(r.stdout).toMatch(/^ROW +CLASS +OUT0 +OUT1 +OUT2$/m);
  expect(r.stdout).toMatch(
    new RegExp(`^${id} +succeeded +supervised +\\S+ +loss [\\d.e-]+ +quickstart$`, 'm'),
  );
  expect(readFileSync(join(dir, 'iris.safetensors')).length).toBeGreaterThan(8);
  // The terminal of npm start: a line when the job starts and one when it ends.
  await until(async () => svc.output().includes(`job ${id} succeeded`), 10_000).catch(() =>
    console.log(svc.output()),
  );
  expect(svc.output()).toMatch(new RegExp(`job ${id} queued: supervised`));
  expect(svc.output()).toMatch(new RegExp(`job ${id} started on w_\\S+ \\(attempt 1\\)`));
  expect(svc.output()).toMatch(
    new RegExp(`job ${id} succeeded in \\d+\\.\\d s: supervised, loss [\\d.e-]+, accuracy [\\d.]+`),
  );
}, 240_000);

test('a refused spec stops the descent block loudly: exit 2, the problem printed field by field', () => {
  writeFileSync(join(dir, 'examples', 'bad.json'), JSON.stringify({ optimiser: { type: 'adam' } }));
  const r = runShell(
    readmeBlock('cli').replace('examples/iris-mlp-adam.json --follow', 'examples/bad.json --follow'),
  );
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/^error VALIDATION_ERROR \(400 /m);
  expect(r.stderr).toMatch(/^ {2}\/: Unknown key "optimiser": did you mean "optimizer"\?$/m);
  expect(r.stdout).not.toMatch(/^epoch /m);
}, 60_000);

test('the curl reference (docs/quickstart-curl.md) runs as written: job, SSE to end, weights, safetensors, predict, gradients', async () => {
  const r = runShell(readmeBlock('sh', 'docs/quickstart-curl.md'), curlDir);
  expect(r.status, r.stderr + r.stdout).toBe(0);
  expect(r.stdout).toMatch(/event: end\n/);
  expect(r.stdout).toMatch(/"status":"succeeded"/);
  expect(r.stdout).toMatch(/"0\.weight"/);
  expect(r.stdout).toMatch(/"classes":\[0\]/);
  expect(r.stdout).toMatch(/"jacobian"/);
  expect(readFileSync(join(curlDir, 'iris.safetensors')).length).toBeGreaterThan(8);
  // The terminal of npm start: a line when the job starts and one when it ends.
  const id = JSON.parse(readFileSync(join(curlDir, 'job.json'), 'utf8')).id as string;
  await until(async () => svc.output().includes(`job ${id} succeeded`), 10_000).catch(() =>
    console.log(svc.output()),
  );
  expect(svc.output()).toMatch(new RegExp(`job ${id} queued: supervised`));
  expect(svc.output()).toMatch(new RegExp(`job ${id} started on w_\\S+ \\(attempt 1\\)`));
  expect(svc.output()).toMatch(
    new RegExp(`job ${id} succeeded in \\d+\\.\\d s: supervised, loss [\\d.e-]+, accuracy [\\d.]+`),
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
  const id = await quickstartJob();
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

test('a refused POST fails the curl block loudly: non-zero exit, curl names the status, the problem is printed', () => {
  writeFileSync(join(curlDir, 'examples', 'bad.json'), JSON.stringify({ optimiser: { type: 'adam' } }));
  const r = runShell(
    readmeBlock('sh', 'docs/quickstart-curl.md').replace('examples/iris-mlp-adam.json', 'examples/bad.json'),
    curlDir,
  );
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(/curl: \(22\) The requested URL returned error: 400/);
  expect(r.stdout).toMatch(/did you mean \\"optimizer\\"\?/);
  expect(r.stdout).not.toMatch(/event: end/);
});
