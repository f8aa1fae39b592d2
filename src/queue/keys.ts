/**
 * Every Redis key Descent writes, in one place. All keys start with the configured prefix, which
 * by default is a Cluster hash tag (`{descent}`), so multi-key scripts over a job's hash, stream
 * and weights run in one slot.
 */
export interface Keys {
  prefix: string;
  job(id: string): string;
  events(id: string): string;
  weights(id: string): string;
  /** The latest checkpoint blob (enough to resume). */
  checkpoint(id: string): string;
  /** Metadata of the last N checkpoints, newest first (list of JSON). */
  checkpoints(id: string): string;
  /**
   * The blobs of the listed checkpoints by step (hash: step → JSON), which forks start from; kept
   * for DESCENT_CHECKPOINT_RETENTION after the job ends.
   */
  checkpointBlobs(id: string): string;
  /** `init.fromJob`: the parent's tensors this job starts from (safetensors), until it ends. */
  initWeights(id: string): string;
  /** Newest-first index of one tenant's jobs (sorted set, lexicographic ids, score 0). */
  jobIndex(tenant: string): string;
  idempotency(tenant: string, keyHash: string): string;
  /** Ids of one tenant's jobs that may hold a slot of the job cap (sorted set, see active-jobs.ts). */
  active(tenant: string): string;
  dataset(id: string): string;
  /**
   * One chunk of a stored table column (`CHUNK_ROWS` rows of values), or the column's category list.
   * Outside the `dataset:` namespace, so a scan of dataset hashes never meets one.
   */
  datasetChunk(id: string, column: number, chunk: number | 'categories'): string;
  /**
   * One tenant's job status feed (stream of `status` events of all its jobs, oldest first, capped
   * at JOB_FEED_MAXLEN): written by the job scripts beside each job's own stream (FEED in
   * scripts.ts derives this key from the job key: keep the two in step).
   */
  jobFeed(tenant: string): string;
  /** Newest-first index of one tenant's datasets (sorted set, lexicographic ids, score 0). */
  datasetIndex(tenant: string): string;
  /** Set once every dataset stored before the per-tenant index existed has been indexed. */
  datasetIndexBuilt: string;
  /** Worker heartbeats: sorted set member = worker id, score = last beat (ms). */
  workers: string;
  workerInfo: string;
  /** Pub/sub channel on which the API asks the owning worker to abort a job. */
  cancelChannel: string;
  /** One webhook endpoint (hash: url, events, secrets, state). */
  webhook(id: string): string;
  /** One tenant's endpoints (sorted set, score = creation time ms: the oldest is the default). */
  webhookIndex(tenant: string): string;
  /** One endpoint's deliveries (sorted set, score = creation time ms). */
  webhookDeliveries(endpointId: string): string;
  /** One delivery (hash: event, body, status) and its attempts (list of JSON, oldest first). */
  webhookDelivery(id: string): string;
  webhookAttempts(deliveryId: string): string;
  /**
   * The transactional outbox: the job scripts append each job event here in the same script that
   * changes the job, so no ended job can lose its webhook; the dispatcher turns entries into
   * deliveries (src/webhooks/dispatcher.ts).
   */
  webhookOutbox: string;
  /** A sweep's hash: request, scheduler state and its version (src/queue/sweep-store.ts). */
  sweep(id: string): string;
  /** A sweep's event stream (`status`, `trial`, `rung`, `best`, `end`). */
  sweepEvents(id: string): string;
  /** A sweep's actions decided but not yet carried out (list of `seq|json`, oldest first). */
  sweepPending(id: string): string;
  /** A sweep's trial specs (hash: trial index → JobSpec JSON). */
  sweepSpecs(id: string): string;
  /** Newest-first index of one tenant's sweeps (sorted set, lexicographic ids, score 0). */
  sweepIndex(tenant: string): string;
  /** Ids of the sweeps not finished yet: what the reconcilers look at. */
  sweepsActive: string;
  /** One tenant's usage of one UTC day (hash: `computeMs`), see src/queue/usage-store.ts. */
  usage(tenant: string, day: string): string;
}

export function createKeys(prefix: string): Keys {
  const p = prefix;
  return {
    prefix: p,
    job: (id) => `${p}:job:${id}`,
    events: (id) => `${p}:job:${id}:events`,
    weights: (id) => `${p}:job:${id}:weights`,
    checkpoint: (id) => `${p}:job:${id}:checkpoint`,
    checkpoints: (id) => `${p}:job:${id}:checkpoints`,
    checkpointBlobs: (id) => `${p}:job:${id}:checkpoint-blobs`,
    initWeights: (id) => `${p}:job:${id}:init`,
    jobIndex: (tenant) => `${p}:jobs:${tenant}`,
    usage: (tenant, day) => `${p}:usage:${tenant}:${day}`,
    jobFeed: (tenant) => `${p}:job-feed:${tenant}`,
    idempotency: (tenant, keyHash) => `${p}:idem:${tenant}:${keyHash}`,
    active: (tenant) => `${p}:active:${tenant}`,
    dataset: (id) => `${p}:dataset:${id}`,
    datasetChunk: (id, column, chunk) => `${p}:dataset-chunk:${id}:${column}:${chunk}`,
    datasetIndex: (tenant) => `${p}:datasets:${tenant}`,
    datasetIndexBuilt: `${p}:datasets-indexed`,
    workers: `${p}:workers`,
    workerInfo: `${p}:workers:info`,
    cancelChannel: `${p}:cancel`,
    webhook: (id) => `${p}:webhook:${id}`,
    webhookIndex: (tenant) => `${p}:webhooks:${tenant}`,
    webhookDeliveries: (id) => `${p}:webhook:${id}:deliveries`,
    webhookDelivery: (id) => `${p}:webhook-delivery:${id}`,
    webhookAttempts: (id) => `${p}:webhook-delivery:${id}:attempts`,
    webhookOutbox: `${p}:webhook-outbox`,
    sweep: (id) => `${p}:sweep:${id}`,
    sweepEvents: (id) => `${p}:sweep:${id}:events`,
    sweepPending: (id) => `${p}:sweep:${id}:pending`,
    sweepSpecs: (id) => `${p}:sweep:${id}:specs`,
    sweepIndex: (tenant) => `${p}:sweeps:${tenant}`,
    sweepsActive: `${p}:sweeps-active`,
  };
}
