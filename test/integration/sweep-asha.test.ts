/**
 * Acceptance 2 of issue 13, in process (no Redis: the service half runs the same loop through it):
 * on the digits MLP, where the learning rate decides everything, ASHA over 27 learning rates (η = 3,
 * rungs at 1, 3, 9 epochs) finds a validation accuracy within 2 % of the full grid's best (all 27
 * trained 9 epochs) while training ≤ 35 % of the grid's epochs. The scheduler is driven exactly as
 * the service drives it: each action is a runTask segment (`untilEpoch`), a promoted trial resumes
 * from its own checkpoint (through JSON), and the completions are reported in a shuffled order.
 * A promoted trial's final weights equal a fresh 9-epoch job's, and a stopped trial's weights a fresh
 * job's trained to its rung, bit for bit.
 *
 * Prints both numbers: `npx vitest run test/integration/sweep-asha.test.ts`.
 */
import { describe, expect, it } from 'vitest';
import { JobSpecSchema, type JobSpec } from '../../src/contracts/job-spec.js';
import { SweepRequestSchema } from '../../src/contracts/sweep.js';
import { loadBuiltin } from '../../src/data/index.js';
import { createRng } from '../../src/rng/rng.js';
import { metricValue } from '../../src/sweep/metric.js';
import { planSweep, type SweepPlan } from '../../src/sweep/plan.js';
import {
  bestOf,
  epochsUsed,
  leaderboard,
  reportSegment,
  startScheduler,
  type SchedulerAction,
  type SchedulerState,
} from '../../src/sweep/scheduler.js';
import { runTask, type TaskCheckpoint, type TaskOutcome } from '../../src/train/index.js';
import { DEFAULT_LIMITS } from '../../src/contracts/limits.js';

const data = loadBuiltin('digits');

/** 27 learning rates, log-spaced from 1e-5 to 1: most crawl or diverge, a few train well. */
const LRS = Array.from({ length: 27 }, (_, i) => Number((10 ** (-5 + (5 * i) / 26)).toPrecision(3)));

const spec = {
  model: { type: 'mlp', hidden: [32], activation: 'relu' },
  data: { builtin: 'digits' },
  loss: 'cross_entropy',
  optimizer: { type: 'sgd', lr: 0.01, momentum: 0.5 },
  training: { epochs: 9, batchSize: 32, validationSplit: 0.2, seed: 3 },
};

function planOf(searcher: Record<string, unknown>): SweepPlan {
  const req = SweepRequestSchema.parse({
    spec,
    space: { 'optimizer.lr': { grid: LRS } },
    searcher,
    metric: 'valAccuracy',
    maxConcurrentTrials: 4,
  });
  const r = planSweep(req, DEFAULT_LIMITS);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.plan;
}

function run(s: JobSpec, opts: Parameters<typeof runTask>[2]): Promise<TaskOutcome> {
  return runTask(s, data, { diagnostics: false, ...opts });
}

function sameBits(a: TaskOutcome, b: TaskOutcome): boolean {
  return Object.keys(a.weights).every((k) => {
    const x = a.weights[k].data;
    const y = b.weights[k].data;
    return x.length === y.length && x.every((v, i) => Object.is(v, y[i]));
  });
}

describe('acceptance 2: ASHA on the digits MLP, 27 learning rates, η = 3', () => {
  it('finds the grid best within 2 % for ≤ 35 % of its epochs; promoted weights = a fresh job', async () => {
    const asha = planOf({ type: 'asha', trials: 1, minEpochs: 1, maxEpochs: 9, reductionFactor: 3 });
    expect(asha.trials).toHaveLength(27);
    expect(asha.rungs).toEqual([1, 3, 9]);

    // ——— ASHA, driven as the service drives it ———
    const checkpoints = new Map<number, TaskCheckpoint>();
    const last = new Map<number, TaskOutcome>();
    const pending: SchedulerAction[] = [];
    const done: { trial: number; rung: number; out: TaskOutcome }[] = [];
    const rungOf = (a: SchedulerAction) => (a.kind === 'promote' ? a.rung : 0);
    let step = startScheduler(asha);
    let state: SchedulerState = step.state;
    pending.push(...step.actions);
    const order = createRng(42);
    for (;;) {
      // carry out every training action (each a segment), then report one finished segment, chosen
      // at random among those not reported yet: the arrival order a cluster might give
      while (pending.length) {
        const a = pending.shift()!;
        if (a.kind !== 'launch' && a.kind !== 'promote') continue;
        const t = asha.trials[a.trial];
        const out = await run(t.spec, {
          untilEpoch: a.untilEpoch,
          resume: a.kind === 'promote' ? checkpoints.get(a.trial) : undefined,
          onCheckpoint: (c) => {
            checkpoints.set(a.trial, JSON.parse(JSON.stringify(c)) as TaskCheckpoint);
          },
        });
        last.set(a.trial, out);
        done.push({ trial: a.trial, rung: rungOf(a), out });
      }
      if (!done.length) break;
      const [seg] = done.splice(order.int(done.length), 1);
      step = reportSegment(JSON.parse(JSON.stringify(state)) as SchedulerState, {
        trial: seg.trial,
        rung: seg.rung,
        value: metricValue(seg.out.result as never, asha.metric),
        final: seg.out.status === 'succeeded',
        outcome: seg.out.status === 'failed' ? 'failed' : 'ok',
        epochs: seg.out.result?.epochs as number | undefined,
      });
      state = step.state;
      pending.push(...step.actions);
    }
    expect(state.status).toBe('succeeded');
    const ashaBest = bestOf(state)!;
    const ashaEpochs = epochsUsed(state);

    // ——— the full grid: every config trained to maxEpochs ———
    const grid = planOf({ type: 'grid' });
    expect(grid.trials.map((t) => t.params)).toEqual(asha.trials.map((t) => t.params));
    const fresh: TaskOutcome[] = [];
    for (const t of grid.trials) fresh.push(await run(t.spec, {}));
    const gridValues = fresh.map((o) => metricValue(o.result as never, grid.metric) ?? -Infinity);
    const gridBest = Math.max(...gridValues);
    const gridEpochs = grid.trials.reduce((n, t) => n + t.epochs, 0);

    console.log(
      `ASHA: best valAccuracy ${ashaBest.value.toFixed(4)} (trial ${ashaBest.trial}, lr ${LRS[ashaBest.trial]}) in ${ashaEpochs} epochs; ` +
        `grid: best ${gridBest.toFixed(4)} (lr ${LRS[gridValues.indexOf(gridBest)]}) in ${gridEpochs} epochs; ` +
        `ratio ${(ashaEpochs / gridEpochs).toFixed(3)}`,
    );
    expect(ashaBest.value).toBeGreaterThanOrEqual(gridBest * 0.98);
    expect(ashaEpochs).toBeLessThanOrEqual(0.35 * gridEpochs);
    // the learning rate matters here: the grid's worst is far from its best
    expect(Math.min(...gridValues)).toBeLessThan(gridBest - 0.3);

    // ——— bit identity ———
    const board = leaderboard(state);
    const top = board.filter((r) => r.status === 'succeeded' && r.epochs === 9);
    expect(top.length).toBeGreaterThan(0);
    for (const r of top) expect(sameBits(last.get(r.trial)!, fresh[r.trial])).toBe(true);
    // a trial stopped at rung 1 (3 epochs) holds exactly a fresh 3-epoch job's weights
    const stopped = board.find((r) => r.status === 'stopped' && r.epochs === 3);
    expect(stopped).toBeDefined();
    const three = JobSpecSchema.parse({
      ...spec,
      optimizer: { ...spec.optimizer, lr: LRS[stopped!.trial] },
      training: { ...spec.training, epochs: 3 },
    });
    expect(sameBits(last.get(stopped!.trial)!, await run(three, {}))).toBe(true);
  });
});
