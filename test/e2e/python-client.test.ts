/**
 * Issue 15, acceptance 3: the Python client (clients/python/descent_client.py) with Debian's
 * python3 + python3-requests (+ python3-torch for load_into) against a real service: train,
 * follow (with resume after a given id and across dropped connections), download, `load_into`
 * an nn.Sequential without the safetensors package, and predictions equal /predict (≤ 1e-6).
 * Skipped, with the reason printed, where python3, requests or torch is missing (.ci/run installs
 * them).
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startRedis, uniquePrefix, type TestRedis } from '../helpers/redis.js';
import { REPO, startService, stopAllServices, type ServiceProcess } from '../helpers/service-process.js';

const PY = '/usr/bin/python3';
const missing = ['requests', 'torch'].filter(
  (m) => spawnSync(PY, ['-c', `import ${m}`], { stdio: 'ignore' }).status !== 0,
);
const reason = missing.length
  ? `${PY} lacks ${missing.join(' and ')} (.ci/run installs python3-requests and python3-torch)`
  : '';
if (reason) console.warn(`python-client.test.ts skipped: ${reason}`);

let redis: TestRedis;
let svc: ServiceProcess;

beforeAll(async () => {
  if (reason) return;
  redis = await startRedis();
  svc = await startService({
    WORKERS: '1',
    REDIS_URL: redis.url,
    DESCENT_PREFIX: uniquePrefix('pyclient'),
    DESCENT_SSE_PING_MS: '1000',
  });
}, 120_000);
afterAll(async () => {
  await svc?.stop();
  await stopAllServices();
  await redis?.stop();
});

/** Run the check script; resolves with its parsed JSON line (async: the service must keep running). */
function runCheck(): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const p = spawn(
      PY,
      [join(REPO, 'test/e2e/python_client_check.py'), svc.url!, join(REPO, 'examples/iris-mlp-adam.json')],
      {
        env: { ...process.env, PYTHONPATH: join(REPO, 'clients/python') },
      },
    );
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), 150_000);
    p.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`python exited ${code}:\n${err}\n${out}`));
      else resolve(JSON.parse(out.trim().split('\n').at(-1)!));
    });
  });
}

async function storedIds(id: string): Promise<string[]> {
  const ids: string[] = [];
  for (let after = ''; ;) {
    const page = (await (await fetch(`${svc.url}/v1/jobs/${id}/events?limit=1000${after}`)).json()) as {
      data: { id: string }[];
      hasMore: boolean;
      nextCursor: string;
    };
    ids.push(...page.data.map((e) => e.id));
    if (!page.hasMore) return ids;
    after = `&after=${page.nextCursor}`;
  }
}

test.skipIf(Boolean(reason))(
  'train, follow, resume, download, load_into nn.Sequential, predict equal to /predict',
  async () => {
    const r = (await runCheck()) as {
      job: string;
      refused: { status: number; code: string; errors: { path: string; message: string }[] };
      event_ids: string[];
      epochs: number;
      last: [string, string];
      status: string;
      resumed: string[];
      long: { job: string; ids: string[]; reconnects: number };
      names: string[];
      no_safetensors_pkg: boolean;
      max_diff: number;
      classes_equal: boolean;
      shapes: Record<string, number[]>;
      json_weights_keys: string[];
      listed: boolean;
    };
    expect(r.refused).toMatchObject({ status: 400, code: 'VALIDATION_ERROR' });
    expect(r.refused.errors).toContainEqual({
      path: '/',
      message: 'Unknown key "optimiser": did you mean "optimizer"?',
    });
    expect(r.status).toBe('succeeded');
    expect(r.epochs).toBe(60);
    expect(r.last).toEqual(['end', 'succeeded']);
    expect(r.event_ids).toEqual(await storedIds(r.job));
    expect(r.resumed).toEqual(r.event_ids.slice(10));
    expect(r.long.reconnects).toBeGreaterThanOrEqual(3);
    expect(r.long.ids).toEqual(await storedIds(r.long.job));
    expect(
      r.no_safetensors_pkg,
      'the safetensors package is installed here, so this would not prove the point',
    ).toBe(true);
    expect(r.names).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    expect(r.shapes['0.weight']).toEqual([16, 4]);
    console.log(`python load_into vs /predict: max |diff| ${r.max_diff}, reconnects ${r.long.reconnects}`);
  expect(r.max_diff).toBeLessThanOrEqual(1e-6);
    expect(r.classes_equal).toBe(true);
    expect(r.json_weights_keys).toContain('shapes');
    expect(r.listed).toBe(true);
  },
  200_000,
);
