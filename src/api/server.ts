import type { FastifyInstance } from 'fastify';
import { limitsFromEnv } from '../contracts/limits.js';
import { inputGradients, predictForJob } from '../models/index.js';
import type { ServiceConfig } from '../queue/config.js';
import { buildApp } from './app.js';
import { createDeps, type AppDeps, type GradientsFn, type PredictFn, type SpeedFn } from './deps.js';
import { startupWarnings } from '../queue/redis.js';

/**
 * src/models' predict for any job with a model: a supervised model's outputs, or a reinforce
 * job's policy (action probabilities).
 */
export const predictWithModels: PredictFn = (spec, weights, inputs) =>
  predictForJob(spec as never, weights, inputs);

/** ∂outputs/∂inputs per sample of a supervised model (what /gradients returns). */
export const gradientsWithModels: GradientsFn = (spec, weights, inputs) =>
  inputGradients(spec as never, weights, inputs);

export interface RunningApi {
  app: FastifyInstance;
  deps: AppDeps;
  url: string;
  close(): Promise<void>;
}

/**
 * Open the dependencies, build the app, bind HOST:PORT and log the one line users and scripts wait
 * for: `listening on http://HOST:PORT`.
 */
export async function startApi(
  cfg: ServiceConfig,
  opts: {
    host: string;
    port: number;
    logger?: boolean;
    speed?: SpeedFn;
    /** Called with the built app before it listens (hooks of the entry point, e.g. terminal lines). */
    beforeListen?: (app: FastifyInstance) => void;
  },
): Promise<RunningApi> {
  const deps = await createDeps(cfg, limitsFromEnv(process.env), {
    predict: predictWithModels,
    gradients: gradientsWithModels,
    speed: opts.speed,
  });
  // Loudly: a Redis that evicts keys or keeps nothing across a restart loses jobs.
  for (const warning of await startupWarnings(deps.redis)) console.warn(`WARNING: ${warning}`);
  const app = await buildApp(deps, {
    logger: opts.logger ? { level: process.env.LOG_LEVEL ?? 'warn' } : false,
    // `kill -HUP <pid>` re-reads DESCENT_API_KEYS_FILE (it is also polled for changes).
    reloadKeysOnSighup: true,
  }).catch(async (err: unknown) => {
    await deps.close();
    throw err;
  });
  opts.beforeListen?.(app);
  await app.listen({ host: opts.host, port: opts.port });
  // Sweeps whose last decisions a killed API process never carried out (workers do this too).
  setImmediate(() => void deps.sweepExec.reconcileAll().catch(() => {}));
  // Measure the training speed now rather than on the first POST /v1/jobs (half a second).
  if (opts.speed) setImmediate(() => void opts.speed!());
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const url = `http://${host}:${port}`;
  console.log(`listening on ${url}`);
  let closing: Promise<void> | null = null;
  return {
    app,
    deps,
    url,
    close() {
      closing ??= (async () => {
        await app.close();
        await deps.close();
      })();
      return closing;
    },
  };
}
