import { referenceKernels } from './reference.js';
import type { Kernels } from './types.js';

let active: Kernels = referenceKernels;

/** The kernel backend every op uses now. */
export function kernels(): Kernels {
  return active;
}

/**
 * Switch the backend for the whole process (tests compare backends this way; the service picks
 * the fastest available one at start). Returns the previous backend so a caller can restore it.
 */
export function setKernels(k: Kernels): Kernels {
  const prev = active;
  active = k;
  return prev;
}
