/**
 * Issue 15, the sweep part: the SDK's `sweeps.*` and `descent sweep …` against a real stack
 * (redis-server, an API process restartable on its port, a worker process).
 *
 * SDK: validate, create, events (every stored event once, in order), wait, get, list, trials
 * (best first), eventsPage, cancel, AbortSignal, errors as DescentError with the problem+json,
 * and the sweep events iterator surviving dropped connections.
 * CLI: `sweep create --follow` on a small grid, piped: one line per trial end, then the
 * leaderboard and the summary, exit 0; `--json`; ls, get, trials, events, validate; a bad sweep
 * request exits 2 naming the field (nothing created); Ctrl-C detaches (130); a followed sweep
 * cancelled by `descent sweep cancel` or by Ctrl-C with --cancel-on-interrupt exits 3; `sweep
 * events --follow` resumes after the API is restarted mid-stream with no gap and no duplicate;
 * in a pseudo-terminal (tmux) the bar shows trials done/total and the best so far; the README's
 * sweep block runs as written.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  createClient,
  DescentError,
  type DescentClient,
  type StreamedSweepEvent,
  type SweepRequest,
} from '../../src/client/index.js';
import { num } from '../../src/cli/descent/output.js';
import { CLI_ARGS, runCli, spawnCli, waitUntil } from '../helpers/cli.js';
import { dropProxy } from '../helpers/drop-proxy.js';
import {
  killAllProcesses,
  poll,
  startApiProcess,
  startWorkerProcess,
  type Proc,
} from '../helpers/processes.js';
import { freePort, startRedis, uniquePrefix, type TestRedis } from '../helpers/redis.js';
import { REPO } from '../helpers/service-process.js';

let redis: TestRedis;
let api: Proc & { url: string };
let apiEnv: Record<string, string>;
let env: Record<string, string>;
let sdk: DescentClient;
let dir: string;

const GRID_FILE = 'examples/sweep-lr-momentum-grid.json';
const grid = JSON.parse(readFileSync(`${REPO}/${GRID_FILE}`, 'utf8')) as SweepRequest & {
  spec: { training: Record<string, unknown> };
};

/** The example's base spec and metric over a 2 × 2 grid, `epochs` each. */
const small = (epochs: number, extra: Partial<SweepRequest> = {}): SweepRequest =>
  ({
    ...grid,
    spec: { ...grid.spec, training: { ...grid.spec.training, epochs } },
    space: { 'optimizer.lr': { grid: [0.01, 0.1] }, 'optimizer.momentum': { grid: [0, 0.9] } },
    maxConcurrentTrials: 2,
    ...extra,
  }) as SweepRequest;

beforeAll(async () => {
  redis = await startRedis();
  apiEnv = {
    REDIS_URL: redis.url,
    DESCENT_PREFIX: uniquePrefix('sweep-clients'),
    PORT: String(await freePort()),
    DESCENT_SSE_PING_MS: '1000',
  };
  [api] = await Promise.all([startApiProcess(apiEnv), startWorkerProcess(apiEnv)]);
  env = { DESCENT_URL: api.url };
  sdk = createClient({ url: api.url });
  dir = mkdtempSync(join(tmpdir(), 'descent-sweep-cli-'));
}, 120_000);
afterAll(async () => {
  await killAllProcesses();
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Every stored event id of a sweep, from the JSON pages. */
async function storedIds(id: string): Promise<string[]> {
  const ids: string[] = [];
  for (let after: string | undefined; ;) {
    const page = await sdk.sweeps.eventsPage(id, { after, limit: 1000 });
    ids.push(...page.data.map((e) => e.id));
    if (!page.hasMore || !page.nextCursor) return ids;
    after = page.nextCursor;
  }
}

// ——— SDK ———

test('SDK: validate → create → events → wait → get / list / trials / eventsPage', async () => {
  const body = small(5);
  expect(await sdk.sweeps.validate(body)).toEqual({ trials: 4, epochsMax: 20, rungs: [5] });
  const sweep = await sdk.sweeps.create(body);
  expect(sweep).toMatchObject({ object: 'sweep', metric: 'valAccuracy', mode: 'max' });
  expect(sweep.id).toMatch(/^swp_/);
  expect(sweep.counts.total).toBe(4);

  const seen: StreamedSweepEvent[] = [];
  for await (const e of sdk.sweeps.events(sweep.id)) seen.push(e);
  expect(seen[0].data).toMatchObject({ type: 'status', status: 'running' });
  expect(seen.at(-1)!.data).toMatchObject({ type: 'end', status: 'succeeded' });
  const ended = seen.filter((e) => e.data.type === 'trial' && e.data.status === 'succeeded');
  expect(ended.map((e) => (e.data as { trial: number }).trial).sort()).toEqual([0, 1, 2, 3]);
  expect(seen.map((e) => e.id)).toEqual(await storedIds(sweep.id));

  const done = await sdk.sweeps.wait(sweep.id);
  expect(done).toMatchObject({ status: 'succeeded', budget: { epochsUsed: 20, epochsMax: 20 } });
  expect(done.counts).toMatchObject({ total: 4, succeeded: 4 });
  expect(await sdk.sweeps.get(sweep.id)).toEqual(done);
  expect((await sdk.sweeps.list({ limit: 100 })).data.map((s) => s.id)).toContain(sweep.id);

  const board = await sdk.sweeps.trials(sweep.id);
  expect(board).toHaveLength(4);
  expect(board.every((t) => t.status === 'succeeded' && t.jobId && t.epochs === 5)).toBe(true);
  const values = board.map((t) => t.value ?? -Infinity);
  expect(values).toEqual([...values].sort((a, b) => b - a)); // best first (mode max)
  expect(done.best).toMatchObject({ trialId: board[0].trialId, value: board[0].value });
  const page = await sdk.sweeps.eventsPage(sweep.id, { limit: 2 });
  expect(page.data.map((e) => e.id)).toEqual(seen.slice(0, 2).map((e) => e.id));
  expect(page).toMatchObject({ hasMore: true, nextCursor: seen[1].id });
}, 120_000);

test('SDK: sweeps.create sends an Idempotency-Key by default; a repeated key is the same sweep, another body a 409', async () => {
  const seen: (string | null)[] = [];
  const spy = createClient({
    url: api.url,
    fetch: (input, init) => {
      seen.push(new Headers(init?.headers).get('idempotency-key'));
      return fetch(input, init);
    },
  });
  const a = await spy.sweeps.create(small(2));
  expect(seen[0]).toMatch(/^[0-9a-f-]{36}$/);
  const key = `sweep-key-${Date.now()}`;
  const b = await sdk.sweeps.create(small(2), { idempotencyKey: key });
  const c = await sdk.sweeps.create(small(2), { idempotencyKey: key });
  expect(c.id).toBe(b.id);
  expect(b.id).not.toBe(a.id);
  const other = await sdk.sweeps.create(small(3), { idempotencyKey: key }).catch((e) => e);
  expect(other).toBeInstanceOf(DescentError);
  expect((other as DescentError).status).toBe(409);
  for (const id of [a.id, b.id]) await sdk.sweeps.wait(id);
}, 60_000);

test('SDK: a refused request is a DescentError with the problem+json; unknown ids are 404', async () => {
  const bad = { ...small(5), space: { 'optimizer.lrr': { grid: [0.1] } } } as SweepRequest;
  for (const call of [() => sdk.sweeps.create(bad), () => sdk.sweeps.validate(bad)]) {
    const err = await call().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DescentError);
    expect(err).toMatchObject({ status: 400, code: 'VALIDATION_ERROR' });
    expect((err as DescentError).problem.errors).toContainEqual({
      path: '/space/optimizer.lrr',
      message: expect.stringMatching(/^Unknown key "lrr": did you mean "lr"\?/),
    });
  }
  for (const call of [
    () => sdk.sweeps.get('swp_doesnotexist1'),
    () => sdk.sweeps.trials('swp_doesnotexist1'),
    () => sdk.sweeps.cancel('swp_doesnotexist1'),
    () => sdk.sweeps.eventsPage('swp_doesnotexist1'),
  ])
    await expect(call()).rejects.toMatchObject({ status: 404, code: 'NOT_FOUND' });
  await expect(sdk.sweeps.events('swp_doesnotexist1').next()).rejects.toMatchObject({ status: 404 });
}, 60_000);

test('SDK: cancel a running sweep; AbortSignal stops an events iteration', async () => {
  const sweep = await sdk.sweeps.create(small(20000)); // 4 × 20000 epochs: under the sweep budget limit
  const ac = new AbortController();
  let n = 0;
  const iterate = (async () => {
    for await (const e of sdk.sweeps.events(sweep.id, { signal: ac.signal }))
      if (e.data.type === 'trial' && ++n === 2) ac.abort();
  })();
  await expect(iterate).rejects.toThrow();
  expect(n).toBe(2);
  await poll(async () => (await sdk.sweeps.get(sweep.id)).counts.running > 0, 60_000);
  const c = await sdk.sweeps.cancel(sweep.id);
  expect(c.status).toBe('cancelled');
  expect((await sdk.sweeps.wait(sweep.id)).status).toBe('cancelled');
  expect((await sdk.sweeps.cancel(sweep.id)).status).toBe('cancelled'); // idempotent
  expect((await sdk.sweeps.trials(sweep.id)).every((t) => t.status === 'cancelled')).toBe(true);
}, 120_000);

test('SDK: the sweep events iterator survives dropped connections: every event once, in order', async () => {
  const proxy = await dropProxy(api.url);
  try {
    const viaProxy = createClient({ url: proxy.url });
    // One trial at a time, each long enough that the events arrive live, not as one replay.
    const sweep = await viaProxy.sweeps.create(
      small(300, {
        space: { 'optimizer.lr': { grid: [0.01, 0.03, 0.1] }, 'optimizer.momentum': { grid: [0, 0.9] } },
        maxConcurrentTrials: 1,
      }),
    );
    const got: string[] = [];
    const reconnects: (string | undefined)[] = [];
    let cuts = 0;
    for await (const e of viaProxy.sweeps.events(sweep.id, {
      onReconnect: (r) => reconnects.push(r.lastEventId),
    })) {
      got.push(e.id);
      // Cut three times, each on a new connection (a cut while the events of the previous one are
      // still being read would cut nothing), mid-stream.
      if (cuts < 3 && reconnects.length === cuts && got.length >= 3 * (cuts + 1)) {
        cuts++;
        proxy.cut();
      }
    }
    expect(cuts).toBe(3);
    expect(reconnects.length).toBeGreaterThanOrEqual(3);
    expect(new Set(got).size).toBe(got.length);
    expect(got).toEqual(await storedIds(sweep.id));
    expect((await sdk.sweeps.get(sweep.id)).status).toBe('succeeded');
  } finally {
    proxy.close();
  }
}, 180_000);

// ——— CLI ———

const TRIAL_LINE =
  /^trial (\d+) succeeded {2}optimizer\.lr=[\d.e-]+ optimizer\.momentum=[\d.]+ {2}valAccuracy ([\d.]+) {2}rung 0 {2}epochs 5 {2}done (\d+)\/15 {2}best valAccuracy [\d.]+ \(trial \d+\)$/;

test('CLI piped: sweep create --follow on the example grid prints a line per trial, the leaderboard and a summary; exit 0', async () => {
  const r = await runCli(['sweep', 'create', GRID_FILE, '--set', 'spec.training.epochs=5', '--follow'], env);
  expect(r.code, r.stderr).toBe(0);
  const id = /created (swp_\S+) \(15 trials\); following it/.exec(r.stderr)![1];
  const lines = r.stdout.split('\n');
  const trialLines = lines.filter((l) => l.startsWith('trial '));
  expect(trialLines).toHaveLength(15);
  trialLines.forEach((l, i) => {
    const m = TRIAL_LINE.exec(l);
    expect(m, l).not.toBeNull();
    expect(Number(m![3])).toBe(i + 1); // done 1/15 … 15/15
  });
  expect(trialLines.map((l) => Number(TRIAL_LINE.exec(l)![1])).sort((a, b) => a - b)).toEqual(
    Array.from({ length: 15 }, (_, i) => i),
  );

  // The leaderboard: the API's order (best first), one column per space path, then the summary.
  const board = await sdk.sweeps.trials(id);
  const head = lines.findIndex((l) =>
    /^TRIAL +optimizer\.lr +optimizer\.momentum +valAccuracy +STATUS +RUNG +EPOCHS +JOB$/.test(l),
  );
  expect(head).toBeGreaterThan(0);
  const rows = lines.slice(head + 1, head + 16).map((l) => l.split(/ +/));
  expect(rows.map((c) => Number(c[0]))).toEqual(board.map((t) => t.index));
  rows.forEach((c, i) => {
    const t = board[i];
    expect(c).toEqual([
      String(t.index),
      num(t.params['optimizer.lr']),
      num(t.params['optimizer.momentum']),
      num(t.value),
      'succeeded',
      '0',
      '5',
      t.jobId,
    ]);
  });
  expect(lines[head + 16]).toBe('');
  expect(r.stdout).toMatch(new RegExp(`^sweep +${id}$`, 'm'));
  expect(r.stdout).toMatch(/^status +succeeded$/m);
  expect(r.stdout).toMatch(/^trials +15: 15 succeeded$/m);
  expect(r.stdout).toMatch(/^budget +75 of at most 75 epochs$/m);
  expect(r.stdout).toMatch(
    new RegExp(
      `^best +valAccuracy ${num(board[0].value)} \\(trial ${board[0].index}\\) optimizer\\.lr=`,
      'm',
    ),
  );
  expect(r.stdout).toMatch(
    new RegExp(`^weights +descent weights ${board[0].jobId} -o model\\.safetensors$`, 'm'),
  );
  expect(r.stdout).not.toContain(String.fromCharCode(27)); // no escape codes in a pipe

  // The other read commands on the finished sweep.
  const ls = await runCli(['sweep', 'ls'], env);
  expect(ls.code, ls.stderr).toBe(0);
  expect(ls.stdout).toMatch(/^ID +STATUS +SEARCHER +METRIC +TRIALS +BEST +CREATED +NAME$/m);
  expect(ls.stdout).toMatch(
    new RegExp(`^${id} +succeeded +grid +valAccuracy \\(max\\) +15/15 +[\\d.]+ +\\S+Z$`, 'm'),
  );
  const get = await runCli(['sweep', 'get', id], env);
  expect(get.code).toBe(0);
  expect(get.stdout).toMatch(/^searcher +grid$/m);
  expect(get.stdout).toMatch(/^TRIAL +optimizer\.lr/m);
  expect(JSON.parse((await runCli(['sweep', 'get', id, '--json'], env)).stdout)).toEqual(
    await sdk.sweeps.get(id),
  );
  const trials = await runCli(['sweep', 'trials', id], env);
  expect(trials.stdout.trim().split('\n')).toEqual(lines.slice(head, head + 16));
  expect(JSON.parse((await runCli(['sweep', 'trials', id, '--json'], env)).stdout)).toEqual({ data: board });
  const ev = await runCli(['sweep', 'events', id], env);
  const evLines = ev.stdout.trim().split('\n');
  expect(evLines.map((l) => l.split(/ +/)[0])).toEqual(await storedIds(id));
  expect(evLines[0]).toMatch(/^\d+-\d+ +status +running$/);
  expect(evLines.at(-1)).toMatch(/^\d+-\d+ +end +succeeded$/);
  expect(ev.stdout).toMatch(/^\d+-\d+ +rung +trial \d+ rung 0 epochs 5 value [\d.]+ final$/m);
  const v = await runCli(['sweep', 'validate', '-', '--set', 'spec.training.epochs=7'], env, {
    input: readFileSync(`${REPO}/${GRID_FILE}`, 'utf8'),
  });
  expect(v.code, v.stderr).toBe(0);
  expect(v.stdout).toMatch(/^trials +15\nrungs +7 epochs\nepochs max +105$/m);
}, 180_000);

test('CLI --json: sweep create --follow prints one JSON event per line with its id, then the sweep', async () => {
  const r = await runCli(
    [
      'sweep',
      'create',
      GRID_FILE,
      '--json',
      '--follow',
      '--set',
      'spec.training.epochs=3',
      '--set',
      'space.optimizer.lr.grid=[0.01,0.1]',
    ],
    env,
  );
  expect(r.code, r.stderr).toBe(0);
  const rows = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const sweep = rows.pop();
  // --set space.optimizer.lr.grid replaced that dimension: 2 learning rates × 3 momentums.
  expect(sweep).toMatchObject({ object: 'sweep', status: 'succeeded', counts: { total: 6 } });
  expect(sweep.space['optimizer.lr']).toEqual({ grid: [0.01, 0.1] });
  expect(rows.at(-1)).toMatchObject({ type: 'end', status: 'succeeded' });
  expect(rows.map((e) => e.id)).toEqual(await storedIds(sweep.id));
}, 120_000);

test('CLI: a bad sweep request exits 2 naming the field; nothing is created; usage mistakes exit 2', async () => {
  const before = (await sdk.sweeps.list({ limit: 100 })).data.length;
  const r = await runCli(
    ['sweep', 'create', GRID_FILE, '--follow', '--set', 'space.optimizer.lrr.grid=[0.1]'],
    env,
  );
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/^error VALIDATION_ERROR \(400 .*\): The sweep is invalid: /m);
  expect(r.stderr).toMatch(/^ {2}\/space\/optimizer\.lrr: Unknown key "lrr": did you mean "lr"\?/m);
  expect(r.stdout).toBe('');
  const v = await runCli(['sweep', 'validate', GRID_FILE, '--set', 'maxConcurrentTrials=0'], env);
  expect(v.code).toBe(2);
  expect(v.stderr).toMatch(/^ {2}\/maxConcurrentTrials: maxConcurrentTrials must be an integer ≥ 1$/m);
  expect((await sdk.sweeps.list({ limit: 100 })).data.length).toBe(before);
  for (const [args, re] of [
    [
      ['sweep', 'creat', GRID_FILE],
      /unknown subcommand "creat"; did you mean "create"\? \(descent sweep --help/,
    ],
    [['sweep', 'create', GRID_FILE, '--folow'], /unknown option --folow; did you mean --follow\?/],
    [['sweep', 'create', 'nope.json'], /cannot read nope\.json: ENOENT/],
    [['sweep', 'create', 'examples/iris-mlp-adam.json', '--set', 'x'], /--set takes path=value/],
    [['sweep', 'get'], /missing arguments; usage: descent sweep get <id>/],
    [
      ['sweep', 'get', 'swp_doesnotexist1'],
      /^error NOT_FOUND \(404 .*\): Sweep swp_doesnotexist1 does not exist\.$/m,
    ],
  ] as const) {
    const u = await runCli([...args], env);
    expect(u.code, args.join(' ')).toBe(2);
    expect(u.stderr).toMatch(re);
  }
  const help = await runCli(['sweep', 'create', '--help'], env);
  expect(help.code).toBe(0);
  expect(help.stdout).toMatch(/^Usage: descent sweep create <sweep\.json \| ->/m);
  expect((await runCli(['--help'], env)).stdout).toMatch(/^ {2}sweep +hyperparameter sweeps/m);
}, 120_000);

/**
 * One learning rate × 3 momentums × 2 lengths: the even trials end in 3 epochs, the odd ones
 * would train for minutes (3 × 30000 epochs: under the sweep budget limit).
 */
const LONG = [
  'sweep',
  'create',
  GRID_FILE,
  '--set',
  'space.optimizer.lr.grid=[0.003]',
  '--set',
  'space.training.epochs.grid=[3,30000]',
];
const firstEnd = /^trial 0 succeeded /m;

test('CLI: Ctrl-C detaches (130); a followed sweep cancelled by `descent sweep cancel` exits 3, and by Ctrl-C with --cancel-on-interrupt exits 3', async () => {
  const a = spawnCli([...LONG, '--follow'], env);
  await waitUntil(() => firstEnd.test(a.stdout()), 60_000, 'the first trial line');
  const id = /created (swp_\S+) \(6 trials\)/.exec(a.stderr())![1];
  a.proc.kill('SIGINT');
  const ra = await a.done;
  expect(ra.code, ra.stderr).toBe(130);
  expect(ra.stderr).toContain(
    `detached from ${id}; it keeps running. Re-attach: descent sweep get ${id} --follow`,
  );
  expect((await sdk.sweeps.get(id)).status).toBe('running');

  const b = spawnCli(['sweep', 'get', id, '--follow'], env);
  await waitUntil(() => firstEnd.test(b.stdout()), 60_000, 're-attached trial lines');
  const c = await runCli(['sweep', 'cancel', id], env);
  expect(c.code, c.stderr).toBe(0);
  expect(c.stdout.trim()).toBe(`${id} cancelled`);
  const rb = await b.done;
  expect(rb.code, rb.stderr).toBe(3);
  expect(rb.stdout).toMatch(/^status +cancelled$/m);
  expect(rb.stdout).toMatch(/^1 +0\.003 +0 +30000 +- +cancelled +- +0 +job_\S+$/m); // a 30000-epoch trial cut short
  expect((await runCli(['sweep', 'cancel', id], env)).stdout.trim()).toBe(`${id} cancelled`);

  const created = await runCli(LONG, env);
  expect(created.code, created.stderr).toBe(0);
  const id2 = created.stdout.trim();
  expect(id2).toMatch(/^swp_/);
  const d = spawnCli(['sweep', 'get', id2, '--follow', '--cancel-on-interrupt'], env);
  await waitUntil(() => firstEnd.test(d.stdout()), 60_000, 'trial lines of the second sweep');
  d.proc.kill('SIGINT');
  const rd = await d.done;
  expect(rd.code, rd.stderr).toBe(3);
  expect(rd.stderr).toContain(`cancelling ${id2}`);
  expect(rd.stdout).toMatch(/^status +cancelled$/m);
  expect((await sdk.sweeps.get(id2)).status).toBe('cancelled');
}, 180_000);

test('CLI: sweep events --follow resumes after the API is restarted mid-stream: no gap, no duplicate', async () => {
  const created = await runCli(
    ['sweep', 'create', GRID_FILE, '--set', 'spec.training.epochs=1000', '--set', 'maxConcurrentTrials=2'],
    env,
  );
  expect(created.code, created.stderr).toBe(0);
  const id = created.stdout.trim();
  const p = spawnCli(['sweep', 'events', id, '--follow', '--json'], env);
  await waitUntil(() => p.stdout().split('\n').length > 8, 60_000, 'events before the restart');
  api.killGroup('SIGKILL');
  await api.exited;
  const printedBefore = p.stdout().trim().split('\n');
  expect(printedBefore.map((l) => JSON.parse(l).type)).not.toContain('end');
  api = await startApiProcess(apiEnv);
  const r = await p.done;
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toMatch(/connection lost; reconnecting/);
  const printed = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { id: string; type: string });
  expect(printed.length).toBeGreaterThan(printedBefore.length);
  expect(printed.at(-1)).toMatchObject({ type: 'end', status: 'succeeded' });
  expect(printed.map((e) => e.id)).toEqual(await storedIds(id));
}, 240_000);

test("README: the Sweeps section's descent block runs as written", async () => {
  const readme = readFileSync(`${REPO}/README.md`, 'utf8');
  const at = readme.indexOf('<!-- quickstart:sweep -->');
  expect(at, 'README.md has no <!-- quickstart:sweep --> block').toBeGreaterThan(-1);
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(at))![1];
  // `npx descent` is the package's compiled bin (test/e2e/quickstart.test.ts runs that one); here
  // the same command from its sources, as every CLI test runs it.
  const script = block.replaceAll('npx descent', `${process.execPath} ${CLI_ARGS.join(' ')}`);
  const r = spawnSync('bash', ['-e', '-c', script], {
    cwd: REPO,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 150_000,
  });
  expect(r.status, r.stderr + r.stdout).toBe(0);
  expect(r.stdout).toMatch(/^trials +15\nrungs +40 epochs\nepochs max +600$/m);
  expect(r.stdout.split('\n').filter((l) => /^trial \d+ succeeded {2}optimizer\.lr=/.test(l))).toHaveLength(
    15,
  );
  expect(
    r.stdout.match(/^TRIAL +optimizer\.lr +optimizer\.momentum +valAccuracy +STATUS +RUNG +EPOCHS +JOB$/gm),
  ).toHaveLength(2); // create --follow's and trials | head's (get --follow | tail shows the summary)
  expect(r.stdout.match(/^status +succeeded$/gm)).toHaveLength(2);
  expect(r.stdout).toMatch(/^searcher +asha: 27 trials, rungs 1, 3, 9 epochs, η 3$/m);
  expect(r.stdout).toMatch(/^\d+-\d+ +end +succeeded$/m);
  expect(r.stdout).toMatch(/^swp_\S+ +succeeded +asha +valAccuracy \(max\) +27\/27 .* asha-digits$/m);
  expect(r.stdout).toMatch(/^swp_\S+ succeeded$/m); // the cancel of an ended sweep changes nothing
}, 180_000);

test('CLI: a sweep whose every trial fails (a diverging lr) exits 1 with the first error; the request read from stdin', async () => {
  const spec = JSON.parse(readFileSync(`${REPO}/examples/linreg-batch-gd.json`, 'utf8'));
  const request = {
    spec,
    space: { 'optimizer.lr': { grid: [1000, 5000] } },
    searcher: { type: 'grid' },
    metric: 'loss',
  };
  const r = await runCli(['sweep', 'create', '-', '--follow'], env, { input: JSON.stringify(request) });
  expect(r.code, r.stderr).toBe(1);
  expect(r.stdout).toMatch(/^trial 0 failed {2}optimizer\.lr=1000 {2}loss - {2}rung 0 /m);
  expect(r.stdout).toMatch(/^trial 1 failed {2}optimizer\.lr=5000 /m);
  expect(r.stdout).toMatch(/^status +failed$/m);
  expect(r.stdout).toMatch(/^trials +2: 2 failed$/m);
  expect(r.stdout).toMatch(
    /^first error +trial 0 \(job_\S+\): DIVERGED: loss became NaN at step \d+; lower optimizer\.lr \(now 1000\)$/m,
  );
  expect(r.stdout).not.toMatch(/^weights /m);
}, 120_000);

const TMUX = spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0;

test.skipIf(!TMUX)(
  'CLI in a pseudo-terminal (tmux): the bar shows trials done/total and the best so far, advancing in place, then the leaderboard',
  async () => {
    const socket = `descent-sweep-${process.pid}`;
    const exitFile = join(dir, 'tmux-exit');
    const cli = `${process.execPath} ${CLI_ARGS.join(' ')}`;
    const cmd = `cd ${REPO} && DESCENT_URL=${api.url} ${cli} sweep create ${GRID_FILE} --set spec.training.epochs=300 --set maxConcurrentTrials=1 --follow; echo $? > ${exitFile}; sleep 600`;
    const tmux = (...a: string[]) => spawnSync('tmux', ['-L', socket, ...a], { encoding: 'utf8' });
    expect(tmux('new-session', '-d', '-x', '200', '-y', '50', '-s', 'sweep', cmd).status).toBe(0);
    try {
      const seen: number[] = [];
      let bests = 0;
      let screen = '';
      const end = Date.now() + 150_000;
      while (Date.now() < end) {
        screen = tmux('capture-pane', '-p', '-t', 'sweep').stdout;
        const m =
          /trials (\d+)\/15 [█░]+ +\d+% \| [01] running \| best valAccuracy ([\d.]+ \(trial \d+\)|-) \| epochs \d+\/4500 \| ETA /.exec(
            screen,
          );
        if (m && Number(m[1]) !== seen.at(-1)) seen.push(Number(m[1]));
        if (m && m[2] !== '-') bests++;
        if (/^weights +descent weights/m.test(screen)) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(screen).toMatch(/^status +succeeded$/m);
      expect(screen).toMatch(/^TRIAL +optimizer\.lr +optimizer\.momentum +valAccuracy +STATUS/m);
      expect(seen.length, `bar values seen: ${seen.join(', ')}`).toBeGreaterThanOrEqual(3);
      expect([...seen].sort((a, b) => a - b)).toEqual(seen);
      expect(bests).toBeGreaterThan(0);
      expect(screen.match(/trials \d+\/15 [█░]/g)).toHaveLength(1); // redrawn in place
      expect(screen).not.toMatch(/^trial \d+ succeeded /m); // no plain lines on a terminal
      await waitUntil(() => existsSync(exitFile), 20_000, 'the exit code file');
      expect(readFileSync(exitFile, 'utf8').trim()).toBe('0');
    } finally {
      tmux('kill-server');
    }
  },
  180_000,
);
