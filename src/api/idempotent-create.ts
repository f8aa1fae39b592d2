import type { FastifyReply } from 'fastify';
import { ApiError } from '../contracts/problem.js';
import type { AppDeps } from './deps.js';

/** What {@link createOnce} makes: a job or a sweep. */
interface Created {
  id: string;
}

/**
 * Create a resource at most once per `Idempotency-Key` (POST /v1/jobs, POST /v1/jobs/{id}/fork,
 * POST /v1/sweeps). Without a key, `create` just runs. With one, the key is claimed first (SET NX,
 * so two concurrent requests with one key create one resource): the same key with the same `body`
 * answers what the first request made (200), with another body a 409; a claim whose resource could
 * not be created is released, so a retry can succeed. `body` is what identifies the request: for
 * a fork, the parent's id together with the fork request, so one key cannot fork two jobs.
 * Sweeps claim their keys apart from jobs' (`scope`), so a client may reuse its own key scheme.
 */
export async function createOnce<T extends Created>(
  deps: AppDeps,
  reply: FastifyReply,
  o: {
    tenant: string;
    key: string | undefined;
    body: unknown;
    id: string;
    /** What it is, in messages and the Location header: `/v1/${kind}s/{id}`. */
    kind: 'job' | 'sweep';
    find(id: string): Promise<T | null>;
    create(): Promise<T>;
  },
): Promise<FastifyReply> {
  const { tenant, kind } = o;
  const key = o.key && kind === 'sweep' ? `sweep:${o.key}` : o.key;
  if (key) {
    const claim = await deps.idempotency.claim(tenant, key, o.body, o.id);
    if (claim.kind === 'conflict')
      throw new ApiError('CONFLICT', `Idempotency-Key was already used with a different body (${kind} ${claim.jobId}).`);
    if (claim.kind === 'same') {
      // The first request may still be writing it: wait briefly.
      for (let i = 0; i < 20; i++) {
        const made = await o.find(claim.jobId);
        if (made) return reply.code(200).send(made);
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new ApiError('CONFLICT', `Idempotency-Key is in use by ${kind} ${claim.jobId}, which no longer exists.`);
    }
  }
  try {
    const made = await o.create();
    return reply.code(201).header('location', `/v1/${kind}s/${made.id}`).send(made);
  } catch (err) {
    if (key) await deps.idempotency.release(tenant, key).catch(() => {});
    throw err;
  }
}
