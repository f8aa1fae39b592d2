import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  CreateJobHeadersSchema,
  JobListSchema,
  ValidateResponseSchema,
  JobMetricsSchema,
  JobParamsSchema,
  JobSchema,
  ListJobsQuerySchema,
  METADATA_FILTER_PREFIX,
  MetricsQuerySchema,
  isTerminal,
  type Job,
  type JobList,
} from '../../contracts/job.js';
import { ApiError, NoContent, ProblemSchema } from '../../contracts/problem.js';
import type { JobSpec } from '../../contracts/job-spec.js';
import { newId, segmentQueueId } from '../../queue/ids.js';
import { cancelJob } from '../../queue/job-cancel.js';
import { tenantsWithJobs } from '../../queue/tenants.js';
import type { AppDeps } from '../deps.js';
import type { Metrics } from '../metrics.js';
import { jobOwnerOf, scopeOf, tenantOf } from '../auth.js';
import { createOnce } from '../idempotent-create.js';
import { checkSpec, specSchemaFor } from '../spec-check.js';
import { buildMetrics } from '../history.js';
import { withLiveFields } from '../job-live.js';
import { jsonResponse } from '../openapi-document.js';

/** Routes of one job: it may not exist (400, 413, 415 and 503 come from src/api/security-docs.ts). */
const ofOneJob = { 404: ProblemSchema };

/** A job of this tenant (any tenant's when `tenant` is undefined: an admin's view, see jobOwnerOf), or 404. */
export async function loadJob(deps: AppDeps, id: string, tenant: string | undefined): Promise<Job> {
  const job = await deps.jobs.get(id, tenant);
  if (!job) throw new ApiError('NOT_FOUND', `Job ${id} does not exist (or has expired).`);
  return job;
}

/**
 * Jobs of several tenants as one newest-first page, each with its `tenant`. Ids sort by creation
 * time across tenants, so the page is the first `limit` of the tenants' own first pages after the
 * same cursor (each of which is exact), and `nextCursor` works for the merged list as for one.
 */
async function listAcrossTenants(
  deps: AppDeps,
  tenants: readonly string[],
  q: Parameters<AppDeps['jobs']['list']>[1],
): Promise<JobList> {
  const pages = await Promise.all(
    tenants.map(async (t) => {
      const page = await deps.jobs.list(t, q);
      return { ...page, data: page.data.map((j) => ({ ...j, tenant: t })) };
    }),
  );
  const all = pages.flatMap((p) => p.data).sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  const data = all.slice(0, q.limit);
  const hasMore = all.length > q.limit || pages.some((p) => p.hasMore);
  return { data, hasMore, nextCursor: hasMore && data.length ? data[data.length - 1].id : null };
}

/**
 * The `metadata.<key>=<value>` parameters of a list query, as key → value. A key given twice, an
 * empty key, or more keys than a job's metadata may hold is a 400 naming the parameter.
 */
export function metadataFilters(query: Record<string, unknown>, maxKeys: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [param, value] of Object.entries(query)) {
    if (!param.startsWith(METADATA_FILTER_PREFIX)) continue;
    const key = param.slice(METADATA_FILTER_PREFIX.length);
    const path = `/querystring/${param}`;
    if (key === '')
      throw new ApiError('VALIDATION_ERROR', `${param} names no metadata key; use metadata.<key>=<value>`, [
        { path, message: 'expected metadata.<key>=<value>' },
      ]);
    if (typeof value !== 'string')
      throw new ApiError(
        'VALIDATION_ERROR',
        `${param} is given ${Array.isArray(value) ? value.length : 'several'} times; give each metadata key once`,
        [{ path, message: 'expected a single value' }],
      );
    out[key] = value;
  }
  const n = Object.keys(out).length;
  if (n > maxKeys)
    throw new ApiError(
      'VALIDATION_ERROR',
      `${n} metadata filters; the limit is ${maxKeys} (a job's metadata holds at most that many keys; DESCENT_LIMIT_MAX_METADATA_KEYS)`,
      [{ path: '/querystring', message: `at most ${maxKeys} metadata.<key> parameters, got ${n}` }],
    );
  return out;
}

export const jobRoutes = (deps: AppDeps, metrics: Metrics): FastifyPluginAsyncZod =>
  async function (app) {
    const JobSpecBody = specSchemaFor(deps);

    app.post(
      '/jobs',
      {
        schema: {
          operationId: 'createJob',
          summary: 'Create a training job',
          description:
            'Validates and normalizes the JobSpec, stores the job and queues it. Send `Idempotency-Key` to make retries safe.',
          body: JobSpecBody,
          headers: CreateJobHeadersSchema,
          response: {
            200: jsonResponse(JobSchema, 'The job an earlier request with this Idempotency-Key created'),
            201: jsonResponse(JobSchema, 'Created and queued'),
            404: ProblemSchema,
            409: ProblemSchema,
          },
        },
      },
      async (req, reply) => {
        const spec = req.body as JobSpec;
        const tenant = tenantOf(req);
        const checked = await checkSpec(deps, spec, tenant);
        const id = newId('job');
        const key = req.headers['idempotency-key'];
        return createOnce(deps, reply, {
          tenant,
          key,
          body: spec,
          id,
          kind: 'job',
          find: (jobId) => deps.jobs.get(jobId, tenant),
          async create() {
            const metadata = (spec as { metadata?: Record<string, unknown> }).metadata ?? {};
            const job = await deps.jobs.create({
              id,
              tenant,
              spec,
              metadata,
              idempotencyKey: key,
              estimateBytes: checked.estimate.bytes,
              ...(checked.fromJob ?? {}),
            });
            await deps.queue.enqueue({ jobId: id, tenant });
            metrics.jobsCreated.inc();
            return job;
          },
        });
      },
    );

    app.post(
      '/jobs/validate',
      {
        schema: {
          operationId: 'validateJob',
          summary: 'Validate a JobSpec (dry run)',
          description: 'Normalizes the spec and estimates its cost; no job is created.',
          body: JobSpecBody,
          response: {
            200: ValidateResponseSchema,
            404: ProblemSchema,
            409: ProblemSchema,
          },
        },
      },
      async (req) => {
        const spec = req.body as JobSpec;
        const { estimate, layers } = await checkSpec(deps, spec, tenantOf(req));
        return {
          valid: true as const,
          spec: spec as unknown as Record<string, unknown>,
          estimate,
          ...(layers ? { layers } : {}),
        };
      },
    );

    app.get(
      '/jobs',
      {
        schema: {
          operationId: 'listJobs',
          summary: 'List jobs, newest first',
          description:
            'Cursor pages (`limit`, `after` = the previous `nextCursor`). Filters, ANDed: `status`, `task`, `createdAfter` / `createdBefore` (ISO 8601, exclusive), `parent` (jobs whose `lineage.parent` is that job: its fine-tunes and forks), and any number of `metadata.<key>=<value>` (exact match on a metadata value, e.g. `?metadata.owner=ana`). A page is full whenever more matching jobs exist (`hasMore`).',
          querystring: ListJobsQuerySchema,
          response: { 200: JobListSchema },
        },
      },
      async (req) => {
        const { status, limit, after, task, createdAfter, createdBefore, parent, tenant } = req.query;
        const metadata = metadataFilters(req.query, deps.limits.maxMetadataKeys);
        const q = { status, limit, after, task, createdAfter, createdBefore, metadata, parent };
        const own = tenantOf(req);
        if (scopeOf(req) !== 'admin') {
          if (tenant !== undefined && tenant !== own)
            throw new ApiError(
              'FORBIDDEN',
              `tenant=${tenant} names another tenant than this request's (${own}); listing another tenant's jobs needs an admin key (scope admin)`,
              [{ path: '/querystring/tenant', message: 'needs scope admin' }],
            );
          return deps.jobs.list(own, q);
        }
        // The operator's view: one tenant's jobs, or every tenant's merged newest first.
        const tenants = tenant !== undefined ? [tenant] : await tenantsWithJobs(deps.redis, deps.keys);
        return listAcrossTenants(deps, tenants, q);
      },
    );

    app.get(
      '/jobs/:id',
      {
        schema: {
          operationId: 'getJob',
          summary: 'One job',
          description:
            'Adds `queuePosition` (while queued) and `etaSeconds` (while running) to the job; both are null otherwise.',
          params: JobParamsSchema,
          response: { 200: JobSchema, ...ofOneJob },
        },
      },
      async (req) =>
        withLiveFields(deps.redis, deps.queue.waitKey, await loadJob(deps, req.params.id, jobOwnerOf(req))),
    );

    app.delete(
      '/jobs/:id',
      {
        schema: {
          operationId: 'deleteJob',
          summary: 'Delete a finished job and everything it stored',
          description:
            'Removes a succeeded, failed or cancelled job: its record, events, metrics, weights, checkpoints, its Idempotency-Key record (the key can be used again) and its queue entry. Open SSE streams of it end. A queued, running or cancelling job answers 409: cancel it first.',
          params: JobParamsSchema,
          response: {
            204: NoContent.describe('Deleted'),
            ...ofOneJob,
            409: ProblemSchema,
          },
        },
      },
      async (req, reply) => {
        const tenant = tenantOf(req);
        const id = req.params.id;
        const job = await loadJob(deps, id, tenant);
        if (!isTerminal(job.status))
          throw new ApiError(
            'CONFLICT',
            `Job ${id} is ${job.status}; only a finished job (succeeded, failed or cancelled) can be deleted. Cancel it first (POST /v1/jobs/${id}/cancel).`,
          );
        // BullMQ's copy first (its own script): usually already gone (removeOnComplete), or kept in
        // the failed set. A worker that has just finished the job may hold its lock a moment longer.
        const queueId = segmentQueueId(id, (await deps.jobs.getHash(id)) ?? {});
        let removed = await deps.queue.removeWaiting(queueId);
        for (let i = 0; i < 20 && removed !== 1; i++) {
          await new Promise((r) => setTimeout(r, 100));
          removed = await deps.queue.removeWaiting(queueId);
        }
        if (removed !== 1) {
          reply.header('retry-after', '1');
          throw new ApiError(
            'CONFLICT',
            `Job ${id} has finished but its worker has not released it yet; retry in a moment.`,
          );
        }
        const out = await deps.jobs.remove(id, tenant);
        if (out === 'missing') throw new ApiError('NOT_FOUND', `Job ${id} does not exist (or has expired).`);
        if (out !== 'deleted')
          throw new ApiError('CONFLICT', `Job ${id} is ${out}; only a finished job can be deleted.`);
        // SSE responses of this process following the stream end now (see streamEvents).
        deps.tailer.drop(deps.keys.events(id));
        return reply.code(204).send();
      },
    );

    app.post(
      '/jobs/:id/cancel',
      {
        schema: {
          operationId: 'cancelJob',
          summary: 'Cancel a queued or running job (idempotent)',
          description:
            'A queued job is removed at once and answers `cancelled`; a running job answers `cancelling` and its worker stops within about a second. Cancelling a finished job returns it unchanged.',
          params: JobParamsSchema,
          response: { 200: JobSchema, ...ofOneJob },
        },
      },
      async (req) => {
        // An admin key cancels any tenant's job; the others their own.
        const tenant = jobOwnerOf(req);
        const id = req.params.id;
        const job = await loadJob(deps, id, tenant);
        if (isTerminal(job.status) || job.status === 'cancelling') return job;
        await cancelJob(deps, id);
        return loadJob(deps, id, tenant);
      },
    );

    app.get(
      '/jobs/:id/metrics',
      {
        schema: {
          operationId: 'getJobMetrics',
          summary: 'Training history, columnar',
          description:
            'One row per progress event of the latest attempt; `maxPoints` downsamples evenly, keeping the first and last row.',
          params: JobParamsSchema,
          querystring: MetricsQuerySchema,
          response: { 200: JobMetricsSchema, ...ofOneJob },
        },
      },
      async (req) => {
        const job = await loadJob(deps, req.params.id, jobOwnerOf(req));
        const events = await deps.jobs.allEvents(job.id);
        return buildMetrics(job.id, job.attempt, events, req.query.maxPoints);
      },
    );
  };
