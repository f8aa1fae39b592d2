/**
 * Issue 15, acceptance 2: the TypeScript SDK (`descent/client`) against a real stack — every
 * method, errors as DescentError with the problem+json, the default Idempotency-Key, AbortSignal,
 * and the events iterator surviving a dropped connection (a TCP proxy between the SDK and the API
 * cuts every socket mid-stream): every stored event arrives once, in order.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  createClient,
  DescentError,
  type DescentClient,
  type JobSpec,
  type StreamedEvent,
} from '../../src/client/index.js';
import { dropProxy } from '../helpers/drop-proxy.js';
import { killAllProcesses, startApiProcess, startWorkerProcess } from '../helpers/processes.js';
import { startRedis, uniquePrefix, type TestRedis } from '../helpers/redis.js';
import { REPO } from '../helpers/service-process.js';

let redis: TestRedis;
let url: string;
let sdk: DescentClient;
const iris = JSON.parse(readFileSync(`${REPO}/examples/iris-mlp-adam.json`, 'utf8')) as JobSpec;
const long = (epochs: number): JobSpec =>
  ({ ...iris, training: { ...(iris as { training: object }).training, epochs } }) as JobSpec;

beforeAll(async () => {
  redis = await startRedis();
  const env = { REDIS_URL: redis.url, DESCENT_PREFIX: uniquePrefix('sdk'), DESCENT_SSE_PING_MS: '1000' };
  const [api] = await Promise.all([startApiProcess(env), startWorkerProcess(env)]);
  url = api.url;
  sdk = createClient({ url });
}, 120_000);
afterAll(async () => {
  await killAllProcesses();
  await redis?.stop();
});

/** Every stored event id of a job, from the JSON pages. */
async function storedIds(id: string): Promise<string[]> {
  const ids: string[] = [];
  for (let after: string | undefined; ;) {
    const page = await sdk.jobs.eventsPage(id, { after, limit: 1000 });
    ids.push(...page.data.map((e) => e.id));
    if (!page.hasMore || !page.nextCursor) return ids;
    after = page.nextCursor;
  }
}

test('create → events → wait → get/list → weights (JSON, safetensors) → predict', async () => {
  const job = await sdk.jobs.create(iris);
  expect(job).toMatchObject({ object: 'job', status: 'queued' });
  const seen: StreamedEvent[] = [];
  for await (const e of sdk.jobs.events(job.id)) seen.push(e);
  expect(seen.at(-1)!.data).toMatchObject({ type: 'end', status: 'succeeded' });
  expect(seen.filter((e) => e.data.type === 'epoch')).toHaveLength(60);
  expect(seen.map((e) => e.id)).toEqual(await storedIds(job.id));

  const done = await sdk.jobs.wait(job.id);
  expect(done.status).toBe('succeeded');
  expect((await sdk.jobs.get(job.id)).result).toEqual(done.result);
  const page = await sdk.jobs.list({ status: 'succeeded', limit: 100 });
  expect(page.data.map((j) => j.id)).toContain(job.id);

  const w = await sdk.jobs.weights(job.id);
  expect(Object.keys(w.shapes)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
  const st = await sdk.jobs.weights(job.id, { format: 'safetensors' });
  expect(st).toBeInstanceOf(Uint8Array);
  const served = new Uint8Array(
    await (await fetch(`${url}/v1/jobs/${job.id}/weights?format=safetensors`)).arrayBuffer(),
  );
  expect(st).toEqual(served);

  const p = await sdk.jobs.predict(job.id, { inputs: [[5.1, 3.5, 1.4, 0.2]] });
  expect(p.outputs[0]).toHaveLength(3);
  expect((p as { classes?: number[] }).classes).toEqual([0]);
}, 120_000);

test('validate; a refused spec is a DescentError carrying the problem+json', async () => {
  const v = await sdk.jobs.validate(iris);
  expect(v.valid).toBe(true);
  const err = await sdk.jobs
    .create({ ...iris, optimiser: { type: 'adam' } } as unknown as JobSpec)
    .catch((e) => e);
  expect(err).toBeInstanceOf(DescentError);
  expect(err).toMatchObject({ status: 400, code: 'VALIDATION_ERROR', isClientError: true });
  expect(err.problem.errors).toContainEqual({
    path: '/',
    message: 'Unknown key "optimiser": did you mean "optimizer"?',
  });
  const missing = await sdk.jobs.get('job_doesnotexist').catch((e) => e);
  expect(missing).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  const early = await sdk.jobs.create(long(50000));
  const notYet = await sdk.jobs.weights(early.id).catch((e) => e);
  expect(notYet).toMatchObject({ status: 409, code: 'CONFLICT' });
  await sdk.jobs.cancel(early.id);
  const down = await createClient({ url: 'http://127.0.0.1:9' })
    .jobs.list()
    .catch((e) => e);
  expect(down).toMatchObject({ status: 0, code: 'NETWORK' });
}, 60_000);

test('create sends an Idempotency-Key by default; the same key and body give the same job, another body a 409', async () => {
  const seen: (string | null)[] = [];
  const spy = createClient({
    url,
    fetch: (input, init) => {
      seen.push(new Headers(init?.headers).get('idempotency-key'));
      return fetch(input, init);
    },
  });
  const a = await spy.jobs.create(iris);
  const b = await spy.jobs.create(iris);
  expect(seen[0]).toMatch(/^[0-9a-f-]{36}$/);
  expect(seen[1]).not.toBe(seen[0]); // a fresh key per call: two creates are two jobs
  expect(a.id).not.toBe(b.id);
  const key = `sdk-${Date.now()}`;
  const c = await sdk.jobs.create(iris, { idempotencyKey: key });
  const d = await sdk.jobs.create(iris, { idempotencyKey: key });
  expect(d.id).toBe(c.id);
  const other = await sdk.jobs.create(long(61), { idempotencyKey: key }).catch((e) => e);
  expect(other).toMatchObject({ status: 409, code: 'CONFLICT' });
  await spy.jobs.create(iris, { idempotencyKey: false });
  expect(seen.at(-1)).toBeNull();
}, 60_000);

test('the events iterator survives dropped connections: every event once, in order', async () => {
  const proxy = await dropProxy(url);
  try {
    const viaProxy = createClient({ url: proxy.url });
    const job = await viaProxy.jobs.create(long(8000));
    const got: string[] = [];
    const reconnects: (string | undefined)[] = [];
    let cuts = 0;
    for await (const e of viaProxy.jobs.events(job.id, {
      onReconnect: (r) => reconnects.push(r.lastEventId),
    })) {
      got.push(e.id);
      // Cut the connection three times, mid-stream, each time a new one: a cut while the events
      // already read from the previous connection are still being handed out cuts nothing (a
      // replay after a reconnect can hold more than 15 events in one chunk).
      if (cuts < 3 && reconnects.length === cuts && got.length >= 15 * (cuts + 1)) {
        cuts++;
        proxy.cut();
      }
    }
    expect(cuts).toBe(3);
    expect(reconnects.length).toBeGreaterThanOrEqual(3);
    expect(proxy.connections).toBeGreaterThanOrEqual(5); // create + 1 stream + 3 reconnects
    expect(new Set(got).size).toBe(got.length);
    expect(got).toEqual(await storedIds(job.id));
  } finally {
    proxy.close();
  }
}, 120_000);

test('cancel; AbortSignal stops an events iteration and a request', async () => {
  const job = await sdk.jobs.create(long(50000));
  const ac = new AbortController();
  let n = 0;
  const iterate = (async () => {
    for await (const e of sdk.jobs.events(job.id, { signal: ac.signal }))
      if (e.data.type === 'progress' && ++n === 5) ac.abort();
  })();
  await expect(iterate).rejects.toThrow();
  expect(n).toBe(5);
  const aborted = new AbortController();
  aborted.abort();
  await expect(sdk.jobs.get(job.id, { signal: aborted.signal })).rejects.toMatchObject({
    name: 'AbortError',
  });
  const c = await sdk.jobs.cancel(job.id);
  expect(['cancelling', 'cancelled']).toContain(c.status);
  expect((await sdk.jobs.wait(job.id)).status).toBe('cancelled');
}, 120_000);

test('datasets: upload a CSV, list, get', async () => {
  const csv = readFileSync(`${REPO}/test/fixtures/tables/churn.csv`);
  const ds = await sdk.datasets.upload(csv, {
    target: 'churn',
    types: 'churn:categorical',
    name: 'sdk-churn',
  });
  expect(ds.id).toMatch(/^ds_/);
  expect((await sdk.datasets.list({ limit: 100 })).data.map((d) => d.id)).toContain(ds.id);
  expect((await sdk.datasets.get(ds.id)).rows).toBe(ds.rows);
}, 60_000);

test('`descent/client` resolves from the package (the "exports" entry, built into dist/)', () => {
  const build = spawnSync(process.execPath, ['scripts/ensure-built.mjs'], { cwd: REPO, encoding: 'utf8' });
  expect(build.status, build.stderr).toBe(0);
  const r = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      "const m = await import('descent/client'); console.log(typeof m.createClient, typeof m.DescentError);",
    ],
    { cwd: REPO, encoding: 'utf8' },
  );
  expect(r.stderr).toBe('');
  expect(r.stdout.trim()).toBe('function function');
}, 180_000);
