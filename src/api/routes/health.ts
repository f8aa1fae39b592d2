import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { HealthSchema, ReadySchema } from '../../contracts/job.js';

const PrometheusTextSchema = z.string().meta({
  example:
    '# HELP descent_jobs_created_total Jobs created\n# TYPE descent_jobs_created_total counter\ndescent_jobs_created_total 3\n',
});
import type { AppDeps } from '../deps.js';
import type { Metrics } from '../metrics.js';

export const healthRoutes = (deps: AppDeps, metrics: Metrics): FastifyPluginAsyncZod =>
  async function (app) {
    app.get(
      '/healthz',
      {
        schema: {
          operationId: 'healthz',
          summary: 'Liveness: 200 while the process lives',
          response: { 200: HealthSchema },
        },
      },
      async () => ({ status: 'ok' as const }),
    );

    app.get(
      '/readyz',
      {
        schema: {
          operationId: 'readyz',
          summary: 'Readiness: Redis reachable and at least one worker alive',
          response: { 200: ReadySchema, 503: ReadySchema },
        },
      },
      async (_req, reply) => {
        let redis: 'ok' | 'unreachable' = 'ok';
        let alive: Awaited<ReturnType<typeof deps.heartbeats.alive>> = [];
        try {
          await deps.redis.ping();
          alive = await deps.heartbeats.alive();
        } catch {
          redis = 'unreachable';
        }
        const backends = [...new Set(alive.map((w) => w.backend).filter(Boolean))];
        const ready = redis === 'ok' && alive.length > 0;
        return reply.code(ready ? 200 : 503).send({
          status: ready ? 'ready' : 'not_ready',
          redis,
          workers: alive.length,
          backends,
          ...(ready
            ? {}
            : {
                detail: redis === 'ok' ? 'no worker has sent a heartbeat recently' : 'Redis is unreachable',
              }),
        });
      },
    );

    app.get(
      '/metrics',
      {
        schema: {
          operationId: 'metrics',
          summary: 'Prometheus metrics of this API process',
          description:
            'Text exposition format: HTTP requests by route and status, request durations, jobs created, open SSE connections, queue jobs by state, and the process defaults (`descent_api_*`).',
          response: {
            200: {
              description: 'Prometheus text exposition format 0.0.4',
              content: { 'text/plain': { schema: PrometheusTextSchema } },
            },
          },
        },
      },
      async (_req, reply) => {
        const text = await metrics.registry.metrics();
        return reply.type(metrics.registry.contentType).send(text);
      },
    );
  };
