import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { problem } from '../contracts/problem.js';
import type { AppDeps } from './deps.js';
import { sendProblem } from './errors.js';
import { tenantOf } from './auth.js';

/**
 * Token bucket in one Redis hash, updated atomically by a script, so every API process draws from
 * the same bucket. The clock is Redis's (`TIME`), so API hosts with skewed clocks agree.
 *
 * A bucket holds at most `burst` tokens and gains `perMinute / 60 000` per millisecond; a request
 * takes one token or is refused. Refused requests take nothing, so a client that waits
 * `Retry-After` seconds is served. The hash expires once it would be full again (an absent
 * bucket is a full one), so idle tenants cost no memory.
 *
 * KEYS[1] bucket; ARGV[1] burst, ARGV[2] tokens per ms.
 * Returns { allowed 0|1, whole tokens left, ms until one token, ms until full }.
 */
const TAKE_TOKEN = `
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(b[1])
local ts = tonumber(b[2])
if tokens == nil or ts == nil then tokens = burst; ts = now end
if now > ts then tokens = math.min(burst, tokens + (now - ts) * rate) end
local allowed = 0
if tokens >= 1 then tokens = tokens - 1; allowed = 1 end
local full = math.ceil((burst - tokens) / rate)
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], full + 1000)
local retry = 0
if allowed == 0 then retry = math.ceil((1 - tokens) / rate) end
return { allowed, math.floor(tokens), retry, full }
`;

export interface TakeResult {
  allowed: boolean;
  /** Whole requests left right now. */
  remaining: number;
  /** Milliseconds until the next request would be allowed (0 when allowed). */
  retryMs: number;
  /** Milliseconds until the bucket is full again. */
  resetMs: number;
}

type WithTake = Redis & {
  descentTakeToken(key: string, burst: number, ratePerMs: string): Promise<[number, number, number, number]>;
};

/** A per-tenant rate limiter backed by Redis. */
export function createRateLimiter(redis: Redis, prefix: string, opts: { perMinute: number; burst: number }) {
  const r = redis as WithTake;
  if (typeof r.descentTakeToken !== 'function')
    redis.defineCommand('descentTakeToken', { numberOfKeys: 1, lua: TAKE_TOKEN });
  const ratePerMs = (opts.perMinute / 60_000).toPrecision(17);
  return {
    burst: opts.burst,
    /** Seconds a full bucket lasts at zero refill, as `w=` of RateLimit-Policy. */
    windowSeconds: Math.max(1, Math.round((opts.burst / opts.perMinute) * 60)),
    async take(tenant: string): Promise<TakeResult> {
      const [allowed, remaining, retryMs, resetMs] = await r.descentTakeToken(
        `${prefix}:ratelimit:${tenant}`,
        opts.burst,
        ratePerMs,
      );
      return { allowed: allowed === 1, remaining, retryMs, resetMs };
    },
  };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;

/** `RateLimit-*` headers (draft-ietf-httpapi-ratelimit-headers, the form @fastify/rate-limit sends). */
function setHeaders(reply: FastifyReply, rl: RateLimiter, r: TakeResult): void {
  reply
    .header('ratelimit-limit', rl.burst)
    .header('ratelimit-remaining', r.remaining)
    .header('ratelimit-reset', Math.ceil(r.resetMs / 1000))
    .header('ratelimit-policy', `${rl.burst};w=${rl.windowSeconds}`);
}

/**
 * Every `/v1` request takes a token from its tenant's bucket (after authentication, so the tenant
 * is known; a 401 costs nothing). Over the limit: 429 problem+json `RATE_LIMITED` with
 * `Retry-After` (seconds) and the RateLimit headers. Redis being down is not turned into a 429:
 * the error reaches the error handler, which answers 503 as every other route does.
 */
export function registerRateLimit(
  app: FastifyInstance,
  deps: AppDeps,
  opts: { perMinute: number; burst: number },
): RateLimiter {
  const rl = createRateLimiter(deps.redis, deps.keys.prefix, opts);
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const route = req.routeOptions.url;
    if (!((route !== undefined && route.startsWith('/v1')) || req.url.startsWith('/v1'))) return;
    const tenant = tenantOf(req);
    const r = await rl.take(tenant);
    setHeaders(reply, rl, r);
    if (r.allowed) return;
    const retry = Math.max(1, Math.ceil(r.retryMs / 1000));
    reply.header('retry-after', retry);
    return sendProblem(
      reply,
      problem(
        'RATE_LIMITED',
        `Tenant ${tenant} made more than ${rl.burst} requests in a burst or ${opts.perMinute} per minute ` +
          `(DESCENT_RATE_LIMIT_BURST, DESCENT_RATE_LIMIT_PER_MINUTE); retry after ${retry} s.`,
      ),
    );
  });
  return rl;
}
