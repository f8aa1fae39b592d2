import { registerContentTypeChecks } from './content-type.js';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { AppDeps } from './deps.js';
import { clientErrorHandler, frameworkErrorHandler, registerErrorHandling } from './errors.js';
import { registerAuth } from './auth.js';
import { registerBodyParsers } from './body-guard.js';
import { registerTableParsers } from './table-upload.js';
import { registerRateLimit } from './rate-limit.js';
import { registerJobCap } from './job-cap.js';
import { securityConfigFromEnv, trustProxyFromEnv, type SecurityConfig } from './security-config.js';
import { registerSecurityHeaders, requestIdFor } from './security-headers.js';
import { createKeyStore, type KeyStore } from './key-store.js';
import { documentSecurity } from './security-docs.js';
import { createMetrics } from './metrics.js';
import { jobRoutes } from './routes/jobs.js';
import { eventRoutes } from './routes/events.js';
import { resultRoutes } from './routes/results.js';
import { datasetRoutes } from './routes/datasets.js';
import { healthRoutes } from './routes/health.js';
import { checkpointRoutes } from './routes/checkpoints.js';
import { forkRoutes } from './routes/fork.js';
import { webhookRoutes } from './routes/webhooks.js';
import { sweepRoutes } from './routes/sweeps.js';
import { registerReliability } from './reliability.js';
import { finishOpenApiDocument } from './openapi-document.js';
import { jobFeedRoutes } from './routes/job-feed.js';
import { contourRoutes } from './routes/contour.js';
import { corsOriginsFromEnv, registerCors } from './cors.js';
import { dashboardApiFromEnv, registerDashboard } from './dashboard.js';
import { quotaConfigFromEnv, type QuotaConfig } from './quota-config.js';
import { registerQuotas } from './quota.js';
import { registerUploadCap } from './upload-cap.js';
import { usageRoutes } from './routes/usage.js';
import { createUsageStore } from '../queue/usage-store.js';

export interface BuildAppOptions {
  logger?: FastifyServerOptions['logger'];
  /** Rate limit and job cap; default: from the environment (see security-config.ts). */
  security?: SecurityConfig;
  /** Origins allowed by CORS; default: `DESCENT_CORS_ORIGINS` (see cors.ts). */
  corsOrigins?: readonly string[];
  /** Quotas and upload caps; default: from the environment (see quota-config.ts). */
  quotas?: QuotaConfig;
  /** Where the dashboard bundle lives; default dist/ui (see dashboard.ts). */
  dashboardDir?: string;
  /** The API the dashboard page calls (null: this origin); default `DESCENT_DASHBOARD_API_URL`. */
  dashboardApiUrl?: string | null;
  /** Whose X-Forwarded-For to believe; default: `DESCENT_TRUST_PROXY` (see security-config.ts). */
  trustProxy?: false | string[];
  /**
   * The keys in force; default: a store over `cfg.apiKeys` and `cfg.apiKeysFile` (polled for
   * changes, and reloaded on SIGHUP when `reloadKeysOnSighup`), closed with the app.
   */
  keyStore?: KeyStore;
  /** Reload the key file on SIGHUP (the entry points set it; default false). */
  reloadKeysOnSighup?: boolean;
}

/** Header values that must never reach a log line (the API key above all). */
const REDACT = {
  paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie'],
  censor: '[redacted]',
};

function withRedaction(logger: FastifyServerOptions['logger']): FastifyServerOptions['logger'] {
  if (!logger) return false;
  return logger === true ? { redact: REDACT } : { ...logger, redact: REDACT };
}

/**
 * Build the HTTP application around already-open dependencies. No `listen()` here: tests inject
 * requests, and `src/api/server.ts` binds a port.
 */
export async function buildApp(deps: AppDeps, opts: BuildAppOptions = {}): Promise<FastifyInstance> {
  const logger = withRedaction(opts.logger ?? false);
  // Checked before anything starts: a malformed URL fails the boot naming it.
  const dashboardApi =
    opts.dashboardApiUrl !== undefined ? opts.dashboardApiUrl : dashboardApiFromEnv(process.env);
  // Before the app: a malformed key file stops the boot here, naming the file and its bad lines.
  const keyStore =
    opts.keyStore ??
    createKeyStore({
      envKeys: deps.cfg.apiKeys,
      file: deps.cfg.apiKeysFile ?? null,
      pollMs: deps.cfg.apiKeysPollMs,
      sighup: opts.reloadKeysOnSighup ?? false,
      // Key-file news reach the operator even with the request log off (LOG_LEVEL unset).
      log: logger
        ? { info: (m) => app.log.info(m), error: (m) => app.log.error(m) }
        : { info: (m) => console.log(m), error: (m) => console.error(m) },
    });
  const app = Fastify({
    logger,
    // x-request-id: the caller's when sane, else a new UUID; it is req.id, the `reqId` of every log line.
    requestIdHeader: false,
    genReqId: requestIdFor,
    // The client address of the failed-auth throttle: the socket's peer unless proxies are trusted.
    trustProxy: opts.trustProxy ?? trustProxyFromEnv(process.env),
    bodyLimit: deps.cfg.bodyLimit,
    // Job/dataset ids never need more; keeps error messages short.
    routerOptions: { maxParamLength: 200 },
    // Router errors (bad percent-encoding, over-long ids) answer problem+json too.
    frameworkErrors: frameworkErrorHandler,
    // …and so do HTTP parse errors (headers too large, malformed requests) on a real socket.
    clientErrorHandler,
    return503OnClosing: true,
    forceCloseConnections: true,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  if (!opts.keyStore) app.addHook('onClose', async () => keyStore.close());
  // First of the hooks, so that every answer (401, 403, 429, 503, 404) carries the headers.
  await registerSecurityHeaders(app, dashboardApi);
  registerErrorHandling(app);
  registerReliability(app, deps);

  // JSON bodies: depth, string length, non-finite numbers and prototype keys checked before any
  // schema. CSV uploads are streamed into typed tables, Parquet read whole (table-upload.ts).
  registerBodyParsers(app, deps.limits);
  registerTableParsers(app, deps.limits, deps.cfg.datasetBodyLimit, deps.cfg.parquetTimeoutMs);
  registerContentTypeChecks(app);
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_req, body, done) =>
    done(null, body),
  );

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Descent',
        description: 'Self-hostable training service: POST a job, stream its progress, fetch the weights.',
        version: '1.0.0',
      },
      // With API keys, every /v1 call needs a bearer token (health, docs and metrics stay open).
      ...(keyStore.enabled
        ? {
            components: { securitySchemes: { bearer: { type: 'http' as const, scheme: 'bearer' } } },
            security: [{ bearer: [] }],
          }
        : {}),
    },
    transform: jsonSchemaTransform,
    transformObject: (doc) => finishOpenApiDocument(jsonSchemaTransformObject(doc)),
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  const metrics = createMetrics(deps);
  metrics.hook(app);
  // Before auth: a CORS preflight carries no key.
  registerCors(app, opts.corsOrigins ?? corsOriginsFromEnv(process.env));
  const security = opts.security ?? securityConfigFromEnv(process.env, keyStore.enabled);
  const authThrottle = keyStore.enabled ? (security.authThrottle ?? null) : null;
  registerAuth(app, deps, keyStore, { metrics, throttle: authThrottle });
  if (security.rateLimit) registerRateLimit(app, deps, security.rateLimit);
  if (security.maxActiveJobs)
    registerJobCap(app, deps, {
      maxActiveJobs: security.maxActiveJobs,
      retrySeconds: security.jobCapRetrySeconds,
    });
  const quotas = opts.quotas ?? quotaConfigFromEnv(process.env);
  const usage = createUsageStore(deps.redis, deps.keys);
  // Upload slots first: a refused upload costs no Redis round trip.
  registerUploadCap(app, {
    maxUploads: quotas.maxUploads,
    maxUploadsPerTenant: quotas.maxUploadsPerTenant,
    retrySeconds: quotas.uploadRetrySeconds,
  });
  registerQuotas(app, deps, quotas, usage);
  documentSecurity(app, {
    keyed: keyStore.enabled,
    authThrottled: authThrottle !== null,
    rateLimited: security.rateLimit !== null,
    jobCap:
      security.maxActiveJobs !== null || quotas.computeSecondsPerDay !== null || quotas.overrides.size > 0,
    uploadCap: quotas.maxUploads !== null || quotas.maxUploadsPerTenant !== null,
  });

  await app.register(healthRoutes(deps, metrics));
  await app.register(jobRoutes(deps, metrics), { prefix: '/v1' });
  await app.register(eventRoutes(deps, metrics), { prefix: '/v1' });
  await app.register(jobFeedRoutes(deps, metrics), { prefix: '/v1' });
  await app.register(resultRoutes(deps), { prefix: '/v1' });
  await app.register(datasetRoutes(deps), { prefix: '/v1' });
  await app.register(checkpointRoutes(deps), { prefix: '/v1' });
  await app.register(forkRoutes(deps, metrics), { prefix: '/v1' });
  await app.register(webhookRoutes(deps), { prefix: '/v1' });
  await app.register(contourRoutes(deps), { prefix: '/v1' });
  await registerDashboard(app, opts.dashboardDir, dashboardApi);
  await app.register(sweepRoutes(deps, metrics), { prefix: '/v1' });
  await app.register(usageRoutes(usage, quotas), { prefix: '/v1' });
  return app;
}
