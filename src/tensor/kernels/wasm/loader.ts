import { setFlagsFromString } from 'node:v8';
import { KERNELS_RELAXED_WASM_BASE64, KERNELS_WASM_BASE64 } from './module.generated.js';

/** `simd128`: mul + add everywhere. `relaxed`: the GEMM micro-kernels use relaxed-SIMD fused multiply-add. */
export type WasmVariant = 'simd128' | 'relaxed';

/*
 * The project compiles with lib ES2023 and no DOM, which leaves the WebAssembly global untyped; these are
 * the few pieces of it used here.
 */
interface WasmMemory {
  readonly buffer: ArrayBufferLike;
  grow(pages: number): number;
}
interface WasmGlobal {
  value: unknown;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (desc: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** The functions kernels.c exports (pointers are byte offsets into the shared memory). */
export interface WasmExports {
  sgemm(
    a: number,
    b: number,
    c: number,
    m: number,
    n: number,
    k: number,
    ta: number,
    tb: number,
    acc: number,
    work: number,
  ): void;
  dgemm(
    a: number,
    b: number,
    c: number,
    m: number,
    n: number,
    k: number,
    ta: number,
    tb: number,
    acc: number,
    work: number,
  ): void;
  sgemm_work_floats(): number;
  dgemm_work_doubles(): number;
  /** `batch` sgemm products (overwriting C); sa/sb/sc are per-product element strides, 0 broadcasts. */
  sgemm_batched(
    a: number,
    b: number,
    c: number,
    batch: number,
    m: number,
    n: number,
    k: number,
    ta: number,
    tb: number,
    sa: number,
    sb: number,
    sc: number,
    work: number,
  ): void;
  dgemm_batched(
    a: number,
    b: number,
    c: number,
    batch: number,
    m: number,
    n: number,
    k: number,
    ta: number,
    tb: number,
    sa: number,
    sb: number,
    sc: number,
    work: number,
  ): void;
  binary_f32(op: number, a: number, b: number, out: number, n: number): void;
  binary_f64(op: number, a: number, b: number, out: number, n: number): void;
  binary_row_f32(op: number, a: number, row: number, out: number, rows: number, cols: number): void;
  binary_row_f64(op: number, a: number, row: number, out: number, rows: number, cols: number): void;
  sum_rows_f32(a: number, out: number, rows: number, cols: number): void;
  sum_rows_f64(a: number, out: number, rows: number, cols: number): void;
  adam_f32(
    p: number,
    g: number,
    m: number,
    v: number,
    vmax: number,
    n: number,
    b1: number,
    b2: number,
    eps: number,
    l2: number,
    decay: number,
    stepSize: number,
    bc2Sqrt: number,
    flags: number,
  ): void;
  adam_f64(
    p: number,
    g: number,
    m: number,
    v: number,
    vmax: number,
    n: number,
    b1: number,
    b2: number,
    eps: number,
    l2: number,
    decay: number,
    stepSize: number,
    bc2Sqrt: number,
    flags: number,
  ): void;
  sgd_f32(
    p: number,
    g: number,
    buf: number,
    n: number,
    lr: number,
    mu: number,
    dampening: number,
    wd: number,
    flags: number,
    hasBuf: number,
  ): void;
  sgd_f64(
    p: number,
    g: number,
    buf: number,
    n: number,
    lr: number,
    mu: number,
    dampening: number,
    wd: number,
    flags: number,
    hasBuf: number,
  ): void;
  bce_logits_f32(x: number, y: number, grad: number, n: number, scale: number): number;
  bce_logits_f64(x: number, y: number, grad: number, n: number, scale: number): number;
  /** One float32 LSTM direction over a sequence (Kernels.lstmForward); pointers as for sgemm. */
  lstm_forward_f32(
    xg: number,
    whh: number,
    acts: number,
    cs: number,
    tcs: number,
    hs: number,
    T: number,
    n: number,
    H: number,
    reverse: number,
    work: number,
  ): void;
  /** Its backward pass through time (Kernels.lstmBackward); dh, dc are n·H floats of scratch. */
  lstm_backward_f32(
    gh: number,
    acts: number,
    cs: number,
    tcs: number,
    whh: number,
    dxg: number,
    dh: number,
    dc: number,
    T: number,
    n: number,
    H: number,
    reverse: number,
    work: number,
  ): void;
  zero_bytes(p: number, bytes: number): void;
  __heap_base: WasmGlobal;
}

const PAGE = 65536;
/** kernels.wasm is linked with --initial-memory=1 MiB and a 4 GiB maximum. */
const INITIAL_PAGES = 16;
const MAX_PAGES = 65536;
const ALIGN = 64;

/**
 * One instance of kernels.wasm with a small allocator over its memory.
 *
 * The memory is *shared* (SharedArrayBuffer-backed). That matters: growing an ordinary wasm memory
 * detaches its ArrayBuffer and every Float32Array view on it, while growing a shared one leaves old views
 * valid. So arrays handed out by {@link WasmRuntime.alloc} stay usable for their whole life, and kernels
 * can read and write them in place with no copy.
 *
 * Allocation is by power-of-two size classes (≥ 64 B, 64-B aligned) with a free list per class and a bump
 * pointer; memory grows on demand. Waste is < 2×, and reuse is exact, which suits a training loop that
 * asks for the same sizes every step.
 */
export class WasmRuntime {
  readonly memory: WasmMemory;
  readonly exports: WasmExports;
  private top: number;
  private readonly freeLists = new Map<number, number[]>();
  /** Every SharedArrayBuffer object `memory.buffer` has returned; they all alias this memory. */
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  private buffer!: SharedArrayBuffer;
  /** Whole-memory views, rebuilt after every grow. */
  f32!: Float32Array;
  f64!: Float64Array;

  readonly variant: WasmVariant;

  constructor(variant: WasmVariant = 'simd128') {
    this.variant = variant;
    const bytes = Buffer.from(
      variant === 'relaxed' ? KERNELS_RELAXED_WASM_BASE64 : KERNELS_WASM_BASE64,
      'base64',
    );
    // Synchronous compile: the module is small (~50 KB), and an async API would ripple through the engine.
    const module = compileOptimized(bytes, variant === 'relaxed');
    this.memory = new WA.Memory({ initial: INITIAL_PAGES, maximum: MAX_PAGES, shared: true });
    const instance = new WA.Instance(module, { env: { memory: this.memory } });
    this.exports = instance.exports as unknown as WasmExports;
    this.top = alignUp(Number(this.exports.__heap_base.value), ALIGN);
    this.refresh();
  }

  private refresh(): void {
    this.buffer = this.memory.buffer as unknown as SharedArrayBuffer;
    this.buffers.add(this.buffer);
    this.f32 = new Float32Array(this.buffer);
    this.f64 = new Float64Array(this.buffer);
  }

  /** The current (largest) view of the memory. */
  get sab(): SharedArrayBuffer {
    return this.buffer;
  }

  /** True when `arr` is a view into this memory, so a kernel may use `arr.byteOffset` as a pointer. */
  owns(arr: ArrayBufferView): boolean {
    return this.buffers.has(arr.buffer);
  }

  /** Reserve `bytes` (rounded up to a power of two ≥ 64); returns the byte offset. */
  allocBytes(bytes: number): number {
    const size = sizeClass(bytes);
    const list = this.freeLists.get(size);
    if (list && list.length > 0) return list.pop()!;
    const ptr = this.top;
    const end = ptr + size;
    if (end > this.memory.buffer.byteLength) {
      const need = Math.ceil((end - this.memory.buffer.byteLength) / PAGE);
      // Grow by at least the current size (amortized doubling), capped by the maximum.
      const cur = this.memory.buffer.byteLength / PAGE;
      const grow = Math.min(Math.max(need, cur), MAX_PAGES - cur);
      if (grow < need) throw new RangeError(`wasm kernels: out of memory (${bytes} bytes requested)`);
      this.memory.grow(grow);
      this.refresh();
    }
    this.top = end;
    return ptr;
  }

  /** Return a block from {@link allocBytes} (same `bytes`) to its free list. */
  freeBytes(ptr: number, bytes: number): void {
    const size = sizeClass(bytes);
    let list = this.freeLists.get(size);
    if (!list) this.freeLists.set(size, (list = []));
    list.push(ptr);
  }

  /** Bytes reserved so far (high-water mark of the bump pointer). */
  get reservedBytes(): number {
    return this.top;
  }
}

/**
 * Compile straight to optimized code. By default V8 first runs wasm through its baseline compiler
 * (Liftoff, ~10× slower SIMD code here) and optimizes hot functions on a background thread; on a busy
 * machine that background compile waits its turn and the first ~0.5 s of training runs at baseline speed.
 * The flag is switched off only around this one compile, so other wasm in the process is unaffected.
 */
function compileOptimized(bytes: Uint8Array, relaxed: boolean): object {
  // Leave the flags alone if the process was started with any of them set explicitly.
  const explicit = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((a) =>
    /liftoff|lazy-compilation|relaxed-simd/.test(a),
  );
  const set: string[] = [];
  if (!explicit) {
    for (const [on, off] of [
      ['--no-liftoff', '--liftoff'],
      ['--no-wasm-lazy-compilation', '--wasm-lazy-compilation'],
      ...(relaxed ? [['--experimental-wasm-relaxed-simd', '--no-experimental-wasm-relaxed-simd']] : []),
    ]) {
      try {
        setFlagsFromString(on);
        set.push(off);
      } catch {
        // not fatal: without the tiering flags tier-up still happens, only later; without the relaxed flag
        // the compile below fails and the caller falls back to the SIMD128 module
      }
    }
  }
  try {
    return new WA.Module(bytes);
  } finally {
    for (const off of set) setFlagsFromString(off);
  }
}

/**
 * Check a fresh runtime against a plain loop on small odd shapes (both dtypes, a transpose). The relaxed
 * FMA build depends on an experimental V8 feature and a rewritten opcode, so it must prove itself before use.
 */
function selfTest(rt: WasmRuntime): boolean {
  const e = rt.exports;
  const m = 5;
  const n = 11;
  const k = 7;
  const work32 = rt.allocBytes(e.sgemm_work_floats() * 4);
  const work64 = rt.allocBytes(e.dgemm_work_doubles() * 8);
  const pa = rt.allocBytes(8 * m * k);
  const pb = rt.allocBytes(8 * k * n);
  const pc = rt.allocBytes(8 * m * n);
  let ok = true;
  for (const f64 of [false, true]) {
    const view = f64 ? rt.f64 : rt.f32;
    const es = f64 ? 8 : 4;
    for (let i = 0; i < m * k; i++) view[pa / es + i] = ((i * 7) % 13) - 6 + 0.25;
    for (let i = 0; i < k * n; i++) view[pb / es + i] = ((i * 5) % 11) - 5 - 0.5;
    // op(B) = Bᵀ with B stored n×k
    if (f64) e.dgemm(pa, pb, pc, m, n, k, 0, 1, 0, work64);
    else e.sgemm(pa, pb, pc, m, n, k, 0, 1, 0, work32);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += view[pa / es + i * k + p] * view[pb / es + j * k + p];
        if (Math.abs(view[pc / es + i * n + j] - s) > 1e-4 * (1 + Math.abs(s))) ok = false;
      }
  }
  for (const [ptr, bytes] of [
    [work32, e.sgemm_work_floats() * 4],
    [work64, e.dgemm_work_doubles() * 8],
    [pa, 8 * m * k],
    [pb, 8 * k * n],
    [pc, 8 * m * n],
  ])
    rt.freeBytes(ptr, bytes);
  return ok;
}

function alignUp(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}

function sizeClass(bytes: number): number {
  let s = ALIGN;
  while (s < bytes) s *= 2;
  return s;
}

const runtimes = new Map<WasmVariant, WasmRuntime | null>();

/**
 * The variant used by default: SIMD128. `DESCENT_WASM_RELAXED=1` opts in to the fused multiply-add build
 * (when it compiles and passes its self-test). On this Zen 5 machine FMA measured no faster (57–60 vs
 * 58–62 GFLOPS sgemm: two FMA pipes equal two mul + two add pipes there); on CPUs whose adders and multipliers
 * share the FMA ports (Intel since Skylake) it should be up to ~2× faster. It changes rounding in the last bits.
 */
export function preferredVariant(): WasmVariant {
  if (process.env.DESCENT_WASM_RELAXED !== '1') return 'simd128';
  return wasmRuntime('relaxed') ? 'relaxed' : 'simd128';
}

/**
 * The process-wide runtime of a variant, created on first use; null when this engine cannot run it (no
 * WebAssembly SIMD or shared memory; for `relaxed`, no relaxed SIMD or a failed self-test). Without an
 * argument: the preferred variant.
 */
export function wasmRuntime(variant?: WasmVariant): WasmRuntime | null {
  const v = variant ?? preferredVariant();
  if (!runtimes.has(v)) {
    let rt: WasmRuntime | null = null;
    try {
      rt = new WasmRuntime(v);
      if (!selfTest(rt)) rt = null;
    } catch {
      rt = null;
    }
    runtimes.set(v, rt);
  }
  return runtimes.get(v) ?? null;
}
