/**
 * Carrying out a sweep's decisions, and finding the results it has not heard of yet.
 *
 * The scheduler (src/sweep/scheduler.ts, pure) decides; this module is the only one that acts, and
 * every act is idempotent so that any process may repeat any of them after a crash:
 * - `launch` creates the trial's job under an id derived from the sweep and the trial
 *   (`trialJobId`) only if it does not exist (one script), and queues its first segment under a
 *   per-segment BullMQ id (`segmentQueueId`), which BullMQ dedupes;
 * - `promote` moves a job paused at rung k − 1 to `queued` for rung k (a script that answers
 *   'already' the second time) and queues that segment;
 * - `stop` ends a paused job `succeeded` (a script that does nothing unless the job is paused);
 * - `cancel` cancels a job that is not finished, as `POST /v1/jobs/{id}/cancel` does.
 *
 * The reconciler (`reconcile`) loops: carry out the pending actions, then report every segment
 * in flight whose job has finished it (paused at that rung, or ended) to the scheduler, and write
 * the scheduler's answer with the store's compare-and-set. A lost race just reads again. It runs
 * after each trial attempt in the worker that ran it, every few seconds in every worker, and at
 * API and worker start, so neither a killed worker nor a killed API process loses a decision.
 */
import type { Redis } from 'ioredis';
import type { JobResult } from '../contracts/job.js';
import type { SweepEventBody, SweepStatus } from '../contracts/sweep.js';
import type { Keys } from './keys.js';
import type { JobStore } from './job-store.js';
import type { SchedulerAction, SegmentReport } from '../sweep/scheduler.js';
import type { SweepRecord, SweepStore } from './sweep-store.js';
import type { TrainJobData } from './training-queue.js';
import { segmentQueueId, trialIdOf, trialJobId } from './ids.js';
import { cancelJob } from './job-cancel.js';
import { sweepView } from './sweep-view.js';

/** The scheduler's actions and reports, as src/sweep defines them. */
export type SweepAction = SchedulerAction;

/** One decision of the scheduler. */
export interface SweepStep {
  state: unknown;
  actions: SweepAction[];
  events?: SweepEventBody[];
}

/** The pure scheduler functions the service drives (injected: the queue layer does not import src/sweep). */
export interface SweepScheduler {
  report(state: unknown, seg: SegmentReport): SweepStep;
  cancel(state: unknown): SweepStep;
  /** The ranking metric of a job's result (null: missing or not finite). */
  metricValue(result: JobResult, metric: string): number | null;
}

export interface SweepExecutorDeps {
  redis: Redis;
  keys: Keys;
  jobs: JobStore;
  sweeps: SweepStore;
  queue: {
    enqueue(data: TrainJobData, queueId?: string): Promise<void>;
    removeWaiting(queueId: string): Promise<number>;
  };
  publishCancel(jobId: string): Promise<void>;
  scheduler: SweepScheduler;
  log?(msg: string): void;
}

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

/** The segments in flight after an action: launches and promotions join, cancels leave. */
function applyToInflight(inflight: Record<string, number>, actions: SweepAction[]): void {
  for (const a of actions) {
    if (a.kind === 'launch') inflight[a.trial] = 0;
    else if (a.kind === 'promote') inflight[a.trial] = a.rung;
    else if (a.kind === 'cancel') delete inflight[a.trial];
  }
}

/** The sweep status an action list ends in, if any. */
function endStatus(actions: SweepAction[]): SweepStatus | undefined {
  return actions.find((a): a is Extract<SweepAction, { kind: 'end' }> => a.kind === 'end')?.status;
}

export function createSweepExecutor(deps: SweepExecutorDeps) {
  const { jobs, sweeps, keys, redis } = deps;

  /**
   * The scheduler's event bodies as stored: stamped with the sweep, the time and the trial's ids
   * (a `best` event also with the trial's params).
   */
  function stamp(
    sw: Pick<SweepRecord, 'id' | 'params'>,
    events: SweepEventBody[] | undefined,
    state: unknown,
  ): object[] {
    const time = new Date().toISOString();
    // A trial has a job once one of its segments was launched (a trial cancelled before it never has).
    const segments = (state as { segments?: { trial: number }[] } | null)?.segments ?? [];
    const launched = new Set(segments.map((x) => x.trial));
    return (events ?? []).map((e) =>
      'trial' in e
        ? {
            ...e,
            sweepId: sw.id,
            time,
            trialId: trialIdOf(sw.id, e.trial),
            jobId: launched.has(e.trial) ? trialJobId(sw.id, e.trial) : null,
            ...(e.type === 'best' ? { params: sw.params[e.trial] ?? {} } : {}),
          }
        : { ...e, sweepId: sw.id, time },
    );
  }

  /**
   * The `sweep.ended` webhook data of a decision that ends `sw`: the sweep as `GET /v1/sweeps/{id}`
   * will show it once the decision is written.
   */
  const endedView =
    (sw: SweepRecord, state: unknown, status: SweepRecord['status']) =>
    (finishedAt: string): object =>
      sweepView({ ...sw, state, status, finishedAt, inflight: {} });

  /** Queue a trial's current segment and count it against its tenant's job cap. */
  async function enqueueSegment(id: string, tenant: string, hash: Record<string, string>): Promise<void> {
    await redis.zadd(keys.active(tenant), Date.now(), id);
    await deps.queue.enqueue({ jobId: id, tenant }, segmentQueueId(id, hash));
  }

  async function execute(sw: SweepRecord, a: SweepAction): Promise<void> {
    if (a.kind === 'end') return;
    const id = trialJobId(sw.id, a.trial);
    if (a.kind === 'launch') {
      const spec = await sweeps.trialSpec(sw.id, a.trial);
      if (spec === null) return;
      await jobs.createIfAbsent({
        id,
        tenant: sw.tenant,
        spec,
        metadata: (sw.request.metadata as Record<string, unknown> | undefined) ?? {},
        trial: {
          sweepId: sw.id,
          trialId: trialIdOf(sw.id, a.trial),
          index: a.trial,
          untilEpoch: a.untilEpoch,
        },
      });
      const h = await jobs.getHash(id);
      if (h?.status === 'queued' && h.segRung === '0') await enqueueSegment(id, sw.tenant, h);
      return;
    }
    if (a.kind === 'promote') {
      const r = await jobs.promote(id, a.rung, a.untilEpoch);
      const h = r === 'no' ? null : await jobs.getHash(id);
      if (h?.status === 'queued') await enqueueSegment(id, sw.tenant, h);
      return;
    }
    if (a.kind === 'stop') {
      await jobs.stop(id);
      return;
    }
    const h = await jobs.getHash(id);
    if (h && !TERMINAL.has(h.status) && h.status !== 'cancelling') await cancelJob(deps, id);
  }

  /** Carry out the pending actions in order, then drop them; how many there were. */
  async function drain(sw: SweepRecord): Promise<number> {
    const pending = await sweeps.pending<SweepAction>(sw.id);
    for (const p of pending) await execute(sw, p.action);
    if (pending.length) await sweeps.ack(sw.id, pending[pending.length - 1].seq);
    return pending.length;
  }

  /** The finished segment of a trial in flight at `rung`, or null while it trains. */
  async function finishedSegment(
    sw: SweepRecord,
    trial: number,
    rung: number,
  ): Promise<SegmentReport | null> {
    const h = await jobs.getHash(trialJobId(sw.id, trial));
    // Deleted or expired under the sweep: nothing will ever come of it.
    if (!h) return { trial, rung, value: null, final: true, outcome: 'failed' };
    if (Number(h.segRung) !== rung) return null;
    const metric = String(sw.request.metric ?? 'valLoss');
    const result = h.result ? (JSON.parse(h.result) as JobResult | null) : null;
    const value = result ? deps.scheduler.metricValue(result, metric) : null;
    // Epochs trained: fewer than the segment's when early stopping ended the trial.
    const epochs = typeof result?.epochs === 'number' ? { epochs: result.epochs } : {};
    if (h.status === 'paused') return { trial, rung, value, final: false, ...epochs };
    if (h.status === 'succeeded') return { trial, rung, value, final: true, ...epochs };
    if (h.status === 'failed' || h.status === 'cancelled')
      return { trial, rung, value: null, final: true, outcome: h.status };
    return null;
  }

  /**
   * Bring one sweep up to date: carry out what was decided, report what has finished, decide, and
   * repeat until nothing is left to do. Safe to run in any number of processes at once.
   */
  async function reconcile(sweepId: string): Promise<void> {
    for (let round = 0; round < 10_000; round++) {
      const sw = await sweeps.get(sweepId);
      if (!sw) return;
      if ((await drain(sw)) > 0) continue;
      if (TERMINAL.has(sw.status)) return;
      const reports: SegmentReport[] = [];
      for (const [trial, rung] of Object.entries(sw.inflight)) {
        const seg = await finishedSegment(sw, Number(trial), rung);
        if (seg) reports.push(seg);
      }
      if (reports.length === 0) return;
      let state = sw.state;
      const actions: SweepAction[] = [];
      const events: SweepEventBody[] = [];
      const inflight = { ...sw.inflight };
      for (const r of reports) {
        const step = deps.scheduler.report(state, r);
        state = step.state;
        delete inflight[r.trial];
        applyToInflight(inflight, step.actions);
        actions.push(...step.actions);
        events.push(...(step.events ?? []));
      }
      // null: another process decided first; read again (its decision may include ours).
      await sweeps.cas(sweepId, sw.version, {
        state,
        inflight,
        actions,
        events: stamp(sw, events, state),
        status: endStatus(actions),
        ended: endedView(sw, state, endStatus(actions) ?? sw.status),
      });
    }
  }

  return {
    reconcile,

    /**
     * Store a new sweep together with the scheduler's first decision (one MULTI), then carry the
     * first launches out. A crash in between is finished by the next reconcile.
     */
    async begin(sweep: Omit<Parameters<SweepStore['create']>[0], 'first'>, first: SweepStep): Promise<void> {
      const inflight: Record<string, number> = {};
      applyToInflight(inflight, first.actions);
      await sweeps.create({
        ...sweep,
        first: {
          state: first.state,
          inflight,
          actions: first.actions,
          events: stamp(sweep, first.events, first.state),
        },
      });
      await reconcile(sweep.id);
    },

    /** Cancel a sweep: running trials are cancelled, finished ones kept; then carried out. */
    async cancel(sweepId: string): Promise<void> {
      for (let round = 0; round < 100; round++) {
        const sw = await sweeps.get(sweepId);
        if (!sw || TERMINAL.has(sw.status)) break;
        const step = deps.scheduler.cancel(sw.state);
        const inflight = { ...sw.inflight };
        applyToInflight(inflight, step.actions);
        const v = await sweeps.cas(sweepId, sw.version, {
          state: step.state,
          inflight,
          actions: step.actions,
          events: stamp(sw, step.events, step.state),
          status: endStatus(step.actions) ?? 'cancelled',
          ended: endedView(sw, step.state, endStatus(step.actions) ?? 'cancelled'),
        });
        if (v !== null) break;
      }
      await reconcile(sweepId);
    },

    /** Reconcile every sweep not finished yet (worker and API start, and a worker's timer). */
    async reconcileAll(): Promise<void> {
      for (const id of await sweeps.active()) {
        try {
          await reconcile(id);
        } catch (err) {
          deps.log?.(`sweep ${id}: reconcile failed: ${(err as Error).message}`);
        }
      }
    },
  };
}

export type SweepExecutor = ReturnType<typeof createSweepExecutor>;
