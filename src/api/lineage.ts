/**
 * Fine-tuning and forks at the door: `init.fromJob` resolved against the tenant's succeeded job
 * (its tensors checked against the new model and snapshotted for the worker), `init.freeze`
 * checked against the model's layers, and `POST /v1/jobs/{id}/fork` turned into a new job that
 * resumes one of the parent's checkpoints with a deep-merged, re-validated spec.
 */
import type { DataShape, JobSpec, SupervisedJobSpec } from '../contracts/job-spec.js';
import { outputWidth } from '../contracts/job-spec.js';
import type { ForkRequest, Job, JobLineage } from '../contracts/job.js';
import { ApiError, issuesFromZod } from '../contracts/problem.js';
import { frozenMask, modelConfigOf, SpecError, tensorsFromParent } from '../models/index.js';
import { tensorLayout } from '../models/init-values.js';
import type { CheckpointMeta } from '../queue/job-store.js';
import { decodeSafetensors, encodeSafetensors } from '../queue/safetensors.js';
import type { AppDeps } from './deps.js';

/** A 400 naming a path of the spec. */
function specError(err: SpecError, base = ''): ApiError {
  return new ApiError('VALIDATION_ERROR', `The body is invalid: ${err.message}`, [
    { path: base + err.path, message: err.message },
  ]);
}

/** `init.freeze` against the model the data implies: every index a layer with parameters. */
export function checkFreeze(spec: SupervisedJobSpec, shape: DataShape): void {
  if (!spec.init.freeze?.length) return;
  const outputs = outputWidth(spec.loss, shape, spec.model.classes);
  const names = tensorLayout(modelConfigOf(spec.model), shape.features, outputs).map((t) => t.name);
  try {
    frozenMask(names, spec.init.freeze);
  } catch (err) {
    if (err instanceof SpecError) throw specError(err);
    throw err;
  }
}

/** What `init.fromJob` resolved to: the parent and the tensors the new job starts from. */
export interface ResolvedFromJob {
  lineage: JobLineage;
  /** The chosen tensors as safetensors, snapshotted so the parent may expire meanwhile. */
  initWeights: Buffer;
}

/**
 * `init.fromJob`: the parent must be this tenant's (404 otherwise, as any job of another tenant)
 * and succeeded with its weights still stored (409 otherwise); the tensors of the layers
 * `init.layers` chooses must have this model's shapes (400 naming the tensor and both shapes).
 */
export async function resolveFromJob(
  deps: AppDeps,
  spec: SupervisedJobSpec,
  tenant: string,
  shape: DataShape,
): Promise<ResolvedFromJob | null> {
  const parentId = spec.init.fromJob;
  if (!parentId) return null;
  const parent = await deps.jobs.get(parentId, tenant);
  if (!parent)
    throw new ApiError('NOT_FOUND', `init.fromJob: job ${parentId} does not exist (or has expired).`);
  const task = (parent.spec as { task?: string }).task ?? 'supervised';
  if (task !== 'supervised')
    throw new ApiError(
      'VALIDATION_ERROR',
      `The body is invalid: init.fromJob ${parentId} is a ${task} job; only a supervised job's weights can start a model`,
      [{ path: '/init/fromJob', message: `job ${parentId} is a ${task} job, not supervised` }],
    );
  if (parent.status !== 'succeeded')
    throw new ApiError(
      'CONFLICT',
      `init.fromJob: job ${parentId} is ${parent.status}; only a succeeded job's weights can start another (fork a running job with POST /v1/jobs/${parentId}/fork).`,
    );
  const blob = await deps.jobs.weights(parentId);
  if (!blob)
    throw new ApiError('CONFLICT', `init.fromJob: the weights of job ${parentId} are no longer stored.`);
  const weights = decodeSafetensors(blob).weights;
  const outputs = outputWidth(spec.loss, shape, spec.model.classes);
  let chosen;
  try {
    chosen = tensorsFromParent(
      modelConfigOf(spec.model),
      shape.features,
      outputs,
      spec.training.dtype,
      { id: parentId, weights },
      spec.init.layers,
    );
  } catch (err) {
    if (err instanceof SpecError) throw specError(err);
    throw err;
  }
  const subset = Object.fromEntries(Object.keys(chosen).map((n) => [n, weights[n]]));
  return {
    lineage: { parent: parentId, kind: 'fromJob', checkpointStep: null },
    initWeights: encodeSafetensors(subset, { jobId: parentId }),
  };
}

/** What a fork may not change: the checkpoint's state (cursor, generators, optimizer) depends on it. */
const FIXED_IN_A_FORK: { path: string[]; why: string }[] = [
  { path: ['task'], why: 'the checkpoint is of this task' },
  { path: ['data'], why: 'the checkpoint continues a pass over this data' },
  { path: ['preprocess'], why: 'the checkpoint was trained on these inputs' },
  { path: ['init'], why: 'a fork starts from the checkpoint, not from init' },
  { path: ['training', 'batchSize'], why: "the checkpoint's data cursor counts batches of this size" },
  { path: ['training', 'validationSplit'], why: 'the split is drawn once, at the start' },
  { path: ['training', 'testSplit'], why: 'the split is drawn once, at the start' },
  { path: ['training', 'seed'], why: 'the checkpoint holds the generators this seed started' },
  { path: ['training', 'shuffle'], why: "the checkpoint's batch order depends on it" },
  { path: ['training', 'dtype'], why: "the checkpoint's parameters are of this dtype" },
  { path: ['optimizer', 'type'], why: "the checkpoint holds this optimizer's state" },
];

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Objects merge key by key; anything else (arrays, numbers, null) replaces. */
function deepMerge(base: unknown, change: unknown): unknown {
  if (!isObject(base) || !isObject(change)) return structuredClone(change);
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(change))
    out[k] = k in base ? deepMerge(base[k], v) : structuredClone(v);
  return out;
}

const at = (o: unknown, path: string[]): unknown =>
  path.reduce<unknown>((v, k) => (isObject(v) ? v[k] : undefined), o);

type ZodSafeParse =
  | { success: true; data: unknown }
  | {
      success: false;
      error: { issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }> };
    };

/** The fork's spec, checkpoint and lineage, ready for the job store. */
export interface PreparedFork {
  spec: JobSpec;
  lineage: JobLineage;
  forkCheckpoint: { blob: string; meta: CheckpointMeta };
}

/**
 * `POST /v1/jobs/{id}/fork`: the checkpoint (400 when no listed checkpoint has that step, 409
 * when its blob is gone — DESCENT_CHECKPOINT_RETENTION after the job ended), the parent's spec
 * with `changes` deep-merged and validated again (400s at `/changes/...`; a change of what the
 * checkpoint depends on, or of a parameter's shape, is a 400 naming it).
 */
export async function prepareFork(
  deps: AppDeps,
  parent: Job,
  body: ForkRequest,
  hooks: {
    /** The JobSpec schema of this deployment. */
    schema: { safeParse(v: unknown): ZodSafeParse };
    /** The data's shape for a spec (null for tasks without data). */
    resolveShape(spec: JobSpec): Promise<DataShape | null>;
    /** The checks of POST /v1/jobs beyond the schema (wall time, layers, …). */
    validate(spec: JobSpec): Promise<void>;
  },
): Promise<PreparedFork> {
  const list = await deps.jobs.checkpoints(parent.id);
  const wanted = body.fromCheckpoint;
  const meta = wanted === 'last' ? list[0] : list.find((c) => c.step === wanted);
  if (!meta) {
    const steps = [...new Set(list.map((c) => c.step))].sort((a, b) => a - b);
    const message =
      wanted === 'last' || steps.length === 0
        ? `job ${parent.id} has no checkpoint (it saves one every DESCENT_CHECKPOINT_MS while it trains)`
        : `job ${parent.id} has no checkpoint at step ${wanted}; its checkpoints are at steps ${steps.join(', ')}`;
    throw new ApiError('VALIDATION_ERROR', `The body is invalid: ${message}`, [
      { path: '/fromCheckpoint', message },
    ]);
  }
  const blob = await deps.jobs.checkpointBlob(parent.id, meta.step);
  if (!blob) {
    const days = deps.cfg.checkpointRetentionMs / 86_400_000;
    throw new ApiError(
      'CONFLICT',
      `The checkpoint of job ${parent.id} at step ${meta.step} is no longer stored: a finished job's checkpoints are kept for DESCENT_CHECKPOINT_RETENTION (${deps.cfg.checkpointRetentionMs / 1000} s${days >= 1 ? `, ${Math.round(days * 10) / 10} days` : ''} here) after it ends.`,
    );
  }

  for (const f of FIXED_IN_A_FORK) {
    const changed = at(body.changes, f.path);
    if (changed === undefined) continue;
    if (
      JSON.stringify(deepMerge(at(parent.spec, f.path), changed)) === JSON.stringify(at(parent.spec, f.path))
    )
      continue;
    const message = `a fork cannot change ${f.path.join('.')}: ${f.why}`;
    throw new ApiError('VALIDATION_ERROR', `The body is invalid: ${message}`, [
      { path: `/changes/${f.path.join('/')}`, message },
    ]);
  }
  const merged = deepMerge(parent.spec, body.changes);
  const parsed = hooks.schema.safeParse(merged);
  if (!parsed.success) {
    const issues = issuesFromZod(parsed.error.issues, '/changes');
    throw new ApiError(
      'VALIDATION_ERROR',
      `The body is invalid: ${issues[0].path}: ${issues[0].message}`,
      issues,
    );
  }
  const spec = parsed.data as JobSpec;
  const shape = await hooks.resolveShape(spec);
  if (spec.task === 'supervised' && shape) checkSameShapes(parent.spec as SupervisedJobSpec, spec, shape);
  await hooks.validate(spec);
  return {
    spec,
    lineage: { parent: parent.id, kind: 'fork', checkpointStep: meta.step },
    forkCheckpoint: { blob, meta: { ...meta, attempt: 0 } },
  };
}

/** A change of the model or the loss that alters a tensor's shape (or its name) is a 400. */
function checkSameShapes(before: SupervisedJobSpec, after: SupervisedJobSpec, shape: DataShape): void {
  const layout = (s: SupervisedJobSpec) =>
    tensorLayout(modelConfigOf(s.model), shape.features, outputWidth(s.loss, shape, s.model.classes));
  let was, now;
  try {
    was = layout(before);
    now = layout(after);
  } catch (err) {
    if (err instanceof SpecError) throw specError(err, '/changes');
    throw err;
  }
  for (const t of now) {
    const old = was.find((w) => w.name === t.name);
    if (old && old.shape.join() === t.shape.join()) continue;
    const message = old
      ? `a fork cannot change a parameter's shape: "${t.name}" is [${old.shape.join(', ')}] in the checkpoint; the changed model needs [${t.shape.join(', ')}]`
      : `a fork cannot change the parameters: the changed model has "${t.name}", which the checkpoint does not (it has ${was.map((w) => w.name).join(', ')})`;
    throw new ApiError('VALIDATION_ERROR', `The body is invalid: ${message}`, [
      { path: '/changes/model', message },
    ]);
  }
  if (now.length !== was.length) {
    const message = `a fork cannot change the parameters: the checkpoint has ${was.length} tensors, the changed model ${now.length}`;
    throw new ApiError('VALIDATION_ERROR', `The body is invalid: ${message}`, [
      { path: '/changes/model', message },
    ]);
  }
}
