import { setKernels } from './active.js';
import { createNativeKernels } from './native/index.js';
import { referenceKernels } from './reference.js';
import type { Kernels } from './types.js';
import { createWasmKernels } from './wasm/index.js';

export type BackendName = 'typescript' | 'wasm' | 'native';

const cache = new Map<BackendName, Kernels | null>();

/** Build (once) the named backend; null when it cannot run here (e.g. the native addon is not built). */
export function loadBackend(name: BackendName): Kernels | null {
  if (!cache.has(name)) {
    let k: Kernels | null;
    if (name === 'typescript') k = referenceKernels;
    else if (name === 'wasm') k = createWasmKernels(referenceKernels);
    else k = createNativeKernels(createWasmKernels(referenceKernels) ?? referenceKernels);
    cache.set(name, k);
  }
  return cache.get(name) ?? null;
}

/** Backends that can run in this process, fastest first. */
export function availableBackends(): BackendName[] {
  return (['native', 'wasm', 'typescript'] as const).filter((n) => loadBackend(n) !== null);
}

/**
 * The fastest available backend: native (OpenBLAS addon) > wasm (SIMD) > typescript.
 * `DESCENT_KERNELS=typescript|wasm|native` forces one, and it is an error when the forced one is unavailable
 * (a benchmark or test that asked for native must not silently measure something else).
 */
export function selectKernels(forced: string | undefined = process.env.DESCENT_KERNELS): Kernels {
  if (forced !== undefined && forced !== '') {
    if (forced !== 'typescript' && forced !== 'wasm' && forced !== 'native')
      throw new Error(`DESCENT_KERNELS must be typescript, wasm or native (got "${forced}")`);
    const k = loadBackend(forced);
    if (!k) throw new Error(`DESCENT_KERNELS=${forced}: that backend is not available in this process`);
    return k;
  }
  for (const name of availableBackends()) return loadBackend(name)!;
  return referenceKernels;
}

/** Select the fastest backend (or the forced one) and make it the process-wide one. Returns it. */
export function useFastestKernels(forced?: string): Kernels {
  const k = selectKernels(forced ?? process.env.DESCENT_KERNELS);
  setKernels(k);
  return k;
}
