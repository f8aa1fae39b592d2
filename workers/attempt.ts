import type { JobErrorCode } from '../src/contracts/problem.js';
import {
  createJobSpecSchema,
  dataShapeOf,
  estimateJob,
  outputWidth,
  type JobSpec,
} from '../src/contracts/job-spec.js';
import { DEFAULT_LIMITS, type Limits } from '../src/contracts/limits.js';
import { loadBuiltin, parseJsonDataset, type Dataset } from '../src/data/index.js';
import type { DatasetStore } from '../src/queue/dataset-store.js';
import { trainingDataset } from '../src/data/table-training.js';
import type { JobStore } from '../src/queue/job-store.js';
import type { UsageStore } from '../src/queue/usage-store.js';
import { decodeSafetensors, encodeSafetensors, sha256Hex } from '../src/queue/safetensors.js';
import { TrainJobDataSchema } from '../src/contracts/job.js';
import { createEventWriter } from './event-writer.js';
import { parseTaskCheckpoint, type TaskCheckpoint } from '../src/train/task-checkpoint.js';
import type { Trainer } from './trainer.js';

/** Abort reason a stopping worker gives its running jobs (BullMQ `cancelAllJobs(reason)`). */
export const SHUTDOWN_REASON = 'descent:worker-shutdown';
/** Abort reason when the worker lost the job's lock: another worker has it, or will. */
export const LOCK_LOST_REASON = 'descent:lock-lost';

export interface AttemptDeps {
  jobs: JobStore;
  datasets: DatasetStore;
  trainer: Trainer;
  limits: Readonly<Limits>;
  progressEveryMs: number;
  checkpointEveryMs: number;
  /** Id of the worker process running this (recorded on the job; tests find the process by it). */
  workerId?: string;
  /** How often the run re-reads its status, as a fallback to the pub/sub cancel (ms). */
  cancelPollMs?: number;
  /** Where the attempt's run time is counted against its tenant's compute quota (absent: not counted). */
  usage?: Pick<UsageStore, 'recordCompute'>;
  /** How often the run time so far is recorded (ms); what a crash can leave uncounted. Default 1000. */
  computeReportMs?: number;
  log?(msg: string): void;
}

/** Terminal outcome of one run, also the BullMQ return value. */
export interface AttemptResult {
  jobId: string;
  /**
   * `requeued`: the worker is shutting down and handed the job back; the next attempt resumes it.
   * `paused`: a sweep trial finished its segment (its sweep decides what comes next).
   */
  status: 'succeeded' | 'failed' | 'cancelled' | 'skipped' | 'requeued' | 'paused';
  attempt: number;
  /** A sweep trial's sweep: the worker reconciles it after the attempt (src/queue/sweep-executor.ts). */
  sweepId?: string;
}

class JobFailure extends Error {
  constructor(
    readonly code: JobErrorCode,
    message: string,
  ) {
    super(message);
  }
}

async function loadData(spec: JobSpec, tenant: string, datasets: DatasetStore): Promise<Dataset | null> {
  if (spec.task !== 'supervised') return null;
  try {
    if (spec.data.builtin) return loadBuiltin(spec.data.builtin);
    if (spec.data.inline) return parseJsonDataset(spec.data.inline, { name: 'inline' });
    // the typed table (categorical / boolean columns, missing values) for the job's preprocessing
    const table = await datasets.loadTable(spec.data.datasetId!, tenant);
    const ds = table && trainingDataset(table, { features: spec.data.features, target: spec.data.target });
    if (!ds)
      throw new JobFailure(
        'DATA_ERROR',
        `dataset ${spec.data.datasetId} no longer exists; upload it again and resubmit`,
      );
    return ds;
  } catch (err) {
    if (err instanceof JobFailure) throw err;
    throw new JobFailure('DATA_ERROR', (err as Error).message);
  }
}

/** The job's estimate from its loaded data (a sequential model's layers are not counted here). */
function estimateOf(spec: JobSpec, ds: Dataset | null) {
  if (spec.task !== 'supervised' || !ds) return estimateJob(spec);
  const shape = dataShapeOf(spec.data) ?? {
    rows: ds.rows,
    features: ds.features,
    targets: ds.targets,
    labels: { integer: true, min: 0, max: ds.classes ? ds.classes - 1 : 1 },
  };
  return estimateJob(spec, ds.rows, ds.features, outputWidth(spec.loss, shape, spec.model.classes));
}

/**
 * Run one attempt of a job: take it (attempt + 1, `running`), re-parse its spec with the same
 * schema the API used, load the data, train with events streamed and checkpoints saved, then
 * finish it (weights as safetensors + sha256, result or error, `end`). Cancellation arrives as the
 * BullMQ abort signal (pub/sub → `worker.cancelJob`) or, as a fallback, by polling the status.
 * Never throws for a job-level problem: those end the job `failed`; only infrastructure errors
 * (Redis gone) escape, so BullMQ retries the job later.
 */
export async function runAttempt(
  data: unknown,
  signal: AbortSignal | undefined,
  deps: AttemptDeps,
): Promise<AttemptResult> {
  const parsed = TrainJobDataSchema.safeParse(data);
  if (!parsed.success) throw new Error(`bad queue payload: ${parsed.error.message}`);
  const { jobId, tenant } = parsed.data;
  const { jobs } = deps;

  const { verdict, attempt } = await jobs.start(jobId, deps.workerId ?? '');
  if (verdict === 'missing' || verdict === 'done') return { jobId, status: 'skipped', attempt };
  if (verdict === 'cancel') {
    await jobs.finish(jobId, attempt, 'cancelled', {});
    return { jobId, status: 'cancelled', attempt };
  }
  if (verdict === 'exhausted') {
    await jobs.finish(jobId, attempt, 'failed', {
      error: {
        code: 'WORKER_LOST',
        message: `the job lost its worker on every start (attempt ${attempt}; DESCENT_MAX_STARTS reached); giving up`,
      },
    });
    return { jobId, status: 'failed', attempt };
  }

  // Run time, for the tenant's compute quota: reported as it grows (a crash loses at most one
  // interval) and once at the end, fenced by this attempt (a resumed attempt counts only its own).
  const startedAt = Date.now();
  const reportCompute = () =>
    deps.usage
      ?.recordCompute(jobId, tenant, attempt, Date.now() - startedAt)
      .catch((err) => deps.log?.(`compute usage of ${jobId} not recorded: ${(err as Error).message}`));
  const computeTimer = deps.usage ? setInterval(reportCompute, deps.computeReportMs ?? 1000) : null;

  const controller = new AbortController();
  const abort = () => controller.abort();
  // The worker aborts with SHUTDOWN_REASON when it is stopping: not a user's cancel.
  let shuttingDown = false;
  let lockLost = false;
  const onSignal = () => {
    if (signal?.reason === SHUTDOWN_REASON) shuttingDown = true;
    if (signal?.reason === LOCK_LOST_REASON) lockLost = true;
    abort();
  };
  if (signal?.aborted) onSignal();
  signal?.addEventListener('abort', onSignal, { once: true });
  const poll = setInterval(() => {
    jobs
      .status(jobId)
      .then((s) => {
        if (s === 'cancelling' || s === 'cancelled') abort();
      })
      .catch(() => {});
  }, deps.cancelPollMs ?? 1000);

  const fail = async (code: JobErrorCode, message: string) => {
    await jobs.finish(jobId, attempt, 'failed', { error: { code, message } });
    return { jobId, status: 'failed' as const, attempt };
  };

  try {
    const hash = await jobs.getHash(jobId);
    if (!hash) return { jobId, status: 'skipped', attempt };
    // The API validated the spec; here only its shape matters. The wall-time cap is applied to the
    // run (TIMEOUT), not to the spec: a lower cap on this worker must not turn into INVALID_SPEC.
    const specResult = createJobSpecSchema({
      ...deps.limits,
      maxWallSeconds: Math.max(deps.limits.maxWallSeconds, DEFAULT_LIMITS.maxWallSeconds),
    }).safeParse(JSON.parse(hash.spec));
    if (!specResult.success) {
      const first = specResult.error.issues[0];
      return await fail(
        'INVALID_SPEC',
        `stored spec no longer validates: /${first.path.join('/')} ${first.message}`,
      );
    }
    const spec = specResult.data;
    // A sweep trial trains one segment: until its rung's epoch, then pauses (see PAUSE_JOB).
    const untilEpoch = hash.sweepId && hash.untilEpoch ? Number(hash.untilEpoch) : undefined;
    let dataset: Dataset | null;
    try {
      dataset = await loadData(spec, tenant, deps.datasets);
    } catch (err) {
      const f = err as JobFailure;
      return await fail(f.code ?? 'DATA_ERROR', f.message);
    }

    const writer = createEventWriter({
      store: jobs,
      jobId,
      attempt,
      epochs:
        spec.task === 'supervised'
          ? spec.training.epochs
          : spec.task === 'minimize'
            ? spec.steps
            : spec.episodes,
      totalSteps: estimateOf(spec, dataset).totalSteps,
      onStale: abort,
      onError: (err) => deps.log?.(`event append failed for ${jobId}: ${(err as Error).message}`),
    });

    // A fork's first attempt resumes from the parent's checkpoint, stored as the fork's own at
    // submission: exactly as a later attempt resumes after a crash.
    const lineage = hash.lineage ? (JSON.parse(hash.lineage) as { kind?: string; parent?: string }) : null;
    const fork = lineage?.kind === 'fork';
    let resume: TaskCheckpoint | undefined;
    if (attempt > 1 || fork) {
      const saved = await jobs.loadCheckpoint(jobId);
      if (saved) {
        try {
          resume = parseTaskCheckpoint(saved);
          writer.log(
            'info',
            attempt === 1
              ? `a fork of job ${lineage?.parent}: resumes from its checkpoint at step ${resume.step}`
              : `attempt ${attempt} resumes from the checkpoint of an earlier attempt at step ${resume.step}`,
          );
        } catch {
          if (fork && attempt === 1)
            return await fail('INVALID_SPEC', 'the checkpoint this fork starts from could not be read');
          writer.log('warn', `attempt ${attempt}: the checkpoint could not be read; starting over`);
        }
      } else if (fork) {
        return await fail(
          'INVALID_SPEC',
          `the checkpoint this fork starts from is gone (it expired before the job ran)`,
        );
      }
    }
    // init.fromJob: the parent's tensors, snapshotted at submission (a resume does not need them).
    let fromJob: { id: string; weights: ReturnType<typeof decodeSafetensors>['weights'] } | undefined;
    if (!resume && lineage?.kind === 'fromJob') {
      const blob = await jobs.initWeights(jobId);
      if (!blob)
        return await fail(
          'INVALID_SPEC',
          `the weights of init.fromJob ${lineage.parent} are gone (they expired before the job ran)`,
        );
      fromJob = { id: lineage.parent ?? '', weights: decodeSafetensors(blob).weights };
    }

    let outcome;
    // Step of the last checkpoint this attempt stored (the one a requeued job resumes from).
    let savedStep: number | undefined;
    // The API's estimate (it knows a sequential model's layers); else the same estimate from the data.
    const estimateBytes = Number(hash.estimateBytes) || estimateOf(spec, dataset).bytes;
    try {
      outcome = await deps.trainer.run(
        spec,
        dataset,
        {
          signal: controller.signal,
          onEvent: writer.onEvent,
          // The trainer throttles progress and enforces the wall time (spec's limit or this cap), for
          // every task: TIMEOUT comes back as the outcome's error.
          progressEveryMs: deps.progressEveryMs,
          maxWallSeconds: deps.limits.maxWallSeconds,
          checkpointEveryMs: deps.checkpointEveryMs,
          untilEpoch,
          resume,
          ...(fromJob ? { fromJob } : {}),
          async onCheckpoint(c) {
            // Stored as it is: a TaskCheckpoint is JSON-safe.
            if (await writer.saveCheckpoint(c, c.step, c.epoch)) savedStep = c.step;
          },
        },
        { estimateBytes },
      );
    } catch (err) {
      await writer.flush();
      return await fail('INTERNAL', `training crashed: ${(err as Error).message}`);
    }
    await writer.flush();
    // Another attempt owns the job (or will, once BullMQ sees the lost lock): leave it alone.
    if (writer.stale || lockLost) {
      deps.log?.(
        `job ${jobId}: attempt ${attempt} ${writer.stale ? 'is stale (a newer attempt took over)' : 'lost its lock'}; stopped without finishing it`,
      );
      return { jobId, status: 'skipped', attempt };
    }

    const current = await jobs.status(jobId);
    if (shuttingDown && current === 'running' && outcome.status === 'cancelled') {
      // The trainer saved a checkpoint when it stopped; hand the job back for another worker.
      writer.log(
        'info',
        `worker shutting down${savedStep !== undefined ? ` at step ${savedStep}` : ''}; the job resumes from its checkpoint`,
      );
      await writer.flush();
      await jobs.requeue(jobId, attempt);
      return { jobId, status: 'requeued', attempt };
    }
    // Only a sweep trial's segment (untilEpoch) pauses.
    if (outcome.status === 'paused' && untilEpoch === undefined)
      return await fail('INTERNAL', 'the trainer paused a job that asked for no untilEpoch');
    // A cancel request wins even if the last step finished: the user asked to stop.
    const userCancelled = (controller.signal.aborted && !shuttingDown) || current === 'cancelling';
    const status = userCancelled ? 'cancelled' : outcome.status;
    const sweep = hash.sweepId ? { sweepId: hash.sweepId } : {};
    if (status === 'paused') {
      // The segment's last checkpoint (this epoch boundary) was stored through onCheckpoint; the
      // result and weights as of the rung make the paused trial readable (weights, predict).
      const weights = encodeSafetensors(outcome.weights, { jobId, format: 'pt' });
      await jobs.pause(jobId, attempt, {
        result: outcome.result,
        weights,
        weightsSha256: sha256Hex(weights),
      });
      return { jobId, status, attempt, ...sweep };
    }
    if (status === 'succeeded') {
      const weights = encodeSafetensors(outcome.weights, { jobId, format: 'pt' });
      await jobs.finish(jobId, attempt, 'succeeded', {
        result: outcome.result,
        weights,
        weightsSha256: sha256Hex(weights),
      });
    } else if (status === 'cancelled') {
      await jobs.finish(jobId, attempt, 'cancelled', {});
    } else {
      await jobs.finish(jobId, attempt, 'failed', {
        error: outcome.error ?? { code: 'FAILED', message: 'training failed' },
      });
    }
    return { jobId, status, attempt, ...sweep };
  } finally {
    clearInterval(poll);
    if (computeTimer) clearInterval(computeTimer);
    await reportCompute();
    signal?.removeEventListener('abort', onSignal);
  }
}
