/** The weights of a succeeded job, decoded once and cached: what every route that runs the model reads. */
import type { Job } from '../../contracts/job.js';
import { ApiError } from '../../contracts/problem.js';
import type { NamedWeights } from '../../models/index.js';
import { decodeSafetensors, sha256Hex } from '../../queue/safetensors.js';
import type { AppDeps } from '../deps.js';

function notYet(job: Job): ApiError {
  return new ApiError(
    'CONFLICT',
    job.status === 'succeeded'
      ? `Job ${job.id} succeeded but its weights have expired.`
      : `Job ${job.id} is ${job.status}; weights exist only once it has succeeded (or, for a sweep trial, while it is paused at a rung).`,
  );
}

/** Weights of a succeeded job as stored (safetensors bytes) and decoded, cached by sha256 in process. */
export function createWeightsCache(deps: AppDeps) {
  const cache = new Map<string, { bytes: Buffer; weights: NamedWeights; sha: string }>();
  return async (job: Job) => {
    // A paused sweep trial has the weights of its rung; they change if it is promoted, so they
    // are not cached.
    const paused = job.status === 'paused';
    if (job.status !== 'succeeded' && !paused) throw notYet(job);
    const hit = paused ? undefined : cache.get(job.id);
    if (hit) return hit;
    const bytes = await deps.jobs.weights(job.id);
    if (!bytes) throw notYet(job);
    const entry = { bytes, weights: decodeSafetensors(bytes).weights, sha: sha256Hex(bytes) };
    if (paused) return entry;
    if (cache.size > 64) cache.delete(cache.keys().next().value!);
    cache.set(job.id, entry);
    return entry;
  };
}

/** What {@link createWeightsCache} returns. */
export type WeightsOf = ReturnType<typeof createWeightsCache>;
