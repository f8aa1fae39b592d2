/**
 * Request examples of the OpenAPI document, one per request body and parameter: what Swagger
 * UI's "Try it out" sends. Each is a request the service accepts (test/api/openapi-examples.test.ts
 * sends every one; path ids are replaced by ones that exist there).
 */

/** `POST /v1/jobs` and `/v1/jobs/validate`: examples/iris-mlp-adam.json (a test keeps them equal). */
export const IRIS_JOB_SPEC_EXAMPLE = {
  model: { type: 'mlp', hidden: [16], activation: 'relu', dropout: 0 },
  data: { builtin: 'iris' },
  loss: 'cross_entropy',
  optimizer: { type: 'adam', lr: 0.01 },
  training: { epochs: 60, batchSize: 16, shuffle: true, seed: 0, validationSplit: 0.2 },
  metadata: { example: 'iris MLP, Adam, mini-batch' },
};

/** `POST /v1/datasets` as JSON: six iris rows (sepal and petal lengths), two classes. */
export const DATASET_JSON_EXAMPLE = {
  x: [
    [5.1, 3.5, 1.4, 0.2],
    [4.9, 3.0, 1.4, 0.2],
    [4.7, 3.2, 1.3, 0.2],
    [7.0, 3.2, 4.7, 1.4],
    [6.4, 3.2, 4.5, 1.5],
    [6.9, 3.1, 4.9, 1.5],
  ],
  y: [0, 0, 0, 1, 1, 1],
  featureNames: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'],
  targetNames: ['species'],
};

/** `POST /v1/datasets` as CSV: the same rows, the target in the last column. */
export const DATASET_CSV_EXAMPLE =
  'sepal_length,sepal_width,petal_length,petal_width,species\n' +
  DATASET_JSON_EXAMPLE.x.map((row, i) => [...row, DATASET_JSON_EXAMPLE.y[i]].join(',')).join('\n') +
  '\n';

/** `POST /v1/jobs/{id}/predict` and `/gradients`: two iris flowers (four features each). */
export const PREDICT_EXAMPLE = {
  inputs: [
    [5.1, 3.5, 1.4, 0.2],
    [6.7, 3.0, 5.2, 2.3],
  ],
};

/** `POST /v1/jobs/{id}/evaluate`: the two flowers of {@link PREDICT_EXAMPLE} and their true classes. */
const EVALUATE_EXAMPLE = { ...PREDICT_EXAMPLE, targets: [0, 2] };

/** `POST /v1/jobs/{id}/fork`: resume the newest checkpoint with a tenth of the iris example's lr. */
const FORK_EXAMPLE = { fromCheckpoint: 'last', changes: { optimizer: { lr: 0.001 } } };
/**
 * `POST /v1/sweeps` and `/v1/sweeps/validate`: a 2 × 2 grid of learning rate and momentum over a
 * short iris MLP, ranked by validation loss.
 */
export const SWEEP_EXAMPLE = {
  spec: {
    model: { type: 'mlp', hidden: [16], activation: 'relu' },
    data: { builtin: 'iris' },
    loss: 'cross_entropy',
    optimizer: { type: 'sgd', lr: 0.05, momentum: 0 },
    training: { epochs: 20, batchSize: 16, shuffle: true, seed: 0, validationSplit: 0.2 },
  },
  space: { 'optimizer.lr': { grid: [0.01, 0.1] }, 'optimizer.momentum': { grid: [0, 0.9] } },
  searcher: { type: 'grid' },
  metric: 'valLoss',
  mode: 'min',
  maxConcurrentTrials: 2,
  seed: 0,
  metadata: { example: 'lr × momentum grid' },
};

/** Request body examples by operationId and media type. */
export const REQUEST_BODY_EXAMPLES: Record<string, Record<string, unknown>> = {
  createJob: { 'application/json': IRIS_JOB_SPEC_EXAMPLE },
  validateJob: { 'application/json': IRIS_JOB_SPEC_EXAMPLE },
  uploadDataset: { 'application/json': DATASET_JSON_EXAMPLE, 'text/csv': DATASET_CSV_EXAMPLE },
  predict: { 'application/json': PREDICT_EXAMPLE },
  inputGradients: { 'application/json': PREDICT_EXAMPLE },
  evaluate: { 'application/json': EVALUATE_EXAMPLE },
  forkJob: { 'application/json': FORK_EXAMPLE },
  createWebhook: {
    'application/json': {
      url: 'https://example.com/hooks/descent',
      events: ['job.succeeded', 'job.failed', 'job.cancelled'],
      description: 'CI notifier',
    },
  },
  createSweep: { 'application/json': SWEEP_EXAMPLE },
  validateSweep: { 'application/json': SWEEP_EXAMPLE },
};

/** Example ids of the path parameter `{id}`, by the resource the path names. */
export const PATH_ID_EXAMPLES = {
  job: 'job_0mif3k2a1x7d9q2zk4',
  dataset: 'ds_0mx76uarq0005uaii76t6l',
  webhook: 'wh_0miq1v8c2000xk3c9d1e7a',
  delivery: 'dlv_0c1d2e3f4a5b6c7d8e9f0a1b2c',
  sweep: 'swp_0mif3k2a1x7d9q2zk4',
};

/**
 * Query parameter examples by operationId and name. Every one is valid on its own and together
 * (a cursor that names no job just gives an empty page).
 */
export const QUERY_EXAMPLES: Record<string, Record<string, string | number>> = {
  listJobs: {
    status: 'succeeded',
    limit: 20,
    after: PATH_ID_EXAMPLES.job,
    task: 'supervised',
    createdAfter: '2026-01-01T00:00:00Z',
    createdBefore: '2030-01-01T00:00:00Z',
    parent: PATH_ID_EXAMPLES.job,
    // the tenant of an open API (no keys); an admin key names any tenant
    tenant: 'default',
  },
  getJobMetrics: { maxPoints: 200 },
  getJobEvents: { after: '1764139200000-0', limit: 100 },
  getJobFeed: { after: '1764139200000-0', limit: 100 },
  getJobWeights: { format: 'json' },
  getJobModel: { format: 'onnx' },
  getJobContour: { xMin: -5, xMax: 5, yMin: -5, yMax: 5, n: 40 },
  uploadDataset: { target: 'species', name: 'iris-sample', types: 'species:categorical' },
  listDatasets: { limit: 20, after: PATH_ID_EXAMPLES.dataset },
  listWebhookDeliveries: { limit: 20 },
  listSweeps: { limit: 20, after: PATH_ID_EXAMPLES.sweep },
  getSweepEvents: { after: '1764139200000-0', limit: 100 },
  // the tenant of an open API (no keys); an admin key names any tenant
  getUsage: { tenant: 'default' },
};

/**
 * Header parameter examples by name: none. Swagger UI fills examples in, and a prefilled
 * `Idempotency-Key` would turn the next edited body into a 409, a prefilled `Last-Event-ID` an
 * SSE resume from an id the stream never sent.
 */
export const HEADER_EXAMPLES: Record<string, string> = {};
