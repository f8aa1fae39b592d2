/**
 * Planning a sweep: the trials (grid multiplied out, values sampled, set into the spec, every spec
 * validated), the rungs and the worst-case budget, or the issues that refuse the request.
 */
import { createJobSpecSchema, type JobSpec } from '../contracts/job-spec.js';
import { limitMessage, type Limits } from '../contracts/limits.js';
import type { SweepRequest } from '../contracts/sweep.js';
import { defaultMode, metricIssue } from './metric.js';
import { ashaEpochsMax, rungEpochs } from './rungs.js';
import { explodingKey, pathSegments, sampleParams, setAtPath, trialCount, type SweepIssue } from './space.js';

/** One trial of a plan: its sampled values, its validated JobSpec and the epochs its job trains. */
export interface SweepPlanTrial {
  index: number;
  /** Dotted path → value, in the space's key order. */
  params: Record<string, unknown>;
  /** The normalized JobSpec of the trial's job (ASHA: training.epochs = maxEpochs). */
  spec: JobSpec;
  /** Epochs the job trains in all (1 for minimize and reinforce, which have no epochs). */
  epochs: number;
}

/** A validated sweep: what the scheduler runs. */
export interface SweepPlan {
  trials: SweepPlanTrial[];
  /** Epochs of each rung, strictly increasing (grid/random: one rung, the longest trial's epochs). */
  rungs: number[];
  /** η (1 for grid/random: nothing is promoted). */
  reductionFactor: number;
  metric: string;
  mode: 'min' | 'max';
  maxConcurrentTrials: number;
  /** Worst-case epochs over all trials. */
  epochsMax: number;
}

/** The outcome of planning: the plan, or every issue found (paths into the request). */
export type PlanResult = { ok: true; plan: SweepPlan } | { ok: false; issues: SweepIssue[] };

/** Issues reported for one request at most: the same mistake in 1000 trials is one issue. */
const MAX_ISSUES = 20;

type SpecSchema = ReturnType<typeof createJobSpecSchema>;

/**
 * Plan a sweep: multiply the grid out, draw the other values (seeded), set them into the spec, and
 * validate every trial's spec with the JobSpec schema; then the metric against each spec, the rungs
 * and the worst-case budget against the limits.
 *
 * A refusal is reported at the space path that caused it: `optimizer.lr` = 5 refused by the schema →
 * path `['space', 'optimizer.lr']` with the schema's message and the trial's value; an unknown path
 * → the schema's "Unknown key" at that space path. A refusal no space path explains is reported
 * into the spec (`['spec', 'data']`). Nothing is enumerated before the trial count is known to be
 * within `maxSweepTrials`.
 */
export function planSweep(
  req: SweepRequest,
  limits: Readonly<Limits>,
  createSpecSchema: (limits: Readonly<Limits>) => SpecSchema = createJobSpecSchema,
): PlanResult {
  const { space, searcher } = req;
  const counted = trialCount(space, searcher);
  if ('issues' in counted) return { ok: false, issues: counted.issues };
  if (counted.count > limits.maxSweepTrials) {
    const key = explodingKey(space, searcher, limits.maxSweepTrials);
    const grid = searcher.type === 'grid' ? '' : ` (${searcher.trials} trials × the grid)`;
    return {
      ok: false,
      issues: [
        {
          path: key === null ? ['searcher', 'trials'] : ['space', key],
          message:
            limitMessage(
              'the sweep has',
              `${Number.isFinite(counted.count) ? counted.count : 'more than 2^53'} trials${grid}`,
              limits,
              'maxSweepTrials',
            ) + (key === null ? '' : `; the grid passes it at ${key}`),
        },
      ],
    };
  }

  const issues: SweepIssue[] = [];
  const add = (i: SweepIssue) => {
    const id = JSON.stringify(i.path);
    if (issues.length < MAX_ISSUES && !issues.some((j) => JSON.stringify(j.path) === id)) issues.push(i);
  };
  const asha = searcher.type === 'asha' ? searcher : null;
  if (asha) {
    if ('training.epochs' in space)
      add({
        path: ['space', 'training.epochs'],
        message:
          'an ASHA sweep sets training.epochs itself (to searcher.maxEpochs); sweep minEpochs/maxEpochs instead',
      });
    const task = req.spec.task ?? 'supervised';
    if (task !== 'supervised')
      add({
        path: ['spec', 'task'],
        message: `ASHA trains trials epoch by epoch, so the spec must be supervised; it is ${JSON.stringify(task)} (use searcher "grid" or "random")`,
      });
    if (issues.length) return { ok: false, issues };
  }

  const schema = createSpecSchema(limits);
  const keys = Object.keys(space);
  const keyPaths = keys.map(pathSegments);
  const trials: SweepPlanTrial[] = [];
  const all = sampleParams(space, searcher, req.seed);
  for (let index = 0; index < all.length && issues.length < MAX_ISSUES; index++) {
    const params = all[index];
    const where = `trial ${index}: ${describeParams(params)}`;
    let raw: Record<string, unknown> = req.spec;
    let setFailed = false;
    for (const key of keys) {
      const r = setAtPath(raw, key, params[key]);
      if (!r.ok) {
        add({ path: ['space', key], message: r.message });
        setFailed = true;
        break;
      }
      raw = r.spec;
    }
    if (setFailed) continue;
    if (asha) {
      const r = setAtPath(raw, 'training.epochs', asha.maxEpochs);
      if (!r.ok) {
        add({ path: ['spec', 'training'], message: r.message });
        continue;
      }
      raw = r.spec;
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      for (const iss of parsed.error.issues) {
        // An unknown key is reported at its parent: the key itself is the path that is wrong.
        const keysOf = iss.code === 'unrecognized_keys' ? iss.keys : [undefined];
        for (const extra of keysOf) {
          const full = extra === undefined ? [...iss.path] : [...iss.path, extra];
          const k = spacePathOf(full as (string | number)[], keyPaths);
          if (k !== null)
            add({
              path: ['space', keys[k]],
              message: `${iss.message} (${where})`,
            });
          else
            add({ path: ['spec', ...(full as (string | number)[])], message: `${iss.message} (${where})` });
        }
      }
      continue;
    }
    const spec = parsed.data;
    const why = metricIssue(req.metric, spec);
    if (why) add({ path: ['metric'], message: keys.length ? `${why} (${where})` : why });
    trials.push({ index, params, spec, epochs: spec.task === 'supervised' ? spec.training.epochs : 1 });
  }
  if (issues.length) return { ok: false, issues };

  const rungs = asha
    ? rungEpochs(asha.minEpochs, asha.maxEpochs, asha.reductionFactor)
    : [Math.max(...trials.map((t) => t.epochs))];
  const epochsMax = asha
    ? ashaEpochsMax(trials.length, rungs, asha.reductionFactor)
    : trials.reduce((n, t) => n + t.epochs, 0);
  if (epochsMax > limits.maxSweepEpochs)
    return {
      ok: false,
      issues: [
        {
          path: searcher.type === 'grid' ? ['space'] : ['searcher', 'trials'],
          message: limitMessage(
            'the sweep may train',
            `${epochsMax} epochs in the worst case (${trials.length} trials)`,
            limits,
            'maxSweepEpochs',
          ),
        },
      ],
    };
  return {
    ok: true,
    plan: {
      trials,
      rungs,
      reductionFactor: asha ? asha.reductionFactor : 1,
      metric: req.metric,
      mode: req.mode ?? defaultMode(req.metric),
      maxConcurrentTrials: req.maxConcurrentTrials,
      epochsMax,
    },
  };
}

/**
 * The space key (its index) that explains an issue at `path`: the longest key that is a prefix of the
 * path (a value refused inside it) or has the path as a prefix (an object on the way refused: an
 * unknown key, a union that no variant matches); null when no key does.
 */
function spacePathOf(path: (string | number)[], keyPaths: (string | number)[][]): number | null {
  let best: number | null = null;
  let bestLen = -1;
  keyPaths.forEach((kp, i) => {
    const n = Math.min(kp.length, path.length);
    let same = true;
    for (let j = 0; j < n && same; j++) same = String(kp[j]) === String(path[j]);
    // An issue at the spec's root (path []) is about everything; leave it to the spec.
    if (same && path.length > 0 && kp.length > bestLen) {
      best = i;
      bestLen = kp.length;
    }
  });
  return best;
}

/** `optimizer.lr = 0.01, optimizer.momentum = 0.9`, shortened for messages. */
function describeParams(params: Record<string, unknown>): string {
  const s = Object.entries(params)
    .map(([k, v]) => `${k} = ${JSON.stringify(v)}`)
    .join(', ');
  return s.length > 200 ? s.slice(0, 200) + '…' : s;
}
