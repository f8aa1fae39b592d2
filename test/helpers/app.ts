import { gradientsWithModels } from '../../src/api/server.js';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type ServiceConfig } from '../../src/queue/config.js';
import { DEFAULT_LIMITS, type Limits } from '../../src/contracts/limits.js';
import { createDeps, type AppDeps, type PredictFn, type SpeedFn } from '../../src/api/deps.js';
import { buildApp, type BuildAppOptions } from '../../src/api/app.js';
import { uniquePrefix } from './redis.js';
import { validateInjectedResponses } from './openapi-validator.js';
import type { Resolver } from '../../src/webhooks/address-guard.js';

/**
 * The DNS of tests: a fixed table, so no test resolves a real name (and none can send a packet
 * to a non-loopback address). `example.com` is public; `*.localtest` names are loopback.
 */
export function tableResolver(table: Record<string, string[]> = {}): Resolver {
  const all: Record<string, string[]> = { 'example.com': ['93.184.215.14'], ...table };
  return async (host) => {
    const hit = all[host] ?? (host.endsWith('.localtest') ? ['127.0.0.1'] : undefined);
    if (!hit) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return hit.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
}

/** Config for tests: short intervals, a unique prefix, the given Redis. */
export function testConfig(redisUrl: string, name: string, over: Partial<ServiceConfig> = {}): ServiceConfig {
  return {
    ...loadConfig({}),
    redisUrl,
    prefix: uniquePrefix(name),
    retentionMs: 60_000,
    lockDurationMs: 5000,
    stalledIntervalMs: 5000,
    heartbeatMs: 500,
    ssePingMs: 1000,
    checkpointEveryMs: 1000,
    ...over,
  };
}

/** A predict stand-in for API tests: a linear layer `weight` [out, in] and `bias` [out]. */
export const linearPredict: PredictFn = (_spec, w, inputs) => {
  const W = w['weight'] ?? w['0.weight'];
  const b = w['bias'] ?? w['0.bias'];
  const [out, inp] = W.shape;
  return {
    outputs: inputs.map((row) =>
      Array.from({ length: out }, (_, o) => {
        let s = b ? b.data[o] : 0;
        for (let i = 0; i < inp; i++) s += W.data[o * inp + i] * row[i];
        return s;
      }),
    ),
  };
};

export interface TestApp {
  app: FastifyInstance;
  deps: AppDeps;
  cfg: ServiceConfig;
  close(): Promise<void>;
}

export async function makeTestApp(
  redisUrl: string,
  name: string,
  opts: {
    cfg?: Partial<ServiceConfig>;
    limits?: Limits;
    predict?: PredictFn;
    speed?: SpeedFn;
    resolveHost?: Resolver;
    /** buildApp's options (CORS origins, dashboard directory, …). */
    app?: BuildAppOptions;
  } = {},
): Promise<TestApp> {
  const cfg = testConfig(redisUrl, name, opts.cfg);
  const deps = await createDeps(cfg, opts.limits ?? DEFAULT_LIMITS, {
    predict: opts.predict ?? linearPredict,
    gradients: gradientsWithModels,
    // The wall-time check is off unless a test asks for it (measuring takes half a second).
    speed: opts.speed,
    resolveHost: opts.resolveHost ?? tableResolver(),
  });
  const app = await buildApp(deps, opts.app);
  await app.ready();
  // Every injected response must be one the OpenAPI document describes (issue 10).
  validateInjectedResponses(app);
  return {
    app,
    deps,
    cfg,
    async close() {
      await app.close();
      await deps.close();
    },
  };
}

/** Poll GET /v1/jobs/{id} every 25 ms until the job has ended; the job. Throws after `timeoutMs`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function finishedJob(t: TestApp, id: string, timeoutMs = 60_000): Promise<any> {
  for (let i = 0; i < timeoutMs / 25; i++) {
    const job = (await t.app.inject({ url: `/v1/jobs/${id}` })).json();
    if (['succeeded', 'failed', 'cancelled'].includes(job.status)) return job;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`job ${id} did not finish in ${timeoutMs / 1000} s`);
}
