import type { AppDeps } from '../../src/api/deps.js';
import { encodeSafetensors, sha256Hex } from '../../src/queue/safetensors.js';
import type { NamedWeights } from '../../src/tensor/index.js';

/**
 * Play a worker's part on a created job without a worker: take it, append `steps` progress events
 * (and an epoch event every `perEpoch`), then finish it with `weights` (or fail it).
 */
export async function simulateRun(
  deps: AppDeps,
  id: string,
  opts: {
    steps?: number;
    perEpoch?: number;
    weights?: NamedWeights;
    fail?: boolean;
    /** Save a (stand-in) checkpoint at this step, so the job can be forked. */
    checkpointAt?: number;
  } = {},
): Promise<void> {
  const { attempt } = await deps.jobs.start(id);
  const steps = opts.steps ?? 10;
  const perEpoch = opts.perEpoch ?? 5;
  const time = new Date().toISOString();
  for (let s = 1; s <= steps; s++) {
    const epoch = Math.ceil(s / perEpoch);
    await deps.jobs.appendEvent(
      id,
      attempt,
      { type: 'progress', jobId: id, attempt, time, step: s, epoch, loss: 1 / s, lr: 0.1, gradNorm: 2 / s },
      { epoch, epochs: Math.ceil(steps / perEpoch), step: s, totalSteps: steps, loss: 1 / s },
    );
    if (s % perEpoch === 0)
      await deps.jobs.appendEvent(id, attempt, {
        type: 'epoch',
        jobId: id,
        attempt,
        time,
        epoch,
        loss: 1 / s,
        valLoss: 2 / s,
        metrics: { accuracy: s / steps },
      });
    if (s === opts.checkpointAt)
      await deps.jobs.saveCheckpoint(
        id,
        attempt,
        { task: 'supervised', step: s, epoch, state: {} },
        { step: s, epoch, loss: 1 / s },
      );
  }
  if (opts.fail) {
    await deps.jobs.finish(id, attempt, 'failed', {
      error: { code: 'DIVERGED', message: 'loss became NaN at step 3' },
    });
    return;
  }
  const weights = opts.weights ?? {
    weight: { shape: [1, 2], data: new Float32Array([0.5, -0.25]) },
    bias: { shape: [1], data: new Float32Array([0.125]) },
  };
  const bytes = encodeSafetensors(weights, { jobId: id });
  await deps.jobs.finish(id, attempt, 'succeeded', {
    result: { loss: 0.1, valLoss: 0.2, metrics: { accuracy: 1 }, parameters: 3, durationMs: 5, steps },
    weights: bytes,
    weightsSha256: sha256Hex(bytes),
  });
}
