import type { Redis } from 'ioredis';

/**
 * Failed authentications per client address, in one Redis counter per address so that every
 * API process behind a load balancer counts together. The first failure opens a window of
 * `windowMs` (the counter's TTL); once `limit` failures are in it, the address is refused until
 * the window closes. Refused requests are not checked, so they add nothing: an address gets at
 * most `limit` guesses per window.
 *
 * KEYS[1] counter; ARGV[1] window ms; ARGV[2] 1 = count a failure, 0 = only read.
 * Returns { failures in the window, ms until the window closes }.
 */
const FAILURES = `
local n
if ARGV[2] == '1' then
  n = redis.call('INCR', KEYS[1])
  if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
else
  n = tonumber(redis.call('GET', KEYS[1]) or '0')
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl == -1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
if ttl < 0 then ttl = 0 end
return { n, ttl }
`;

type WithFailures = Redis & {
  descentAuthFailures(key: string, windowMs: number, count: 0 | 1): Promise<[number, number]>;
};

/** Failed-authentication throttle settings (see security-config.ts). */
export interface AuthThrottleConfig {
  /** Failures an address may have in one window before it is refused. */
  failures: number;
  /** Length of the window, opened by its first failure (s). */
  windowSeconds: number;
}

/** Where an address stands: `blocked` with the seconds until it may try again. */
export interface ThrottleState {
  failures: number;
  blocked: boolean;
  retryAfterSeconds: number;
}

/** The shared failure counter of each client address. */
export function createAuthThrottle(redis: Redis, prefix: string, cfg: AuthThrottleConfig) {
  const r = redis as WithFailures;
  if (typeof r.descentAuthFailures !== 'function')
    redis.defineCommand('descentAuthFailures', { numberOfKeys: 1, lua: FAILURES });
  const windowMs = Math.round(cfg.windowSeconds * 1000);
  const state = ([failures, ttl]: [number, number]): ThrottleState => ({
    failures,
    blocked: failures >= cfg.failures,
    retryAfterSeconds: Math.max(1, Math.ceil(ttl / 1000)),
  });
  // Addresses are the socket's (or X-Forwarded-For's with DESCENT_TRUST_PROXY): IPv4 or IPv6 text.
  const key = (address: string) => `${prefix}:authfail:${address}`;
  return {
    config: cfg,
    /** Before checking a key: is this address refused? */
    async check(address: string): Promise<ThrottleState> {
      return state(await r.descentAuthFailures(key(address), windowMs, 0));
    },
    /** After a key was refused: count it. */
    async fail(address: string): Promise<ThrottleState> {
      return state(await r.descentAuthFailures(key(address), windowMs, 1));
    },
  };
}
