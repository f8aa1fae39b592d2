import { ProgressThrottle } from '../../src/train/runner.js';
import type { TaskCheckpoint, TaskEvent, TaskOutcome } from '../../src/train/index.js';
import type { Trainer } from '../../workers/trainer.js';

/**
 * A stand-in trainer for worker-path tests: `training.epochs` epochs of `metadata.stubSteps` steps
 * (default 5), each sleeping `metadata.stubStepMs` ms (default 10), with progress and epoch events,
 * honouring the abort signal between steps like the real loop, and its progress throttled by the
 * runner's own throttle (the event writer writes what it gets). Returns a linear model's weights
 * (`weight` [out, in] all 0.5, `bias` [out] all 0) sized from the data. Its checkpoints are
 * TaskCheckpoints whose state is `{ step, epoch }`.
 */
export const stubTrainer: Trainer = {
  async run(spec, dataset, opts) {
    const md = (spec as { metadata?: Record<string, string> }).metadata ?? {};
    const steps = Number(md.stubSteps ?? 5);
    const stepMs = Number(md.stubStepMs ?? 10);
    const epochs = spec.task === 'supervised' ? spec.training.epochs : 1;
    const features = dataset?.features ?? 1;
    const t0 = Date.now();
    const resume = opts.resume;
    const checkpoint = (step: number, epoch: number): TaskCheckpoint => ({
      task: spec.task,
      step,
      epoch,
      state: { step, epoch },
    });
    let step = resume?.step ?? 0;
    const progress = new ProgressThrottle<TaskEvent>(
      (e) => opts.onEvent?.(e),
      opts.progressEveryMs ?? 0,
      Date.now,
    );
    if (md.stubThrow) throw new Error(md.stubThrow);
    // A CPU block that never yields, like a long synchronous training step.
    if (md.stubBlockMs) {
      const until = Date.now() + Number(md.stubBlockMs);
      while (Date.now() < until);
    }
    opts.onEvent?.({
      type: 'log',
      level: 'info',
      message: `pid ${process.pid}${resume ? ` resumed at epoch ${resume.epoch}` : ''}`,
    });
    for (let epoch = (resume?.epoch ?? 0) + 1; epoch <= epochs; epoch++) {
      for (let s = 0; s < steps; s++) {
        if (opts.signal?.aborted) {
          // Like the real loop: checkpoint where it stopped (the finished epochs).
          progress.flush();
          if (opts.onCheckpoint) await opts.onCheckpoint(checkpoint(step, epoch - 1));
          return outcome('cancelled', step, features, t0);
        }
        await new Promise((r) => setTimeout(r, stepMs));
        step++;
        progress.offer({
          type: 'progress',
          step,
          epoch,
          epochs,
          totalSteps: epochs * steps,
          loss: 1 / step,
          lr: 0.1,
          gradNorm: 1,
          updateRatio: NaN,
        });
      }
      progress.flush();
      opts.onEvent?.({
        type: 'epoch',
        epoch,
        loss: 1 / step,
        valLoss: null,
        metrics: { accuracy: epoch / epochs },
      });
      if (opts.onCheckpoint && epoch % Number(md.stubCheckpointEvery ?? 2) === 0)
        await opts.onCheckpoint(checkpoint(step, epoch));
    }
    if (md.stubFail)
      return { ...outcome('failed', step, features, t0), error: { code: 'DIVERGED', message: md.stubFail } };
    return outcome('succeeded', step, features, t0);
  },
  backend: () => 'stub',
};

function outcome(status: TaskOutcome['status'], steps: number, features: number, t0: number): TaskOutcome {
  const weight = new Float32Array(features).fill(0.5);
  return {
    status,
    result:
      status === 'succeeded'
        ? {
            loss: 0.1,
            valLoss: null,
            metrics: { accuracy: 1 },
            parameters: features + 1,
            durationMs: Date.now() - t0,
            steps,
          }
        : null,
    error: null,
    weights: {
      weight: { shape: [1, features], data: weight },
      bias: { shape: [1], data: new Float32Array(1) },
    },
  };
}
