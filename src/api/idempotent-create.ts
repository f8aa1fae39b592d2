import type { FastifyReply } from 'fastify';
import type { Job } from '../contracts/job.js';
import type { AppDeps } from './deps.js';
import { ApiError } from '../contracts/problem.js';

/**
 * Create a job at most once per `Idempotency-Key` (POST /v1/jobs and POST /v1/jobs/{id}/fork).
 * Without a key, `create` just runs. With one, the key is claimed first (SET NX, so two
 * concurrent requests with one key create one job): the same key with the same `body` answers
 * the job the first request made (200), with another body a 409; a claim whose job could not be
 * created is released, so a retry can succeed. `body` is what identifies the request: for a fork,
 * the parent's id together with the fork request, so one key cannot fork two jobs.
 */
export async function createOnce(
  deps: AppDeps,
  reply: FastifyReply,
  o: { tenant: string; key: string | undefined; body: unknown; id: string; create(): Promise<Job> },
): Promise<FastifyReply> {
  const { tenant, key } = o;
  if (key) {
    const claim = await deps.idempotency.claim(tenant, key, o.body, o.id);
    if (claim.kind === 'conflict')
      throw new ApiError('CONFLICT', `Idempotency-Key was already used with a different body (job ${claim.jobId}).`);
    if (claim.kind === 'same') {
      // The first request may still be writing the job: wait briefly for it.
      for (let i = 0; i < 20; i++) {
        const job = await deps.jobs.get(claim.jobId, tenant);
        if (job) return reply.code(200).send(job);
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new ApiError('CONFLICT', `Idempotency-Key is in use by job ${claim.jobId}, which no longer exists.`);
    }
  }
  try {
    const job = await o.create();
    return reply.code(201).header('location', `/v1/jobs/${job.id}`).send(job);
  } catch (err) {
    if (key) await deps.idempotency.release(tenant, key).catch(() => {});
    throw err;
  }
}
