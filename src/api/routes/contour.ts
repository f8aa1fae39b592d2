import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ContourQuerySchema, ContourSchema } from '../../contracts/contour.js';
import { JobParamsSchema } from '../../contracts/job.js';
import { ProblemSchema, problemResponse } from '../../contracts/problem.js';
import type { AppDeps } from '../deps.js';
import { jobOwnerOf } from '../auth.js';
import { sampleContour } from '../contour-grid.js';
import { loadJob } from './jobs.js';

/** `GET /jobs/{id}/contour`: a two-variable minimize job's objective on a grid (the dashboard's contour plot). */
export const contourRoutes = (deps: AppDeps): FastifyPluginAsyncZod =>
  async function (app) {
    app.get(
      '/jobs/:id/contour',
      {
        schema: {
          operationId: 'getJobContour',
          summary: "A minimize job's objective sampled on a grid",
          description:
            'For a minimize job of two variables: the objective at n × n points of a box (`xMin`…`yMax`; by default around the start and end points), evaluated by the server through the same expression compiler as training. Works while the job runs. The dashboard draws its contour plot from this and the trajectory from the job\'s events.',
          params: JobParamsSchema,
          querystring: ContourQuerySchema,
          response: {
            200: ContourSchema,
            404: ProblemSchema,
            409: problemResponse('The job is not a minimize job of exactly two variables'),
          },
        },
      },
      async (req) => sampleContour(await loadJob(deps, req.params.id, jobOwnerOf(req)), req.query),
    );
  };
