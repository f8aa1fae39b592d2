/*
 * Descent's WebAssembly SIMD kernels (float32 and float64).
 *
 * Built by scripts/build-wasm.sh with clang --target=wasm32 -msimd128 into kernels.wasm; the bytes are
 * committed (and embedded in module.generated.ts) so a fresh clone needs no compiler. The memory is
 * imported and shared, so growing it never detaches the JavaScript views handed out by the loader.
 *
 * GEMM follows the GotoBLAS/BLIS layout: op(B) is packed into kc×NR column panels and op(A) into MR×kc
 * row panels (the packing absorbs every transpose layout, so one micro-kernel serves all four), and a
 * register-blocked micro-kernel keeps an MR×NR tile of C in SIMD registers across the whole kc loop.
 * Matrix-vector shapes (m == 1 or n == 1) skip packing: padding a single column to NR would waste NR-1
 * of every NR multiplies.
 */
#include <wasm_simd128.h>
#include <stdint.h>

#define EXPORT(name) __attribute__((export_name(#name)))

/*
 * MADD(a, b, c) = a·b + c in the GEMM micro-kernels. The default build uses mul + add (SIMD128, exact
 * rounding of each). With -DDESCENT_RELAXED the build emits the relaxed-SIMD fused multiply-add instead: clang 14
 * only knows the pre-standard encoding (f32x4.fma 0xfd 0xaf 0x01, f64x2.fma 0xfd 0xcf 0x01), so
 * scripts/build-wasm.sh rewrites those opcodes to the standard f32x4/f64x2.relaxed_madd (0x105 / 0x107,
 * same length) whose operand order is a·b + c — the order the calls below use.
 */
#ifdef DESCENT_RELAXED
#define MADD_F32(a, b, c) __builtin_wasm_fma_f32x4(a, b, c)
#define MADD_F64(a, b, c) __builtin_wasm_fma_f64x2(a, b, c)
#else
#define MADD_F32(a, b, c) wasm_f32x4_add(c, wasm_f32x4_mul(a, b))
#define MADD_F64(a, b, c) wasm_f64x2_add(c, wasm_f64x2_mul(a, b))
#endif
#define INLINE static inline __attribute__((always_inline))

/* Blocking. A kc×NR panel of packed B (256×8×4 = 8 KiB) stays in L1 across the ir loop; an MC×kc block
 * of packed A (128×256×4 = 128 KiB) stays in L2 across the jr loop. */
#ifndef KC
#define KC 256
#endif
#ifndef MC
#define MC 64
#endif
#define NC 2048

/* ------------------------------------------------------------------------------------------------ */
/* float32: MR×NR = 4×8 micro-tile, eight f32x4 accumulators.                                        */
/* ------------------------------------------------------------------------------------------------ */
#ifndef MR_S
#define MR_S 4
#endif
#ifndef NR_S
#define NR_S 8
#endif

/* dst[p*MR + r] = op(A)[i0 + r][p0 + p], zero-padded to MR rows. */
static void pack_a_f32(const float *a, float *dst, int m, int k, int transA, int i0, int mr, int p0, int kc) {
  if (transA) {
    /* A stored k×m: op(A)[i][p] = a[p*m + i]; a row of storage holds MR consecutive i. */
    for (int p = 0; p < kc; p++) {
      const float *src = a + (p0 + p) * m + i0;
      float *d = dst + p * MR_S;
      if (mr == MR_S) {
        for (int r = 0; r < MR_S; r++) d[r] = src[r];
      } else {
        int r = 0;
        for (; r < mr; r++) d[r] = src[r];
        for (; r < MR_S; r++) d[r] = 0.0f;
      }
    }
  } else {
    for (int r = 0; r < MR_S; r++) {
      if (r < mr) {
        const float *src = a + (i0 + r) * k + p0;
        for (int p = 0; p < kc; p++) dst[p * MR_S + r] = src[p];
      } else {
        for (int p = 0; p < kc; p++) dst[p * MR_S + r] = 0.0f;
      }
    }
  }
}

/* dst[p*NR + c] = op(B)[p0 + p][j0 + c], zero-padded to NR columns. */
static void pack_b_f32(const float *b, float *dst, int n, int k, int transB, int j0, int nr, int p0, int kc) {
  if (!transB) {
    for (int p = 0; p < kc; p++) {
      const float *src = b + (p0 + p) * n + j0;
      float *d = dst + p * NR_S;
      if (nr == NR_S) {
#pragma clang loop unroll(full)
        for (int j = 0; j < NR_S / 4; j++) wasm_v128_store(d + 4 * j, wasm_v128_load(src + 4 * j));
      } else {
        int c = 0;
        for (; c < nr; c++) d[c] = src[c];
        for (; c < NR_S; c++) d[c] = 0.0f;
      }
    }
  } else {
    /* B stored n×k: op(B)[p][j] = b[j*k + p]. */
    for (int c = 0; c < NR_S; c++) {
      if (c < nr) {
        const float *src = b + (j0 + c) * k + p0;
        for (int p = 0; p < kc; p++) dst[p * NR_S + c] = src[p];
      } else {
        for (int p = 0; p < kc; p++) dst[p * NR_S + c] = 0.0f;
      }
    }
  }
}

/* C[MR×NR] (+)= Apanel · Bpanel, the tile held in MR·NR/4 registers. Partial tiles go through `tmp`. */
INLINE void ukernel_f32(int kc, const float *restrict A, const float *restrict B, float *C, int ldc, int mr, int nr,
                        float *tmp) {
  v128_t acc[MR_S][NR_S / 4];
#pragma clang loop unroll(full)
  for (int i = 0; i < MR_S; i++)
#pragma clang loop unroll(full)
    for (int j = 0; j < NR_S / 4; j++) acc[i][j] = wasm_f32x4_splat(0.0f);
  for (int p = 0; p < kc; p++) {
    v128_t bv[NR_S / 4];
#pragma clang loop unroll(full)
    for (int j = 0; j < NR_S / 4; j++) bv[j] = wasm_v128_load(B + 4 * j);
#pragma clang loop unroll(full)
    for (int i = 0; i < MR_S; i++) {
      const v128_t a = wasm_v128_load32_splat(A + i);
#pragma clang loop unroll(full)
      for (int j = 0; j < NR_S / 4; j++) acc[i][j] = MADD_F32(a, bv[j], acc[i][j]);
    }
    A += MR_S;
    B += NR_S;
  }
  if (mr == MR_S && nr == NR_S) {
#pragma clang loop unroll(full)
    for (int i = 0; i < MR_S; i++)
#pragma clang loop unroll(full)
      for (int j = 0; j < NR_S / 4; j++) {
        float *d = C + i * ldc + 4 * j;
        wasm_v128_store(d, wasm_f32x4_add(wasm_v128_load(d), acc[i][j]));
      }
  } else {
#pragma clang loop unroll(full)
    for (int i = 0; i < MR_S; i++)
#pragma clang loop unroll(full)
      for (int j = 0; j < NR_S / 4; j++) wasm_v128_store(tmp + i * NR_S + 4 * j, acc[i][j]);
    for (int i = 0; i < mr; i++)
      for (int j = 0; j < nr; j++) C[i * ldc + j] += tmp[i * NR_S + j];
  }
}

/*
 * The same micro-kernel reading A and B where they are, with strides: op(A)[r][p] = A[r·rs + p·ps] and
 * op(B)[p][c] = B[p·bs + c]. Used for small products, where packing would cost more than the multiply
 * (W3's 32×13·13×64: packing is most of the work). Rows r ≥ mr re-read row 0 so nothing outside the
 * matrix is touched; their results are discarded.
 */
INLINE void ukernel_f32_strided(int kc, const float *A, int rs, int ps, const float *B, int bs, float *C, int ldc,
                                int mr, int nr, float *tmp) {
  v128_t acc[MR_S][NR_S / 4];
  const float *ap[MR_S];
#pragma clang loop unroll(full)
  for (int i = 0; i < MR_S; i++) {
    ap[i] = A + (i < mr ? i * rs : 0);
#pragma clang loop unroll(full)
    for (int j = 0; j < NR_S / 4; j++) acc[i][j] = wasm_f32x4_splat(0.0f);
  }
  for (int p = 0; p < kc; p++) {
    v128_t bv[NR_S / 4];
#pragma clang loop unroll(full)
    for (int j = 0; j < NR_S / 4; j++) bv[j] = wasm_v128_load(B + 4 * j);
#pragma clang loop unroll(full)
    for (int i = 0; i < MR_S; i++) {
      const v128_t a = wasm_v128_load32_splat(ap[i]);
      ap[i] += ps;
#pragma clang loop unroll(full)
      for (int j = 0; j < NR_S / 4; j++) acc[i][j] = MADD_F32(a, bv[j], acc[i][j]);
    }
    B += bs;
  }
  if (mr == MR_S && nr == NR_S) {
#pragma clang loop unroll(full)
    for (int i = 0; i < MR_S; i++)
#pragma clang loop unroll(full)
      for (int j = 0; j < NR_S / 4; j++) {
        float *d = C + i * ldc + 4 * j;
        wasm_v128_store(d, wasm_f32x4_add(wasm_v128_load(d), acc[i][j]));
      }
  } else {
#pragma clang loop unroll(full)
    for (int i = 0; i < MR_S; i++)
#pragma clang loop unroll(full)
      for (int j = 0; j < NR_S / 4; j++) wasm_v128_store(tmp + i * NR_S + 4 * j, acc[i][j]);
    for (int i = 0; i < mr; i++)
      for (int j = 0; j < nr; j++) C[i * ldc + j] += tmp[i * NR_S + j];
  }
}

/*
 * Small-product path: A is read in place (both layouts), B in place when it is k×n and the panel is full, and
 * only the B panels that need it (transposed B, the ragged last panel) are packed. k ≤ KC here.
 */
static void sgemm_small(const float *a, const float *b, float *c, int m, int n, int k, int transA, int transB,
                        float *packB, float *tmp) {
  const int rs = transA ? 1 : k;
  const int ps = transA ? m : 1;
  for (int jr = 0; jr < n; jr += NR_S) {
    const int nr = n - jr < NR_S ? n - jr : NR_S;
    const float *Bp;
    int bs;
    if (!transB && nr == NR_S) {
      Bp = b + jr;
      bs = n;
    } else {
      pack_b_f32(b, packB, n, k, transB, jr, nr, 0, k);
      Bp = packB;
      bs = NR_S;
    }
    for (int ir = 0; ir < m; ir += MR_S) {
      const int mr = m - ir < MR_S ? m - ir : MR_S;
      const float *Ap = transA ? a + ir : a + ir * k;
      ukernel_f32_strided(k, Ap, rs, ps, Bp, bs, c + ir * n + jr, n, mr, nr, tmp);
    }
  }
}

/* y[i] (+)= Σ_p op(A)[i][p]·x[p], op(A) m×k: the n == 1 shape (and m == 1 with the roles swapped). */
/* [Σ s0, Σ s1, Σ s2, Σ s3]: the horizontal sums of four vectors in one vector (a 4×4 transpose-add). */
INLINE v128_t hsum4_f32(v128_t s0, v128_t s1, v128_t s2, v128_t s3) {
  const v128_t u01 = wasm_f32x4_add(wasm_i32x4_shuffle(s0, s1, 0, 4, 1, 5), wasm_i32x4_shuffle(s0, s1, 2, 6, 3, 7));
  const v128_t u23 = wasm_f32x4_add(wasm_i32x4_shuffle(s2, s3, 0, 4, 1, 5), wasm_i32x4_shuffle(s2, s3, 2, 6, 3, 7));
  return wasm_f32x4_add(wasm_i32x4_shuffle(u01, u23, 0, 1, 4, 5), wasm_i32x4_shuffle(u01, u23, 2, 3, 6, 7));
}

/*
 * y[i0 .. i0+4·NV) += Σ_p x[p]·a[p·m + i] with the NV result vectors held in registers across the whole p loop
 * (one pass over those columns of A, no y traffic). NV is a compile-time constant at each call site.
 */
INLINE void gemv_t_block_f32(const float *a, const float *x, float *y, int m, int k, int i0, const int NV) {
  v128_t acc[8];
#pragma clang loop unroll(full)
  for (int j = 0; j < 8; j++) acc[j] = wasm_f32x4_splat(0.0f);
  const float *row = a + i0;
  for (int p = 0; p < k; p++, row += m) {
    const v128_t xv = wasm_v128_load32_splat(x + p);
#pragma clang loop unroll(full)
    for (int j = 0; j < 8; j++)
      if (j < NV) acc[j] = wasm_f32x4_add(acc[j], wasm_f32x4_mul(xv, wasm_v128_load(row + 4 * j)));
  }
#pragma clang loop unroll(full)
  for (int j = 0; j < 8; j++)
    if (j < NV) wasm_v128_store(y + i0 + 4 * j, wasm_f32x4_add(wasm_v128_load(y + i0 + 4 * j), acc[j]));
}

/* y[i] (+)= Σ_p op(A)[i][p]·x[p], op(A) m×k: the n == 1 shape (and m == 1 with the roles swapped). */
static void gemv_f32(const float *a, const float *x, float *y, int m, int k, int transA) {
  if (!transA) {
    int i = 0;
    /* Four rows at a time share each load of x, and one transpose-add replaces four horizontal sums. */
    for (; i + 4 <= m; i += 4) {
      const float *r0 = a + i * k, *r1 = r0 + k, *r2 = r1 + k, *r3 = r2 + k;
      v128_t s0 = wasm_f32x4_splat(0.0f), s1 = s0, s2 = s0, s3 = s0;
      int p = 0;
      for (; p + 4 <= k; p += 4) {
        const v128_t xv = wasm_v128_load(x + p);
        s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(wasm_v128_load(r0 + p), xv));
        s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(wasm_v128_load(r1 + p), xv));
        s2 = wasm_f32x4_add(s2, wasm_f32x4_mul(wasm_v128_load(r2 + p), xv));
        s3 = wasm_f32x4_add(s3, wasm_f32x4_mul(wasm_v128_load(r3 + p), xv));
      }
      v128_t v = hsum4_f32(s0, s1, s2, s3);
      if (p < k) {
        float t0 = 0.0f, t1 = 0.0f, t2 = 0.0f, t3 = 0.0f;
        for (; p < k; p++) {
          t0 += r0[p] * x[p];
          t1 += r1[p] * x[p];
          t2 += r2[p] * x[p];
          t3 += r3[p] * x[p];
        }
        v = wasm_f32x4_add(v, wasm_f32x4_make(t0, t1, t2, t3));
      }
      wasm_v128_store(y + i, wasm_f32x4_add(wasm_v128_load(y + i), v));
    }
    for (; i < m; i++) {
      const float *row = a + i * k;
      v128_t s0 = wasm_f32x4_splat(0.0f);
      int p = 0;
      for (; p + 4 <= k; p += 4) s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(wasm_v128_load(row + p), wasm_v128_load(x + p)));
      float s = wasm_f32x4_extract_lane(s0, 0) + wasm_f32x4_extract_lane(s0, 1) + wasm_f32x4_extract_lane(s0, 2) +
                wasm_f32x4_extract_lane(s0, 3);
      for (; p < k; p++) s += row[p] * x[p];
      y[i] += s;
    }
  } else {
    /* A stored k×m: y += Σ_p x[p]·a[p, :]. Blocks of up to 32 columns accumulate in registers over all p. */
    int i = 0;
    for (; i + 32 <= m; i += 32) gemv_t_block_f32(a, x, y, m, k, i, 8);
    switch ((m - i) / 4) {
    case 7: gemv_t_block_f32(a, x, y, m, k, i, 7); break;
    case 6: gemv_t_block_f32(a, x, y, m, k, i, 6); break;
    case 5: gemv_t_block_f32(a, x, y, m, k, i, 5); break;
    case 4: gemv_t_block_f32(a, x, y, m, k, i, 4); break;
    case 3: gemv_t_block_f32(a, x, y, m, k, i, 3); break;
    case 2: gemv_t_block_f32(a, x, y, m, k, i, 2); break;
    case 1: gemv_t_block_f32(a, x, y, m, k, i, 1); break;
    default: break;
    }
    i += ((m - i) / 4) * 4;
    for (; i < m; i++) {
      float s = 0.0f;
      for (int p = 0; p < k; p++) s += a[p * m + i] * x[p];
      y[i] += s;
    }
  }
}

/*
 * C(m×n) (+)= op(A)·op(B). `work` must hold (MC + NR)·KC + NC·KC + MR·NR floats
 * (see sgemm_work_floats).
 */
/* noinline: sgemm_batched calls it, and an inlined copy would duplicate the micro-kernels (code size, and the
 * FMA-site count scripts/build-wasm.sh checks). */
EXPORT(sgemm)
__attribute__((noinline))
void sgemm(const float *a, const float *b, float *c, int m, int n, int k, int transA, int transB, int accumulate,
           float *work) {
  if (!accumulate)
    for (int i = 0; i < m * n; i++) c[i] = 0.0f;
  if (m == 0 || n == 0 || k == 0) return;
  if (n == 1) {
    /* c (m×1) = op(A)·b, b is a k-vector whatever transB says. */
    gemv_f32(a, b, c, m, k, transA);
    return;
  }
  if (m == 1) {
    /* c (1×n): c^T = op(B)^T·a; op(B)^T is n×k, stored as B with the transpose flipped. */
    gemv_f32(b, a, c, n, k, !transB);
    return;
  }
  float *packA = work;
  float *packB = packA + MC * KC;
  float *tmp = packB + NC * KC;
#ifndef SMALL_FLOPS
#define SMALL_FLOPS (64 * 64 * 64)
#endif
  if (k <= KC && (long long)m * n * k <= SMALL_FLOPS) {
    sgemm_small(a, b, c, m, n, k, transA, transB, packB, tmp);
    return;
  }
  for (int jc = 0; jc < n; jc += NC) {
    const int nc = n - jc < NC ? n - jc : NC;
    for (int pc = 0; pc < k; pc += KC) {
      const int kc = k - pc < KC ? k - pc : KC;
      for (int jr = 0; jr < nc; jr += NR_S) {
        const int nr = nc - jr < NR_S ? nc - jr : NR_S;
        pack_b_f32(b, packB + jr * kc, n, k, transB, jc + jr, nr, pc, kc);
      }
      for (int ic = 0; ic < m; ic += MC) {
        const int mc = m - ic < MC ? m - ic : MC;
        for (int ir = 0; ir < mc; ir += MR_S) {
          const int mr = mc - ir < MR_S ? mc - ir : MR_S;
          pack_a_f32(a, packA + ir * kc, m, k, transA, ic + ir, mr, pc, kc);
        }
        for (int jr = 0; jr < nc; jr += NR_S) {
          const int nr = nc - jr < NR_S ? nc - jr : NR_S;
          const float *Bp = packB + jr * kc;
          for (int ir = 0; ir < mc; ir += MR_S) {
            const int mr = mc - ir < MR_S ? mc - ir : MR_S;
            ukernel_f32(kc, packA + ir * kc, Bp, c + (ic + ir) * n + jc + jr, n, mr, nr, tmp);
          }
        }
      }
    }
  }
}

EXPORT(sgemm_work_floats)
int sgemm_work_floats(void) { return MC * KC + NC * KC + MR_S * NR_S + 64; }

/*
 * C_t = op(A_t)·op(B_t) for t < batch, with A_t = a + t·sa, B_t = b + t·sb, C_t = c + t·sc (elements; a stride
 * of 0 broadcasts that operand). One JS→wasm call and one copy in/out for a whole batch of attention-sized
 * products (128 of 16×8×16), where per-product calls cost more than the multiplies. Each product is exactly
 * sgemm's, so the batch is bit-identical to per-product sgemm calls.
 */
EXPORT(sgemm_batched)
void sgemm_batched(const float *a, const float *b, float *c, int batch, int m, int n, int k, int transA, int transB,
                   int sa, int sb, int sc, float *work) {
  for (int t = 0; t < batch; t++) sgemm(a + t * sa, b + t * sb, c + t * sc, m, n, k, transA, transB, 0, work);
}

/* ------------------------------------------------------------------------------------------------ */
/* float64: MR×NR = 4×4 micro-tile, eight f64x2 accumulators.                                        */
/* ------------------------------------------------------------------------------------------------ */
#define MR_D 4
#define NR_D 4

static void pack_a_f64(const double *a, double *dst, int m, int k, int transA, int i0, int mr, int p0, int kc) {
  if (transA) {
    for (int p = 0; p < kc; p++) {
      const double *src = a + (p0 + p) * m + i0;
      double *d = dst + p * MR_D;
      if (mr == MR_D) {
        wasm_v128_store(d, wasm_v128_load(src));
        wasm_v128_store(d + 2, wasm_v128_load(src + 2));
      } else {
        int r = 0;
        for (; r < mr; r++) d[r] = src[r];
        for (; r < MR_D; r++) d[r] = 0.0;
      }
    }
  } else {
    for (int r = 0; r < MR_D; r++) {
      if (r < mr) {
        const double *src = a + (i0 + r) * k + p0;
        for (int p = 0; p < kc; p++) dst[p * MR_D + r] = src[p];
      } else {
        for (int p = 0; p < kc; p++) dst[p * MR_D + r] = 0.0;
      }
    }
  }
}

static void pack_b_f64(const double *b, double *dst, int n, int k, int transB, int j0, int nr, int p0, int kc) {
  if (!transB) {
    for (int p = 0; p < kc; p++) {
      const double *src = b + (p0 + p) * n + j0;
      double *d = dst + p * NR_D;
      if (nr == NR_D) {
        wasm_v128_store(d, wasm_v128_load(src));
        wasm_v128_store(d + 2, wasm_v128_load(src + 2));
      } else {
        int c = 0;
        for (; c < nr; c++) d[c] = src[c];
        for (; c < NR_D; c++) d[c] = 0.0;
      }
    }
  } else {
    for (int c = 0; c < NR_D; c++) {
      if (c < nr) {
        const double *src = b + (j0 + c) * k + p0;
        for (int p = 0; p < kc; p++) dst[p * NR_D + c] = src[p];
      } else {
        for (int p = 0; p < kc; p++) dst[p * NR_D + c] = 0.0;
      }
    }
  }
}

INLINE void ukernel_f64(int kc, const double *restrict A, const double *restrict B, double *C, int ldc, int mr, int nr,
                        double *tmp) {
  v128_t c00 = wasm_f64x2_splat(0.0), c01 = c00, c10 = c00, c11 = c00;
  v128_t c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  for (int p = 0; p < kc; p++) {
    const v128_t b0 = wasm_v128_load(B);
    const v128_t b1 = wasm_v128_load(B + 2);
    v128_t a = wasm_v128_load64_splat(A);
    c00 = MADD_F64(a, b0, c00);
    c01 = MADD_F64(a, b1, c01);
    a = wasm_v128_load64_splat(A + 1);
    c10 = MADD_F64(a, b0, c10);
    c11 = MADD_F64(a, b1, c11);
    a = wasm_v128_load64_splat(A + 2);
    c20 = MADD_F64(a, b0, c20);
    c21 = MADD_F64(a, b1, c21);
    a = wasm_v128_load64_splat(A + 3);
    c30 = MADD_F64(a, b0, c30);
    c31 = MADD_F64(a, b1, c31);
    A += MR_D;
    B += NR_D;
  }
  double *dst = C;
  int ld = ldc;
  if (mr != MR_D || nr != NR_D) {
    dst = tmp;
    ld = NR_D;
    for (int i = 0; i < MR_D * NR_D; i++) tmp[i] = 0.0;
  }
#define ACC_ROW(r, x0, x1)                                                                                        \
  wasm_v128_store(dst + (r)*ld, wasm_f64x2_add(wasm_v128_load(dst + (r)*ld), x0));                              \
  wasm_v128_store(dst + (r)*ld + 2, wasm_f64x2_add(wasm_v128_load(dst + (r)*ld + 2), x1));
  ACC_ROW(0, c00, c01) ACC_ROW(1, c10, c11) ACC_ROW(2, c20, c21) ACC_ROW(3, c30, c31)
#undef ACC_ROW
  if (dst != C)
    for (int i = 0; i < mr; i++)
      for (int j = 0; j < nr; j++) C[i * ldc + j] += tmp[i * NR_D + j];
}

/* [Σ s0, Σ s1]: the horizontal sums of two f64x2 vectors in one. */
INLINE v128_t hsum2_f64(v128_t s0, v128_t s1) {
  return wasm_f64x2_add(wasm_i64x2_shuffle(s0, s1, 0, 2), wasm_i64x2_shuffle(s0, s1, 1, 3));
}

/* As gemv_t_block_f32: y[i0 .. i0+2·NV) += Σ_p x[p]·a[p·m + i], NV f64x2 accumulators in registers. */
INLINE void gemv_t_block_f64(const double *a, const double *x, double *y, int m, int k, int i0, const int NV) {
  v128_t acc[8];
#pragma clang loop unroll(full)
  for (int j = 0; j < 8; j++) acc[j] = wasm_f64x2_splat(0.0);
  const double *row = a + i0;
  for (int p = 0; p < k; p++, row += m) {
    const v128_t xv = wasm_v128_load64_splat(x + p);
#pragma clang loop unroll(full)
    for (int j = 0; j < 8; j++)
      if (j < NV) acc[j] = wasm_f64x2_add(acc[j], wasm_f64x2_mul(xv, wasm_v128_load(row + 2 * j)));
  }
#pragma clang loop unroll(full)
  for (int j = 0; j < 8; j++)
    if (j < NV) wasm_v128_store(y + i0 + 2 * j, wasm_f64x2_add(wasm_v128_load(y + i0 + 2 * j), acc[j]));
}

static void gemv_f64(const double *a, const double *x, double *y, int m, int k, int transA) {
  if (!transA) {
    int i = 0;
    /* Two rows at a time share each load of x; one shuffle-add replaces two horizontal sums. */
    for (; i + 2 <= m; i += 2) {
      const double *r0 = a + i * k, *r1 = r0 + k;
      v128_t s0 = wasm_f64x2_splat(0.0), s1 = s0, t0 = s0, t1 = s0;
      int p = 0;
      for (; p + 4 <= k; p += 4) {
        const v128_t x0 = wasm_v128_load(x + p);
        const v128_t x1 = wasm_v128_load(x + p + 2);
        s0 = wasm_f64x2_add(s0, wasm_f64x2_mul(wasm_v128_load(r0 + p), x0));
        s1 = wasm_f64x2_add(s1, wasm_f64x2_mul(wasm_v128_load(r1 + p), x0));
        t0 = wasm_f64x2_add(t0, wasm_f64x2_mul(wasm_v128_load(r0 + p + 2), x1));
        t1 = wasm_f64x2_add(t1, wasm_f64x2_mul(wasm_v128_load(r1 + p + 2), x1));
      }
      for (; p + 2 <= k; p += 2) {
        const v128_t x0 = wasm_v128_load(x + p);
        s0 = wasm_f64x2_add(s0, wasm_f64x2_mul(wasm_v128_load(r0 + p), x0));
        s1 = wasm_f64x2_add(s1, wasm_f64x2_mul(wasm_v128_load(r1 + p), x0));
      }
      v128_t v = hsum2_f64(wasm_f64x2_add(s0, t0), wasm_f64x2_add(s1, t1));
      if (p < k) v = wasm_f64x2_add(v, wasm_f64x2_make(r0[p] * x[p], r1[p] * x[p]));
      wasm_v128_store(y + i, wasm_f64x2_add(wasm_v128_load(y + i), v));
    }
    for (; i < m; i++) {
      const double *row = a + i * k;
      double s = 0.0;
      for (int p = 0; p < k; p++) s += row[p] * x[p];
      y[i] += s;
    }
  } else {
    int i = 0;
    for (; i + 16 <= m; i += 16) gemv_t_block_f64(a, x, y, m, k, i, 8);
    switch ((m - i) / 2) {
    case 7: gemv_t_block_f64(a, x, y, m, k, i, 7); break;
    case 6: gemv_t_block_f64(a, x, y, m, k, i, 6); break;
    case 5: gemv_t_block_f64(a, x, y, m, k, i, 5); break;
    case 4: gemv_t_block_f64(a, x, y, m, k, i, 4); break;
    case 3: gemv_t_block_f64(a, x, y, m, k, i, 3); break;
    case 2: gemv_t_block_f64(a, x, y, m, k, i, 2); break;
    case 1: gemv_t_block_f64(a, x, y, m, k, i, 1); break;
    default: break;
    }
    i += ((m - i) / 2) * 2;
    for (; i < m; i++) {
      double s = 0.0;
      for (int p = 0; p < k; p++) s += a[p * m + i] * x[p];
      y[i] += s;
    }
  }
}

EXPORT(dgemm)
__attribute__((noinline))
void dgemm(const double *a, const double *b, double *c, int m, int n, int k, int transA, int transB, int accumulate,
           double *work) {
  if (!accumulate)
    for (int i = 0; i < m * n; i++) c[i] = 0.0;
  if (m == 0 || n == 0 || k == 0) return;
  if (n == 1) {
    gemv_f64(a, b, c, m, k, transA);
    return;
  }
  if (m == 1) {
    gemv_f64(b, a, c, n, k, !transB);
    return;
  }
  double *packA = work;
  double *packB = packA + MC * KC;
  double *tmp = packB + NC * KC;
  for (int jc = 0; jc < n; jc += NC) {
    const int nc = n - jc < NC ? n - jc : NC;
    for (int pc = 0; pc < k; pc += KC) {
      const int kc = k - pc < KC ? k - pc : KC;
      for (int jr = 0; jr < nc; jr += NR_D) {
        const int nr = nc - jr < NR_D ? nc - jr : NR_D;
        pack_b_f64(b, packB + jr * kc, n, k, transB, jc + jr, nr, pc, kc);
      }
      for (int ic = 0; ic < m; ic += MC) {
        const int mc = m - ic < MC ? m - ic : MC;
        for (int ir = 0; ir < mc; ir += MR_D) {
          const int mr = mc - ir < MR_D ? mc - ir : MR_D;
          pack_a_f64(a, packA + ir * kc, m, k, transA, ic + ir, mr, pc, kc);
        }
        for (int jr = 0; jr < nc; jr += NR_D) {
          const int nr = nc - jr < NR_D ? nc - jr : NR_D;
          const double *Bp = packB + jr * kc;
          for (int ir = 0; ir < mc; ir += MR_D) {
            const int mr = mc - ir < MR_D ? mc - ir : MR_D;
            ukernel_f64(kc, packA + ir * kc, Bp, c + (ic + ir) * n + jc + jr, n, mr, nr, tmp);
          }
        }
      }
    }
  }
}

EXPORT(dgemm_work_doubles)
int dgemm_work_doubles(void) { return MC * KC + NC * KC + MR_D * NR_D + 32; }

/* The float64 twin of sgemm_batched. */
EXPORT(dgemm_batched)
void dgemm_batched(const double *a, const double *b, double *c, int batch, int m, int n, int k, int transA,
                   int transB, int sa, int sb, int sc, double *work) {
  for (int t = 0; t < batch; t++) dgemm(a + t * sa, b + t * sb, c + t * sc, m, n, k, transA, transB, 0, work);
}

/* ------------------------------------------------------------------------------------------------ */
/* Elementwise and reductions. op: 0 add, 1 sub, 2 mul, 3 div.                                       */
/* ------------------------------------------------------------------------------------------------ */
#define BINARY_BODY(T, VT_LOAD, ADD, SUB, MUL, DIV, LANES)                                                     \
  int i = 0;                                                                                                    \
  switch (op) {                                                                                                 \
  case 0:                                                                                                       \
    for (; i + LANES <= n; i += LANES) wasm_v128_store(out + i, ADD(wasm_v128_load(a + i), wasm_v128_load(b + i))); \
    for (; i < n; i++) out[i] = a[i] + b[i];                                                                    \
    break;                                                                                                      \
  case 1:                                                                                                       \
    for (; i + LANES <= n; i += LANES) wasm_v128_store(out + i, SUB(wasm_v128_load(a + i), wasm_v128_load(b + i))); \
    for (; i < n; i++) out[i] = a[i] - b[i];                                                                    \
    break;                                                                                                      \
  case 2:                                                                                                       \
    for (; i + LANES <= n; i += LANES) wasm_v128_store(out + i, MUL(wasm_v128_load(a + i), wasm_v128_load(b + i))); \
    for (; i < n; i++) out[i] = a[i] * b[i];                                                                    \
    break;                                                                                                      \
  default:                                                                                                      \
    for (; i + LANES <= n; i += LANES) wasm_v128_store(out + i, DIV(wasm_v128_load(a + i), wasm_v128_load(b + i))); \
    for (; i < n; i++) out[i] = a[i] / b[i];                                                                    \
    break;                                                                                                      \
  }

INLINE void binary_f32_impl(int op, const float *a, const float *b, float *out, int n) {
  BINARY_BODY(float, , wasm_f32x4_add, wasm_f32x4_sub, wasm_f32x4_mul, wasm_f32x4_div, 4)
}

INLINE void binary_f64_impl(int op, const double *a, const double *b, double *out, int n) {
  BINARY_BODY(double, , wasm_f64x2_add, wasm_f64x2_sub, wasm_f64x2_mul, wasm_f64x2_div, 2)
}

EXPORT(binary_f32)
void binary_f32(int op, const float *a, const float *b, float *out, int n) { binary_f32_impl(op, a, b, out, n); }

EXPORT(binary_f64)
void binary_f64(int op, const double *a, const double *b, double *out, int n) { binary_f64_impl(op, a, b, out, n); }

/* out[r, :] = a[r, :] op row: the bias-add shape. */
EXPORT(binary_row_f32)
void binary_row_f32(int op, const float *a, const float *row, float *out, int rows, int cols) {
  if (cols == 1) {
    /* A column plus a scalar (a one-output layer's bias): one SIMD loop instead of `rows` one-element calls. */
    const float s = row[0];
    const v128_t sv = wasm_f32x4_splat(s);
    int i = 0;
    switch (op) {
    case 0:
      for (; i + 4 <= rows; i += 4) wasm_v128_store(out + i, wasm_f32x4_add(wasm_v128_load(a + i), sv));
      for (; i < rows; i++) out[i] = a[i] + s;
      break;
    case 1:
      for (; i + 4 <= rows; i += 4) wasm_v128_store(out + i, wasm_f32x4_sub(wasm_v128_load(a + i), sv));
      for (; i < rows; i++) out[i] = a[i] - s;
      break;
    case 2:
      for (; i + 4 <= rows; i += 4) wasm_v128_store(out + i, wasm_f32x4_mul(wasm_v128_load(a + i), sv));
      for (; i < rows; i++) out[i] = a[i] * s;
      break;
    default:
      for (; i + 4 <= rows; i += 4) wasm_v128_store(out + i, wasm_f32x4_div(wasm_v128_load(a + i), sv));
      for (; i < rows; i++) out[i] = a[i] / s;
      break;
    }
    return;
  }
  for (int r = 0; r < rows; r++) binary_f32_impl(op, a + r * cols, row, out + r * cols, cols);
}

EXPORT(binary_row_f64)
void binary_row_f64(int op, const double *a, const double *row, double *out, int rows, int cols) {
  if (cols == 1) {
    const double s = row[0];
    const v128_t sv = wasm_f64x2_splat(s);
    int i = 0;
    switch (op) {
    case 0:
      for (; i + 2 <= rows; i += 2) wasm_v128_store(out + i, wasm_f64x2_add(wasm_v128_load(a + i), sv));
      for (; i < rows; i++) out[i] = a[i] + s;
      break;
    case 1:
      for (; i + 2 <= rows; i += 2) wasm_v128_store(out + i, wasm_f64x2_sub(wasm_v128_load(a + i), sv));
      for (; i < rows; i++) out[i] = a[i] - s;
      break;
    case 2:
      for (; i + 2 <= rows; i += 2) wasm_v128_store(out + i, wasm_f64x2_mul(wasm_v128_load(a + i), sv));
      for (; i < rows; i++) out[i] = a[i] * s;
      break;
    default:
      for (; i + 2 <= rows; i += 2) wasm_v128_store(out + i, wasm_f64x2_div(wasm_v128_load(a + i), sv));
      for (; i < rows; i++) out[i] = a[i] / s;
      break;
    }
    return;
  }
  for (int r = 0; r < rows; r++) binary_f64_impl(op, a + r * cols, row, out + r * cols, cols);
}

EXPORT(sum_rows_f32)
void sum_rows_f32(const float *a, float *out, int rows, int cols) {
  if (cols == 1) {
    /* Sum of a column: four SIMD partial sums (the order differs from a plain loop, within rounding). */
    v128_t s = wasm_f32x4_splat(0.0f);
    int r = 0;
    for (; r + 4 <= rows; r += 4) s = wasm_f32x4_add(s, wasm_v128_load(a + r));
    float t = (wasm_f32x4_extract_lane(s, 0) + wasm_f32x4_extract_lane(s, 1)) +
              (wasm_f32x4_extract_lane(s, 2) + wasm_f32x4_extract_lane(s, 3));
    for (; r < rows; r++) t += a[r];
    out[0] = t;
    return;
  }
  for (int c = 0; c < cols; c++) out[c] = 0.0f;
  for (int r = 0; r < rows; r++) {
    const float *ar = a + r * cols;
    int c = 0;
    for (; c + 4 <= cols; c += 4) wasm_v128_store(out + c, wasm_f32x4_add(wasm_v128_load(out + c), wasm_v128_load(ar + c)));
    for (; c < cols; c++) out[c] += ar[c];
  }
}

EXPORT(sum_rows_f64)
void sum_rows_f64(const double *a, double *out, int rows, int cols) {
  if (cols == 1) {
    v128_t s = wasm_f64x2_splat(0.0), s2 = s;
    int r = 0;
    for (; r + 4 <= rows; r += 4) {
      s = wasm_f64x2_add(s, wasm_v128_load(a + r));
      s2 = wasm_f64x2_add(s2, wasm_v128_load(a + r + 2));
    }
    s = wasm_f64x2_add(s, s2);
    double t = wasm_f64x2_extract_lane(s, 0) + wasm_f64x2_extract_lane(s, 1);
    for (; r < rows; r++) t += a[r];
    out[0] = t;
    return;
  }
  for (int c = 0; c < cols; c++) out[c] = 0.0;
  for (int r = 0; r < rows; r++) {
    const double *ar = a + r * cols;
    int c = 0;
    for (; c + 2 <= cols; c += 2) wasm_v128_store(out + c, wasm_f64x2_add(wasm_v128_load(out + c), wasm_v128_load(ar + c)));
    for (; c < cols; c++) out[c] += ar[c];
  }
}

/* ------------------------------------------------------------------------------------------------ */
/* Optimizer updates, bit-identical to src/optim's TypeScript loops: temporaries are doubles (JS        */
/* numbers), stores round to the array type, values are read back where the TypeScript reads them, the */
/* operations run in the same order, and wasm has no FMA to contract into. Flags are compile-time       */
/* constants in each specialised loop so clang can vectorize it.                                        */
/* ------------------------------------------------------------------------------------------------ */
#define ADAM_MAXIMIZE 1
#define ADAM_AMSGRAD 2
#define ADAM_DECAY 4

#define ADAM_BODY(T, DECAY, MAXIMIZE, AMSGRAD, L2)                                                                    \
  for (int j = 0; j < n; j++) {                                                                                       \
    if (DECAY) p[j] = (T)((double)p[j] * decay);                                                                      \
    double d = (MAXIMIZE) ? -(double)g[j] : (double)g[j];                                                             \
    if (L2) d = d + l2 * (double)p[j];                                                                                \
    m[j] = (T)(beta1 * (double)m[j] + (1.0 - beta1) * d);                                                             \
    v[j] = (T)(beta2 * (double)v[j] + (1.0 - beta2) * (d * d));                                                       \
    double u = (double)v[j];                                                                                          \
    if (AMSGRAD) {                                                                                                    \
      const T cur = vmax[j];                                                                                          \
      vmax[j] = ((double)cur >= u) ? cur : (T)u;                                                                      \
      u = (double)vmax[j];                                                                                            \
    }                                                                                                                 \
    p[j] = (T)((double)p[j] - stepSize * ((double)m[j] / (__builtin_sqrt(u) / bc2Sqrt + eps)));                       \
  }

#define ADAM_FN(NAME, T)                                                                                              \
  EXPORT(NAME)                                                                                                        \
  void NAME(T *restrict p, const T *restrict g, T *restrict m, T *restrict v, T *restrict vmax, int n, double beta1,  \
            double beta2, double eps, double l2, double decay, double stepSize, double bc2Sqrt, int flags) {          \
    switch ((flags & 7) | (l2 != 0.0 ? 8 : 0)) {                                                                      \
    case 0: ADAM_BODY(T, 0, 0, 0, 0) break;                                                                           \
    case 1: ADAM_BODY(T, 0, 1, 0, 0) break;                                                                           \
    case 2: ADAM_BODY(T, 0, 0, 1, 0) break;                                                                           \
    case 3: ADAM_BODY(T, 0, 1, 1, 0) break;                                                                           \
    case 4: ADAM_BODY(T, 1, 0, 0, 0) break;                                                                           \
    case 5: ADAM_BODY(T, 1, 1, 0, 0) break;                                                                           \
    case 6: ADAM_BODY(T, 1, 0, 1, 0) break;                                                                           \
    case 7: ADAM_BODY(T, 1, 1, 1, 0) break;                                                                           \
    case 8: ADAM_BODY(T, 0, 0, 0, 1) break;                                                                           \
    case 9: ADAM_BODY(T, 0, 1, 0, 1) break;                                                                           \
    case 10: ADAM_BODY(T, 0, 0, 1, 1) break;                                                                          \
    case 11: ADAM_BODY(T, 0, 1, 1, 1) break;                                                                          \
    case 12: ADAM_BODY(T, 1, 0, 0, 1) break;                                                                          \
    case 13: ADAM_BODY(T, 1, 1, 0, 1) break;                                                                          \
    case 14: ADAM_BODY(T, 1, 0, 1, 1) break;                                                                          \
    default: ADAM_BODY(T, 1, 1, 1, 1) break;                                                                          \
    }                                                                                                                 \
  }
ADAM_FN(adam_f32, float)
ADAM_FN(adam_f64, double)

#define SGD_MAXIMIZE 1
#define SGD_NESTEROV 2
#define SGD_FIRST 4

#define SGD_BODY(T, MAXIMIZE, WD, BUF, FIRST, NESTEROV)                                                             \
  for (int j = 0; j < n; j++) {                                                                                       \
    double d = (MAXIMIZE) ? -(double)g[j] : (double)g[j];                                                             \
    if (WD) d = d + wd * (double)p[j];                                                                                \
    if (BUF) {                                                                                                        \
      buf[j] = (FIRST) ? (T)d : (T)(mu * (double)buf[j] + (1.0 - dampening) * d);                                     \
      const double b = (double)buf[j];                                                                                \
      d = (NESTEROV) ? d + mu * b : b;                                                                                \
    }                                                                                                                 \
    p[j] = (T)((double)p[j] - lr * d);                                                                                \
  }

#define SGD_FN(NAME, T)                                                                                               \
  EXPORT(NAME)                                                                                                        \
  void NAME(T *restrict p, const T *restrict g, T *restrict buf, int n, double lr, double mu, double dampening,       \
            double wd, int flags, int hasBuf) {                                                                       \
    const int mx = flags & SGD_MAXIMIZE, w = wd != 0.0, first = flags & SGD_FIRST, nest = flags & SGD_NESTEROV;      \
    if (!hasBuf) {                                                                                                    \
      if (mx) { if (w) { SGD_BODY(T, 1, 1, 0, 0, 0) } else { SGD_BODY(T, 1, 0, 0, 0, 0) } }                           \
      else { if (w) { SGD_BODY(T, 0, 1, 0, 0, 0) } else { SGD_BODY(T, 0, 0, 0, 0, 0) } }                              \
    } else if (!mx && !w && !first) {                                                                                 \
      if (nest) { SGD_BODY(T, 0, 0, 1, 0, 1) } else { SGD_BODY(T, 0, 0, 1, 0, 0) }                                    \
    } else {                                                                                                          \
      for (int j = 0; j < n; j++) {                                                                                   \
        double d = mx ? -(double)g[j] : (double)g[j];                                                                 \
        if (w) d = d + wd * (double)p[j];                                                                             \
        buf[j] = first ? (T)d : (T)(mu * (double)buf[j] + (1.0 - dampening) * d);                                     \
        const double b = (double)buf[j];                                                                              \
        d = nest ? d + mu * b : b;                                                                                    \
        p[j] = (T)((double)p[j] - lr * d);                                                                            \
      }                                                                                                               \
    }                                                                                                                 \
  }
SGD_FN(sgd_f32, float)
SGD_FN(sgd_f64, double)

/* ------------------------------------------------------------------------------------------------ */
/* Binary cross-entropy on logits, value and gradient in one pass (the fused training path's loss).     */
/* Per element, as torch's stable form: loss = (1 − y)·x + max(−x, 0) + log1p(e), e = exp(−|x|);        */
/* grad = (σ(x) − y)·scale with σ = 1/(1 + e) for x ≥ 0, e/(1 + e) otherwise. exp and log1p are SIMD    */
/* polynomials in double, within ~2 ulp of the libm values (the tests hold them to 1e-15 relative).     */
/* ------------------------------------------------------------------------------------------------ */

/* e^x for x ≤ 0, x ≥ −708 (callers clamp): x = k·ln2 + r, |r| ≤ ln2/2, e^r by a degree-13 Taylor polynomial. */
INLINE v128_t exp_f64x2(v128_t x) {
  const v128_t k = wasm_f64x2_nearest(wasm_f64x2_mul(x, wasm_f64x2_splat(1.4426950408889634)));
  v128_t r = wasm_f64x2_sub(x, wasm_f64x2_mul(k, wasm_f64x2_splat(6.93147180369123816490e-01)));
  r = wasm_f64x2_sub(r, wasm_f64x2_mul(k, wasm_f64x2_splat(1.90821492927058770002e-10)));
  /* Horner: Σ r^i / i!, i = 0..13 */
  v128_t p = wasm_f64x2_splat(1.0 / 6227020800.0);
  p = wasm_f64x2_add(wasm_f64x2_mul(p, r), wasm_f64x2_splat(1.0 / 479001600.0));
  p = wasm_f64x2_add(wasm_f64x2_mul(p, r), wasm_f64x2_splat(1.0 / 39916800.0));
  p = wasm_f64x2_add(wasm_f64x2_mul(p, r), wasm_f64x2_splat(1.0 / 3628800.0));
  p = wasm_f64x2_add(wasm_f64x2_mul(p, r), wasm_f64x2_splat(1.0 / 362880.0));
  p = wasm_f64x2_add(wasm_f64x2_mul(p, r), wasm_f64x2_splat(1.0 / 40320.0));
  p = wasm_f64x2_add(wasm_f64x2_mul(p, r), wasm_f64x2_splat(1.0 / 5040.0));
  p = wasm_f64x2_add(wasm_f64x2_mul(p, r), wasm_f64x2_splat(1.0 / 720.0));
  p = wasm_f64x2_add(wasm_f64x2_mul(p, r), wasm_f64x2_splat(1.0 / 120.0));
  p = wasm_f64x2_add(wasm_f64x2_mul(p, r), wasm_f64x2_splat(1.0 / 24.0));
  p = wasm_f64x2_add(wasm_f64x2_mul(p, r), wasm_f64x2_splat(1.0 / 6.0));
  p = wasm_f64x2_add(wasm_f64x2_mul(p, r), wasm_f64x2_splat(0.5));
  p = wasm_f64x2_add(wasm_f64x2_mul(p, r), wasm_f64x2_splat(1.0));
  p = wasm_f64x2_add(wasm_f64x2_mul(p, r), wasm_f64x2_splat(1.0));
  /* 2^k from the exponent bits: k is an integer in [−1022, 0] here. */
  const v128_t ki = wasm_i64x2_extend_low_i32x4(wasm_i32x4_trunc_sat_f64x2_zero(k));
  const v128_t scale = wasm_i64x2_shl(wasm_i64x2_add(ki, wasm_i64x2_splat(1023)), 52);
  return wasm_f64x2_mul(p, scale);
}

/* ln(m) for m in [1, 2]: halve above √2, then ln f = 2·atanh(s), s = (f − 1)/(f + 1), |s| ≤ 0.1716, 11 terms. */
INLINE v128_t log_1to2_f64x2(v128_t m) {
  const v128_t big = wasm_f64x2_gt(m, wasm_f64x2_splat(1.4142135623730951));
  const v128_t f = wasm_v128_bitselect(wasm_f64x2_mul(m, wasm_f64x2_splat(0.5)), m, big);
  const v128_t s = wasm_f64x2_div(wasm_f64x2_sub(f, wasm_f64x2_splat(1.0)), wasm_f64x2_add(f, wasm_f64x2_splat(1.0)));
  const v128_t s2 = wasm_f64x2_mul(s, s);
  v128_t q = wasm_f64x2_splat(1.0 / 21.0);
  q = wasm_f64x2_add(wasm_f64x2_mul(q, s2), wasm_f64x2_splat(1.0 / 19.0));
  q = wasm_f64x2_add(wasm_f64x2_mul(q, s2), wasm_f64x2_splat(1.0 / 17.0));
  q = wasm_f64x2_add(wasm_f64x2_mul(q, s2), wasm_f64x2_splat(1.0 / 15.0));
  q = wasm_f64x2_add(wasm_f64x2_mul(q, s2), wasm_f64x2_splat(1.0 / 13.0));
  q = wasm_f64x2_add(wasm_f64x2_mul(q, s2), wasm_f64x2_splat(1.0 / 11.0));
  q = wasm_f64x2_add(wasm_f64x2_mul(q, s2), wasm_f64x2_splat(1.0 / 9.0));
  q = wasm_f64x2_add(wasm_f64x2_mul(q, s2), wasm_f64x2_splat(1.0 / 7.0));
  q = wasm_f64x2_add(wasm_f64x2_mul(q, s2), wasm_f64x2_splat(1.0 / 5.0));
  q = wasm_f64x2_add(wasm_f64x2_mul(q, s2), wasm_f64x2_splat(1.0 / 3.0));
  /* 2s + 2s·s²·q' (q' = q − 1 folded: q currently = 1/3 + … ) */
  const v128_t two_s = wasm_f64x2_add(s, s);
  const v128_t lnf = wasm_f64x2_add(two_s, wasm_f64x2_mul(two_s, wasm_f64x2_mul(s2, q)));
  const v128_t kln2 = wasm_v128_and(big, wasm_f64x2_splat(0.6931471805599453));
  return wasm_f64x2_add(kln2, lnf);
}

/* One f64x2 step: returns the two loss terms; writes the two gradients to *g. */
INLINE v128_t bce_f64x2(v128_t x, v128_t y, v128_t scale, v128_t *g) {
  const v128_t zero = wasm_f64x2_splat(0.0);
  const v128_t one = wasm_f64x2_splat(1.0);
  const v128_t ax = wasm_f64x2_abs(x);
  /* e = exp(−|x|); below e^−708 the terms it feeds are below double resolution of the others, so clamp. */
  const v128_t nx = wasm_f64x2_max(wasm_f64x2_neg(ax), wasm_f64x2_splat(-708.0));
  v128_t e = exp_f64x2(nx);
  e = wasm_v128_bitselect(wasm_f64x2_splat(0.0), e, wasm_f64x2_eq(ax, wasm_f64x2_splat(__builtin_inf())));
  e = wasm_v128_bitselect(wasm_f64x2_splat(__builtin_nan("")), e, wasm_f64x2_ne(x, x)); /* NaN stays NaN */
  const v128_t m = wasm_f64x2_add(one, e);
  const v128_t inv = wasm_f64x2_div(one, m); /* one division, shared by the correction and σ */
  /* log1p(e) = ln(m) + (e − (m − 1))/m: the second term restores what rounding 1 + e lost. */
  const v128_t corr = wasm_f64x2_mul(wasm_f64x2_sub(e, wasm_f64x2_sub(m, one)), inv);
  const v128_t l1p = wasm_f64x2_add(log_1to2_f64x2(m), corr);
  const v128_t negpart = wasm_f64x2_max(wasm_f64x2_neg(x), zero);
  const v128_t loss = wasm_f64x2_add(wasm_f64x2_add(wasm_f64x2_mul(wasm_f64x2_sub(one, y), x), negpart), l1p);
  const v128_t sig = wasm_v128_bitselect(inv, wasm_f64x2_mul(e, inv), wasm_f64x2_ge(x, zero));
  *g = wasm_f64x2_mul(wasm_f64x2_sub(sig, y), scale);
  return loss;
}

/* Σ loss_i over n elements; grad[i] = (σ(x_i) − y_i)·scale. */
EXPORT(bce_logits_f64)
double bce_logits_f64(const double *x, const double *y, double *grad, int n, double scale) {
  const v128_t sc = wasm_f64x2_splat(scale);
  v128_t acc = wasm_f64x2_splat(0.0);
  int i = 0;
  for (; i + 2 <= n; i += 2) {
    v128_t g;
    acc = wasm_f64x2_add(acc, bce_f64x2(wasm_v128_load(x + i), wasm_v128_load(y + i), sc, &g));
    wasm_v128_store(grad + i, g);
  }
  double s = wasm_f64x2_extract_lane(acc, 0) + wasm_f64x2_extract_lane(acc, 1);
  if (i < n) {
    v128_t g;
    const v128_t l = bce_f64x2(wasm_f64x2_splat(x[i]), wasm_f64x2_splat(y[i]), sc, &g);
    s += wasm_f64x2_extract_lane(l, 0);
    grad[i] = wasm_f64x2_extract_lane(g, 0);
  }
  return s;
}

EXPORT(bce_logits_f32)
double bce_logits_f32(const float *x, const float *y, float *grad, int n, double scale) {
  const v128_t sc = wasm_f64x2_splat(scale);
  v128_t acc = wasm_f64x2_splat(0.0);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t xv = wasm_v128_load(x + i);
    const v128_t yv = wasm_v128_load(y + i);
    v128_t g0, g1;
    acc = wasm_f64x2_add(acc, bce_f64x2(wasm_f64x2_promote_low_f32x4(xv), wasm_f64x2_promote_low_f32x4(yv), sc, &g0));
    const v128_t xh = wasm_i32x4_shuffle(xv, xv, 2, 3, 0, 1);
    const v128_t yh = wasm_i32x4_shuffle(yv, yv, 2, 3, 0, 1);
    acc = wasm_f64x2_add(acc, bce_f64x2(wasm_f64x2_promote_low_f32x4(xh), wasm_f64x2_promote_low_f32x4(yh), sc, &g1));
    const v128_t lo = wasm_f32x4_demote_f64x2_zero(g0);
    const v128_t hi = wasm_f32x4_demote_f64x2_zero(g1);
    wasm_v128_store(grad + i, wasm_i32x4_shuffle(lo, hi, 0, 1, 4, 5));
  }
  double s = wasm_f64x2_extract_lane(acc, 0) + wasm_f64x2_extract_lane(acc, 1);
  for (; i < n; i++) {
    v128_t g;
    const v128_t l = bce_f64x2(wasm_f64x2_splat((double)x[i]), wasm_f64x2_splat((double)y[i]), sc, &g);
    s += wasm_f64x2_extract_lane(l, 0);
    grad[i] = (float)wasm_f64x2_extract_lane(g, 0);
  }
  return s;
}

/* Zero `bytes` bytes at p (memory.fill): TypedArray.prototype.fill is ~10× slower on shared memory in V8 11.3. */
EXPORT(zero_bytes)
void zero_bytes(void *p, int bytes) { __builtin_memset(p, 0, (unsigned)bytes); }

/* ------------------------------------------------------------------------------------------------ */
/* LSTM: one whole direction of a float32 sequence in one call (src/tensor/ops/recurrent-cell.ts).    */
/* Per step: a = xg_t + h_prev·W_hhᵀ (sgemm), then the gates, four lanes at a time in float32. One     */
/* call per sequence removes T JS↔wasm round trips and their copies; the vector gate maths replaces    */
/* 5 Math.exp/Math.tanh calls per element.                                                             */
/*                                                                                                     */
/* Accuracy (float32 only: float64 sequences keep the TypeScript loop and its libm-grade Math.exp):   */
/* exp is Cephes' expf (Cody–Waite reduction, degree-5 polynomial, ≤ 2 ulp); σ = 1/(1 + e) or e/(1 + e) */
/* with e = e^−|x| (never overflows) and tanh = Cephes' tanhf polynomial below |x| = 0.625, else        */
/* (1 − e)/(1 + e) with e = e^−2|x| (≥ 0.71 in the numerator: no cancellation). Each activation is     */
/* within 4 float32 ulps of its exact value (measured over 3.2M inputs: σ 2.65, tanh 1.50), against ½ ulp */
/* for the TypeScript loop's double maths rounded once;                                                */
/* test/unit/kernels/lstm-kernel.test.ts holds it to 4 over a dense sweep. The                         */
/* golden tolerances for float32 are 1e-5 (values) and 1e-4 (gradients) against torch's float64.        */
/* ------------------------------------------------------------------------------------------------ */

/* e^x for x ≤ 0 (callers pass −|x|); below −87.3 (2^−126, the last normal) it is 0. NaN stays NaN. */
INLINE v128_t exp_neg_f32x4(v128_t x0) {
  const v128_t x = wasm_f32x4_max(x0, wasm_f32x4_splat(-87.33654f));
  const v128_t k = wasm_f32x4_nearest(wasm_f32x4_mul(x, wasm_f32x4_splat(1.44269504088896341f)));
  v128_t r = wasm_f32x4_sub(x, wasm_f32x4_mul(k, wasm_f32x4_splat(0.693359375f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(k, wasm_f32x4_splat(-2.12194440e-4f)));
  const v128_t r2 = wasm_f32x4_mul(r, r);
  v128_t p = wasm_f32x4_splat(1.9875691500E-4f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.3981999507E-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(8.3334519073E-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(4.1665795894E-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.6666665459E-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(5.0000001201E-1f));
  p = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(p, r2), r), wasm_f32x4_splat(1.0f));
  /* 2^k from the exponent bits: k is an integer in [−126, 0] (NaN: trunc_sat gives 0, p stays NaN). */
  const v128_t ki = wasm_i32x4_trunc_sat_f32x4(k);
  const v128_t scale = wasm_i32x4_shl(wasm_i32x4_add(ki, wasm_i32x4_splat(127)), 23);
  /* Under the clamp the true value is subnormal or 0: 0 (the NaN compare is false, so NaN is kept). */
  return wasm_v128_andnot(wasm_f32x4_mul(p, scale), wasm_f32x4_lt(x0, wasm_f32x4_splat(-87.33654f)));
}

/* σ(x) = 1/(1 + e^−x): with e = e^−|x| ≤ 1 that is 1/(1 + e) for x ≥ 0 and e/(1 + e) below (no overflow). */
INLINE v128_t sigmoid_f32x4(v128_t x) {
  const v128_t e = exp_neg_f32x4(wasm_f32x4_neg(wasm_f32x4_abs(x)));
  const v128_t inv = wasm_f32x4_div(wasm_f32x4_splat(1.0f), wasm_f32x4_add(wasm_f32x4_splat(1.0f), e));
  return wasm_v128_bitselect(inv, wasm_f32x4_mul(e, inv), wasm_f32x4_ge(x, wasm_f32x4_splat(0.0f)));
}

/* tanh: Cephes' tanhf polynomial below |x| = 0.625 (exact sign, −0 stays −0), sign(x)·(1 − e)/(1 + e) above. */
INLINE v128_t tanh_f32x4(v128_t x) {
  const v128_t ax = wasm_f32x4_abs(x);
  const v128_t one = wasm_f32x4_splat(1.0f);
  const v128_t sign = wasm_v128_and(x, wasm_f32x4_splat(-0.0f));
  const v128_t e = exp_neg_f32x4(wasm_f32x4_mul(ax, wasm_f32x4_splat(-2.0f)));
  const v128_t big = wasm_v128_or(wasm_f32x4_div(wasm_f32x4_sub(one, e), wasm_f32x4_add(one, e)), sign);
  const v128_t z = wasm_f32x4_mul(x, x);
  v128_t p = wasm_f32x4_splat(-5.70498872745E-3f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, z), wasm_f32x4_splat(2.06390887954E-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, z), wasm_f32x4_splat(-5.37397155531E-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, z), wasm_f32x4_splat(1.33314422036E-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, z), wasm_f32x4_splat(-3.33332819422E-1f));
  /* x + x·z·P(z), |z·P(z)| < 1/3: the sign is x's, which −0 + (+0) would lose, so it is put back. */
  const v128_t small =
      wasm_v128_or(wasm_f32x4_abs(wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_mul(p, z), x), x)), sign);
  /* NaN fails the < test and takes `big`, which is NaN. */
  return wasm_v128_bitselect(small, big, wasm_f32x4_lt(ax, wasm_f32x4_splat(0.625f)));
}

/* Four lanes of the cell: c′ = f·c + i·g (i·g alone at the first step, as torch's f·0 + i·g), h′ = o·tanh c′. */
INLINE void lstm_cell_f32x4(float *ar, int H, int j, const float *pr, float *cr, float *tr, float *hr) {
  const v128_t i = sigmoid_f32x4(wasm_v128_load(ar + j));
  const v128_t f = sigmoid_f32x4(wasm_v128_load(ar + H + j));
  const v128_t g = tanh_f32x4(wasm_v128_load(ar + 2 * H + j));
  const v128_t o = sigmoid_f32x4(wasm_v128_load(ar + 3 * H + j));
  const v128_t ig = wasm_f32x4_mul(i, g);
  const v128_t c = pr ? wasm_f32x4_add(wasm_f32x4_mul(f, wasm_v128_load(pr + j)), ig) : ig;
  const v128_t tc = tanh_f32x4(c);
  wasm_v128_store(ar + j, i);
  wasm_v128_store(ar + H + j, f);
  wasm_v128_store(ar + 2 * H + j, g);
  wasm_v128_store(ar + 3 * H + j, o);
  wasm_v128_store(cr + j, c);
  wasm_v128_store(tr + j, tc);
  wasm_v128_store(hr + j, wasm_f32x4_mul(o, tc));
}

/*
 * xg [T·n, 4H] time-major input gates, whh [4H, H]; writes acts [T·n, 4H] (i, f, g, o activated), cs, tcs
 * (tanh c) and hs [T·n, H]. reverse processes t = T−1 … 0. `work` as for sgemm; `tail` is 4·7 floats of
 * scratch for an H that is not a multiple of 4 (the last lanes go through the same vector code).
 */
EXPORT(lstm_forward_f32)
void lstm_forward_f32(const float *xg, const float *whh, float *acts, float *cs, float *tcs, float *hs, int T, int n,
                      int H, int reverse, float *work) {
  const int G = 4 * H;
  int prev = -1;
  float tail[7 * 4];
  for (int s = 0; s < T; s++) {
    const int t = reverse ? T - 1 - s : s;
    float *a = acts + t * n * G;
    __builtin_memcpy(a, xg + t * n * G, (unsigned)(n * G) * sizeof(float));
    if (prev >= 0) sgemm(hs + prev * n * H, whh, a, n, G, H, 0, 1, 1, work);
    for (int r = 0; r < n; r++) {
      float *ar = a + r * G;
      float *cr = cs + (t * n + r) * H;
      float *tr = tcs + (t * n + r) * H;
      float *hr = hs + (t * n + r) * H;
      const float *pr = prev >= 0 ? cs + (prev * n + r) * H : 0;
      int j = 0;
      for (; j + 4 <= H; j += 4) lstm_cell_f32x4(ar, H, j, pr, cr, tr, hr);
      if (j < H) {
        /* tail: gather the last lanes into [i|f|g|o|c_prev|c|tc] blocks of 4, run the vector cell, scatter. */
        const int m = H - j;
        for (int q = 0; q < 7 * 4; q++) tail[q] = 0.0f;
        for (int q = 0; q < m; q++) {
          for (int gate = 0; gate < 4; gate++) tail[gate * 4 + q] = ar[gate * H + j + q];
          if (pr) tail[16 + q] = pr[j + q];
        }
        float hv[4];
        lstm_cell_f32x4(tail, 4, 0, pr ? tail + 16 : 0, tail + 20, tail + 24, hv);
        for (int q = 0; q < m; q++) {
          for (int gate = 0; gate < 4; gate++) ar[gate * H + j + q] = tail[gate * 4 + q];
          cr[j + q] = tail[20 + q];
          tr[j + q] = tail[24 + q];
          hr[j + q] = hv[q];
        }
      }
    }
    prev = t;
  }
}

/* Two lanes of the LSTM's backward step, in double with the TypeScript loop's operation order, so each stored */
/* float32 is the very value that loop stores (the arithmetic is + − × only: IEEE-exact per operation).         */
INLINE void lstm_back_f64x2(v128_t i, v128_t f, v128_t g, v128_t o, v128_t tc, v128_t gh, v128_t dh, v128_t dc,
                            v128_t cp, int hasPrev, v128_t *di, v128_t *df, v128_t *dg, v128_t *dout,
                            v128_t *dcOut) {
  const v128_t one = wasm_f64x2_splat(1.0);
  const v128_t dhj = wasm_f64x2_add(gh, dh);
  const v128_t dcj = wasm_f64x2_add(
      wasm_f64x2_mul(wasm_f64x2_mul(dhj, o), wasm_f64x2_sub(one, wasm_f64x2_mul(tc, tc))), dc);
  *di = wasm_f64x2_mul(wasm_f64x2_mul(wasm_f64x2_mul(dcj, g), i), wasm_f64x2_sub(one, i));
  *df = hasPrev ? wasm_f64x2_mul(wasm_f64x2_mul(wasm_f64x2_mul(dcj, cp), f), wasm_f64x2_sub(one, f))
                : wasm_f64x2_splat(0.0);
  *dg = wasm_f64x2_mul(wasm_f64x2_mul(dcj, i), wasm_f64x2_sub(one, wasm_f64x2_mul(g, g)));
  *dout = wasm_f64x2_mul(wasm_f64x2_mul(wasm_f64x2_mul(dhj, tc), o), wasm_f64x2_sub(one, o));
  *dcOut = wasm_f64x2_mul(dcj, f);
}

/*
 * Backpropagation through time for lstm_forward_f32's saved acts, cs, tcs (recurrent-cell.ts's lstmBackward):
 * gh [T·n, H] the incoming ∂L/∂h_t, whh [4H, H]; writes dxg [T·n, 4H]. dh and dc are n·H floats of scratch
 * (the carried ∂L/∂h and ∂L/∂c, float32 as in the TypeScript loop). The carried ∂h of each step is
 * ∂a_t·W_hh by sgemm, as the loop's matmul call. ∂W_hh is left to the caller (one matmul over all steps).
 */
EXPORT(lstm_backward_f32)
void lstm_backward_f32(const float *gh, const float *acts, const float *cs, const float *tcs, const float *whh,
                       float *dxg, float *dh, float *dc, int T, int n, int H, int reverse, float *work) {
  const int G = 4 * H;
  __builtin_memset(dh, 0, (unsigned)(n * H) * sizeof(float));
  __builtin_memset(dc, 0, (unsigned)(n * H) * sizeof(float));
  for (int s = T - 1; s >= 0; s--) {
    const int t = reverse ? T - 1 - s : s;
    const int prev = s > 0 ? (reverse ? t + 1 : t - 1) : -1;
    const int hasPrev = prev >= 0;
    for (int r = 0; r < n; r++) {
      const float *ar = acts + (t * n + r) * G;
      float *dr = dxg + (t * n + r) * G;
      const float *tr = tcs + (t * n + r) * H;
      const float *gr = gh + (t * n + r) * H;
      const float *pr = cs + (hasPrev ? (prev * n + r) * H : 0);
      float *dhr = dh + r * H;
      float *dcr = dc + r * H;
      int j = 0;
      for (; j + 2 <= H; j += 2) {
#define LD2(p) wasm_f64x2_promote_low_f32x4(wasm_v128_load64_zero(p))
        v128_t di, df, dg, dout, dcn;
        lstm_back_f64x2(LD2(ar + j), LD2(ar + H + j), LD2(ar + 2 * H + j), LD2(ar + 3 * H + j), LD2(tr + j),
                        LD2(gr + j), LD2(dhr + j), LD2(dcr + j), hasPrev ? LD2(pr + j) : wasm_f64x2_splat(0.0),
                        hasPrev, &di, &df, &dg, &dout, &dcn);
#undef LD2
#define ST2(p, v) wasm_v128_store64_lane(p, wasm_f32x4_demote_f64x2_zero(v), 0)
        ST2(dr + j, di);
        ST2(dr + H + j, df);
        ST2(dr + 2 * H + j, dg);
        ST2(dr + 3 * H + j, dout);
        ST2(dcr + j, dcn);
#undef ST2
      }
      for (; j < H; j++) {
        v128_t di, df, dg, dout, dcn;
        lstm_back_f64x2(wasm_f64x2_splat(ar[j]), wasm_f64x2_splat(ar[H + j]), wasm_f64x2_splat(ar[2 * H + j]),
                        wasm_f64x2_splat(ar[3 * H + j]), wasm_f64x2_splat(tr[j]), wasm_f64x2_splat(gr[j]),
                        wasm_f64x2_splat(dhr[j]), wasm_f64x2_splat(dcr[j]),
                        wasm_f64x2_splat(hasPrev ? pr[j] : 0.0f), hasPrev, &di, &df, &dg, &dout, &dcn);
        dr[j] = (float)wasm_f64x2_extract_lane(di, 0);
        dr[H + j] = (float)wasm_f64x2_extract_lane(df, 0);
        dr[2 * H + j] = (float)wasm_f64x2_extract_lane(dg, 0);
        dr[3 * H + j] = (float)wasm_f64x2_extract_lane(dout, 0);
        dcr[j] = (float)wasm_f64x2_extract_lane(dcn, 0);
      }
    }
    /* The carried dh for the earlier step: ∂a_t · W_hh ([n, 4H] × [4H, H]). */
    if (hasPrev) sgemm(dxg + t * n * G, whh, dh, n, H, G, 0, 0, 0, work);
  }
}
