import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  createSweepRequestSchema,
  SweepListSchema,
  SweepSchema,
  SweepTrialListSchema,
  SweepValidateResponseSchema,
  type SweepRequest,
} from '../../contracts/sweep.js';
import {
  CreateSweepHeadersSchema,
  ListSweepsQuerySchema,
  SweepEventPageSchema,
  SweepParamsSchema,
  SweepSseStreamSchema,
} from '../../contracts/sweep-api.js';
import { EventsQuerySchema } from '../../contracts/events.js';
import { EventsHeadersSchema } from '../../contracts/job.js';
import { ApiError, NoContent, ProblemSchema, issuesFromZod } from '../../contracts/problem.js';
import { createJobSpecSchema, type JobSpec } from '../../contracts/job-spec.js';
import { newId } from '../../queue/ids.js';
import type { SweepRecord } from '../../queue/sweep-store.js';
import { planSweep, type SweepPlan } from '../../sweep/plan.js';
import { startScheduler } from '../../sweep/scheduler.js';
import type { AppDeps } from '../deps.js';
import type { Metrics } from '../metrics.js';
import { tenantOf } from '../auth.js';
import { createOnce } from '../idempotent-create.js';
import { checkSpec } from '../spec-check.js';
import { jsonResponse } from '../openapi-document.js';
import { streamSource } from '../sse.js';
import { sweepTrials, sweepView } from '../../queue/sweep-view.js';

/** Routes of one sweep: it may not exist. */
const ofOneSweep = { 404: ProblemSchema };

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

/**
 * Every trial's spec is stored with the sweep (so a trial job can be created by any process, at
 * any time): their total size is capped, which in practice only bites inline data.
 */
const MAX_SWEEP_SPEC_BYTES = 64 * 1024 * 1024;

/** A sweep of this tenant, or 404 (another tenant's answers the same: its existence is not told). */
async function loadSweep(deps: AppDeps, id: string, tenant: string): Promise<SweepRecord> {
  const sw = await deps.sweeps.get(id, tenant);
  if (!sw) throw new ApiError('NOT_FOUND', `Sweep ${id} does not exist.`);
  return sw;
}

/**
 * Plan a request (grid multiplied out, values sampled, every trial's spec validated), then check
 * the trials the way `POST /v1/jobs` checks a spec (dataset, layers, wall time), each refusal
 * reported at the space path that made it or at `spec`. Throws a 400 naming the path.
 */
async function planOrThrow(deps: AppDeps, req: SweepRequest, tenant: string): Promise<SweepPlan> {
  const out = planSweep(req, deps.limits, createJobSpecSchema);
  if (!out.ok)
    throw new ApiError(
      'VALIDATION_ERROR',
      `The sweep is invalid: ${out.issues
        .slice(0, 3)
        .map((i) => `${i.path.join('.')}: ${i.message}`)
        .join('; ')}`,
      issuesFromZod(out.issues),
    );
  const plan = out.plan;
  // What the schema cannot see (the dataset's shape, the server's wall time) is the same check
  // as for a job. Trials differ only in their space values: the first refusal is enough.
  for (const t of plan.trials) {
    try {
      await checkSpec(deps, t.spec as JobSpec, tenant);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      const where = Object.keys(t.params).length ? ` (trial ${t.index}: ${JSON.stringify(t.params)})` : '';
      throw new ApiError(
        err.code,
        `${err.message}${where}`,
        (err.errors ?? []).map((e) => ({ path: `/spec${e.path === '/' ? '' : e.path}`, message: e.message })),
      );
    }
  }
  const bytes = plan.trials.reduce((n, t) => n + JSON.stringify(t.spec).length, 0);
  if (bytes > MAX_SWEEP_SPEC_BYTES)
    throw new ApiError(
      'VALIDATION_ERROR',
      `The sweep's ${plan.trials.length} trial specs total ${bytes} bytes; the limit is ${MAX_SWEEP_SPEC_BYTES}. Inline data is copied into every trial: upload it as a dataset (POST /v1/datasets) and use data.datasetId.`,
      [{ path: '/spec', message: `trial specs total ${bytes} bytes, over ${MAX_SWEEP_SPEC_BYTES}` }],
    );
  return plan;
}

export const sweepRoutes = (deps: AppDeps, metrics: Metrics): FastifyPluginAsyncZod =>
  async function (app) {
    const Body = createSweepRequestSchema(deps.limits);

    app.post(
      '/sweeps',
      {
        schema: {
          operationId: 'createSweep',
          summary: 'Create a hyperparameter sweep',
          description:
            'Multiplies out the grid, samples the space (seeded), validates every trial spec, and queues the first `maxConcurrentTrials` trials. Send `Idempotency-Key` to make retries safe (same key and body → the same sweep, 200; another body → 409). Each trial is an ordinary job (`sweepId`, `trialId`). ASHA trials train rung by rung and pause between rungs; a promoted trial resumes from its own checkpoint. Counts against the job cap: `maxConcurrentTrials` slots must be free.',
          body: Body,
          headers: CreateSweepHeadersSchema,
          response: {
            200: jsonResponse(SweepSchema, 'The sweep an earlier request with this Idempotency-Key created'),
            201: jsonResponse(SweepSchema, 'Created; its first trials are queued'),
            409: ProblemSchema,
          },
        },
      },
      async (req, reply) => {
        const tenant = tenantOf(req);
        const plan = await planOrThrow(deps, req.body, tenant);
        const id = newId('swp');
        return createOnce(deps, reply, {
          tenant,
          key: req.headers['idempotency-key'],
          body: req.body,
          id,
          kind: 'sweep',
          find: async (sweepId) => {
            const sw = await deps.sweeps.get(sweepId, tenant);
            return sw && sweepView(sw);
          },
          async create() {
            const first = startScheduler(plan);
            await deps.sweepExec.begin(
              {
                id,
                tenant,
                request: { ...req.body, metric: plan.metric, mode: plan.mode },
                rungs: plan.rungs,
                epochsMax: plan.epochsMax,
                params: plan.trials.map((t) => t.params),
                specs: plan.trials.map((t) => t.spec),
              },
              first,
            );
            return sweepView(await loadSweep(deps, id, tenant));
          },
        });
      },
    );

    app.post(
      '/sweeps/validate',
      {
        schema: {
          operationId: 'validateSweep',
          summary: 'Validate a sweep (dry run)',
          description:
            'Plans the sweep as `POST /v1/sweeps` would: the trial count, the rungs and the worst-case budget in epochs. Nothing is created.',
          body: Body,
          response: { 200: SweepValidateResponseSchema },
        },
      },
      async (req) => {
        const plan = await planOrThrow(deps, req.body, tenantOf(req));
        return { trials: plan.trials.length, epochsMax: plan.epochsMax, rungs: plan.rungs };
      },
    );

    app.get(
      '/sweeps',
      {
        schema: {
          operationId: 'listSweeps',
          summary: 'List sweeps, newest first',
          description: 'Cursor pages (`limit`, `after` = the previous `nextCursor`).',
          querystring: ListSweepsQuerySchema,
          response: { 200: SweepListSchema },
        },
      },
      async (req) => {
        const page = await deps.sweeps.list(tenantOf(req), req.query);
        return { ...page, data: page.data.map(sweepView) };
      },
    );

    app.get(
      '/sweeps/:id',
      {
        schema: {
          operationId: 'getSweep',
          summary: 'One sweep',
          description: 'Status, trial counts by state, the best trial so far and the budget used.',
          params: SweepParamsSchema,
          response: { 200: SweepSchema, ...ofOneSweep },
        },
      },
      async (req) => sweepView(await loadSweep(deps, req.params.id, tenantOf(req))),
    );

    app.get(
      '/sweeps/:id/trials',
      {
        schema: {
          operationId: 'getSweepTrials',
          summary: 'The leaderboard',
          description:
            'Every trial, best first: its params, job, rung, epochs trained and the metric at its last processed rung. Trials without a value yet (or failed) come last, by index.',
          params: SweepParamsSchema,
          response: { 200: SweepTrialListSchema, ...ofOneSweep },
        },
      },
      async (req) => ({ data: sweepTrials(await loadSweep(deps, req.params.id, tenantOf(req))) }),
    );

    app.post(
      '/sweeps/:id/cancel',
      {
        schema: {
          operationId: 'cancelSweep',
          summary: 'Cancel a sweep (idempotent)',
          description:
            'Cancels its queued, running and paused trials (their workers stop within about a second); finished trials keep their weights. The sweep ends `cancelled`. A finished sweep is returned unchanged.',
          params: SweepParamsSchema,
          response: { 200: SweepSchema, ...ofOneSweep },
        },
      },
      async (req) => {
        const tenant = tenantOf(req);
        const sw = await loadSweep(deps, req.params.id, tenant);
        if (!TERMINAL.has(sw.status)) await deps.sweepExec.cancel(sw.id);
        return sweepView(await loadSweep(deps, sw.id, tenant));
      },
    );

    app.get(
      '/sweeps/:id/events',
      {
        schema: {
          operationId: 'getSweepEvents',
          summary: 'Sweep events: SSE stream or JSON pages',
          description:
            '`status`, `trial` (a trial changed state), `rung` (a segment was processed), `best` (a new best trial) and `end`. `Accept: text/event-stream` streams the history after `Last-Event-ID` (or `?after=`) and then the live tail, closing after `end`; otherwise a JSON page `?after=<eventId>&limit=`. The same cursor rules as job events.',
          params: SweepParamsSchema,
          querystring: EventsQuerySchema,
          headers: EventsHeadersSchema,
          response: {
            200: {
              description:
                'A JSON page of events; with `Accept: text/event-stream`, an SSE stream of them that closes after `end`.',
              content: {
                'application/json': { schema: SweepEventPageSchema },
                'text/event-stream': { schema: SweepSseStreamSchema },
              },
            },
            204: NoContent.describe(
              'SSE resume of a finished sweep at its last event: nothing is left to send',
            ),
            ...ofOneSweep,
          },
        },
      },
      async (req, reply) => {
        const sw = await loadSweep(deps, req.params.id, tenantOf(req));
        const accept = req.headers.accept ?? '';
        if (!accept.includes('text/event-stream'))
          // Stored as the sweep's events (src/queue/sweep-executor.ts stamps them): served as they are.
          return (await deps.sweeps.events(sw.id, {
            after: req.query.after,
            limit: req.query.limit,
          })) as never;
        const header = req.headers['last-event-id'];
        const from = header ?? req.query.after;
        if (from !== undefined) {
          if (!/^\d+-\d+$/.test(from))
            throw new ApiError(
              'VALIDATION_ERROR',
              `Last-Event-ID ${JSON.stringify(from.slice(0, 80))} is not an event id`,
              [
                {
                  path: header !== undefined ? '/headers/last-event-id' : '/query/after',
                  message: 'expected <ms>-<seq>',
                },
              ],
            );
          if (TERMINAL.has(sw.status) && from === (await deps.sweeps.lastEventId(sw.id)))
            return reply.code(204).send();
        }
        await streamSource(
          deps,
          req,
          reply,
          {
            name: `sweep ${sw.id}`,
            key: deps.keys.sweepEvents(sw.id),
            page: (q) => deps.sweeps.events(sw.id, q),
            async finished() {
              const s = await deps.sweeps.status(sw.id);
              return s === null || TERMINAL.has(s);
            },
          },
          from,
          metrics.sseClients,
        );
        return reply;
      },
    );
  };
