/**
 * Job specs the API tests share. Frozen: a test that needs a variant spreads it
 * (`{ ...TINY_LINEAR_SPEC, metadata: { … } }`).
 */

/** The smallest supervised job: linear regression, SGD, on three inline rows of two features. */
export const TINY_LINEAR_SPEC = Object.freeze({
  model: { type: 'linear' },
  data: {
    inline: {
      x: [
        [1, 2],
        [3, 4],
        [5, 7],
      ],
      y: [1, 2, 3],
    },
  },
  loss: 'mse',
  optimizer: { type: 'sgd', lr: 0.1 },
});

/**
 * A linear job that a worker finishes in moments (full batch, no shuffle, `epochs` epochs) on three
 * inline rows, with the given metadata: the integration tests' job.
 */
export const quickLinearSpec = (metadata: Record<string, string> = {}, epochs = 2) => ({
  model: { type: 'linear' },
  data: {
    inline: {
      x: [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      y: [1, 2, 3],
    },
  },
  loss: 'mse',
  optimizer: { type: 'sgd', lr: 0.1 },
  training: { epochs, batchSize: 'full', shuffle: false },
  metadata,
});
