import { isIP } from 'node:net';
import type { AuthThrottleConfig } from './auth-throttle.js';

/**
 * Per-tenant request rate and job cap, read from the environment at boot (never at import time).
 *
 * | variable | meaning | default with `DESCENT_API_KEYS` | default without |
 * |---|---|---|---|
 * | `DESCENT_RATE_LIMIT_PER_MINUTE` | sustained `/v1` requests per minute per tenant (token refill); 0 = off | 600 | off |
 * | `DESCENT_RATE_LIMIT_BURST` | bucket size: requests a tenant may make at once | 120 | = per minute |
 * | `DESCENT_MAX_ACTIVE_JOBS` | queued + running (+ cancelling) jobs per tenant; 0 = off | 20 | off |
 * | `DESCENT_JOB_CAP_RETRY_SECONDS` | `Retry-After` sent with a job-cap 429 | 15 | 15 |
 * | `DESCENT_AUTH_FAILURE_LIMIT` | failed authentications per client address per window before 429; 0 = off | 10 | (no keys: nothing to fail) |
 * | `DESCENT_AUTH_FAILURE_WINDOW_SECONDS` | the window, opened by an address's first failure | 300 | |
 *
 * Without API keys the service is open for local use by one person (tests, notebooks polling in a
 * loop), so both limits are off unless the variables are set; with keys they are on by default.
 */
export interface SecurityConfig {
  /** Token bucket per tenant, shared by every API process through Redis; null = off. */
  rateLimit: { perMinute: number; burst: number } | null;
  /** Cap on a tenant's queued + running jobs; null = off. */
  maxActiveJobs: number | null;
  /** `Retry-After` (s) of a job-cap refusal: when a slot may plausibly be free again. */
  jobCapRetrySeconds: number;
  /** Failed-authentication throttle per client address (only with keys); null = off. */
  authThrottle?: AuthThrottleConfig | null;
}

export const SECURITY_DEFAULTS = Object.freeze({
  ratePerMinute: 600,
  rateBurst: 120,
  maxActiveJobs: 20,
  jobCapRetrySeconds: 15,
  authFailures: 10,
  authFailureWindowSeconds: 300,
});

function count(env: Record<string, string | undefined>, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name}=${raw} is not a non-negative number`);
  return v;
}

/**
 * The security settings of a deployment. `keyed` says whether `DESCENT_API_KEYS` is set, which
 * switches the default limits on. Malformed values throw, naming the variable.
 */
export function securityConfigFromEnv(
  env: Record<string, string | undefined>,
  keyed: boolean,
): SecurityConfig {
  const perMinute =
    count(env, 'DESCENT_RATE_LIMIT_PER_MINUTE') ?? (keyed ? SECURITY_DEFAULTS.ratePerMinute : 0);
  const burst = count(env, 'DESCENT_RATE_LIMIT_BURST') ?? (keyed ? SECURITY_DEFAULTS.rateBurst : perMinute);
  const cap = count(env, 'DESCENT_MAX_ACTIVE_JOBS') ?? (keyed ? SECURITY_DEFAULTS.maxActiveJobs : 0);
  return {
    rateLimit: perMinute > 0 ? { perMinute, burst: Math.max(1, Math.floor(burst)) } : null,
    maxActiveJobs: cap > 0 ? Math.floor(cap) : null,
    jobCapRetrySeconds: Math.max(
      1,
      Math.ceil(count(env, 'DESCENT_JOB_CAP_RETRY_SECONDS') ?? SECURITY_DEFAULTS.jobCapRetrySeconds),
    ),
    authThrottle: keyed ? authThrottleFromEnv(env) : null,
  };
}

function authThrottleFromEnv(env: Record<string, string | undefined>): AuthThrottleConfig | null {
  const failures = count(env, 'DESCENT_AUTH_FAILURE_LIMIT') ?? SECURITY_DEFAULTS.authFailures;
  const windowSeconds =
    count(env, 'DESCENT_AUTH_FAILURE_WINDOW_SECONDS') ?? SECURITY_DEFAULTS.authFailureWindowSeconds;
  if (failures > 0 && !Number.isInteger(failures))
    throw new Error(`DESCENT_AUTH_FAILURE_LIMIT=${env.DESCENT_AUTH_FAILURE_LIMIT} is not a whole number`);
  if (failures > 0 && !(windowSeconds >= 1 && windowSeconds <= 86_400))
    throw new Error(
      `DESCENT_AUTH_FAILURE_WINDOW_SECONDS=${env.DESCENT_AUTH_FAILURE_WINDOW_SECONDS} must be between 1 and 86400`,
    );
  return failures > 0 ? { failures, windowSeconds } : null;
}

const PROXY_KEYWORDS = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * Which proxies' `X-Forwarded-For` to believe (`DESCENT_TRUST_PROXY`), as Fastify's `trustProxy`:
 * unset (or `0`/`false`) the client is the socket's peer and the header is ignored (anyone could
 * write it). Otherwise a comma list of the proxies' addresses, CIDR ranges, or `loopback` /
 * `linklocal` / `uniquelocal`: a request from one of them is attributed to the address it
 * forwarded for (the right-most address of the header that is not itself a trusted proxy).
 * No hop count and no "trust everything": either would let a client that reaches the API directly
 * pick its own address, and so dodge the failed-auth throttle. Anything else throws, naming it.
 */
export function trustProxyFromEnv(env: Record<string, string | undefined>): false | string[] {
  const raw = (env.DESCENT_TRUST_PROXY ?? '').trim();
  if (raw === '' || raw === '0' || raw.toLowerCase() === 'false') return false;
  const items = raw.split(',').map((s) => s.trim());
  for (const item of items) {
    const [addr, bits, extra] = item.split('/');
    const family = isIP(addr ?? '');
    const okBits = bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (family === 6 ? 128 : 32));
    if (!PROXY_KEYWORDS.has(item) && !(family !== 0 && okBits && extra === undefined))
      throw new Error(
        `DESCENT_TRUST_PROXY must be a comma list of the proxies' addresses, CIDR ranges, loopback, linklocal or uniquelocal; got "${item}"`,
      );
  }
  return items;
}
