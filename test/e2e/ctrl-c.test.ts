/**
 * Issue 10.1 — Ctrl-C on `npm start` while a job trains. A terminal sends SIGINT to every process
 * of its foreground process group; here the test is that terminal: `npm start` runs as the leader
 * of a group of its own and the test signals the whole group (`kill(-pgid, 'SIGINT')`).
 *
 * - One Ctrl-C: the service exits within 15 s with code 0; no process of the group and not the
 *   redis-server it started is left; the job was checkpointed and handed back, and on the next
 *   start (same Redis data directory) it resumes from that checkpoint and succeeds.
 * - Two Ctrl-Cs: exit at once with 130; nothing left either; the job resumes on the next start.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { freePort } from '../helpers/redis.js';
import { alive } from '../helpers/processes.js';
import { createRng } from '../../src/rng/rng.js';
import {
  startService,
  startedRedisPid,
  stopAllServices,
  until,
  type ServiceProcess,
} from '../helpers/service-process.js';

afterAll(stopAllServices);

const ENV = {
  WORKERS: '2',
  DESCENT_HEARTBEAT_MS: '500',
  DESCENT_CHECKPOINT_MS: '500',
};

/** Pids of the live processes whose process group is `pgid` (Linux /proc). */
function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // pid (comm) state ppid pgrp …
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') out.push(Number(name));
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/**
 * Post a training job. `slowSteps`: a wide net trained full-batch, so that one step takes about a
 * second and a shutdown (which waits for the step in flight) is still under way when the second
 * Ctrl-C comes; otherwise the small iris MLP, whose shutdown takes a fraction of a second.
 */
async function postJob(base: string, slowSteps = false): Promise<string> {
  let spec: Record<string, unknown> = {
    model: { type: 'mlp', hidden: [64, 64], activation: 'relu' },
    data: { builtin: 'iris' },
    loss: 'cross_entropy',
    optimizer: { type: 'adam', lr: 0.001 },
    training: { epochs: 1500, batchSize: 8, seed: 3 },
  };
  if (slowSteps) {
    const rng = createRng(5);
    const x = Array.from({ length: 1024 }, () => Array.from({ length: 128 }, () => rng.normal()));
    const y = x.map((row) => (row[0] > 0 ? 1 : 0));
    const up = await fetch(`${base}/v1/datasets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ x, y }),
    });
    expect(up.status, await up.clone().text()).toBe(201);
    const datasetId = ((await up.json()) as { id: string }).id;
    spec = {
      model: { type: 'mlp', hidden: [2048, 2048], activation: 'relu' },
      data: { datasetId },
      loss: 'cross_entropy',
      optimizer: { type: 'sgd', lr: 0.01 },
      training: { epochs: 8, batchSize: 1024, seed: 3 },
    };
  }
  const res = await fetch(`${base}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(spec),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

/** Every event of a job, through the JSON pages of GET /v1/jobs/{id}/events. */
async function allEvents(base: string, id: string): Promise<Array<Record<string, unknown>>> {
  const out: Array<Record<string, unknown>> = [];
  let after = '';
  for (;;) {
    const page = (await (
      await fetch(`${base}/v1/jobs/${id}/events${after ? `?after=${after}` : ''}`)
    ).json()) as { data: Array<Record<string, unknown>>; hasMore: boolean; nextCursor: string | null };
    out.push(...page.data);
    if (!page.hasMore || !page.nextCursor) return out;
    after = page.nextCursor;
  }
}

/** True once the job has written a checkpoint (GET /v1/jobs/{id}/checkpoints). */
async function checkpointed(base: string, id: string): Promise<boolean> {
  const res = await fetch(`${base}/v1/jobs/${id}/checkpoints`);
  return ((await res.json()) as { data: unknown[] }).data.length > 0;
}

async function getJob(base: string, id: string): Promise<Record<string, unknown>> {
  return (await (await fetch(`${base}/v1/jobs/${id}`)).json()) as Record<string, unknown>;
}

/** Start `npm start` on a self-started Redis (port, data dir), wait until ready. */
async function start(redisUrl: string, dir: string): Promise<ServiceProcess> {
  const svc = await startService({ ...ENV, REDIS_URL: redisUrl, DESCENT_REDIS_DIR: dir }, { viaNpm: true });
  await until(async () => (await fetch(`${svc.url}/readyz`)).status === 200);
  expect(startedRedisPid(svc.output()), svc.output()).not.toBeNull();
  return svc;
}

/** Signal the group the way a terminal does, `times` times 0.4 s apart; time the exit. */
async function ctrlC(svc: ServiceProcess, times: number) {
  const pgid = svc.proc.pid!;
  const members = groupMembers(pgid);
  const redisPid = startedRedisPid(svc.output())!;
  // npm, its shell, start.ts, two workers and at least one sandboxed trainer.
  expect(members.length, `group: ${members.join(' ')}`).toBeGreaterThanOrEqual(5);
  expect(members).not.toContain(redisPid);
  const t0 = Date.now();
  for (let i = 0; i < times; i++) {
    if (i > 0) {
      await new Promise((r) => setTimeout(r, 400));
      expect(groupMembers(pgid).length, 'the first Ctrl-C had already finished the shutdown').toBeGreaterThan(
        0,
      );
    }
    process.kill(-pgid, 'SIGINT');
  }
  const exit = await Promise.race([svc.exit, new Promise<null>((r) => setTimeout(() => r(null), 30_000))]);
  const seconds = (Date.now() - t0) / 1000;
  // Workers and Redis are reaped by their parents; give the kernel a moment to drop them.
  await until(async () => groupMembers(pgid).length === 0 && !alive(redisPid), 5000).catch(() => {});
  return { exit, seconds, left: groupMembers(pgid), redisAlive: alive(redisPid) };
}

/** Next start: the job resumes from its checkpoint (attempt 2) and succeeds. */
async function resumesAndSucceeds(redisUrl: string, dir: string, id: string) {
  const svc = await start(redisUrl, dir);
  try {
    const job = (await until(async () => {
      const j = await getJob(svc.url!, id);
      return ['succeeded', 'failed', 'cancelled'].includes(String(j.status)) ? j : undefined;
    }, 120_000))!;
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    expect(job.attempt).toBe(2);
    const events = await allEvents(svc.url!, id);
    const resumed = events.filter(
      (e) => e.attempt === 2 && e.type === 'log' && /resumes from the checkpoint/.test(String(e.message)),
    );
    expect(resumed, 'attempt 2 resumed from the checkpoint').toHaveLength(1);
  } finally {
    expect(await svc.stop()).toBe(0);
  }
}

describe('Ctrl-C on npm start while a job trains', () => {
  test('one Ctrl-C: exit ≤ 15 s with code 0, nothing left, the job resumes and succeeds on the next start', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const dir = mkdtempSync(join(tmpdir(), 'descent-ctrlc-'));
    try {
      const svc = await start(url, dir);
      const id = await postJob(svc.url!);
      await until(() => checkpointed(svc.url!, id), 60_000);
      expect((await getJob(svc.url!, id)).status).toBe('running');

      const { exit, seconds, left, redisAlive } = await ctrlC(svc, 1);
      console.log(`one Ctrl-C: exited ${JSON.stringify(exit)} after ${seconds.toFixed(1)} s`);
      expect(exit, svc.output()).toEqual({ code: 0, signal: null });
      expect(seconds).toBeLessThanOrEqual(15);
      expect(left, 'processes of the group still alive').toEqual([]);
      expect(redisAlive, 'the redis-server it started is still alive').toBe(false);
      expect(svc.output()).not.toMatch(/ECONNREFUSED/);

      await resumesAndSucceeds(url, dir, id);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);

  test('two Ctrl-Cs: exit at once with 130, nothing left, the job resumes and succeeds on the next start', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const dir = mkdtempSync(join(tmpdir(), 'descent-ctrlc-'));
    try {
      const svc = await start(url, dir);
      const id = await postJob(svc.url!, true);
      await until(() => checkpointed(svc.url!, id), 60_000);

      const { exit, seconds, left, redisAlive } = await ctrlC(svc, 2);
      console.log(`two Ctrl-Cs: exited ${JSON.stringify(exit)} after ${seconds.toFixed(1)} s`);
      expect(exit, svc.output()).toEqual({ code: 130, signal: null });
      // The second press comes 0.4 s after the first.
      expect(seconds).toBeLessThanOrEqual(5);
      expect(left, 'processes of the group still alive').toEqual([]);
      expect(redisAlive, 'the redis-server it started is still alive').toBe(false);

      await resumesAndSucceeds(url, dir, id);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);
});
