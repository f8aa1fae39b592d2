/**
 * Service settings, read from the environment once at boot (never at import time) and passed
 * down explicitly, so tests can build several differently configured instances in one process.
 */
export interface ServiceConfig {
  redisUrl: string;
  /** Prefix of every Redis key we and BullMQ write. A `{hash tag}` keeps one job's keys in one Cluster slot. */
  prefix: string;
  /** Queue name inside the prefix. */
  queueName: string;
  /** How long finished jobs, their streams and weights are kept (ms); 0 keeps them forever. */
  retentionMs: number;
  /** Approximate cap of one job's event stream (`XADD MAXLEN ~`). */
  streamMaxLen: number;
  /** Minimum gap between two progress events of one job (ms); the contract says 100. */
  progressEveryMs: number;
  /** How often a running job saves a checkpoint (ms). */
  checkpointEveryMs: number;
  /**
   * Checkpoints `GET /jobs/{id}/checkpoints` lists; the blob of each is kept too (a fork starts
   * from any of them), so memory per running job is up to this many checkpoints.
   */
  checkpointKeep: number;
  /**
   * How long the checkpoint blobs of a finished job are kept (ms), for forks after the end
   * (DESCENT_CHECKPOINT_RETENTION, seconds, default 7 days); 0 drops them when the job ends. Never
   * longer than the job itself (`retentionMs`, when that is not 0).
   */
  checkpointRetentionMs: number;
  /**
   * Starts a job may take before it is given up (`failed`, WORKER_LOST): crashes and stalls count,
   * hand-backs by a stopping worker do not. 0 = no cap.
   */
  maxStarts: number;
  /**
   * How long a running job may take to stop after a cancel before its worker kills the training
   * process (a step that never yields) and ends the job `cancelled` itself (ms).
   */
  cancelGraceMs: number;
  /**
   * BullMQ job lock (ms). A killed worker's job is taken over once its lock has expired and a
   * stalled check has seen it: at most `lockDurationMs + stalledIntervalMs` after the kill.
   */
  lockDurationMs: number;
  /**
   * BullMQ `lockRenewTime` (ms): the worker looks every half of it and renews locks older than
   * half of it, so a lock is renewed every ½–1× this. Must be below `lockDurationMs`; the margin
   * is how long the worker's event loop or its Redis link may stall before the job is re-run.
   */
  lockRenewMs: number;
  /** BullMQ stalled-job check interval (ms). */
  stalledIntervalMs: number;
  /** Worker heartbeat period (ms); `/readyz` wants one newer than 3 periods. */
  heartbeatMs: number;
  /** BullMQ attempts per job (crashes and transient errors; bad specs fail at once). */
  attempts: number;
  /** How long an Idempotency-Key is remembered (ms). */
  idempotencyTtlMs: number;
  /** SSE heartbeat comment period (ms). */
  ssePingMs: number;
  /** Body limits (bytes): JSON requests, dataset uploads. */
  bodyLimit: number;
  datasetBodyLimit: number;
  /** Wall time allowed to decode one Parquet upload (ms); a corrupted file can loop forever. */
  parquetTimeoutMs: number;
  /** Tenant keys of DESCENT_API_KEYS: key → tenant (scope write). Empty and no file = open (local use). */
  apiKeys: Map<string, string>;
  /**
   * DESCENT_API_KEYS_FILE: `tenant key [scope]` a line, reloaded on SIGHUP and on change
   * (src/api/key-file.ts, key-store.ts); null = none. Set, the API needs a key even if it lists none.
   */
  apiKeysFile?: string | null;
  /** How often the key file is checked for changes (ms, DESCENT_API_KEYS_POLL_MS, default 250); 0 = only on SIGHUP. */
  apiKeysPollMs?: number;
  /** Webhooks: allow http:// URLs (DESCENT_WEBHOOK_ALLOW_HTTP=1; https only otherwise). */
  webhookAllowHttp: boolean;
  /** Webhooks: allow loopback/private/link-local targets (DESCENT_WEBHOOK_ALLOW_PRIVATE=1; local testing only). */
  webhookAllowPrivate: boolean;
  /** Tries per delivery (the first and its retries). */
  webhookAttempts: number;
  /** Delay before the first retry (ms); each next one is `webhookRetryFactor` times longer, ±20 % jitter. */
  webhookRetryBaseMs: number;
  webhookRetryFactor: number;
  /** Per-attempt timeout (ms): connect, send and the response's first 64 KiB. */
  webhookTimeoutMs: number;
  /** An endpoint that has not taken a delivery for this long is disabled (ms). */
  webhookDisableAfterMs: number;
  /** Deliveries in flight per webhook process. */
  webhookConcurrency: number;
  /** Endpoints one tenant may register. */
  webhookMaxEndpoints: number;
  /**
   * Hard ceiling of one training job's memory (MB, `DESCENT_JOB_MAX_HEAP_MB`): each job trains in
   * a worker thread whose limit is derived from its estimate and never above this.
   */
  jobMaxHeapMb: number;
}

function num(env: NodeJS.ProcessEnv, name: string, dflt: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return dflt;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  return v;
}

/** Parse `tenant:key,tenant:key` into key → tenant. */
export function parseApiKeys(raw: string | undefined): Map<string, string> {
  const map = new Map<string, string>();
  if (!raw) return map;
  for (const pair of raw.split(',')) {
    const trimmed = pair.trim();
    if (!trimmed) continue;
    const i = trimmed.indexOf(':');
    if (i <= 0 || i === trimmed.length - 1)
      throw new Error(`DESCENT_API_KEYS entries must be tenant:key, got "${trimmed}"`);
    map.set(trimmed.slice(i + 1), trimmed.slice(0, i));
  }
  return map;
}

/** Read the configuration from an environment (defaults are production-sane). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  // Crash recovery within ~10 s (lock 5 s + stalled check 1 s + a new attempt's start); a
  // renewal every ≤ 1 s leaves 4 s of slack before a busy worker would lose a lock it holds.
  const lockDurationMs = num(env, 'DESCENT_LOCK_MS', 5000);
  const lockRenewMs = num(env, 'DESCENT_LOCK_RENEW_MS', lockDurationMs / 5);
  if (lockRenewMs <= 0 || lockRenewMs >= lockDurationMs)
    throw new Error(
      `DESCENT_LOCK_RENEW_MS must be above 0 and below DESCENT_LOCK_MS (${lockDurationMs}), got ${lockRenewMs}`,
    );
  return {
    redisUrl: env.REDIS_URL || 'redis://127.0.0.1:6379',
    prefix: env.DESCENT_PREFIX || '{descent}',
    queueName: env.DESCENT_QUEUE || 'train',
    retentionMs: num(env, 'DESCENT_RETENTION_SECONDS', 7 * 24 * 3600) * 1000,
    streamMaxLen: num(env, 'DESCENT_STREAM_MAXLEN', 100_000),
    progressEveryMs: num(env, 'DESCENT_PROGRESS_MS', 100),
    checkpointEveryMs: num(env, 'DESCENT_CHECKPOINT_MS', 5000),
    checkpointKeep: Math.max(1, num(env, 'DESCENT_CHECKPOINT_KEEP', 20)),
    checkpointRetentionMs: num(env, 'DESCENT_CHECKPOINT_RETENTION', 7 * 24 * 3600) * 1000,
    maxStarts: num(env, 'DESCENT_MAX_STARTS', 10),
    cancelGraceMs: num(env, 'DESCENT_CANCEL_GRACE_MS', 5000),
    lockDurationMs,
    lockRenewMs,
    stalledIntervalMs: num(env, 'DESCENT_STALLED_MS', 1000),
    heartbeatMs: num(env, 'DESCENT_HEARTBEAT_MS', 5000),
    attempts: Math.max(1, num(env, 'DESCENT_ATTEMPTS', 3)),
    idempotencyTtlMs: num(env, 'DESCENT_IDEMPOTENCY_TTL_SECONDS', 24 * 3600) * 1000,
    ssePingMs: num(env, 'DESCENT_SSE_PING_MS', 15_000),
    bodyLimit: num(env, 'DESCENT_BODY_LIMIT', 1024 * 1024),
    datasetBodyLimit: num(env, 'DESCENT_DATASET_BODY_LIMIT', 32 * 1024 * 1024),
    parquetTimeoutMs: num(env, 'DESCENT_PARQUET_TIMEOUT_MS', 10_000),
    apiKeys: parseApiKeys(env.DESCENT_API_KEYS),
    apiKeysFile: env.DESCENT_API_KEYS_FILE || null,
    apiKeysPollMs: num(env, 'DESCENT_API_KEYS_POLL_MS', 250),
    webhookAllowHttp: env.DESCENT_WEBHOOK_ALLOW_HTTP === '1',
    webhookAllowPrivate: env.DESCENT_WEBHOOK_ALLOW_PRIVATE === '1',
    webhookAttempts: Math.max(1, num(env, 'DESCENT_WEBHOOK_ATTEMPTS', 10)),
    // 5 s × 3.25^k, k = 0…8: the 10th try comes ≈ 25 h after the first
    webhookRetryBaseMs: num(env, 'DESCENT_WEBHOOK_RETRY_BASE_MS', 5000),
    webhookRetryFactor: Math.max(1, num(env, 'DESCENT_WEBHOOK_RETRY_FACTOR', 3.25)),
    webhookTimeoutMs: Math.max(1, num(env, 'DESCENT_WEBHOOK_TIMEOUT_MS', 10_000)),
    webhookDisableAfterMs: num(env, 'DESCENT_WEBHOOK_DISABLE_AFTER_SECONDS', 5 * 24 * 3600) * 1000,
    webhookConcurrency: Math.max(1, num(env, 'DESCENT_WEBHOOK_CONCURRENCY', 32)),
    webhookMaxEndpoints: Math.max(1, num(env, 'DESCENT_WEBHOOK_MAX_ENDPOINTS', 20)),
    jobMaxHeapMb: Math.max(16, num(env, 'DESCENT_JOB_MAX_HEAP_MB', 4096)),
  };
}
