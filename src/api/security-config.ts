/**
 * Per-tenant request rate and job cap, read from the environment at boot (never at import time).
 *
 * | variable | meaning | default with `DESCENT_API_KEYS` | default without |
 * |---|---|---|---|
 * | `DESCENT_RATE_LIMIT_PER_MINUTE` | sustained `/v1` requests per minute per tenant (token refill); 0 = off | 600 | off |
 * | `DESCENT_RATE_LIMIT_BURST` | bucket size: requests a tenant may make at once | 120 | = per minute |
 * | `DESCENT_MAX_ACTIVE_JOBS` | queued + running (+ cancelling) jobs per tenant; 0 = off | 20 | off |
 * | `DESCENT_JOB_CAP_RETRY_SECONDS` | `Retry-After` sent with a job-cap 429 | 15 | 15 |
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
}

export const SECURITY_DEFAULTS = Object.freeze({
  ratePerMinute: 600,
  rateBurst: 120,
  maxActiveJobs: 20,
  jobCapRetrySeconds: 15,
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
  };
}
