import type { Kernels } from '../types.js';

/**
 * The optional OpenBLAS backend (Tier 2). Not built yet: always null, so selection falls through to wasm.
 */
export function createNativeKernels(_fallback: Kernels): Kernels | null {
  return null;
}
