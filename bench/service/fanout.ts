/**
 * Phase 2: delivery lag of one job's events to many concurrent SSE subscribers.
 *
 * So that every subscriber is attached before the job emits anything, both workers are first kept
 * busy with a long "blocker" job each; the target job is submitted (it waits in the queue), the
 * subscribers connect and replay its history (the `queued` event), and only then are the blockers
 * cancelled, letting a worker take the target. Every event after that point reaches the
 * subscribers live. For each (subscriber, event): lag = time the chunk reached this process − the
 * event's stream id (the millisecond Redis appended it; same host clock). The lag from the event's
 * own `time` field (set in the trainer before the append) is reported too. At the end each
 * subscriber's id sequence is compared with the JSON event pages: every event exactly once, in order.
 */
import { cancelJob, eventIds, jobStatus, postJob, sleep, until } from './api.js';
import { idMs, openSse, wallMs, type SseHandle } from './sse.js';
import { summarize, type Summary } from './stats.js';
import { cpuBetween, type CpuSample } from './cpu.js';

export interface FanoutResult {
  subscribers: number;
  connectSeconds: number;
  /** Events of the job (JSON pages), and how many were live (after all subscribers were attached). */
  events: number;
  liveEvents: number;
  /** Span of the live events' stream ids (first → last append), ms. */
  emitSpanMs: number;
  /** From the first live append until the last subscriber received `end`, ms. */
  deliverSpanMs: number;
  /** Frames delivered per second over that span, all subscribers together. */
  framesPerSecond: number;
  /** CPU seconds from releasing the job until every stream ended, by process. */
  cpu: CpuSample | null;
  /** receive − stream id, over every (subscriber, live event). */
  lagMs: Summary;
  /** receive − event `time` field (trainer clock), same pairs. */
  lagFromTimeMs: Summary;
  /** Per live event, the lag of its slowest subscriber (time until everyone has it). */
  lastSubscriberLagMs: Summary;
  /** Subscribers whose id sequence equals the JSON pages exactly. */
  exact: number;
  missing: number;
  duplicates: number;
  outOfOrder: number;
  failedStreams: number;
  errors: string[];
  endStatus: string;
  /** The blockers' statuses after the phase (both should be cancelled). */
  blockerStatus: string[];
  /** Per live event: ms after the first live append, type, and its lag at subscriber 0 and the slowest. */
  timeline: Array<{ t: number; type: string; lag0: number; lagMax: number }>;
}

interface Sub {
  ids: string[];
  at: number[];
  time: number[];
  handle: SseHandle | null;
}

const TIME_RE = /"time":"([^"]+)"/;

export async function measureFanout(
  base: string,
  opts: {
    subscribers: number;
    workers: number;
    target: unknown;
    blocker: unknown;
    connectBatch?: number;
    sampleCpu?: () => CpuSample;
  },
): Promise<FanoutResult> {
  const errors: string[] = [];
  // 1. Occupy every worker.
  const blockers: string[] = [];
  for (let i = 0; i < opts.workers; i++) blockers.push((await postJob(base, opts.blocker)).id);
  await until(
    async () => (await Promise.all(blockers.map((b) => jobStatus(base, b)))).every((s) => s === 'running'),
    60_000,
    'the blocker jobs to run',
  );
  // 2. The target waits in the queue.
  const target = (await postJob(base, opts.target)).id;
  // 3. Attach the subscribers (in batches, so the accept backlog never overflows).
  const subs: Sub[] = [];
  const t0 = performance.now();
  const batch = opts.connectBatch ?? 100;
  for (let i = 0; i < opts.subscribers; i += batch) {
    const opened: Promise<number>[] = [];
    for (let j = i; j < Math.min(opts.subscribers, i + batch); j++) {
      const s: Sub = { ids: [], at: [], time: [], handle: null };
      s.handle = openSse(
        `${base}/v1/jobs/${target}/events`,
        (f) => {
          s.ids.push(f.id);
          s.at.push(f.at);
          const m = TIME_RE.exec(f.data);
          s.time.push(m ? Date.parse(m[1]) : NaN);
        },
        180_000,
      );
      subs.push(s);
      opened.push(s.handle.open);
    }
    const statuses = await Promise.all(opened);
    const bad = statuses.filter((c) => c !== 200).length;
    if (bad) errors.push(`${bad} streams did not open with 200 (${[...new Set(statuses)].join(',')})`);
  }
  await until(
    async () => subs.every((s) => s.ids.length > 0),
    60_000,
    'every subscriber to replay the queued event',
  );
  const connectSeconds = (performance.now() - t0) / 1000;
  if ((await jobStatus(base, target)) !== 'queued')
    errors.push('the target job left the queue before all subscribers were attached');
  // 4. Free the workers; the target runs now.
  const readyAt = wallMs();
  const cpu0 = opts.sampleCpu?.();
  await Promise.all(blockers.map((b) => cancelJob(base, b)));
  // 5. Wait for every stream to end.
  const done = await Promise.all(subs.map((s) => s.handle!.done));
  const cpu = cpu0 && opts.sampleCpu ? cpuBetween(cpu0, opts.sampleCpu()) : null;
  const failedStreams = done.filter((d) => !d.closedByServer).length;
  for (const d of done) if (d.error && errors.length < 10) errors.push(d.error);
  await sleep(100);
  // 6. The reference sequence.
  const ref = await eventIds(base, target);
  const refIds = ref.map((e) => e.id);
  const endStatus = (await jobStatus(base, target)) ?? '?';
  const terminal = ['succeeded', 'failed', 'cancelled'];
  let blockerStatus: string[] = [];
  await until(
    async () =>
      (blockerStatus = await Promise.all(blockers.map((b) => jobStatus(base, b)))).every((st) =>
        terminal.includes(st),
      ),
    15_000,
    'the blockers to stop',
  ).catch(() => errors.push(`blockers still ${blockerStatus.join(', ')} 15 s after cancel`));
  const refIndex = new Map(refIds.map((id, i) => [id, i]));
  let exact = 0;
  let missing = 0;
  let duplicates = 0;
  let outOfOrder = 0;
  for (const s of subs) {
    const seen = new Set<string>();
    let prev = -1;
    let ok = s.ids.length === refIds.length;
    for (let i = 0; i < s.ids.length; i++) {
      const id = s.ids[i];
      if (seen.has(id)) duplicates++;
      seen.add(id);
      const k = refIndex.get(id) ?? -1;
      if (k <= prev) outOfOrder++;
      prev = Math.max(prev, k);
      if (ok && id !== refIds[i]) ok = false;
    }
    for (const id of refIds) if (!seen.has(id)) missing++;
    if (ok) exact++;
  }
  // 7. Lags over the live events.
  const live = refIds.filter((id) => idMs(id) >= readyAt);
  const liveSet = new Set(live);
  const lag: number[] = [];
  const lagT: number[] = [];
  const worst = new Map<string, number>();
  let lastEndAt = 0;
  for (const s of subs) {
    for (let i = 0; i < s.ids.length; i++) {
      const id = s.ids[i];
      if (!liveSet.has(id)) continue;
      const l = s.at[i] - idMs(id);
      lag.push(l);
      if (Number.isFinite(s.time[i])) lagT.push(s.at[i] - s.time[i]);
      worst.set(id, Math.max(worst.get(id) ?? -Infinity, l));
      lastEndAt = Math.max(lastEndAt, s.at[i]);
    }
  }
  const firstLive = live.length ? idMs(live[0]) : NaN;
  const lastLive = live.length ? idMs(live[live.length - 1]) : NaN;
  const deliverSpanMs = lastEndAt - firstLive;
  const s0 = subs[0];
  const lag0 = new Map<string, number>();
  if (s0) for (let i = 0; i < s0.ids.length; i++) lag0.set(s0.ids[i], s0.at[i] - idMs(s0.ids[i]));
  const r1 = (v: number) => Math.round(v * 10) / 10;
  const timeline = ref
    .filter((e) => liveSet.has(e.id))
    .map((e) => ({
      t: idMs(e.id) - firstLive,
      type: e.type,
      lag0: r1(lag0.get(e.id) ?? NaN),
      lagMax: r1(worst.get(e.id) ?? NaN),
    }));
  return {
    subscribers: opts.subscribers,
    connectSeconds: Math.round(connectSeconds * 10) / 10,
    events: refIds.length,
    liveEvents: live.length,
    emitSpanMs: lastLive - firstLive,
    deliverSpanMs: Math.round(deliverSpanMs),
    framesPerSecond: Math.round((lag.length * 1000) / Math.max(1, deliverSpanMs)),
    cpu,
    lagMs: summarize(lag),
    lagFromTimeMs: summarize(lagT),
    lastSubscriberLagMs: summarize([...worst.values()]),
    exact,
    missing,
    duplicates,
    outOfOrder,
    failedStreams,
    errors,
    endStatus,
    blockerStatus,
    timeline,
  };
}
