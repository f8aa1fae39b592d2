import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { CheckpointListSchema } from '../../contracts/checkpoint.js';
import { JobParamsSchema } from '../../contracts/job.js';
import { ProblemSchema } from '../../contracts/problem.js';
import type { AppDeps } from '../deps.js';
import { jobOwnerOf } from '../auth.js';
import { loadJob } from './jobs.js';

/** `GET /jobs/{id}/checkpoints`: what a running (or finished) job has saved, newest first. */
export const checkpointRoutes = (deps: AppDeps): FastifyPluginAsyncZod =>
  async function (app) {
    app.get(
      '/jobs/:id/checkpoints',
      {
        schema: {
          operationId: 'listJobCheckpoints',
          summary: 'Checkpoints of a job, newest first',
          description:
            'Saved every DESCENT_CHECKPOINT_MS while the job trains, and when it stops (cancel, worker shutdown). A job whose worker dies resumes from the newest one on another worker.',
          params: JobParamsSchema,
          response: { 200: CheckpointListSchema, 404: ProblemSchema },
        },
      },
      async (req) => {
        const job = await loadJob(deps, req.params.id, jobOwnerOf(req));
        return { jobId: job.id, object: 'list' as const, data: await deps.jobs.checkpoints(job.id) };
      },
    );
  };
