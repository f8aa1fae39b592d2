/** src/optim public surface: first-order optimizers, schedules, state codec, Newton and L-BFGS. */
export * from './types.js';
export * from './sgd.js';
export * from './adagrad.js';
export * from './rmsprop.js';
export * from './adam.js';
export * from './adamw.js';
export * from './nadam.js';
export * from './radam.js';
export * from './registry.js';
export * from './schedules.js';
export * from './state-codec.js';
export * from './newton.js';
export * from './lbfgs.js';
export * from './eigen.js';
