import type { BinaryOp, FloatArray, Kernels } from '../types.js';
import type { AdamKernelArgs, LossKernels, OptimizerKernels, SgdKernelArgs } from './optim-types.js';
import { wasmRuntime, type WasmRuntime, type WasmVariant } from './loader.js';

export { wasmRuntime, type WasmVariant } from './loader.js';
export type { LossKernels, OptimizerKernels } from './optim-types.js';

/** Below this many elements the copies and the call cost more than the TypeScript loss loop. */
const LOSS_MIN_ELEMENTS = 256;

/** Below this many parameters the copies and the call cost more than the TypeScript loop. */
const OPTIM_MIN_ELEMENTS = 1024;

/** The WebAssembly SIMD backend, plus optional allocation in its memory (zero-copy operands). */
export interface WasmKernels extends Kernels, OptimizerKernels, LossKernels {
  /**
   * A zeroed array of `length` elements living in the kernels' own memory. Kernels read and write such
   * arrays in place; any other array is copied into a scratch arena and (for outputs) back out.
   * Call {@link WasmKernels.free} when done; it is reused by the next alloc of the same size class.
   */
  alloc(length: number, dtype: 'float32' | 'float64'): FloatArray;
  /** Give back an array from {@link WasmKernels.alloc}. The array must not be used afterwards. */
  free(arr: FloatArray): void;
  /** Bytes copied into and out of wasm memory so far (to check the copies don't eat the gain). */
  readonly copiedBytes: number;
  /** 'relaxed' when the GEMM micro-kernels use relaxed-SIMD fused multiply-add, else 'simd128'. */
  readonly variant: WasmVariant;
  /** Always present here (declines only float64). */
  lstmForward: NonNullable<Kernels['lstmForward']>;
  /** Always present here (declines only float64). */
  lstmBackward: NonNullable<Kernels['lstmBackward']>;

  /**
   * A zeroed array for an op's result. Inside {@link WasmKernels.scope} it is carved from a bump arena in
   * wasm memory (no GC work, and every kernel then reads it in place); outside a scope it is an ordinary
   * JS typed array. The engine's `allocate()` can route through this.
   */
  allocate(dtype: 'float32' | 'float64', length: number): FloatArray;

  /**
   * Run `fn`; every array {@link WasmKernels.allocate} hands out during it is reclaimed when it returns
   * (scopes nest). Nothing allocated inside may be used afterwards: copy out what must survive (a
   * training step's parameters and optimizer state live outside the scope, so a step fits). With
   * `DESCENT_ARENA_POISON=1` reclaimed memory is filled with NaN so an escaping array shows up at once.
   */
  scope<T>(fn: () => T): T;
}

const OP: Record<BinaryOp, number> = { add: 0, sub: 1, mul: 2, div: 3 };

/**
 * Below these sizes the JS↔wasm copies cost more than the SIMD saves, so plain loops run instead
 * (measured with bench/kernels.ts; see BENCHMARKS.md). Operands already in wasm memory always go to wasm.
 */
const MATMUL_MIN_FLOPS = 2 * 8 * 8 * 8;
/**
 * From ~2k elements, copy in + SIMD + copy out beats the TypeScript loops (which run ~1.5–2 ns/element here
 * because one function sees both Float32Array and Float64Array); below, the call and copy overhead wins.
 */
const ELEMENTWISE_MIN = 4096;

/** Size thresholds below which operands outside wasm memory go to the fallback (0 = always wasm). */
export interface WasmThresholds {
  /** 2·m·n·k below which matmul runs in the fallback. */
  matmulMinFlops?: number;
  /** Element count below which binary/binaryRow/sumRows run in the fallback. */
  elementwiseMin?: number;
  /** Parameter count below which adamUpdate/sgdUpdate decline (return false). */
  optimMin?: number;
  /** Element count below which bceWithLogits declines (returns null). */
  lossMin?: number;
}

/** Arena chunks are at least this big; a larger request gets a chunk of its own size class. */
const CHUNK_BYTES = 8 << 20;
/** Below this many elements a plain JS array is cheaper than an arena slot (and scalars stay JS). */
const ARENA_MIN_ELEMENTS = 16;

interface Chunk {
  ptr: number;
  bytes: number;
}

class WasmKernelsImpl implements WasmKernels {
  readonly name = 'wasm';
  /** 'relaxed' (fused multiply-add GEMM) or 'simd128'. */
  readonly variant: WasmVariant;
  copiedBytes = 0;
  /** Arena chunks (reused across scopes), the current chunk index, and the bump offset in it. */
  private readonly chunks: Chunk[] = [];
  private chunk = -1;
  private offset = 0;
  private depth = 0;
  private readonly poison = process.env.DESCENT_ARENA_POISON === '1';
  private scratchPtr = 0;
  private scratchBytes = 0;
  private workF32 = 0;
  private workF64 = 0;

  private readonly matmulMin: number;
  private readonly elementwiseMin: number;
  private readonly optimMin: number;
  private readonly lossMin: number;

  constructor(
    private readonly rt: WasmRuntime,
    private readonly fallback: Kernels,
    thresholds: WasmThresholds,
  ) {
    this.variant = rt.variant;
    this.matmulMin = thresholds.matmulMinFlops ?? MATMUL_MIN_FLOPS;
    this.elementwiseMin = thresholds.elementwiseMin ?? ELEMENTWISE_MIN;
    this.optimMin = thresholds.optimMin ?? OPTIM_MIN_ELEMENTS;
    this.lossMin = thresholds.lossMin ?? LOSS_MIN_ELEMENTS;
  }

  alloc(length: number, dtype: 'float32' | 'float64'): FloatArray {
    const es = dtype === 'float64' ? 8 : 4;
    const bytes = Math.max(length * es, 1);
    const ptr = this.rt.allocBytes(bytes);
    const arr =
      dtype === 'float64'
        ? new Float64Array(this.rt.sab, ptr, length)
        : new Float32Array(this.rt.sab, ptr, length);
    // memory.fill: TypedArray fill on shared memory takes a slow path in V8.
    this.rt.exports.zero_bytes(arr.byteOffset, arr.byteLength);
    return arr;
  }

  free(arr: FloatArray): void {
    if (!this.rt.owns(arr)) return;
    this.rt.freeBytes(arr.byteOffset, Math.max(arr.byteLength, 1));
  }

  allocate(dtype: 'float32' | 'float64', length: number): FloatArray {
    if (this.depth === 0 || length < ARENA_MIN_ELEMENTS) {
      return dtype === 'float64' ? new Float64Array(length) : new Float32Array(length);
    }
    const es = dtype === 'float64' ? 8 : 4;
    const bytes = Math.ceil((length * es) / 64) * 64;
    let c = this.chunks[this.chunk];
    if (!c || this.offset + bytes > c.bytes) {
      // Next chunk that fits (chunks are kept across scopes, so a steady loop stops allocating).
      let i = this.chunk + 1;
      while (i < this.chunks.length && this.chunks[i].bytes < bytes) i++;
      if (i >= this.chunks.length) {
        const size = Math.max(CHUNK_BYTES, bytes);
        this.chunks.push({ ptr: this.rt.allocBytes(size), bytes: size });
        i = this.chunks.length - 1;
      } else if (i > this.chunk + 1) {
        // Move the fitting chunk forward so chunk order stays the order of use.
        const [fit] = this.chunks.splice(i, 1);
        this.chunks.splice(this.chunk + 1, 0, fit);
        i = this.chunk + 1;
      }
      this.chunk = i;
      this.offset = 0;
      c = this.chunks[i];
    }
    const ptr = c.ptr + this.offset;
    this.offset += bytes;
    const arr =
      dtype === 'float64'
        ? new Float64Array(this.rt.sab, ptr, length)
        : new Float32Array(this.rt.sab, ptr, length);
    // memory.fill: TypedArray fill on shared memory takes a slow path in V8.
    this.rt.exports.zero_bytes(arr.byteOffset, arr.byteLength);
    return arr;
  }

  scope<T>(fn: () => T): T {
    const chunk = this.chunk;
    const offset = this.offset;
    this.depth++;
    try {
      return fn();
    } finally {
      this.depth--;
      if (this.poison) this.poisonFrom(chunk, offset);
      this.chunk = chunk;
      this.offset = offset;
    }
  }

  private poisonFrom(chunk: number, offset: number): void {
    const f32 = this.rt.f32;
    for (let i = Math.max(chunk, 0); i <= this.chunk; i++) {
      const c = this.chunks[i];
      const start = i === chunk ? c.ptr + offset : c.ptr;
      const end = i === this.chunk ? c.ptr + this.offset : c.ptr + c.bytes;
      f32.fill(Number.NaN, start >>> 2, end >>> 2);
    }
  }

  /** A scratch region of at least `bytes`, reused across calls (grown by doubling). */
  private scratch(bytes: number): number {
    if (bytes > this.scratchBytes) {
      if (this.scratchBytes > 0) this.rt.freeBytes(this.scratchPtr, this.scratchBytes);
      const size = Math.max(bytes, this.scratchBytes * 2, 1 << 16);
      this.scratchPtr = this.rt.allocBytes(size);
      this.scratchBytes = size;
    }
    return this.scratchPtr;
  }

  /** Pointer to `arr`'s first `len` elements in wasm memory, copying it to `at` when it lives elsewhere. */
  private place(arr: FloatArray, len: number, at: number, copy: boolean): number {
    if (this.rt.owns(arr)) return arr.byteOffset;
    if (copy) {
      const src = arr.length === len ? arr : arr.subarray(0, len);
      if (arr instanceof Float64Array) this.rt.f64.set(src, at >>> 3);
      else this.rt.f32.set(src, at >>> 2);
      this.copiedBytes += len * arr.BYTES_PER_ELEMENT;
    }
    return at;
  }

  private copyOut(out: FloatArray, ptr: number, len: number): void {
    if (this.rt.owns(out)) return;
    if (out instanceof Float64Array) out.set(this.rt.f64.subarray(ptr >>> 3, (ptr >>> 3) + len));
    else out.set(this.rt.f32.subarray(ptr >>> 2, (ptr >>> 2) + len));
    this.copiedBytes += len * out.BYTES_PER_ELEMENT;
  }

  private footprint(arr: FloatArray, len: number): number {
    return this.rt.owns(arr) ? 0 : alignUp(len * arr.BYTES_PER_ELEMENT);
  }

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
  ): void {
    const rt = this.rt;
    const inWasm = rt.owns(a) && rt.owns(b) && rt.owns(c);
    if (!inWasm && 2 * m * n * k < this.matmulMin) {
      this.fallback.matmul(a, b, c, m, n, k, transA, transB, accumulate);
      return;
    }
    const f64 = c instanceof Float64Array;
    const work = f64 ? this.work64() : this.work32();
    const la = m * k;
    const lb = k * n;
    const lc = m * n;
    const fa = this.footprint(a, la);
    const fb = this.footprint(b, lb);
    const fc = this.footprint(c, lc);
    const base = fa + fb + fc > 0 ? this.scratch(fa + fb + fc) : 0;
    const pa = this.place(a, la, base, true);
    const pb = this.place(b, lb, base + fa, true);
    const pc = this.place(c, lc, base + fa + fb, accumulate);
    if (f64) rt.exports.dgemm(pa, pb, pc, m, n, k, transA ? 1 : 0, transB ? 1 : 0, accumulate ? 1 : 0, work);
    else rt.exports.sgemm(pa, pb, pc, m, n, k, transA ? 1 : 0, transB ? 1 : 0, accumulate ? 1 : 0, work);
    this.copyOut(c, pc, lc);
  }

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
  ): void {
    const la = batchedLength(batch, strideA, m * k);
    const lb = batchedLength(batch, strideB, k * n);
    const lc = batchedLength(batch, strideC, m * n);
    checkBatched(a, b, c, la, lb, lc, m * n, strideA, strideB, strideC);
    if (batch === 0 || lc === 0) return;
    const rt = this.rt;
    const inWasm = rt.owns(a) && rt.owns(b) && rt.owns(c);
    // The threshold is on the whole batch: the copies and the call are paid once for it, so many tiny products
    // are worth the trip even when one of them alone is not.
    if (!inWasm && 2 * batch * m * n * k < this.matmulMin) {
      this.fallback.matmulBatched(a, b, c, batch, m, n, k, transA, transB, strideA, strideB, strideC);
      return;
    }
    const f64 = c instanceof Float64Array;
    const work = f64 ? this.work64() : this.work32();
    const fa = this.footprint(a, la);
    const fb = this.footprint(b, lb);
    const fc = this.footprint(c, lc);
    const base = fa + fb + fc > 0 ? this.scratch(fa + fb + fc) : 0;
    const pa = this.place(a, la, base, true);
    const pb = this.place(b, lb, base + fa, true);
    // C is overwritten, so it needs copying in only when gaps between the products must survive the copy out.
    const pc = this.place(c, lc, base + fa + fb, strideC !== m * n);
    const ta = transA ? 1 : 0;
    const tb = transB ? 1 : 0;
    if (f64) rt.exports.dgemm_batched(pa, pb, pc, batch, m, n, k, ta, tb, strideA, strideB, strideC, work);
    else rt.exports.sgemm_batched(pa, pb, pc, batch, m, n, k, ta, tb, strideA, strideB, strideC, work);
    this.copyOut(c, pc, lc);
  }

  binary(op: BinaryOp, a: FloatArray, b: FloatArray, out: FloatArray): void {
    const rt = this.rt;
    const n = out.length;
    const inWasm = rt.owns(a) && rt.owns(b) && rt.owns(out);
    if (!inWasm && n < this.elementwiseMin) {
      this.fallback.binary(op, a, b, out);
      return;
    }
    const fa = this.footprint(a, n);
    const fb = this.footprint(b, n);
    const fo = this.footprint(out, n);
    const base = fa + fb + fo > 0 ? this.scratch(fa + fb + fo) : 0;
    const pa = this.place(a, n, base, true);
    const pb = this.place(b, n, base + fa, true);
    const po = this.place(out, n, base + fa + fb, false);
    if (out instanceof Float64Array) rt.exports.binary_f64(OP[op], pa, pb, po, n);
    else rt.exports.binary_f32(OP[op], pa, pb, po, n);
    this.copyOut(out, po, n);
  }

  binaryRow(op: BinaryOp, a: FloatArray, row: FloatArray, out: FloatArray, rows: number, cols: number): void {
    const rt = this.rt;
    const n = rows * cols;
    const inWasm = rt.owns(a) && rt.owns(row) && rt.owns(out);
    if (!inWasm && n < this.elementwiseMin) {
      this.fallback.binaryRow(op, a, row, out, rows, cols);
      return;
    }
    const fa = this.footprint(a, n);
    const fr = this.footprint(row, cols);
    const fo = this.footprint(out, n);
    const base = fa + fr + fo > 0 ? this.scratch(fa + fr + fo) : 0;
    const pa = this.place(a, n, base, true);
    const pr = this.place(row, cols, base + fa, true);
    const po = this.place(out, n, base + fa + fr, false);
    if (out instanceof Float64Array) rt.exports.binary_row_f64(OP[op], pa, pr, po, rows, cols);
    else rt.exports.binary_row_f32(OP[op], pa, pr, po, rows, cols);
    this.copyOut(out, po, n);
  }

  sumRows(a: FloatArray, out: FloatArray, rows: number, cols: number): void {
    const rt = this.rt;
    const n = rows * cols;
    const inWasm = rt.owns(a) && rt.owns(out);
    if (!inWasm && n < this.elementwiseMin) {
      this.fallback.sumRows(a, out, rows, cols);
      return;
    }
    const fa = this.footprint(a, n);
    const fo = this.footprint(out, cols);
    const base = fa + fo > 0 ? this.scratch(fa + fo) : 0;
    const pa = this.place(a, n, base, true);
    const po = this.place(out, cols, base + fa, false);
    if (out instanceof Float64Array) rt.exports.sum_rows_f64(pa, po, rows, cols);
    else rt.exports.sum_rows_f32(pa, po, rows, cols);
    this.copyOut(out, po, cols);
  }

  lstmForward(
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
  ): boolean {
    const G = 4 * H;
    const lg = T * n * G;
    const lh = T * n * H;
    if (!sameKind([xg, whh, acts, cs, tcs, hs], xg) || xg instanceof Float64Array) return false;
    if (xg.length < lg || whh.length < G * H || acts.length < lg || cs.length < lh) return false;
    if (tcs.length < lh || hs.length < lh) return false;
    const work = this.work32();
    // Copies in for the inputs only: the kernel writes every element of the four outputs.
    const foot = [
      this.footprint(xg, lg),
      this.footprint(whh, G * H),
      this.footprint(acts, lg),
      this.footprint(cs, lh),
      this.footprint(tcs, lh),
      this.footprint(hs, lh),
    ];
    let at = this.scratch(foot.reduce((x, y) => x + y, 0) || 64);
    const arrays = [xg, whh, acts, cs, tcs, hs];
    const lens = [lg, G * H, lg, lh, lh, lh];
    const ptrs = arrays.map((arr, i) => {
      const ptr = this.place(arr, lens[i], at, i < 2);
      at += foot[i];
      return ptr;
    });
    this.rt.exports.lstm_forward_f32(
      ptrs[0],
      ptrs[1],
      ptrs[2],
      ptrs[3],
      ptrs[4],
      ptrs[5],
      T,
      n,
      H,
      reverse ? 1 : 0,
      work,
    );
    for (let i = 2; i < 6; i++) this.copyOut(arrays[i], ptrs[i], lens[i]);
    return true;
  }

  lstmBackward(
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
  ): boolean {
    const G = 4 * H;
    const lg = T * n * G;
    const lh = T * n * H;
    if (!sameKind([gh, acts, cs, tcs, whh, dxg], gh) || gh instanceof Float64Array) return false;
    if (gh.length < lh || acts.length < lg || cs.length < lh || tcs.length < lh) return false;
    if (whh.length < G * H || dxg.length < lg) return false;
    const work = this.work32();
    const arrays = [gh, acts, cs, tcs, whh, dxg];
    const lens = [lh, lg, lh, lh, G * H, lg];
    const foot = arrays.map((a, i) => this.footprint(a, lens[i]));
    const carry = alignUp(n * H * 4);
    let at = this.scratch(foot.reduce((x, y) => x + y, 0) + 2 * carry);
    // dxg is written whole by the kernel: no copy in.
    const ptrs = arrays.map((arr, i) => {
      const ptr = this.place(arr, lens[i], at, i < 5);
      at += foot[i];
      return ptr;
    });
    this.rt.exports.lstm_backward_f32(
      ptrs[0],
      ptrs[1],
      ptrs[2],
      ptrs[3],
      ptrs[4],
      ptrs[5],
      at,
      at + carry,
      T,
      n,
      H,
      reverse ? 1 : 0,
      work,
    );
    this.copyOut(dxg, ptrs[5], lg);
    return true;
  }

  adamUpdate(
    p: FloatArray,
    g: FloatArray,
    m: FloatArray,
    v: FloatArray,
    vmax: FloatArray | null,
    h: AdamKernelArgs,
  ): boolean {
    const n = p.length;
    if (n < this.optimMin || !sameKind([g, m, v, vmax ?? p], p) || (h.amsgrad && !vmax)) return false;
    if (g.length < n || m.length < n || v.length < n || (vmax && vmax.length < n)) return false;
    const arrays = vmax ? [p, g, m, v, vmax] : [p, g, m, v];
    const ptrs = this.placeAll(arrays, n);
    const flags = (h.maximize ? 1 : 0) | (h.amsgrad ? 2 : 0) | (h.applyDecay ? 4 : 0);
    const e = this.rt.exports;
    const fn = p instanceof Float64Array ? e.adam_f64 : e.adam_f32;
    fn(
      ptrs[0],
      ptrs[1],
      ptrs[2],
      ptrs[3],
      vmax ? ptrs[4] : 0,
      n,
      h.beta1,
      h.beta2,
      h.eps,
      h.l2,
      h.decay,
      h.stepSize,
      h.bc2Sqrt,
      flags,
    );
    this.copyOut(p, ptrs[0], n);
    this.copyOut(m, ptrs[2], n);
    this.copyOut(v, ptrs[3], n);
    if (vmax) this.copyOut(vmax, ptrs[4], n);
    return true;
  }

  sgdUpdate(p: FloatArray, g: FloatArray, buf: FloatArray | null, h: SgdKernelArgs): boolean {
    const n = p.length;
    if (n < this.optimMin || !sameKind([g, buf ?? p], p)) return false;
    if (g.length < n || (buf && buf.length < n)) return false;
    const ptrs = this.placeAll(buf ? [p, g, buf] : [p, g], n);
    const flags = (h.maximize ? 1 : 0) | (h.nesterov ? 2 : 0) | (h.first ? 4 : 0);
    const e = this.rt.exports;
    const fn = p instanceof Float64Array ? e.sgd_f64 : e.sgd_f32;
    fn(
      ptrs[0],
      ptrs[1],
      buf ? ptrs[2] : 0,
      n,
      h.lr,
      buf ? h.momentum : 0,
      h.dampening,
      h.weightDecay,
      flags,
      buf ? 1 : 0,
    );
    this.copyOut(p, ptrs[0], n);
    if (buf) this.copyOut(buf, ptrs[2], n);
    return true;
  }

  bceWithLogits(logits: FloatArray, targets: FloatArray, grad: FloatArray, gradScale: number): number | null {
    const n = logits.length;
    if (n < this.lossMin || !sameKind([targets, grad], logits) || targets.length < n || grad.length < n)
      return null;
    const [px, py, pg] = this.placeAll([logits, targets, grad], n, [true, true, false]);
    const e = this.rt.exports;
    const s =
      logits instanceof Float64Array
        ? e.bce_logits_f64(px, py, pg, n, gradScale)
        : e.bce_logits_f32(px, py, pg, n, gradScale);
    this.copyOut(grad, pg, n);
    return s;
  }

  /** Pointers to the first `n` elements of each array in wasm memory (copying in those that live elsewhere). */
  private placeAll(arrays: FloatArray[], n: number, copy?: boolean[]): number[] {
    let total = 0;
    const foot = arrays.map((a) => {
      const f = this.footprint(a, n);
      total += f;
      return f;
    });
    let at = total > 0 ? this.scratch(total) : 0;
    return arrays.map((a, i) => {
      const ptr = this.place(a, n, at, copy ? copy[i] : true);
      at += foot[i];
      return ptr;
    });
  }

  private work32(): number {
    if (this.workF32 === 0) this.workF32 = this.rt.allocBytes(this.rt.exports.sgemm_work_floats() * 4);
    return this.workF32;
  }

  private work64(): number {
    if (this.workF64 === 0) this.workF64 = this.rt.allocBytes(this.rt.exports.dgemm_work_doubles() * 8);
    return this.workF64;
  }
}

/** True when every array has the element type of `like`. */
function sameKind(arrays: FloatArray[], like: FloatArray): boolean {
  const f64 = like instanceof Float64Array;
  for (const a of arrays) if (a instanceof Float64Array !== f64) return false;
  return true;
}

/** Elements a batched operand spans: the last product's start plus one product (one product when broadcast). */
function batchedLength(batch: number, stride: number, size: number): number {
  return batch === 0 ? 0 : (batch - 1) * stride + size;
}

/**
 * Reject operands too short for their products, or outputs that overlap: the kernel reads and writes raw
 * wasm memory, where an out-of-range product would silently touch the neighbouring data.
 */
export function checkBatched(
  a: FloatArray,
  b: FloatArray,
  c: FloatArray,
  la: number,
  lb: number,
  lc: number,
  mn: number,
  strideA: number,
  strideB: number,
  strideC: number,
): void {
  if (strideA < 0 || strideB < 0 || strideC < 0) throw new RangeError('matmulBatched: negative stride');
  if (a.length < la || b.length < lb || c.length < lc)
    throw new RangeError('matmulBatched: arrays too short for batch, m, n, k and the strides');
  if (strideC < mn && lc > mn)
    throw new RangeError('matmulBatched: strideC < m·n would overlap the products');
}

function alignUp(bytes: number): number {
  return Math.ceil(bytes / 64) * 64;
}

/**
 * Build a WebAssembly SIMD backend. `fallback` runs the calls too small to be worth the copies
 * (normally the TypeScript reference). Returns null when WebAssembly SIMD is unavailable.
 */
export function createWasmKernels(
  fallback: Kernels,
  thresholds: WasmThresholds = {},
  variant?: WasmVariant,
): WasmKernels | null {
  const rt = wasmRuntime(variant);
  return rt ? new WasmKernelsImpl(rt, fallback, thresholds) : null;
}
