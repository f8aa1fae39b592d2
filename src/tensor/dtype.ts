/** Element types: every tensor stores float32 or float64 in one contiguous typed array. */
export type DType = 'float32' | 'float64';
export type FloatArray = Float32Array | Float64Array;

/**
 * Parameters (and buffers) by name, in torch `state_dict()` order (object insertion order), each a
 * row-major typed array with its shape: what training returns, prediction reads and safetensors
 * stores. `integer` marks a buffer torch holds as int64 (num_batches_tracked), held as floats here.
 */
export type NamedWeights = Record<string, { shape: number[]; data: FloatArray; integer?: boolean }>;

/**
 * Recycles the op outputs of one training step into the next: a fresh typed array per op costs
 * more than its kernel on small models (V8 scavenges on external-memory pressure), while a step's
 * intermediates never outlive it. Arrays taken while the arena records are handed back by
 * `recycle()` once the step is over; `take` zero-fills, so ops see exactly what `new` gives them.
 */
export class StepArena {
  private readonly free = new Map<number, FloatArray[]>();
  private used: FloatArray[] = [];
  private readonly freeIndex = new Map<number, Int32Array[]>();
  private usedIndex: Int32Array[] = [];
  /**
   * @param poison fill recycled arrays with NaN and never reuse them: a debug mode that turns any
   * array escaping a step into NaNs the golden and determinism tests would catch.
   */
  constructor(private readonly poison = false) {}

  take(dtype: DType, n: number): FloatArray {
    // One key per (dtype, length): lengths are integers, so 2n and 2n + 1 never collide.
    const list = this.free.get(2 * n + (dtype === 'float64' ? 1 : 0));
    const hit = list?.pop();
    let a: FloatArray;
    if (hit) {
      a = hit;
      a.fill(0);
    } else {
      a = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
    }
    this.used.push(a);
    return a;
  }

  /** A zeroed Int32Array of n elements (max-pool argmax indices), recycled like the floats. */
  takeIndex(n: number): Int32Array {
    const hit = this.freeIndex.get(n)?.pop();
    const a = hit ? hit.fill(0) : new Int32Array(n);
    this.usedIndex.push(a);
    return a;
  }

  /** Hands every array taken since the last call back for reuse: none of them may be read again. */
  recycle(): void {
    for (const a of this.usedIndex) {
      if (this.poison) {
        // −1 is no index of any tensor: a scatter through an escaped index array throws or NaNs.
        a.fill(-1);
        continue;
      }
      let list = this.freeIndex.get(a.length);
      if (!list) this.freeIndex.set(a.length, (list = []));
      list.push(a);
    }
    this.usedIndex = [];
    for (const a of this.used) {
      if (this.poison) {
        // Never reused, so an escaped array stays NaN instead of being silently overwritten.
        a.fill(NaN);
        continue;
      }
      const key = 2 * a.length + (a instanceof Float64Array ? 1 : 0);
      let list = this.free.get(key);
      if (!list) this.free.set(key, (list = []));
      list.push(a);
    }
    this.used = [];
  }
}

let arena: StepArena | null = null;

/**
 * Routes `allocate` through `a` (or back to fresh arrays with null) and returns the previous
 * arena, so scopes nest.
 */
export function useArena(a: StepArena | null): StepArena | null {
  const prev = arena;
  arena = a;
  return prev;
}

/** A zeroed Int32Array of n elements: fresh, or a recycled one while a step arena records. */
export function allocateIndex(n: number): Int32Array {
  return arena !== null ? arena.takeIndex(n) : new Int32Array(n);
}

/** A zeroed array of n elements: fresh, or a recycled one while a step arena records. */
export function allocate(dtype: DType, n: number): FloatArray {
  if (arena !== null) return arena.take(dtype, n);
  return dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
}

export function dtypeOf(a: FloatArray): DType {
  return a instanceof Float64Array ? 'float64' : 'float32';
}

/** Type promotion of a binary op: float64 wins, as in PyTorch. */
export function promote(a: DType, b: DType): DType {
  return a === 'float64' || b === 'float64' ? 'float64' : 'float32';
}
