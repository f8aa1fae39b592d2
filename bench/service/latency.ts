/**
 * Phase 1: POST-to-`end` latency of a tiny job, one job at a time, as a client sees it: submit,
 * open the job's SSE stream, stop at `end`. Besides the total, the stream ids (Redis' clock, the
 * same wall clock as ours) split it into: the POST's answer, waiting for a worker (until the
 * `running` event is written), training (running → end written), and delivery of `end` to us.
 */
import { postJob } from './api.js';
import { idMs, openSse, wallMs, type Frame } from './sse.js';
import { summarize, type Summary } from './stats.js';

export interface LatencyResult {
  jobs: number;
  warmup: number;
  failed: number;
  /** First job after start (cold sandbox and JIT), ms. */
  coldMs: number | null;
  totalMs: Summary;
  postMs: Summary;
  toRunningMs: Summary;
  runMs: Summary;
  endDeliveryMs: Summary;
  seconds: number;
}

interface One {
  total: number;
  post: number;
  toRunning: number;
  run: number;
  deliver: number;
  ok: boolean;
}

async function oneJob(base: string, spec: unknown): Promise<One> {
  const t0 = wallMs();
  const { id } = await postJob(base, spec);
  const t1 = wallMs();
  let running: Frame | null = null;
  let end: Frame | null = null;
  const sse = openSse(
    `${base}/v1/jobs/${id}/events`,
    (f) => {
      if (f.event === 'status' && !running && f.data.includes('"status":"running"')) running = f;
      else if (f.event === 'end') end = f;
    },
    60_000,
  );
  const r = await sse.done;
  const e = end as Frame | null;
  const run = running as Frame | null;
  if (!e) throw new Error(`job ${id}: stream ended without an end event (${r.error ?? 'closed'})`);
  const endMs = idMs(e.id);
  const runMs = run ? idMs(run.id) : NaN;
  return {
    total: e.at - t0,
    post: t1 - t0,
    toRunning: runMs - t0,
    run: endMs - runMs,
    deliver: e.at - endMs,
    ok: e.data.includes('"status":"succeeded"'),
  };
}

/** `warmup` jobs (not counted; the first is reported as the cold start), then `n` measured ones. */
export async function measureLatency(
  base: string,
  spec: unknown,
  n: number,
  warmup: number,
  hooks: { start?(): void; end?(): void } = {},
): Promise<LatencyResult> {
  let coldMs: number | null = null;
  for (let i = 0; i < warmup; i++) {
    const r = await oneJob(base, spec);
    if (i === 0) coldMs = r.total;
  }
  const rows: One[] = [];
  hooks.start?.();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) rows.push(await oneJob(base, spec));
  const seconds = (performance.now() - t0) / 1000;
  hooks.end?.();
  const col = (k: keyof One) => rows.map((r) => Number(r[k])).filter(Number.isFinite);
  return {
    jobs: n,
    warmup,
    failed: rows.filter((r) => !r.ok).length,
    coldMs: coldMs === null ? null : Math.round(coldMs * 10) / 10,
    totalMs: summarize(col('total')),
    postMs: summarize(col('post')),
    toRunningMs: summarize(col('toRunning')),
    runMs: summarize(col('run')),
    endDeliveryMs: summarize(col('deliver')),
    seconds: Math.round(seconds * 10) / 10,
  };
}
