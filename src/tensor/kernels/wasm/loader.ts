import { setFlagsFromString } from 'node:v8';
import { KERNELS_WASM_BASE64 } from './module.generated.js';

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
  binary_f32(op: number, a: number, b: number, out: number, n: number): void;
  binary_f64(op: number, a: number, b: number, out: number, n: number): void;
  binary_row_f32(op: number, a: number, row: number, out: number, rows: number, cols: number): void;
  binary_row_f64(op: number, a: number, row: number, out: number, rows: number, cols: number): void;
  sum_rows_f32(a: number, out: number, rows: number, cols: number): void;
  sum_rows_f64(a: number, out: number, rows: number, cols: number): void;
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

  constructor() {
    const bytes = Buffer.from(KERNELS_WASM_BASE64, 'base64');
    // Synchronous compile: the module is small (~50 KB), and an async API would ripple through the engine.
    const module = compileOptimized(bytes);
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
function compileOptimized(bytes: Uint8Array): object {
  // Leave the flags alone if the process was started with either of them set explicitly.
  const explicit = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((a) =>
    /liftoff|lazy-compilation/.test(a),
  );
  let flagged = false;
  if (!explicit)
    try {
      setFlagsFromString('--no-liftoff');
      setFlagsFromString('--no-wasm-lazy-compilation');
      flagged = true;
    } catch {
      // not fatal: tier-up still happens, only later
    }
  try {
    return new WA.Module(bytes);
  } finally {
    if (flagged) {
      setFlagsFromString('--liftoff');
      setFlagsFromString('--wasm-lazy-compilation');
    }
  }
}

function alignUp(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}

function sizeClass(bytes: number): number {
  let s = ALIGN;
  while (s < bytes) s *= 2;
  return s;
}

let runtime: WasmRuntime | null | undefined;

/**
 * The process-wide runtime, created on first use; null when this engine has no WebAssembly SIMD or
 * shared memory (then the TypeScript kernels are used).
 */
export function wasmRuntime(): WasmRuntime | null {
  if (runtime === undefined) {
    try {
      runtime = new WasmRuntime();
    } catch {
      runtime = null;
    }
  }
  return runtime;
}
