/**
 * The contracts: zod schemas that are the single source of types, validation and the OpenAPI
 * document. Imports zod only.
 */
export * from './limits.js';
export * from './job-spec.js';
export * from './dataset.js';
export * from './job.js';
export * from './events.js';
export * from './problem.js';
