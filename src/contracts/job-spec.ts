/**
 * The JobSpec: what a client POSTs to `/v1/jobs` (see `shared/design/api-v1.md`).
 *
 * One zod schema is the single source of the TypeScript types, the validation (with precise paths and
 * messages) and the OpenAPI document. Objects are strict (unknown keys are refused, so a typo such as
 * `learningRate` fails loudly instead of being ignored) and every default is filled in, so the parsed
 * value (`JobSpec`) is the normalized spec stored with the job.
 *
 * Optimizer hyper-parameters and defaults are PyTorch's (`torch.optim`, camelCased); where PyTorch has
 * no default (SGD's `lr`) the field is required.
 *
 * No transforms are used, so the schema converts to JSON Schema both as input and as output. Cross-field
 * rules live in `superRefine` checks.
 *
 * A deployment with other limits builds its own schema with {@link createJobSpecSchema}.
 *
 * The parts, one file each under job-spec/: common (number rules, enums, dataset shapes), optimizer,
 * schedule, model, data, training, tasks (the three tasks and JobSpec), checks (cross-field and
 * against the data), estimate.
 */
// Installs the contracts' validation messages (did-you-mean, Required, union variants).
import './messages.js';

export * from './job-spec/common.js';
export * from './job-spec/optimizer.js';
export * from './job-spec/schedule.js';
export * from './job-spec/tasks.js';
export * from './job-spec/schemas.js';
export * from './job-spec/checks.js';
export * from './job-spec/estimate.js';
export * from './job-spec/webhook.js';
