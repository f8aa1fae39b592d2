/**
 * Issue 15, acceptance 1: the `descent` CLI end to end against a real stack (redis-server, an
 * API process and a worker process, the API restartable on its port). Piped, `train --follow`
 * prints one line per epoch and the summary; the exit codes are 0 succeeded, 1 failed (a
 * diverging lr), 2 bad spec, 3 cancelled (by `descent cancel` and by Ctrl-C with
 * --cancel-on-interrupt), 130 detached; in a pseudo-terminal (tmux) the bar advances and the
 * summary prints; `events --follow` resumes after the API is restarted mid-stream with no gap and
 * no duplicate. The other commands (jobs, job, weights, predict, datasets) run against it too.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { CLI_ARGS, runCli, spawnCli, waitUntil } from '../helpers/cli.js';
import { killAllProcesses, startApiProcess, startWorkerProcess, type Proc } from '../helpers/processes.js';
import { freePort, startRedis, uniquePrefix, type TestRedis } from '../helpers/redis.js';
import { REPO } from '../helpers/service-process.js';

let redis: TestRedis;
let api: Proc & { url: string };
let worker: Proc;
let apiEnv: Record<string, string>;
let env: Record<string, string>;
let dir: string;

const IRIS = 'examples/iris-mlp-adam.json';
const TMUX = spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0;

beforeAll(async () => {
  redis = await startRedis();
  const port = String(await freePort());
  apiEnv = {
    REDIS_URL: redis.url,
    DESCENT_PREFIX: uniquePrefix('cli'),
    PORT: port,
    DESCENT_SSE_PING_MS: '1000',
  };
  [api, worker] = await Promise.all([startApiProcess(apiEnv), startWorkerProcess(apiEnv)]);
  env = { DESCENT_URL: api.url };
  dir = mkdtempSync(join(tmpdir(), 'descent-cli-'));
}, 120_000);
afterAll(async () => {
  await killAllProcesses();
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A GET of the test's API, parsed. */
async function get<T>(path: string): Promise<T> {
  return (await (await fetch(`${api.url}${path}`)).json()) as T;
}

const epochLines = (s: string) => s.split('\n').filter((l) => /^epoch \d+\/\d+ {2}loss /.test(l));

test('piped: train --follow prints one line per epoch, then the summary; exit 0', async () => {
  const r = await runCli(['train', IRIS, '--follow', '--name', 'cli-e2e'], env);
  expect(r.code, r.stderr).toBe(0);
  const lines = epochLines(r.stdout);
  expect(lines).toHaveLength(60);
  lines.forEach((l, i) =>
    expect(l).toMatch(
      new RegExp(
        `^epoch ${i + 1}/60  loss [\\d.e+-]+  val_loss [\\d.e+-]+  val_accuracy [\\d.]+  lr 0\\.01  [\\d.e+]+ steps/s$`,
      ),
    ),
  );
  expect(r.stdout).toMatch(/^status +succeeded$/m);
  expect(r.stdout).toMatch(/^accuracy +[\d.]+$/m);
  expect(r.stdout).toMatch(/^duration +\d+\.\d s$/m);
  expect(r.stdout).toMatch(/^weights +descent weights job_\S+ -o model\.safetensors$/m);
  expect(r.stdout).not.toContain(String.fromCharCode(27)); // no escape codes in a pipe
}, 120_000);

test('--json: one JSON event per line with its id, then the finished job', async () => {
  const r = await runCli(['train', IRIS, '--follow', '--json'], env);
  expect(r.code, r.stderr).toBe(0);
  const rows = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const job = rows.pop();
  expect(job).toMatchObject({ object: 'job', status: 'succeeded' });
  expect(rows.filter((e) => e.type === 'epoch')).toHaveLength(60);
  expect(rows.at(-1)).toMatchObject({ type: 'end', status: 'succeeded' });
  expect(rows.every((e) => /^\d+-\d+$/.test(e.id))).toBe(true);
}, 120_000);

test('a diverging lr: exit 1, the error code and message printed', async () => {
  const r = await runCli(
    ['train', 'examples/linreg-batch-gd.json', '--set', 'optimizer.lr=1000', '--follow'],
    env,
  );
  expect(r.code, r.stdout + r.stderr).toBe(1);
  expect(r.stdout).toMatch(/^status +failed$/m);
  expect(r.stdout).toMatch(
    /^error +DIVERGED: loss became NaN at step \d+; lower optimizer\.lr \(now 1000\)$/m,
  );
}, 120_000);

test('a bad spec: exit 2 and the problem rendered (field path, message, hint); nothing is created', async () => {
  const before = await get<{ data: unknown[] }>('/v1/jobs?limit=100');
  const r = await runCli(
    ['train', IRIS, '--follow', '--set', 'optimiser.lr=1', '--set', 'training.epochs=0'],
    env,
  );
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/^error VALIDATION_ERROR \(400 .*\): /m);
  expect(r.stderr).toMatch(/^ {2}\/training\/epochs: epochs must be an integer ≥ 1$/m);
  expect(r.stderr).toMatch(/^ {2}\/: Unknown key "optimiser": did you mean "optimizer"\?$/m);
  expect(r.stdout).toBe('');
  const after = await get<{ data: unknown[] }>('/v1/jobs?limit=100');
  expect(after.data.length).toBe(before.data.length);
  // Usage mistakes are bad input too: a missing file, invalid JSON, a mistyped flag or command.
  writeFileSync(join(dir, 'broken.json'), '{"model": ');
  for (const [args, re] of [
    [['train', 'nope.json'], /cannot read nope\.json: ENOENT/],
    [['train', join(dir, 'broken.json')], /is not valid JSON/],
    [['train', IRIS, '--folow'], /unknown option --folow; did you mean --follow\?/],
    [['jobs', '--limt', '3'], /unknown option --limt; did you mean --limit\?/],
    [['trian', IRIS], /unknown command "trian"; did you mean "train"\?/],
    [['job'], /missing arguments; usage: descent job <id>/],
  ] as const) {
    const u = await runCli([...args], env);
    expect(u.code, args.join(' ')).toBe(2);
    expect(u.stderr).toMatch(re);
  }
}, 120_000);

test('cancelled: a followed job cancelled by `descent cancel` exits 3', async () => {
  const p = spawnCli(['train', IRIS, '--set', 'training.epochs=50000', '--follow'], env);
  await waitUntil(() => epochLines(p.stdout()).length > 0, 60_000, 'the first epoch line');
  const id = /submitted (job_\S+);/.exec(p.stderr())![1];
  const c = await runCli(['cancel', id], env);
  expect(c.code, c.stderr).toBe(0);
  expect(c.stdout).toMatch(new RegExp(`^${id} (cancelling|cancelled)$`, 'm'));
  const r = await p.done;
  expect(r.code, r.stderr).toBe(3);
  expect(r.stdout).toMatch(/^status +cancelled$/m);
  // The worker's terminal: one line per state change, and the end with its task.
  await waitUntil(() => worker.output().includes(`job ${id} cancelled`), 20_000, 'the worker line');
  expect(worker.output()).toContain(`job ${id} cancelling (cancel requested)`);
  expect(worker.output()).toMatch(new RegExp(`job ${id} cancelled in \\d+\\.\\d s: supervised`));
}, 120_000);

test('Ctrl-C detaches (the job keeps running, the re-attach command printed: 130); with --cancel-on-interrupt it cancels (3)', async () => {
  const p = spawnCli(['train', IRIS, '--set', 'training.epochs=50000', '--follow'], env);
  await waitUntil(() => epochLines(p.stdout()).length > 0, 60_000, 'the first epoch line');
  const id = /submitted (job_\S+);/.exec(p.stderr())![1];
  p.proc.kill('SIGINT');
  const r = await p.done;
  expect(r.code).toBe(130);
  expect(r.stderr).toContain(`detached from ${id}; it keeps running. Re-attach: descent job ${id} --follow`);
  expect((await get<{ status: string }>(`/v1/jobs/${id}`)).status).toBe('running');
  // Re-attach, then Ctrl-C with --cancel-on-interrupt: the job is cancelled and the exit is 3.
  const again = spawnCli(['job', id, '--follow', '--cancel-on-interrupt'], env);
  await waitUntil(() => epochLines(again.stdout()).length > 0, 60_000, 're-attached epoch lines');
  again.proc.kill('SIGINT');
  const r2 = await again.done;
  expect(r2.code, r2.stderr).toBe(3);
  expect(r2.stderr).toContain(`cancelling ${id}`);
  expect(r2.stdout).toMatch(/^status +cancelled$/m);
}, 180_000);

test.skipIf(!TMUX)(
  'in a pseudo-terminal (tmux): the bar advances in place, then the summary',
  async () => {
    const socket = `descent-cli-${process.pid}`;
    const exitFile = join(dir, 'tmux-exit');
    const cmd = `cd ${REPO} && DESCENT_URL=${api.url} ${process.execPath} ${CLI_ARGS.join(' ')} train ${IRIS} --set training.epochs=10000 --follow; echo $? > ${exitFile}; sleep 600`;
    const tmux = (...a: string[]) => spawnSync('tmux', ['-L', socket, ...a], { encoding: 'utf8' });
    expect(tmux('new-session', '-d', '-x', '200', '-y', '40', '-s', 'cli', cmd).status).toBe(0);
    try {
      const seen: number[] = [];
      let screen = '';
      const end = Date.now() + 150_000;
      while (Date.now() < end) {
        screen = tmux('capture-pane', '-p', '-t', 'cli').stdout;
        const m =
          /epoch (\d+)\/10000 [█░]+ +\d+% \| [\d.e+-]+ steps\/s \| loss [\d.e+-]+ \| (?:val_accuracy [\d.]+|-) \| lr [\d.e-]+ \| ETA /.exec(
            screen,
          );
        if (m && Number(m[1]) !== seen.at(-1)) seen.push(Number(m[1]));
        if (/^weights +descent weights/m.test(screen)) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(screen).toMatch(/^status +succeeded$/m);
      expect(screen).toMatch(/^epochs +10000$/m);
      // The bar was redrawn in place: several different epoch counts seen over time, increasing,
      // and only one bar line on the screen at the end.
      expect(seen.length, `bar values seen: ${seen.join(', ')}`).toBeGreaterThanOrEqual(3);
      expect([...seen].sort((a, b) => a - b)).toEqual(seen);
      expect(screen.match(/epoch \d+\/10000 [█░]/g)).toHaveLength(1);
      // The summary is on screen a moment before the shell has written the exit code.
      await waitUntil(() => existsSync(exitFile), 20_000, 'the exit code file');
      expect(readFileSync(exitFile, 'utf8').trim()).toBe('0');
    } finally {
      tmux('kill-server');
    }
  },
  180_000,
);

test('events --follow resumes after the API is restarted mid-stream: no gap, no duplicate', async () => {
  const created = await runCli(['train', IRIS, '--set', 'training.epochs=20000'], env);
  expect(created.code, created.stderr).toBe(0);
  const id = created.stdout.trim();
  const p = spawnCli(['events', id, '--follow', '--json'], env);
  await waitUntil(() => p.stdout().split('\n').length > 20, 60_000, 'events before the restart');
  api.killGroup('SIGKILL');
  await api.exited;
  const printedBefore = p.stdout().split('\n').length;
  api = await startApiProcess(apiEnv);
  const r = await p.done;
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toMatch(/connection lost; reconnecting/);
  const printed = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { id: string; type: string });
  expect(printed.length).toBeGreaterThan(printedBefore);
  expect(printed.at(-1)!.type).toBe('end');
  // Every stored event, in order, exactly once.
  const stored: string[] = [];
  for (let after: string | undefined; ;) {
    const page = await get<{ data: { id: string }[]; hasMore: boolean; nextCursor: string }>(
      `/v1/jobs/${id}/events?limit=1000${after ? `&after=${after}` : ''}`,
    );
    stored.push(...page.data.map((e) => e.id));
    if (!page.hasMore) break;
    after = page.nextCursor;
  }
  expect(printed.map((e) => e.id)).toEqual(stored);
}, 180_000);

test('jobs, job, weights (safetensors and JSON), predict, datasets upload and ls', async () => {
  const t = await runCli(['train', IRIS, '--follow', '--name', 'for-downloads'], env);
  expect(t.code, t.stderr).toBe(0);
  const id = /^job +(job_\S+)$/m.exec(t.stdout)![1];
  const list = await runCli(['jobs', '--status', 'succeeded', '--limit', '50'], env);
  expect(list.code).toBe(0);
  expect(list.stdout).toMatch(/^ID +STATUS +TASK +CREATED +PROGRESS +NAME$/m);
  expect(list.stdout).toMatch(
    new RegExp(`^${id} +succeeded +supervised +\\S+ +loss [\\d.e-]+ +for-downloads$`, 'm'),
  );
  const listJson = JSON.parse((await runCli(['jobs', '--json', '--limit', '2'], env)).stdout);
  expect(listJson).toMatchObject({ hasMore: expect.any(Boolean) });
  const one = await runCli(['job', id], env);
  expect(one.stdout).toMatch(/^status +succeeded$/m);
  expect(JSON.parse((await runCli(['job', id, '--json'], env)).stdout)).toMatchObject({
    id,
    status: 'succeeded',
  });

  const st = join(dir, 'model.safetensors');
  const w = await runCli(['weights', id, '-o', st], env);
  expect(w.code, w.stderr).toBe(0);
  const served = new Uint8Array(
    await (await fetch(`${api.url}/v1/jobs/${id}/weights?format=safetensors`)).arrayBuffer(),
  );
  expect(new Uint8Array(readFileSync(st))).toEqual(served);
  const wj = await runCli(['weights', id, '--format', 'json'], env);
  expect(Object.keys(JSON.parse(wj.stdout).shapes)).toContain('0.weight');
  expect((await runCli(['weights', id, '--format', 'safetensors'], env)).code).toBe(2); // binary needs -o

  const pr = await runCli(['predict', id, '-'], env, {
    input: '[[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]',
  });
  expect(pr.code, pr.stderr).toBe(0);
  expect(pr.stdout).toMatch(/^ROW +CLASS +OUT0 +OUT1 +OUT2$/m);
  expect(pr.stdout).toMatch(/^0 +0 +0\.9/m);
  const prJson = JSON.parse(
    (await runCli(['predict', id, '-', '--json'], env, { input: '{"inputs": [[5.1, 3.5, 1.4, 0.2]]}' }))
      .stdout,
  );
  expect(prJson.classes).toEqual([0]);

  const up = await runCli(
    [
      'datasets',
      'upload',
      'test/fixtures/tables/churn.csv',
      '--target',
      'churn',
      '--types',
      'churn:categorical',
    ],
    env,
  );
  expect(up.code, up.stderr).toBe(0);
  const ds = up.stdout.trim();
  expect(ds).toMatch(/^ds_/);
  expect(up.stderr).toMatch(/uploaded ds_\S+: \d+ rows, \d+ features, 1 target\(s\) — .*churn:categorical/);
  const ls = await runCli(['datasets', 'ls'], env);
  expect(ls.stdout).toMatch(new RegExp(`^${ds} +\\d+ +\\d+ +1 +\\S+`, 'm'));
  const help = await runCli(['datasets', 'upload', '--help'], env);
  expect(help.stdout).toMatch(/^Usage: descent datasets upload <file\.csv \| ->/m);
  // Nothing answers: exit 1 with what could not be reached.
  const down = await runCli(['jobs'], { DESCENT_URL: 'http://127.0.0.1:9' });
  expect(down.code).toBe(1);
  expect(down.stderr).toMatch(/could not reach http:\/\/127\.0\.0\.1:9\/v1\/jobs/);
}, 180_000);
