/** Element types: every tensor stores float32 or float64 in one contiguous typed array. */
export type DType = 'float32' | 'float64';
export type FloatArray = Float32Array | Float64Array;

/**
 * Parameters (and buffers) by name, in torch `state_dict()` order (object insertion order), each a
 * row-major typed array with its shape: what training returns, prediction reads and safetensors
 * stores. `integer` marks a buffer torch holds as int64 (num_batches_tracked), held as floats here.
 */
export type NamedWeights = Record<string, { shape: number[]; data: FloatArray; integer?: boolean }>;

export function allocate(dtype: DType, n: number): FloatArray {
  return dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
}

export function dtypeOf(a: FloatArray): DType {
  return a instanceof Float64Array ? 'float64' : 'float32';
}

/** Type promotion of a binary op: float64 wins, as in PyTorch. */
export function promote(a: DType, b: DType): DType {
  return a === 'float64' || b === 'float64' ? 'float64' : 'float32';
}
