import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AppDeps } from './deps.js';

/** Prometheus metrics of one API process, on a registry of its own (several apps may share a test process). */
export function createMetrics(deps: AppDeps) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'descent_api_' });
  const requests = new Counter({
    name: 'descent_http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'descent_http_request_duration_seconds',
    help: 'HTTP request duration',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const jobsCreated = new Counter({
    name: 'descent_jobs_created_total',
    help: 'Jobs created',
    registers: [registry],
  });
  // Failed-auth throttle (src/api/auth.ts): per process; sum over processes for the service.
  const authFailures = new Counter({
    name: 'descent_auth_failures_total',
    help: 'Requests whose Authorization header was refused (wrong or malformed key)',
    registers: [registry],
  });
  const authThrottled = new Counter({
    name: 'descent_auth_throttled_total',
    help: 'Requests refused with 429 because their address had too many failed authentications',
    registers: [registry],
  });
  const sseClients = new Gauge({
    name: 'descent_sse_clients',
    help: 'Open SSE connections',
    registers: [registry],
  });
  new Gauge({
    name: 'descent_queue_jobs',
    help: 'BullMQ jobs by state',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      try {
        const counts = await deps.queue.counts();
        for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
      } catch {
        /* Redis down: leave the last values */
      }
    },
  });
  new Gauge({
    name: 'descent_tailed_streams',
    help: 'Job streams the SSE tailer follows',
    registers: [registry],
    collect() {
      this.set(deps.tailer.stats().streams);
    },
  });

  return {
    registry,
    jobsCreated,
    sseClients,
    authFailures,
    authThrottled,
    hook(app: FastifyInstance) {
      app.addHook('onResponse', async (req, reply) => {
        const route = req.routeOptions.url ?? 'unknown';
        requests.inc({ method: req.method, route, status: String(reply.statusCode) });
        duration.observe({ method: req.method, route }, reply.elapsedTime / 1000);
      });
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
