/**
 * The layers of docs/architecture.md ("Layers" table), enforced: `npm run lint` runs
 * `depcruise src workers` with this file and fails on any import the table does not allow.
 * Each rule names a folder and the folders of ours it may NOT reach (everything of ours except
 * its "may import" column); change a rule only together with that table.
 */
/* global module */

/** Every folder of ours: a path into one of these is "ours" for the layer rules. */
const OURS = '^(src|workers|test|bench|scripts)/';

/**
 * One rule per layer: `folder` may import only itself and `allowed` (folder paths relative to
 * the repo root, as regex fragments).
 */
function layer(name, folder, allowed, comment) {
  // a folder allows everything under it; a path ending in `$` allows that one file
  const own = [folder, ...allowed].map((p) => (p.endsWith('$') ? `^${p}` : `^${p}/`));
  return {
    name: `layer-${name}`,
    comment,
    severity: 'error',
    from: { path: `^${folder}/` },
    to: { path: OURS, pathNot: own },
  };
}

module.exports = {
  forbidden: [
    layer('catalog', 'src/catalog', [], 'src/catalog is plain data: it imports nothing of ours'),
    layer('rng', 'src/rng', [], 'src/rng imports nothing of ours'),
    layer(
      'tensor',
      'src/tensor',
      [],
      'src/tensor imports nothing of ours (dropout takes a structural { next() })',
    ),
    layer('optim', 'src/optim', ['src/tensor', 'src/catalog'], 'src/optim may import tensor and catalog'),
    layer('models', 'src/models', ['src/tensor', 'src/rng'], 'src/models may import tensor and the Rng type'),
    layer('data', 'src/data', ['src/rng', 'src/catalog'], 'src/data may import rng and catalog'),
    layer(
      'expr',
      'src/expr',
      ['src/tensor', 'src/optim', 'src/rng', 'src/contracts'],
      'src/expr may import tensor, optim, rng and contracts (types)',
    ),
    layer(
      'rl',
      'src/rl',
      ['src/tensor', 'src/optim', 'src/rng', 'src/contracts'],
      'src/rl may import tensor, optim, rng and contracts (types)',
    ),
    layer(
      'train',
      'src/train',
      ['src/tensor', 'src/optim', 'src/models', 'src/data', 'src/rng', 'src/contracts', 'src/expr', 'src/rl'],
      'src/train may import tensor, optim, models, data, rng, contracts, expr and rl; never queue, api or workers',
    ),
    layer('contracts', 'src/contracts', ['src/catalog'], 'src/contracts may import catalog (and zod)'),
    layer(
      'sweep',
      'src/sweep',
      ['src/contracts', 'src/rng'],
      'src/sweep (planning and scheduling sweeps, pure) may import contracts and rng',
    ),
    layer(
      'queue',
      'src/queue',
      ['src/contracts', 'src/sweep', 'src/data', 'src/tensor'],
      'src/queue may import contracts, sweep, and the types of what it stores: Dataset (data), weights (tensor)',
    ),
    layer(
      'api',
      'src/api',
      ['src/contracts', 'src/queue', 'src/sweep', 'src/models', 'src/expr', 'src/data'],
      'src/api may import contracts, queue, sweep, models, expr and data (uploads parsed at the door)',
    ),
    layer(
      'workers',
      'workers',
      ['src/train', 'src/queue', 'src/sweep', 'src/contracts', 'src/data', 'src/tensor/kernels/select\\.ts$'],
      "workers may import train, queue, sweep, contracts, data (loading a job's dataset) and the kernel selection",
    ),
    layer(
      'cli',
      'src/cli',
      ['src/api', 'src/queue', 'src/contracts', 'src/train/speed\\.ts$'],
      'src/cli may import api, queue, contracts and src/train/speed.ts',
    ),
    {
      name: 'type-only-imports',
      comment: 'where the table says "(types)" or "the Rng type", only `import type` crosses',
      severity: 'error',
      from: { path: '^src/(expr|rl)/' },
      to: { path: '^src/contracts/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'queue-stored-types-only',
      comment: 'src/queue stores datasets and weights; it names their types and runs none of that code',
      severity: 'error',
      from: { path: '^src/queue/' },
      to: { path: '^src/(data|tensor)/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'models-rng-type-only',
      comment: 'src/models takes an Rng from its caller; it never makes one',
      severity: 'error',
      from: { path: '^src/models/' },
      to: { path: '^src/rng/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'pure-layers-no-packages',
      comment:
        'the engine layers (and src/sweep) use no npm package: no Redis, no HTTP, no zod below contracts',
      severity: 'error',
      from: { path: '^src/(catalog|rng|tensor|optim|models|data|expr|rl|train|sweep)/' },
      to: { dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'contracts-only-zod',
      comment: 'src/contracts is zod schemas and nothing else from npm',
      severity: 'error',
      from: { path: '^src/contracts/' },
      to: {
        dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'],
        pathNot: '(^|/)node_modules/zod/',
      },
    },
    {
      name: 'no-circular',
      comment: 'no import circle between files, except the ops/elementwise <-> ops/reduce pair (rule below)',
      severity: 'error',
      from: { pathNot: '^src/tensor/ops/(elementwise|reduce)\\.ts$' },
      to: { circular: true },
    },
    {
      name: 'no-circular-elementwise',
      comment:
        'elementwise and reduce import each other (vjps written with ops); no other circle through them',
      severity: 'error',
      from: { path: '^src/tensor/ops/elementwise\\.ts$' },
      to: { circular: true, pathNot: '^src/tensor/ops/reduce\\.ts$' },
    },
    {
      name: 'no-circular-reduce',
      comment: 'see no-circular-elementwise',
      severity: 'error',
      from: { path: '^src/tensor/ops/reduce\\.ts$' },
      to: { circular: true, pathNot: '^src/tensor/ops/elementwise\\.ts$' },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'an import that does not resolve is a typo or a missing dependency',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
