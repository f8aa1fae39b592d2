/**
 * End to end, in real processes: `npm start`'s entry (API + a worker process + sandboxed trainer)
 * against a test Redis, followed by a real SSE client over a socket.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

afterAll(stopAllServices);
import { freePort, startRedis, uniquePrefix, type TestRedis } from '../helpers/redis.js';
import { readSse } from '../helpers/sse-client.js';
import {
  REPO,
  startService,
  stopAllServices,
  until,
  type ServiceProcess,
} from '../helpers/service-process.js';
import { parseSafetensors } from '../helpers/safetensors-parser.js';
import { loadBuiltin } from '../../src/data/index.js';
import { pingRedis } from '../../src/queue/redis.js';

const TORCH = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const FAST = {
  WORKERS: '1',
  DESCENT_HEARTBEAT_MS: '500',
  DESCENT_LOCK_MS: '5000',
  DESCENT_STALLED_MS: '5000',
  DESCENT_SHUTDOWN_GRACE_MS: '3000',
};

describe('npm start with a running Redis', () => {
  let redis: TestRedis;
  let svc: ServiceProcess;
  let base: string;
  let shared: {
    bytes: Buffer;
    x: number[][];
    outputs: number[][];
    hidden: number[];
    activation: string;
  } | null = null;

  beforeAll(async () => {
    redis = await startRedis();
    svc = await startService({ ...FAST, REDIS_URL: redis.url, DESCENT_PREFIX: uniquePrefix('e2e') });
    base = svc.url!;
    await until(async () => (await fetch(`${base}/readyz`)).status === 200);
  });

  afterAll(async () => {
    const code = await svc?.stop();
    expect(code).toBe(0);
    await redis?.stop();
  });

  test('iris MLP with Adam: stream to end over SSE, fetch weights (JSON, safetensors), predict with accuracy ≥ 0.95', async () => {
    const spec = JSON.parse(readFileSync(join(REPO, 'examples/iris-mlp-adam.json'), 'utf8'));
    const created = await fetch(`${base}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(spec),
    });
    expect(created.status).toBe(201);
    const job = (await created.json()) as { id: string };

    const t0 = Date.now();
    const { events, closedByServer } = await readSse(`${base}/v1/jobs/${job.id}/events`, {
      timeoutMs: 60_000,
    });
    const seconds = (Date.now() - t0) / 1000;
    expect(closedByServer).toBe(true);
    expect(events.at(-1)!.event).toBe('end');
    const end = JSON.parse(events.at(-1)!.data);
    expect(end.status, JSON.stringify(end.error)).toBe('succeeded');
    expect(events.filter((e) => e.event === 'epoch')).toHaveLength(spec.training.epochs);
    expect(events.some((e) => e.event === 'progress')).toBe(true);
    console.log(`e2e iris job: ${events.length} events in ${seconds.toFixed(2)} s, loss ${end.result.loss}`);

    const weights = (await (await fetch(`${base}/v1/jobs/${job.id}/weights`)).json()) as {
      weights: Record<string, unknown>;
      shapes: Record<string, number[]>;
    };
    expect(Object.keys(weights.weights)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    expect(weights.shapes['0.weight']).toEqual([16, 4]);

    const iris = loadBuiltin('iris');
    const x: number[][] = [];
    for (let i = 0; i < iris.rows; i++) x.push(Array.from(iris.x.subarray(i * 4, i * 4 + 4)));
    const pred = (await (
      await fetch(`${base}/v1/jobs/${job.id}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ inputs: x }),
      })
    ).json()) as { outputs: number[][]; classes: number[] };
    const correct = pred.classes.filter((c: number, i: number) => c === iris.y[i]).length;
    const accuracy = correct / iris.rows;
    console.log(`e2e iris accuracy ${accuracy}`);
    expect(accuracy).toBeGreaterThanOrEqual(0.95);

    const st = await fetch(`${base}/v1/jobs/${job.id}/weights?format=safetensors`);
    const bytes = Buffer.from(await st.arrayBuffer());
    expect(Number(st.headers.get('content-length'))).toBe(bytes.length);
    const parsed = parseSafetensors(bytes);
    expect(parsed.tensors['2.weight']).toMatchObject({ dtype: 'F32', shape: [3, 16] });

    shared = {
      bytes,
      x,
      outputs: pred.outputs,
      hidden: spec.model.hidden,
      activation: spec.model.activation,
    };
  });

  test.skipIf(!TORCH)(
    'torch: the safetensors file loads into the equivalent nn.Sequential and predicts like /predict (≤ 1e-5)',
    () => {
      expect(shared, 'the training test must run first').not.toBeNull();
      const { bytes, x, outputs, hidden, activation } = shared!;
      const dir = mkdtempSync(join(tmpdir(), 'descent-e2e-'));
      try {
        const file = join(dir, 'w.safetensors');
        writeFileSync(file, bytes);
        const py = spawnSync('/usr/bin/python3', [join(REPO, 'test/e2e/torch_load.py'), file], {
          input: JSON.stringify({ hidden, activation, x }),
          encoding: 'utf8',
        });
        expect(py.status, py.stderr).toBe(0);
        const torchOut = JSON.parse(py.stdout) as number[][];
        let maxErr = 0;
        torchOut.forEach((row, i) =>
          row.forEach((v, j) => (maxErr = Math.max(maxErr, Math.abs(v - outputs[i][j])))),
        );
        console.log(`torch vs /predict max |Δ| = ${maxErr}`);
        expect(maxErr).toBeLessThanOrEqual(1e-5);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

describe('npm start without Redis', () => {
  test('starts its own append-only redis-server on the port of REDIS_URL, and stops it on SIGTERM', async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    const dir = mkdtempSync(join(tmpdir(), 'descent-redis-data-'));
    const svc = await startService({ ...FAST, REDIS_URL: url, DESCENT_REDIS_DIR: dir });
    try {
      expect(svc.output()).toMatch(/started redis-server on 127\.0\.0\.1:\d+/);
      await until(async () => (await fetch(`${svc.url}/readyz`)).status === 200);
      // Redis 7 keeps its append-only files in appendonlydir/.
      expect(readdirSync(join(dir, 'appendonlydir')).some((f) => f.includes('.aof'))).toBe(true);
    } finally {
      expect(await svc.stop()).toBe(0);
      rmSync(dir, { recursive: true, force: true });
    }
    expect(await pingRedis(url, 500)).toBe(false);
  });

  test('exits with a message saying what to do when no redis-server is installed', async () => {
    const port = await freePort();
    // An empty PATH directory: node is started by absolute path and needs nothing else.
    const empty = mkdtempSync(join(tmpdir(), 'descent-nopath-'));
    const svc = await startService(
      { REDIS_URL: `redis://127.0.0.1:${port}`, PATH: empty },
      { waitForListen: false },
    );
    rmSync(empty, { recursive: true, force: true });
    const code = await new Promise<number | null>((resolve) =>
      svc.proc.exitCode !== null ? resolve(svc.proc.exitCode) : svc.proc.on('exit', resolve),
    );
    expect(code).toBe(1);
    expect(svc.output()).toMatch(/redis-server is not installed/);
    expect(svc.output()).toMatch(/apt-get install redis-server|REDIS_URL/);
  });
});
