/**
 * The small interface every hot loop goes through. `reference.ts` is the plain TypeScript
 * implementation and the oracle in tests; faster backends (WebAssembly SIMD, native BLAS) implement
 * the same functions and are checked against it.
 *
 * All arrays are contiguous, row-major, and of one dtype per call (a backend may assume
 * `a`, `b` and `out` are all Float32Array or all Float64Array).
 */
export type FloatArray = Float32Array | Float64Array;

export type BinaryOp = 'add' | 'sub' | 'mul' | 'div';

export interface Kernels {
  /** Human-readable backend name, logged at start and shown by /readyz. */
  readonly name: string;

  /**
   * General matrix multiply, `C = op(A)·op(B)` or, with `accumulate`, `C += op(A)·op(B)`.
   * `op(A)` is m×k: A is stored m×k, or k×m when `transA`. `op(B)` is k×n: B is stored k×n,
   * or n×k when `transB`. C is m×n. Arrays may be subarrays (views) of larger buffers.
   */
  matmul(
    a: FloatArray,
    b: FloatArray,
    c: FloatArray,
    m: number,
    n: number,
    k: number,
    transA: boolean,
    transB: boolean,
    accumulate: boolean,
  ): void;

  /**
   * `batch` products at once: for t in [0, batch), `C_t = op(A_t)·op(B_t)` with `A_t` the m×k (k×m when
   * `transA`) matrix starting at element `t·strideA` of `a`, `B_t` at `t·strideB` of `b` and `C_t` (m×n) at
   * `t·strideC` of `c`. A stride of 0 broadcasts that operand over the batch (one weight matrix against a batch
   * of inputs); `strideC` must be ≥ m·n so the products do not overlap. C is overwritten (no accumulate), and
   * elements of `c` between the products are left as they were.
   *
   * Each product is computed by the same code path as a {@link Kernels.matmul} call of that shape that reaches
   * the backend's own kernel, so it matches per-product calls bit for bit there; a backend may choose that path
   * by the size of the whole batch rather than of one product (tiny products are worth its kernel once there
   * are many). It exists because attention and per-time-step products are many small matrices, where one call
   * per product (and, for wasm, one copy in and out per product) costs more than the arithmetic.
   */
  matmulBatched(
    a: FloatArray,
    b: FloatArray,
    c: FloatArray,
    batch: number,
    m: number,
    n: number,
    k: number,
    transA: boolean,
    transB: boolean,
    strideA: number,
    strideB: number,
    strideC: number,
  ): void;

  /** `out[i] = a[i] op b[i]` for equal-length contiguous arrays. */
  binary(op: BinaryOp, a: FloatArray, b: FloatArray, out: FloatArray): void;

  /**
   * `out[r*cols + c] = a[r*cols + c] op row[c]`: the broadcast of a row vector over a matrix,
   * the shape of every bias add in a network.
   */
  binaryRow(op: BinaryOp, a: FloatArray, row: FloatArray, out: FloatArray, rows: number, cols: number): void;

  /** `out[c] = Σ_r a[r*cols + c]`: column sums, the gradient of a broadcast bias. */
  sumRows(a: FloatArray, out: FloatArray, rows: number, cols: number): void;

  /**
   * Optional: the forward pass of one float32 LSTM direction over a whole sequence, as
   * src/tensor/ops/recurrent-cell.ts's `lstmSequence` loop computes it (its header has the maths). `xg`
   * [T·n, 4H] time-major input gates, `whh` [4H, H]; fills `acts` [T·n, 4H] (i, f, g, o after their
   * activations), `cs` (c), `tcs` (tanh c) and `hs` (h), each [T·n, H]; `reverse` runs t = T−1 … 0.
   * Each stored σ/tanh must be within 4 float32 ulps of its exact value (that loop, double maths rounded
   * once, is within ½), which keeps float32 results far inside the float32 golden tolerances (1e-5
   * against torch's float64). It exists because one call per sequence replaces T matmul calls (and, for
   * wasm, T copies in and out) and lets the transcendentals run vectorised. Deterministic: the same
   * inputs give the same bits. Returns false to decline (the caller then runs its own loop).
   */
  lstmForward?(
    xg: Float32Array,
    whh: Float32Array,
    acts: Float32Array,
    cs: Float32Array,
    tcs: Float32Array,
    hs: Float32Array,
    T: number,
    n: number,
    H: number,
    reverse: boolean,
  ): boolean;

  /**
   * Optional: the backward pass through time of {@link Kernels.lstmForward}'s sequence (recurrent-cell.ts's
   * `lstmBackward` loop): from `gh` [T·n, H] (∂L/∂h_t) and the saved `acts`, `cs`, `tcs`, writes `dxg`
   * [T·n, 4H]; ∂W_hh is the caller's (one matmul over all steps). The arithmetic must be that loop's (+ − ×
   * in double, the same order, one rounding per stored float32), so only the per-step ∂a·W_hh matmul's
   * summation order may differ from it. Returns false to decline.
   */
  lstmBackward?(
    gh: Float32Array,
    acts: Float32Array,
    cs: Float32Array,
    tcs: Float32Array,
    whh: Float32Array,
    dxg: Float32Array,
    T: number,
    n: number,
    H: number,
    reverse: boolean,
  ): boolean;
}
