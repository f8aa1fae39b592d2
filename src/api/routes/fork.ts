import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { CreateJobHeadersSchema, ForkRequestSchema, JobParamsSchema, JobSchema } from '../../contracts/job.js';
import { ProblemSchema } from '../../contracts/problem.js';
import { newId } from '../../queue/ids.js';
import type { AppDeps } from '../deps.js';
import { tenantOf } from '../auth.js';
import { createOnce } from '../idempotent-create.js';
import { prepareFork } from '../lineage.js';
import type { Metrics } from '../metrics.js';
import { jsonResponse } from '../openapi-document.js';
import { checkSpec, resolveDataShape, specSchemaFor } from '../spec-check.js';
import { loadJob } from './jobs.js';

/**
 * `POST /jobs/{id}/fork`: a new job resuming one of a job's checkpoints, with changed
 * hyper-parameters. Without changes it ends with the original's weights, bit for bit (the fork
 * resumes exactly as a crash-resume does).
 */
export const forkRoutes = (deps: AppDeps, metrics: Metrics): FastifyPluginAsyncZod =>
  async function (app) {
    const schema = specSchemaFor(deps);
    app.post(
      '/jobs/:id/fork',
      {
        schema: {
          operationId: 'forkJob',
          summary: 'Start a new job from a checkpoint of a job, with changed hyper-parameters',
          description:
            '`fromCheckpoint`: a step of `GET /v1/jobs/{id}/checkpoints` or "last"; `changes`: a partial JobSpec deep-merged into the job\'s spec and validated again (e.g. `{ "optimizer": { "lr": 0.001 } }`, more `training.epochs`). The job may be running or finished; a finished job\'s checkpoints are kept for DESCENT_CHECKPOINT_RETENTION (default 7 days), after which this answers 409. The new job\'s `lineage` is `{ parent, kind: "fork", checkpointStep }`; it lists the checkpoint it starts from as its own first one. Send `Idempotency-Key` to make retries safe (same key and body → the same job, 200).',
          params: JobParamsSchema,
          body: ForkRequestSchema,
          headers: CreateJobHeadersSchema,
          response: {
            200: jsonResponse(JobSchema, 'The job an earlier fork with this Idempotency-Key created'),
            201: jsonResponse(JobSchema, 'Created and queued; it resumes from the checkpoint'),
            404: ProblemSchema,
            409: ProblemSchema,
          },
        },
      },
      async (req, reply) => {
        const tenant = tenantOf(req);
        const parent = await loadJob(deps, req.params.id, tenant);
        const fork = await prepareFork(deps, parent, req.body, {
          schema,
          resolveShape: (spec) => resolveDataShape(deps, spec, tenant),
          validate: async (spec) => {
            await checkSpec(deps, spec, tenant, { fork: true });
          },
        });
        const id = newId('job');
        const key = req.headers['idempotency-key'];
        return createOnce(deps, reply, {
          tenant,
          key,
          body: { fork: parent.id, ...req.body },
          id,
          kind: 'job',
          find: (jobId) => deps.jobs.get(jobId, tenant),
          async create() {
            const metadata = (fork.spec as { metadata?: Record<string, unknown> }).metadata ?? {};
            const job = await deps.jobs.create({
              id,
              tenant,
              spec: fork.spec,
              metadata,
              idempotencyKey: key,
              lineage: fork.lineage,
              forkCheckpoint: fork.forkCheckpoint,
            });
            await deps.queue.enqueue({ jobId: id, tenant });
            metrics.jobsCreated.inc();
            return job;
          },
        });
      },
    );
  };
