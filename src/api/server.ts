import type { FastifyInstance } from 'fastify';
import { limitsFromEnv } from '../contracts/limits.js';
import { predict as modelPredict } from '../models/index.js';
import type { ServiceConfig } from '../queue/config.js';
import { buildApp } from './app.js';
import { createDeps, type AppDeps, type PredictFn } from './deps.js';
import { evictionWarning } from '../queue/redis.js';

/** src/models' predict, adapted to the API's signature (the normalized JobSpec holds model and loss). */
export const predictWithModels: PredictFn = (spec, weights, inputs) =>
  modelPredict(spec as never, weights, inputs);

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
  opts: { host: string; port: number; logger?: boolean },
): Promise<RunningApi> {
  const deps = await createDeps(cfg, limitsFromEnv(process.env), { predict: predictWithModels });
  const warning = await evictionWarning(deps.redis);
  if (warning) console.warn(`warning: ${warning}`);
  const app = await buildApp(deps, {
    logger: opts.logger ? { level: process.env.LOG_LEVEL ?? 'warn' } : false,
  });
  await app.listen({ host: opts.host, port: opts.port });
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
