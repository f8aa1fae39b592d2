import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  JobSpecSchema,
  OptimizerSpecSchema,
  ScheduleSpecSchema,
  createJobSpecSchema,
  dataIssues,
  estimateJob,
  outputWidth,
  resolveMonitor,
  validationRows,
  type JobSpec,
  type JobSpecInput,
  type SupervisedJobSpec,
} from '../../../src/contracts/job-spec.js';
import { DEFAULT_LIMITS } from '../../../src/contracts/limits.js';

/** Issues as [path, message] with a JSON-pointer-like path, the way problem+json reports them. */
function issues(input: unknown, schema: z.ZodType = JobSpecSchema): Array<[string, string]> {
  const r = schema.safeParse(input);
  if (r.success) return [];
  return r.error.issues.map((i) => ['/' + i.path.join('/'), i.message]);
}

function parse(input: JobSpecInput): JobSpec {
  const r = JobSpecSchema.safeParse(input);
  if (!r.success) throw new Error(JSON.stringify(r.error.issues, null, 1));
  return r.data;
}

function supervised(input: Record<string, unknown>): SupervisedJobSpec {
  const s = parse({
    model: { type: 'linear' },
    data: { builtin: 'iris' },
    loss: 'cross_entropy',
    ...input,
  } as JobSpecInput);
  if (s.task !== 'supervised') throw new Error('not supervised');
  return s;
}

const base = { model: { type: 'linear' }, data: { builtin: 'iris' }, loss: 'cross_entropy' } as const;

// The JobSpec block of api-v1.md, written out with its first alternative everywhere.
const apiExample = {
  model: { type: 'mlp', hidden: [64, 32], activation: 'relu', dropout: 0 },
  data: { builtin: 'iris' },
  loss: 'cross_entropy',
  optimizer: { type: 'sgd', lr: 0.01, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 },
  schedule: { type: 'step', stepSize: 30, gamma: 0.1 },
  regularization: { l1: 0, l2: 0 },
  training: {
    epochs: 100,
    batchSize: 32,
    shuffle: true,
    seed: 0,
    validationSplit: 0,
    dtype: 'float32',
    earlyStopping: { patience: 10, minDelta: 0 },
    gradClipNorm: null,
  },
  init: { scheme: 'default', weights: { weight: [[0.5, -0.3, 0.8]], bias: [0.1] } },
  metadata: { any: 'string' },
};

describe('api-v1.md examples', () => {
  it('accepts the JobSpec example as written', () => {
    const s = parse(apiExample as JobSpecInput);
    expect(s.task).toBe('supervised');
    expect(s.optimizer).toEqual({
      type: 'sgd',
      lr: 0.01,
      momentum: 0,
      dampening: 0,
      nesterov: false,
      weightDecay: 0,
      maximize: false,
    });
  });

  it.each([
    [{ model: { type: 'linear' } }],
    [{ data: { datasetId: 'ds_abc123' } }],
    [
      {
        data: {
          inline: {
            x: [
              [0.5, 1.2],
              [0.1, 0.3],
            ],
            y: [1, 0],
          },
        },
        model: { type: 'linear' },
        init: {},
      },
    ],
    [
      {
        data: {
          inline: {
            x: [[0.5], [0.1]],
            y: [
              [1, 2],
              [3, 4],
            ],
          },
        },
        loss: 'mse',
        model: { type: 'linear' },
        init: {},
      },
    ],
    [{ loss: 'mse', data: { builtin: 'linear_regression' }, init: {} }],
    [{ loss: 'mae', data: { builtin: 'linear_regression' }, init: {} }],
    [{ loss: 'huber', huberDelta: 0.5, data: { builtin: 'linear_regression' }, init: {} }],
    [{ loss: 'bce', data: { builtin: 'xor' }, init: {} }],
    [
      {
        optimizer: {
          type: 'adagrad',
          lr: 0.01,
          lrDecay: 0,
          initialAccumulatorValue: 0,
          eps: 1e-10,
          weightDecay: 0,
        },
      },
    ],
    [
      {
        optimizer: {
          type: 'rmsprop',
          lr: 0.01,
          alpha: 0.99,
          eps: 1e-8,
          momentum: 0,
          centered: false,
          weightDecay: 0,
        },
      },
    ],
    [
      {
        optimizer: {
          type: 'adam',
          lr: 0.001,
          betas: [0.9, 0.999],
          eps: 1e-8,
          weightDecay: 0,
          amsgrad: false,
        },
      },
    ],
    [
      {
        optimizer: {
          type: 'adamw',
          lr: 0.001,
          betas: [0.9, 0.999],
          eps: 1e-8,
          weightDecay: 0,
          amsgrad: false,
        },
      },
    ],
    [
      {
        optimizer: { type: 'newton', damping: 1e-4, lineSearch: true },
        schedule: null,
        training: { batchSize: 'full' },
      },
    ],
    [{ schedule: { type: 'exponential', gamma: 0.99 } }],
    [{ schedule: { type: 'cosine', tMax: 100, etaMin: 0 } }],
    [{ schedule: { type: 'linear', startFactor: 0.1, endFactor: 1, totalIters: 10 } }],
    [{ training: { ...apiExample.training, batchSize: 'full', dtype: 'float64' } }],
  ])('accepts the documented alternative %j', (patch) => {
    expect(issues({ ...apiExample, ...patch })).toEqual([]);
  });
});

describe('defaults', () => {
  it('fills every default of a minimal spec', () => {
    const s = parse(base);
    expect(s).toEqual({
      task: 'supervised',
      model: { type: 'linear' },
      data: { builtin: 'iris' },
      preprocess: {
        numeric: 'none',
        categorical: 'onehot',
        missing: 'error',
        unknownCategory: 'error',
        perColumn: {},
      },
      loss: 'cross_entropy',
      huberDelta: 1,
      optimizer: {
        type: 'adam',
        lr: 1e-3,
        betas: [0.9, 0.999],
        eps: 1e-8,
        weightDecay: 0,
        amsgrad: false,
        maximize: false,
      },
      schedule: null,
      regularization: { l1: 0, l2: 0 },
      training: {
        epochs: 100,
        batchSize: 32,
        shuffle: true,
        seed: 0,
        validationSplit: 0,
        testSplit: 0,
        dtype: 'float32',
        earlyStopping: null,
        gradClipNorm: null,
      },
      init: { scheme: 'default' },
      metadata: {},
    });
  });

  it('gives each optimizer the torch.optim defaults', () => {
    const d = (o: unknown) => OptimizerSpecSchema.parse(o);
    expect(d({ type: 'sgd', lr: 0.1 })).toEqual({
      type: 'sgd',
      lr: 0.1,
      momentum: 0,
      dampening: 0,
      nesterov: false,
      weightDecay: 0,
      maximize: false,
    });
    expect(d({ type: 'adagrad' })).toEqual({
      type: 'adagrad',
      lr: 0.01,
      lrDecay: 0,
      initialAccumulatorValue: 0,
      eps: 1e-10,
      weightDecay: 0,
      maximize: false,
    });
    expect(d({ type: 'rmsprop' })).toEqual({
      type: 'rmsprop',
      lr: 0.01,
      alpha: 0.99,
      eps: 1e-8,
      momentum: 0,
      centered: false,
      weightDecay: 0,
      maximize: false,
    });
    expect(d({ type: 'adam' })).toMatchObject({
      lr: 1e-3,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weightDecay: 0,
      amsgrad: false,
    });
    expect(d({ type: 'adamw' })).toMatchObject({
      lr: 1e-3,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weightDecay: 1e-2,
      amsgrad: false,
    });
    expect(d({ type: 'nadam' })).toEqual({
      type: 'nadam',
      lr: 2e-3,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weightDecay: 0,
      momentumDecay: 4e-3,
    });
    expect(d({ type: 'radam' })).toEqual({
      type: 'radam',
      lr: 1e-3,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weightDecay: 0,
    });
    expect(d({ type: 'newton' })).toEqual({
      type: 'newton',
      damping: 1e-4,
      lineSearch: true,
      cgThreshold: 500,
    });
    expect(d({ type: 'lbfgs' })).toEqual({
      type: 'lbfgs',
      lr: 1,
      maxIter: 20,
      toleranceGrad: 1e-7,
      toleranceChange: 1e-9,
      historySize: 100,
      lineSearchFn: null,
    });
  });

  it('gives each schedule the torch defaults and per "epoch"', () => {
    const d = (o: unknown) => ScheduleSpecSchema.parse(o);
    expect(d({ type: 'step', stepSize: 5 })).toEqual({ type: 'step', stepSize: 5, gamma: 0.1, per: 'epoch' });
    expect(d({ type: 'exponential', gamma: 0.9 })).toEqual({ type: 'exponential', gamma: 0.9, per: 'epoch' });
    expect(d({ type: 'cosine', tMax: 10 })).toEqual({ type: 'cosine', tMax: 10, etaMin: 0, per: 'epoch' });
    expect(d({ type: 'linear', per: 'step' })).toEqual({
      type: 'linear',
      startFactor: 1 / 3,
      endFactor: 1,
      totalIters: 5,
      per: 'step',
    });
    expect(d({ type: 'onecycle', maxLr: 0.1 })).toEqual({
      type: 'onecycle',
      maxLr: 0.1,
      pctStart: 0.3,
      annealStrategy: 'cos',
      cycleMomentum: true,
      baseMomentum: 0.85,
      maxMomentum: 0.95,
      divFactor: 25,
      finalDivFactor: 1e4,
      threePhase: false,
      per: 'epoch',
    });
  });

  it('fills mlp, early stopping and init defaults', () => {
    const s = supervised({
      model: { type: 'mlp', hidden: [8] },
      training: { earlyStopping: {}, validationSplit: 0.2 },
    });
    expect(s.model).toEqual({ type: 'mlp', hidden: [8], activation: 'relu', dropout: 0 });
    expect(s.training.earlyStopping).toEqual({
      patience: 10,
      minDelta: 0,
      monitor: 'auto',
      restoreBest: false,
    });
    expect(resolveMonitor(s.training)).toBe('valLoss');
    expect(resolveMonitor(supervised({ training: { earlyStopping: {} } }).training)).toBe('loss');
    expect(resolveMonitor(supervised({}).training)).toBeNull();
  });

  it('treats a spec without task as supervised, and fills minimize and reinforce defaults', () => {
    expect(parse(base).task).toBe('supervised');
    expect(
      parse({
        task: 'minimize',
        objective: { builtin: 'rosenbrock' },
        start: { x: -1.5, y: 2 },
        optimizer: { type: 'newton' },
      }),
    ).toEqual({
      task: 'minimize',
      objective: { builtin: 'rosenbrock' },
      start: { x: -1.5, y: 2 },
      steps: 100,
      optimizer: { type: 'newton', damping: 1e-4, lineSearch: true, cgThreshold: 500 },
      schedule: null,
      dtype: 'float64',
      metadata: {},
    });
    const r = parse({ task: 'reinforce', env: { type: 'gridworld' } });
    expect(r).toMatchObject({
      task: 'reinforce',
      env: { type: 'gridworld', size: 5, slip: 0, maxSteps: 100 },
      episodes: 500,
      gamma: 0.99,
      baseline: 'running_mean',
      entropyCoef: 0,
      policy: { hidden: [32], activation: 'tanh' },
      optimizer: { type: 'adam', lr: 0.01 },
      seed: 0,
    });
  });

  it('is idempotent: a normalized spec parses to itself', () => {
    const s = parse(apiExample as JobSpecInput);
    expect(parse(s as JobSpecInput)).toEqual(s);
  });
});

describe('refusals name the path and what to change', () => {
  it('refuses unknown keys at every level', () => {
    const [[path, message]] = issues({ ...base, learningRate: 1 });
    expect(path).toBe('/');
    expect(message).toMatch(/^Unknown key "learningRate" \(allowed here: .*\boptimizer\b.*\)$/);
    expect(issues({ ...base, optimizer: { type: 'adam', learningRate: 1 } })).toEqual([
      ['/optimizer', 'Unknown key "learningRate": did you mean "lr"?'],
    ]);
    expect(issues({ ...base, training: { epoch: 3 } })).toEqual([
      ['/training', 'Unknown key "epoch": did you mean "epochs"?'],
    ]);
  });

  it('requires sgd lr (torch has no default)', () => {
    expect(issues({ ...base, optimizer: { type: 'sgd' } })[0][0]).toBe('/optimizer/lr');
  });

  it('refuses an unknown optimizer type with the known ones listed', () => {
    const [[path, message]] = issues({ ...base, optimizer: { type: 'adamax' } });
    expect(path).toBe('/optimizer/type');
    expect(message).toContain('sgd');
  });

  it('checks nesterov needs momentum and no dampening', () => {
    expect(issues({ ...base, optimizer: { type: 'sgd', lr: 0.1, nesterov: true } })).toEqual([
      ['/optimizer/nesterov', 'nesterov needs momentum > 0 and dampening 0 (got momentum 0, dampening 0)'],
    ]);
    expect(
      issues({
        ...base,
        optimizer: { type: 'sgd', lr: 0.1, nesterov: true, momentum: 0.9, dampening: 0.1 },
      })[0][1],
    ).toContain('dampening 0.1');
    expect(issues({ ...base, optimizer: { type: 'sgd', lr: 0.1, nesterov: true, momentum: 0.9 } })).toEqual(
      [],
    );
  });

  it('checks adam betas are in [0, 1)', () => {
    expect(issues({ ...base, optimizer: { type: 'adam', betas: [1, 0.999] } })).toEqual([
      ['/optimizer/betas/0', 'betas[0] must be in [0, 1)'],
    ]);
    expect(issues({ ...base, optimizer: { type: 'adamw', betas: [0.9, -0.1] } })[0][0]).toBe(
      '/optimizer/betas/1',
    );
  });

  it('refuses negative hyper-parameters and non-finite numbers', () => {
    expect(issues({ ...base, optimizer: { type: 'sgd', lr: -1 } })).toEqual([
      ['/optimizer/lr', 'lr must be ≥ 0'],
    ]);
    expect(issues({ ...base, optimizer: { type: 'sgd', lr: Infinity } })[0][0]).toBe('/optimizer/lr');
    expect(issues({ ...base, optimizer: { type: 'sgd', lr: NaN } })[0][0]).toBe('/optimizer/lr');
    expect(issues({ ...base, training: { epochs: 2.5 } })[0][0]).toBe('/training/epochs');
    expect(issues({ ...base, training: { validationSplit: 1 } })).toEqual([
      ['/training/validationSplit', 'validationSplit must be in [0, 1)'],
    ]);
  });

  it('requires the full batch for newton and lbfgs', () => {
    expect(issues({ ...base, optimizer: { type: 'newton' } })).toEqual([
      [
        '/training/batchSize',
        'optimizer newton works on the full batch: set training.batchSize to "full" (it is 32)',
      ],
    ]);
    expect(issues({ ...base, optimizer: { type: 'lbfgs' }, training: { batchSize: 16 } })[0]).toEqual([
      '/training/batchSize',
      'optimizer lbfgs works on the full batch: set training.batchSize to "full" (it is 16)',
    ]);
  });

  it('refuses a schedule for newton and cycleMomentum for adagrad', () => {
    expect(
      issues({
        ...base,
        optimizer: { type: 'newton' },
        training: { batchSize: 'full' },
        schedule: { type: 'exponential', gamma: 0.9 },
      })[0][0],
    ).toBe('/schedule');
    expect(
      issues({ ...base, optimizer: { type: 'adagrad' }, schedule: { type: 'onecycle', maxLr: 0.1 } })[0][0],
    ).toBe('/schedule/cycleMomentum');
    expect(
      issues({
        ...base,
        optimizer: { type: 'adagrad' },
        schedule: { type: 'onecycle', maxLr: 0.1, cycleMomentum: false },
      }),
    ).toEqual([]);
  });

  it('checks onecycle totalSteps covers the run', () => {
    expect(issues({ ...base, schedule: { type: 'onecycle', maxLr: 0.1, totalSteps: 50 } })).toEqual([
      [
        '/schedule/totalSteps',
        'schedule.totalSteps is 50 but training takes 100 schedule steps (per epoch); raise totalSteps or leave it out',
      ],
    ]);
    // iris: 150 rows, batch 32 → 5 steps per epoch → 500 steps.
    expect(
      issues({ ...base, schedule: { type: 'onecycle', maxLr: 0.1, totalSteps: 499, per: 'step' } })[0][1],
    ).toContain('training takes 500 schedule steps');
    expect(
      issues({ ...base, schedule: { type: 'onecycle', maxLr: 0.1, totalSteps: 500, per: 'step' } }),
    ).toEqual([]);
  });

  it('needs exactly one data source', () => {
    expect(issues({ ...base, data: {} })).toEqual([
      ['/data', 'data needs exactly one of builtin, datasetId or inline (got none)'],
    ]);
    expect(issues({ ...base, data: { builtin: 'iris', datasetId: 'ds_1' } })).toEqual([
      ['/data', 'data needs exactly one of builtin, datasetId or inline (got builtin and datasetId)'],
    ]);
    expect(issues({ ...base, data: { builtin: 'mnist' } })[0][0]).toBe('/data/builtin');
    expect(issues({ ...base, data: { datasetId: '12' } })[0]).toEqual([
      '/data/datasetId',
      'datasetId must look like "ds_…" (letters, digits, _ and -)',
    ]);
  });

  it('checks inline data is rectangular with one y per row', () => {
    const inline = (x: unknown, y: unknown) => issues({ ...base, loss: 'mse', data: { inline: { x, y } } });
    expect(inline([[1, 2], [3]], [1, 2])).toEqual([
      ['/data/inline/x/1', 'x is not rectangular: row 1 has 1 value, row 0 has 2'],
    ]);
    expect(inline([[1], [2]], [1])).toEqual([['/data/inline/y', 'y has 1 row but x has 2']]);
    expect(inline([[1], [2]], [[1, 2], [3]])[0][0]).toBe('/data/inline/y/1');
    expect(inline([[1], [2]], [1, [3]])[0]).toEqual([
      '/data/inline/y/1',
      'y mixes numbers and arrays: row 1 is an array, row 0 a number',
    ]);
    expect(inline([], [])[0]).toEqual(['/data/inline/x', 'x needs at least one row']);
    expect(inline([[1, 'a']], [1])[0][0]).toBe('/data/inline/x/0/1');
  });

  it('checks labels against the loss', () => {
    const inline = (loss: string, y: unknown, model: object = { type: 'linear' }) =>
      issues({ model, loss, data: { inline: { x: [[1], [2], [3]], y } } });
    expect(inline('bce', [0, 1, 2])).toEqual([
      ['/data/inline/y', 'loss bce needs labels in [0, 1]; data.inline.y has labels from 0 to 2'],
    ]);
    expect(inline('bce', [0, 0.5, 1])).toEqual([]);
    expect(inline('cross_entropy', [0, 1.5, 2])[0][1]).toBe(
      'loss cross_entropy needs class indices (integers ≥ 0); data.inline.y holds non-integer values',
    );
    expect(inline('cross_entropy', [0, -1, 2])[0][1]).toContain('negative');
    expect(inline('cross_entropy', [[0], [1], [2]])).toEqual([]);
    expect(
      inline('cross_entropy', [
        [0, 1],
        [1, 1],
        [2, 1],
      ])[0][1],
    ).toBe('loss cross_entropy takes one label column; data.inline.y has 2 target columns');
    expect(inline('cross_entropy', [0, 1, 4], { type: 'linear', classes: 3 })).toEqual([
      ['/model/classes', 'model.classes is 3 but data.inline.y has label 4'],
    ]);
    expect(inline('mse', [0, 1, 2], { type: 'linear', classes: 3 })).toEqual([
      ['/model/classes', 'model.classes applies to loss cross_entropy only (loss is mse)'],
    ]);
    expect(issues({ ...base, loss: 'bce' })).toEqual([
      ['/loss', 'loss bce needs labels in [0, 1]; dataset iris has labels from 0 to 2'],
    ]);
    expect(issues({ ...base, data: { builtin: 'linear_regression' } })).toEqual([
      [
        '/loss',
        'loss cross_entropy needs class labels; dataset linear_regression is a regression dataset (use mse, mae or huber)',
      ],
    ]);
  });

  it('checks earlyStopping on valLoss needs a validation split', () => {
    expect(issues({ ...base, training: { earlyStopping: { monitor: 'valLoss' } } })).toEqual([
      [
        '/training/earlyStopping/monitor',
        'earlyStopping.monitor "valLoss" needs validationSplit > 0 (it is 0); monitor "loss" or set validationSplit',
      ],
    ]);
  });

  it('checks init.weights are rectangular finite arrays (shapes against the model come later)', () => {
    expect(issues({ ...base, init: { weights: { weight: [[1, 2], [3]] } } })).toEqual([
      ['/init/weights/weight/1', 'array is not rectangular: [1] should have 2 elements (shape [2,2])'],
    ]);
    expect(issues({ ...base, init: { weights: { bias: [1, 'x'] } } })).toEqual([
      ['/init/weights/bias/1', 'element [1] is not a finite number'],
    ]);
    expect(issues({ ...base, init: { weights: { w: [[[[[1]]]]] } } })).toEqual([
      [
        '/init/weights/w',
        'array nesting depth is 5; the limit is 4 (DESCENT_LIMIT_MAX_ARRAY_DEPTH raises it)',
      ],
    ]);
    // Wrong shapes for the model pass here on purpose.
    expect(issues({ ...base, init: { weights: { weight: [[1, 2]], nonsense: [1] } } })).toEqual([]);
  });

  it('checks minimize and reinforce specs', () => {
    expect(
      issues({
        task: 'minimize',
        objective: { builtin: 'beale' },
        start: { x: 1 },
        optimizer: { type: 'adam' },
      }),
    ).toEqual([
      ['/start', 'objective beale is a function of x and y: start needs exactly x and y (missing y)'],
    ]);
    expect(
      issues({
        task: 'minimize',
        objective: 'x^2 + y^2',
        start: { x: 1, y: 2 },
        optimizer: { type: 'sgd', lr: 0.1 },
      }),
    ).toEqual([]);
    expect(
      issues({ task: 'minimize', objective: '', start: { x: 1 }, optimizer: { type: 'sgd', lr: 0.1 } })[0][0],
    ).toBe('/objective');
    expect(
      issues({
        task: 'minimize',
        objective: 'x',
        start: { '1x': 1 },
        optimizer: { type: 'sgd', lr: 0.1 },
      })[0][0],
    ).toBe('/start/1x');
    expect(
      issues({ task: 'reinforce', env: { type: 'cartpole' }, optimizer: { type: 'newton' } })[0][0],
    ).toBe('/optimizer/type');
    expect(issues({ task: 'reinforce', env: { type: 'atari' } })[0][0]).toBe('/env/type');
    expect(issues({ task: 'cluster' })[0][0]).toBe('/task');
  });
});

describe('limits name the limit and the value', () => {
  it('refuses too many hidden layers, too wide a layer, too many epochs', () => {
    expect(issues({ ...base, model: { type: 'mlp', hidden: Array(40).fill(4) } })).toEqual([
      ['/model/hidden', 'hidden has 40 layers; the limit is 16 (DESCENT_LIMIT_MAX_HIDDEN_LAYERS raises it)'],
    ]);
    expect(issues({ ...base, model: { type: 'mlp', hidden: [8, 100000] } })).toEqual([
      [
        '/model/hidden/1',
        'hidden layer width is 100000; the limit is 8192 (DESCENT_LIMIT_MAX_HIDDEN_WIDTH raises it)',
      ],
    ]);
    expect(issues({ ...base, training: { epochs: 1e6 } })).toEqual([
      ['/training/epochs', 'epochs is 1000000; the limit is 100000 (DESCENT_LIMIT_MAX_EPOCHS raises it)'],
    ]);
  });

  it('refuses too many parameters for a known dataset', () => {
    expect(issues({ ...base, model: { type: 'mlp', hidden: [4096, 4096] } })).toEqual([
      [
        '/model',
        'the model has 16814083 parameters; the limit is 5000000 (DESCENT_LIMIT_MAX_PARAMETERS raises it)',
      ],
    ]);
  });

  it('refuses rows × epochs over the limit', () => {
    const small = createJobSpecSchema({ ...DEFAULT_LIMITS, maxRowsTimesEpochs: 10_000 });
    expect(issues({ ...base, training: { epochs: 100 } }, small)).toEqual([
      [
        '/training/epochs',
        'rows × epochs is 150 × 100 = 15000; the limit is 10000 (DESCENT_LIMIT_MAX_ROWS_TIMES_EPOCHS raises it)',
      ],
    ]);
  });

  it('refuses big inline data, metadata and strings', () => {
    const small = createJobSpecSchema({ ...DEFAULT_LIMITS, maxInlineRows: 2, maxFeatures: 2 });
    expect(
      issues({ ...base, loss: 'mse', data: { inline: { x: [[1], [2], [3]], y: [1, 2, 3] } } }, small),
    ).toEqual([['/data/inline/x', 'x has 3 rows; the limit is 2 (DESCENT_LIMIT_MAX_INLINE_ROWS raises it)']]);
    expect(issues({ ...base, loss: 'mse', data: { inline: { x: [[1, 2, 3]], y: [1] } } }, small)).toEqual([
      ['/data/inline/x/0', 'x has 3 features; the limit is 2 (DESCENT_LIMIT_MAX_FEATURES raises it)'],
    ]);
    const many = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v']));
    expect(issues({ ...base, metadata: many })).toEqual([
      ['/metadata', 'metadata has 33 keys; the limit is 32 (DESCENT_LIMIT_MAX_METADATA_KEYS raises it)'],
    ]);
    expect(issues({ ...base, metadata: { k: 'v'.repeat(2000) } })).toEqual([
      [
        '/metadata/k',
        'metadata value has 2000 characters; the limit is 1024 (DESCENT_LIMIT_MAX_METADATA_VALUE_LENGTH raises it)',
      ],
    ]);
    expect(issues({ ...base, data: { datasetId: 'ds_' + 'a'.repeat(300) } })[0]).toEqual([
      '/data/datasetId',
      'datasetId has 303 characters; the limit is 256 (DESCENT_LIMIT_MAX_STRING_LENGTH raises it)',
    ]);
  });

  it('refuses a policy that is too big', () => {
    const small = createJobSpecSchema({ ...DEFAULT_LIMITS, maxParameters: 100 });
    expect(issues({ task: 'reinforce', env: { type: 'cartpole' }, policy: { hidden: [32] } }, small)).toEqual(
      [
        [
          '/policy/hidden',
          'the policy has 226 parameters; the limit is 100 (DESCENT_LIMIT_MAX_PARAMETERS raises it)',
        ],
      ],
    );
  });

  it('exposes the same checks for uploaded datasets', () => {
    const s = supervised({ data: { datasetId: 'ds_x' }, model: { type: 'mlp', hidden: [100] } });
    expect(
      dataIssues(s, { rows: 1000, features: 10, targets: 1, labels: { integer: true, min: 0, max: 9 } }),
    ).toEqual([]);
    expect(
      dataIssues(s, {
        rows: 1000,
        features: 100000,
        targets: 1,
        labels: { integer: true, min: 0, max: 9 },
      }).map((i) => i.message),
    ).toEqual(['the dataset has 100000 features; the limit is 10000 (DESCENT_LIMIT_MAX_FEATURES raises it)']);
    expect(
      dataIssues(s, { rows: 10, features: 3, targets: 1, labels: { integer: false, min: 0, max: 1 } })[0]
        .path,
    ).toEqual(['loss']);
  });
});

describe('estimate', () => {
  it('counts parameters, steps and bytes', () => {
    const s = supervised({
      model: { type: 'mlp', hidden: [64, 32] },
      training: { epochs: 10, batchSize: 32, validationSplit: 0.2 },
    });
    const e = estimateJob(
      s,
      150,
      4,
      outputWidth(s.loss, { targets: 1, labels: { integer: true, min: 0, max: 2 } }),
    );
    // (4+1)·64 + (64+1)·32 + (32+1)·3 = 320 + 2080 + 99
    expect(e.parameters).toBe(2499);
    // 150 − 30 = 120 training rows → 4 batches of 32 (the last 24).
    expect(e.stepsPerEpoch).toBe(4);
    expect(e.totalSteps).toBe(40);
    expect(e.bytes).toBeGreaterThan(2499 * 4 * 4);
    expect(estimateJob(supervised({ training: { batchSize: 'full' } }), 150, 4, 3)).toMatchObject({
      parameters: 15,
      stepsPerEpoch: 1,
      totalSteps: 100,
    });
  });

  it('estimates minimize and reinforce jobs', () => {
    expect(
      estimateJob(
        parse({
          task: 'minimize',
          objective: 'x^2',
          start: { x: 1 },
          optimizer: { type: 'sgd', lr: 0.1 },
          steps: 7,
        }),
      ),
    ).toMatchObject({ parameters: 1, stepsPerEpoch: 1, totalSteps: 7 });
    // cartpole 4 → 32 → 2: 160 + 66
    expect(estimateJob(parse({ task: 'reinforce', env: { type: 'cartpole' }, episodes: 20 }))).toMatchObject({
      parameters: 226,
      totalSteps: 20,
    });
  });

  it('holds out ⌈rows·fraction⌉ rows', () => {
    expect(validationRows(150, 0.2)).toBe(30);
    expect(validationRows(30, 0.1)).toBe(3);
    expect(validationRows(4, 0.2)).toBe(1);
    expect(validationRows(10, 0)).toBe(0);
  });
});

describe('types', () => {
  it('types a plain client literal as JobSpecInput without casts', () => {
    const input: JobSpecInput = {
      model: { type: 'mlp', hidden: [4] },
      data: { inline: { x: [[1], [2]], y: [0, 1] } },
      loss: 'bce',
      optimizer: { type: 'sgd', lr: 0.1 },
      training: { batchSize: 'full' },
    };
    const spec: JobSpec = JobSpecSchema.parse(input);
    expect(spec.task === 'supervised' && spec.training.batchSize).toBe('full');
  });
});

describe('OpenAPI', () => {
  it('converts to JSON Schema as input and as output', () => {
    const input = JSON.stringify(z.toJSONSchema(JobSpecSchema, { io: 'input' }));
    const output = JSON.stringify(z.toJSONSchema(JobSpecSchema, { io: 'output' }));
    expect(input).toContain('torch.optim.SGD');
    expect(output).toContain('"additionalProperties":false');
  });
});
