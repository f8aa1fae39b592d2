/**
 * Per-tenant quotas and upload caps, read from the environment at boot (never at import time).
 *
 * | variable | meaning | default |
 * |---|---|---|
 * | `DESCENT_QUOTA_COMPUTE_SECONDS_PER_DAY` | training run time per tenant per UTC day; 0 = off | off |
 * | `DESCENT_QUOTA_STORED_BYTES` | datasets + weights + checkpoints a tenant may store; 0 = off | off |
 * | `DESCENT_QUOTA_OVERRIDES` | JSON `{"tenant": {"computeSecondsPerDay": n, "storedBytes": n}}`; 0 = no quota for that tenant | none |
 * | `DESCENT_MAX_CONCURRENT_UPLOADS` | dataset uploads one API process reads at once; 0 = off | 4 |
 * | `DESCENT_MAX_CONCURRENT_UPLOADS_PER_TENANT` | of those, one tenant's; 0 = off | 2 |
 * | `DESCENT_UPLOAD_CAP_RETRY_SECONDS` | `Retry-After` of an upload-cap 429 | 2 |
 *
 * Quotas are off by default (a local service has one user); the upload caps are on, because each
 * upload in flight holds its parsed table (up to `DESCENT_DATASET_BODY_LIMIT` of input) in the
 * API's memory.
 */

/** One tenant's quotas; null = none. */
export interface TenantQuota {
  computeSecondsPerDay: number | null;
  storedBytes: number | null;
}

export interface QuotaConfig extends TenantQuota {
  /** Per-tenant overrides of either quota (a key absent = the deployment's value). */
  overrides: ReadonlyMap<string, Partial<TenantQuota>>;
  /** Uploads one API process reads at once (all tenants); null = no cap. */
  maxUploads: number | null;
  /** Uploads one tenant may have in flight on one API process; null = no cap. */
  maxUploadsPerTenant: number | null;
  /** `Retry-After` (s) of an upload-cap refusal. */
  uploadRetrySeconds: number;
}

export const QUOTA_DEFAULTS = Object.freeze({ maxUploads: 4, maxUploadsPerTenant: 2, uploadRetrySeconds: 2 });

function count(env: Record<string, string | undefined>, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name}=${raw} is not a non-negative number`);
  return v;
}

const orNull = (v: number | undefined): number | null => (v === undefined || v === 0 ? null : v);

function parseOverrides(raw: string | undefined): Map<string, Partial<TenantQuota>> {
  const out = new Map<string, Partial<TenantQuota>>();
  if (raw === undefined || raw.trim() === '') return out;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error(
      'DESCENT_QUOTA_OVERRIDES is not JSON: expected {"tenant": {"computeSecondsPerDay": n, "storedBytes": n}}',
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new Error('DESCENT_QUOTA_OVERRIDES must be a JSON object of tenant → quotas');
  for (const [tenant, q] of Object.entries(parsed as Record<string, unknown>)) {
    if (typeof q !== 'object' || q === null)
      throw new Error(`DESCENT_QUOTA_OVERRIDES.${tenant} must be an object`);
    const o: Partial<TenantQuota> = {};
    for (const [k, v] of Object.entries(q as Record<string, unknown>)) {
      if (k !== 'computeSecondsPerDay' && k !== 'storedBytes')
        throw new Error(
          `DESCENT_QUOTA_OVERRIDES.${tenant}.${k}: expected computeSecondsPerDay or storedBytes`,
        );
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
        throw new Error(`DESCENT_QUOTA_OVERRIDES.${tenant}.${k} must be a non-negative number`);
      o[k] = v === 0 ? null : v;
    }
    out.set(tenant, o);
  }
  return out;
}

/** The quota settings of a deployment. Malformed values throw, naming the variable. */
export function quotaConfigFromEnv(env: Record<string, string | undefined>): QuotaConfig {
  const uploads = count(env, 'DESCENT_MAX_CONCURRENT_UPLOADS') ?? QUOTA_DEFAULTS.maxUploads;
  const perTenant =
    count(env, 'DESCENT_MAX_CONCURRENT_UPLOADS_PER_TENANT') ?? QUOTA_DEFAULTS.maxUploadsPerTenant;
  return {
    computeSecondsPerDay: orNull(count(env, 'DESCENT_QUOTA_COMPUTE_SECONDS_PER_DAY')),
    storedBytes: orNull(count(env, 'DESCENT_QUOTA_STORED_BYTES')),
    overrides: parseOverrides(env.DESCENT_QUOTA_OVERRIDES),
    maxUploads: uploads > 0 ? Math.floor(uploads) : null,
    maxUploadsPerTenant: perTenant > 0 ? Math.floor(perTenant) : null,
    uploadRetrySeconds: Math.max(
      1,
      Math.ceil(count(env, 'DESCENT_UPLOAD_CAP_RETRY_SECONDS') ?? QUOTA_DEFAULTS.uploadRetrySeconds),
    ),
  };
}

/** The quotas that apply to one tenant: its override where it has one, else the deployment's. */
export function quotaFor(cfg: QuotaConfig, tenant: string): TenantQuota {
  const o = cfg.overrides.get(tenant) ?? {};
  return {
    computeSecondsPerDay:
      o.computeSecondsPerDay !== undefined ? o.computeSecondsPerDay : cfg.computeSecondsPerDay,
    storedBytes: o.storedBytes !== undefined ? o.storedBytes : cfg.storedBytes,
  };
}
