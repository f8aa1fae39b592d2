/*
 * Descent's optional native kernel backend (Tier 2): matmul through the system OpenBLAS.
 *
 * N-API (ABI-stable, plain C), built by scripts/build-native.cjs when a C compiler, Node's headers and
 * OpenBLAS are present. Typed arrays are passed by pointer: no copies, whatever memory they live in.
 *
 *   matmul(a, b, c, m, n, k, transA, transB, accumulate)   C = op(A)·op(B) (+ C), row-major
 *   matmulBatched(a, b, c, batch, m, n, k, transA, transB, strideA, strideB, strideC)
 *                                                           batch products in one call (stride 0 broadcasts)
 *   binary(op, a, b, out) / binaryRow(op, a, row, out, rows, cols) / sumRows(a, out, rows, cols)
 *                                                           the elementwise kernels, in place on the JS arrays
 *   adam(p, g, m, v, vmax, beta1, beta2, eps, l2, decay, stepSize, bc2Sqrt, flags)
 *   sgd(p, g, buf, lr, mu, dampening, wd, flags)            optimizer updates in place, bit-identical to the
 *                                                           TypeScript loops in src/optim (see below)
 *   setThreads(n) / getThreads()                            OpenBLAS thread count (default set to 1 at load)
 *   config()                                                OpenBLAS build string
 */
#include <cblas.h>
#include <math.h>
#include <node_api.h>
#include <stdint.h>
#include <string.h>

extern void openblas_set_num_threads(int);
extern int openblas_get_num_threads(void);
extern char *openblas_get_config(void);

#define CHECK(call)                                                                                                   \
  do {                                                                                                                \
    if ((call) != napi_ok) {                                                                                          \
      napi_throw_error(env, NULL, "descent_blas: bad arguments");                                                     \
      return NULL;                                                                                                    \
    }                                                                                                                 \
  } while (0)

static int typed(napi_env env, napi_value v, napi_typedarray_type *type, size_t *len, void **data) {
  napi_value buf;
  size_t off;
  return napi_get_typedarray_info(env, v, type, len, data, &buf, &off) == napi_ok;
}

/* C = op(A)·op(B) (+ C), row-major, sizes already checked: the one cblas call matmul and matmulBatched share. */
static void gemm(int f64, const void *pa, const void *pb, void *pc, int m, int n, int k, bool transA, bool transB, bool acc) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    if (!acc) memset(pc, 0, (size_t)m * n * (f64 ? 8 : 4));
    return;
  }
  const enum CBLAS_TRANSPOSE opA = transA ? CblasTrans : CblasNoTrans;
  const enum CBLAS_TRANSPOSE opB = transB ? CblasTrans : CblasNoTrans;
  const int lda = transA ? m : k;
  const int ldb = transB ? k : n;
  if (f64) {
    if (n == 1) /* gemv skips GEMM's packing for the matrix-vector shapes */
      cblas_dgemv(CblasRowMajor, opA, transA ? k : m, transA ? m : k, 1.0, pa, lda, pb, 1, acc ? 1.0 : 0.0, pc, 1);
    else
      cblas_dgemm(CblasRowMajor, opA, opB, m, n, k, 1.0, pa, lda, pb, ldb, acc ? 1.0 : 0.0, pc, n);
  } else {
    if (n == 1)
      cblas_sgemv(CblasRowMajor, opA, transA ? k : m, transA ? m : k, 1.0f, pa, lda, pb, 1, acc ? 1.0f : 0.0f, pc, 1);
    else
      cblas_sgemm(CblasRowMajor, opA, opB, m, n, k, 1.0f, pa, lda, pb, ldb, acc ? 1.0f : 0.0f, pc, n);
  }
}

static napi_value matmul(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 9) {
    napi_throw_error(env, NULL, "descent_blas.matmul: 9 arguments expected");
    return NULL;
  }
  napi_typedarray_type ta, tb, tc;
  size_t la, lb, lc;
  void *pa, *pb, *pc;
  if (!typed(env, argv[0], &ta, &la, &pa) || !typed(env, argv[1], &tb, &lb, &pb) || !typed(env, argv[2], &tc, &lc, &pc)) {
    napi_throw_type_error(env, NULL, "descent_blas.matmul: a, b, c must be typed arrays");
    return NULL;
  }
  int32_t m, n, k;
  bool transA, transB, acc;
  CHECK(napi_get_value_int32(env, argv[3], &m));
  CHECK(napi_get_value_int32(env, argv[4], &n));
  CHECK(napi_get_value_int32(env, argv[5], &k));
  CHECK(napi_get_value_bool(env, argv[6], &transA));
  CHECK(napi_get_value_bool(env, argv[7], &transB));
  CHECK(napi_get_value_bool(env, argv[8], &acc));
  if (ta != tb || ta != tc || (ta != napi_float32_array && ta != napi_float64_array)) {
    napi_throw_type_error(env, NULL, "descent_blas.matmul: a, b, c must all be Float32Array or all Float64Array");
    return NULL;
  }
  if (m < 0 || n < 0 || k < 0 || la < (size_t)m * k || lb < (size_t)k * n || lc < (size_t)m * n) {
    napi_throw_range_error(env, NULL, "descent_blas.matmul: arrays too short for m, n, k");
    return NULL;
  }
  const int f64 = ta == napi_float64_array;
  gemm(f64, pa, pb, pc, m, n, k, transA, transB, acc);
  return NULL;
}

/*
 * matmulBatched(a, b, c, batch, m, n, k, transA, transB, strideA, strideB, strideC): C_t = op(A_t)·op(B_t) for
 * t < batch, A_t at element t·strideA of a (0 broadcasts), likewise B and C; C overwritten. One N-API call and
 * one argument check for the whole batch instead of one per product; each product is the same cblas call
 * matmul makes, so results are bit-identical to per-product calls.
 */
static napi_value matmul_batched(napi_env env, napi_callback_info info) {
  size_t argc = 12;
  napi_value argv[12];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 12) {
    napi_throw_error(env, NULL, "descent_blas.matmulBatched: 12 arguments expected");
    return NULL;
  }
  napi_typedarray_type ta, tb, tc;
  size_t la, lb, lc;
  void *pa, *pb, *pc;
  if (!typed(env, argv[0], &ta, &la, &pa) || !typed(env, argv[1], &tb, &lb, &pb) || !typed(env, argv[2], &tc, &lc, &pc)) {
    napi_throw_type_error(env, NULL, "descent_blas.matmulBatched: a, b, c must be typed arrays");
    return NULL;
  }
  int32_t batch, m, n, k, sa, sb, sc;
  bool transA, transB;
  CHECK(napi_get_value_int32(env, argv[3], &batch));
  CHECK(napi_get_value_int32(env, argv[4], &m));
  CHECK(napi_get_value_int32(env, argv[5], &n));
  CHECK(napi_get_value_int32(env, argv[6], &k));
  CHECK(napi_get_value_bool(env, argv[7], &transA));
  CHECK(napi_get_value_bool(env, argv[8], &transB));
  CHECK(napi_get_value_int32(env, argv[9], &sa));
  CHECK(napi_get_value_int32(env, argv[10], &sb));
  CHECK(napi_get_value_int32(env, argv[11], &sc));
  if (ta != tb || ta != tc || (ta != napi_float32_array && ta != napi_float64_array)) {
    napi_throw_type_error(env, NULL, "descent_blas.matmulBatched: a, b, c must all be Float32Array or all Float64Array");
    return NULL;
  }
  if (batch < 0 || m < 0 || n < 0 || k < 0 || sa < 0 || sb < 0 || sc < 0) {
    napi_throw_range_error(env, NULL, "descent_blas.matmulBatched: negative size or stride");
    return NULL;
  }
  if (batch == 0) return NULL;
  /* The last product's end bounds every product's (strides are ≥ 0); size_t so no int overflow. */
  const size_t last = (size_t)(batch - 1);
  const size_t mn = (size_t)m * n;
  if (la < last * sa + (size_t)m * k || lb < last * sb + (size_t)k * n || lc < last * sc + mn) {
    napi_throw_range_error(env, NULL, "descent_blas.matmulBatched: arrays too short for batch, m, n, k and the strides");
    return NULL;
  }
  if (batch > 1 && (size_t)sc < mn) {
    napi_throw_range_error(env, NULL, "descent_blas.matmulBatched: strideC < m*n would overlap the products");
    return NULL;
  }
  const int f64 = ta == napi_float64_array;
  const size_t es = f64 ? 8 : 4;
  for (int32_t t = 0; t < batch; t++)
    gemm(f64, (const char *)pa + (size_t)t * sa * es, (const char *)pb + (size_t)t * sb * es, (char *)pc + (size_t)t * sc * es,
         m, n, k, transA, transB, false);
  return NULL;
}

/* op: 0 add, 1 sub, 2 mul, 3 div. Plain loops: gcc -O3 vectorizes them for the build machine. */
#define BINARY_LOOP(T, out, a, b, n, op)                                                                              \
  switch (op) {                                                                                                       \
  case 0: for (size_t i = 0; i < (n); i++) (out)[i] = (a)[i] + (b)[i]; break;                                         \
  case 1: for (size_t i = 0; i < (n); i++) (out)[i] = (a)[i] - (b)[i]; break;                                         \
  case 2: for (size_t i = 0; i < (n); i++) (out)[i] = (a)[i] * (b)[i]; break;                                         \
  default: for (size_t i = 0; i < (n); i++) (out)[i] = (a)[i] / (b)[i]; break;                                        \
  }

static void binary_f32(int op, const float *a, const float *b, float *out, size_t n) { BINARY_LOOP(float, out, a, b, n, op) }
static void binary_f64(int op, const double *a, const double *b, double *out, size_t n) { BINARY_LOOP(double, out, a, b, n, op) }

#define BINARY_SCALAR_LOOP(out, a, s, n, op)                                                                          \
  switch (op) {                                                                                                       \
  case 0: for (size_t i = 0; i < (n); i++) (out)[i] = (a)[i] + (s); break;                                            \
  case 1: for (size_t i = 0; i < (n); i++) (out)[i] = (a)[i] - (s); break;                                            \
  case 2: for (size_t i = 0; i < (n); i++) (out)[i] = (a)[i] * (s); break;                                            \
  default: for (size_t i = 0; i < (n); i++) (out)[i] = (a)[i] / (s); break;                                           \
  }

static void binary_scalar_f32(int op, const float *a, float s, float *out, size_t n) { BINARY_SCALAR_LOOP(out, a, s, n, op) }
static void binary_scalar_f64(int op, const double *a, double s, double *out, size_t n) { BINARY_SCALAR_LOOP(out, a, s, n, op) }

/* Reads (op, a, b, out) typed arrays of one float type; returns 0 and throws on a mismatch. */
static int three_arrays(napi_env env, napi_value *argv, napi_typedarray_type *t, size_t *la, size_t *lb, size_t *lc, void **pa,
                        void **pb, void **pc) {
  napi_typedarray_type tb, tc;
  if (!typed(env, argv[0], t, la, pa) || !typed(env, argv[1], &tb, lb, pb) || !typed(env, argv[2], &tc, lc, pc) || *t != tb ||
      *t != tc || (*t != napi_float32_array && *t != napi_float64_array)) {
    napi_throw_type_error(env, NULL, "descent_blas: arrays must all be Float32Array or all Float64Array");
    return 0;
  }
  return 1;
}

static napi_value binary(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  int32_t op;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_int32(env, argv[0], &op));
  napi_typedarray_type t;
  size_t la, lb, lo;
  void *pa, *pb, *po;
  if (!three_arrays(env, argv + 1, &t, &la, &lb, &lo, &pa, &pb, &po)) return NULL;
  if (la < lo || lb < lo) {
    napi_throw_range_error(env, NULL, "descent_blas.binary: inputs shorter than out");
    return NULL;
  }
  if (t == napi_float64_array) binary_f64(op, pa, pb, po, lo);
  else binary_f32(op, pa, pb, po, lo);
  return NULL;
}

static napi_value binary_row(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  int32_t op, rows, cols;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_int32(env, argv[0], &op));
  CHECK(napi_get_value_int32(env, argv[4], &rows));
  CHECK(napi_get_value_int32(env, argv[5], &cols));
  napi_typedarray_type t;
  size_t la, lr, lo;
  void *pa, *pr, *po;
  if (!three_arrays(env, argv + 1, &t, &la, &lr, &lo, &pa, &pr, &po)) return NULL;
  const size_t n = (size_t)rows * (size_t)cols;
  if (rows < 0 || cols < 0 || la < n || lo < n || lr < (size_t)cols) {
    napi_throw_range_error(env, NULL, "descent_blas.binaryRow: arrays too short");
    return NULL;
  }
  if (cols == 1) {
    /* A column vector plus a scalar (the bias of a one-output layer): one loop, not `rows` calls. */
    if (t == napi_float64_array) binary_scalar_f64(op, pa, *(const double *)pr, po, (size_t)rows);
    else binary_scalar_f32(op, pa, *(const float *)pr, po, (size_t)rows);
    return NULL;
  }
  for (int32_t r = 0; r < rows; r++) {
    const size_t o = (size_t)r * cols;
    if (t == napi_float64_array) binary_f64(op, (const double *)pa + o, pr, (double *)po + o, cols);
    else binary_f32(op, (const float *)pa + o, pr, (float *)po + o, cols);
  }
  return NULL;
}

static napi_value sum_rows(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  int32_t rows, cols;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_int32(env, argv[2], &rows));
  CHECK(napi_get_value_int32(env, argv[3], &cols));
  napi_typedarray_type t, to;
  size_t la, lo;
  void *pa, *po;
  if (!typed(env, argv[0], &t, &la, &pa) || !typed(env, argv[1], &to, &lo, &po) || t != to ||
      (t != napi_float32_array && t != napi_float64_array)) {
    napi_throw_type_error(env, NULL, "descent_blas.sumRows: arrays must both be Float32Array or Float64Array");
    return NULL;
  }
  if (rows < 0 || cols < 0 || la < (size_t)rows * cols || lo < (size_t)cols) {
    napi_throw_range_error(env, NULL, "descent_blas.sumRows: arrays too short");
    return NULL;
  }
  if (cols == 1) {
    /* The sum of a column: four partial sums so the adds pipeline (order differs from a plain loop, within
     * the oracle's rounding bound). */
    if (t == napi_float64_array) {
      const double *a = pa;
      double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      int32_t r = 0;
      for (; r + 4 <= rows; r += 4) s0 += a[r], s1 += a[r + 1], s2 += a[r + 2], s3 += a[r + 3];
      for (; r < rows; r++) s0 += a[r];
      *(double *)po = (s0 + s1) + (s2 + s3);
    } else {
      const float *a = pa;
      float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      int32_t r = 0;
      for (; r + 4 <= rows; r += 4) s0 += a[r], s1 += a[r + 1], s2 += a[r + 2], s3 += a[r + 3];
      for (; r < rows; r++) s0 += a[r];
      *(float *)po = (s0 + s1) + (s2 + s3);
    }
    return NULL;
  }
  if (t == napi_float64_array) {
    double *out = po;
    const double *a = pa;
    for (int32_t c = 0; c < cols; c++) out[c] = 0.0;
    for (int32_t r = 0; r < rows; r++)
      for (int32_t c = 0; c < cols; c++) out[c] += a[(size_t)r * cols + c];
  } else {
    float *out = po;
    const float *a = pa;
    for (int32_t c = 0; c < cols; c++) out[c] = 0.0f;
    for (int32_t r = 0; r < rows; r++)
      for (int32_t c = 0; c < cols; c++) out[c] += a[(size_t)r * cols + c];
  }
  return NULL;
}

/*
 * Optimizer updates, written to give exactly the bits of src/optim's TypeScript loops: every temporary is a
 * double (a JS number), storage rounds to the array's type, values are read back after each store where the
 * TypeScript does, operations happen in the same order, and the build uses -ffp-contract=off (no FMA fusion).
 */
#define ADAM_MAXIMIZE 1
#define ADAM_AMSGRAD 2
#define ADAM_DECAY 4

/* One clone per ISA level, picked at load time (ifunc): wider vectors for the divisions and square roots in double,
 * without tying the binary to the build machine. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(NO_CLONES)
#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define CLONES
#endif

/* The loop body with the flags as compile-time constants (each combination becomes its own branch-free,
 * vectorizable loop). */
#define ADAM_BODY(T, DECAY, MAXIMIZE, AMSGRAD, L2)                                                                    \
  for (size_t j = 0; j < n; j++) {                                                                                    \
    if (DECAY) p[j] = (T)((double)p[j] * decay);                                                                      \
    double d = (MAXIMIZE) ? -(double)g[j] : (double)g[j];                                                             \
    if (L2) d = d + l2 * (double)p[j];                                                                                \
    m[j] = (T)(beta1 * (double)m[j] + (1.0 - beta1) * d);                                                             \
    v[j] = (T)(beta2 * (double)v[j] + (1.0 - beta2) * (d * d));                                                       \
    double u = (double)v[j];                                                                                          \
    if (AMSGRAD) {                                                                                                    \
      const T cur = vmax[j];                                                                                          \
      vmax[j] = ((double)cur >= u) ? cur : (T)u; /* NaN in u replaces: !(vmax >= u) */                                \
      u = (double)vmax[j];                                                                                            \
    }                                                                                                                 \
    p[j] = (T)((double)p[j] - stepSize * ((double)m[j] / (sqrt(u) / bc2Sqrt + eps)));                                 \
  }

#define ADAM_FN(NAME, T)                                                                                              \
  CLONES static void NAME(T *restrict p, const T *restrict g, T *restrict m, T *restrict v, T *restrict vmax,          \
                          size_t n, double beta1, double beta2, double eps, double l2, double decay, double stepSize,  \
                          double bc2Sqrt, int flags) {                                                                \
    const int key = (flags & 7) | (l2 != 0.0 ? 8 : 0);                                                                \
    switch (key) {                                                                                                    \
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

static napi_value adam(napi_env env, napi_callback_info info) {
  size_t argc = 13;
  napi_value argv[13];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  napi_typedarray_type t[5];
  size_t len[5];
  void *ptr[5] = {0};
  napi_valuetype vt;
  CHECK(napi_typeof(env, argv[4], &vt));
  const int hasMax = vt != napi_null && vt != napi_undefined;
  for (int i = 0; i < 5; i++) {
    if (i == 4 && !hasMax) continue;
    if (!typed(env, argv[i], &t[i], &len[i], &ptr[i]) || t[i] != t[0] || (t[0] != napi_float32_array && t[0] != napi_float64_array) ||
        len[i] < len[0]) {
      napi_throw_type_error(env, NULL, "descent_blas.adam: p, g, m, v (, vmax) must be equal-length arrays of one float type");
      return NULL;
    }
  }
  double beta1, beta2, eps, l2, decay, stepSize, bc2Sqrt;
  int32_t flags;
  CHECK(napi_get_value_double(env, argv[5], &beta1));
  CHECK(napi_get_value_double(env, argv[6], &beta2));
  CHECK(napi_get_value_double(env, argv[7], &eps));
  CHECK(napi_get_value_double(env, argv[8], &l2));
  CHECK(napi_get_value_double(env, argv[9], &decay));
  CHECK(napi_get_value_double(env, argv[10], &stepSize));
  CHECK(napi_get_value_double(env, argv[11], &bc2Sqrt));
  CHECK(napi_get_value_int32(env, argv[12], &flags));
  if ((flags & ADAM_AMSGRAD) && !hasMax) {
    napi_throw_type_error(env, NULL, "descent_blas.adam: amsgrad needs vmax");
    return NULL;
  }
  const size_t n = len[0];
  if (t[0] == napi_float64_array)
    adam_f64(ptr[0], ptr[1], ptr[2], ptr[3], ptr[4], n, beta1, beta2, eps, l2, decay, stepSize, bc2Sqrt, flags);
  else
    adam_f32(ptr[0], ptr[1], ptr[2], ptr[3], ptr[4], n, beta1, beta2, eps, l2, decay, stepSize, bc2Sqrt, flags);
  return NULL;
}

#define SGD_MAXIMIZE 1
#define SGD_NESTEROV 2
#define SGD_FIRST 4

#define SGD_BODY(T, MAXIMIZE, WD, BUF, FIRST, NESTEROV)                                                             \
  for (size_t j = 0; j < n; j++) {                                                                                    \
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
  CLONES static void NAME(T *restrict p, const T *restrict g, T *restrict buf, size_t n, double lr, double mu,        \
                          double dampening, double wd, int flags) {                                                   \
    const int mx = flags & SGD_MAXIMIZE, w = wd != 0.0;                                                               \
    if (!buf) {                                                                                                       \
      if (mx) { if (w) { SGD_BODY(T, 1, 1, 0, 0, 0) } else { SGD_BODY(T, 1, 0, 0, 0, 0) } }                           \
      else { if (w) { SGD_BODY(T, 0, 1, 0, 0, 0) } else { SGD_BODY(T, 0, 0, 0, 0, 0) } }                              \
    } else if (flags & SGD_FIRST) {                                                                                   \
      /* once per buffer: no need to specialise */                                                                    \
      for (size_t j = 0; j < n; j++) {                                                                                \
        double d = mx ? -(double)g[j] : (double)g[j];                                                                 \
        if (w) d = d + wd * (double)p[j];                                                                             \
        buf[j] = (T)d;                                                                                                \
        const double b = (double)buf[j];                                                                              \
        d = (flags & SGD_NESTEROV) ? d + mu * b : b;                                                                  \
        p[j] = (T)((double)p[j] - lr * d);                                                                            \
      }                                                                                                               \
    } else if (flags & SGD_NESTEROV) {                                                                                \
      if (mx || w) { for (size_t j = 0; j < n; j++) {                                                                 \
          double d = mx ? -(double)g[j] : (double)g[j];                                                               \
          if (w) d = d + wd * (double)p[j];                                                                           \
          buf[j] = (T)(mu * (double)buf[j] + (1.0 - dampening) * d);                                                  \
          d = d + mu * (double)buf[j];                                                                                \
          p[j] = (T)((double)p[j] - lr * d);                                                                          \
        } }                                                                                                           \
      else { SGD_BODY(T, 0, 0, 1, 0, 1) }                                                                             \
    } else {                                                                                                          \
      if (mx || w) { for (size_t j = 0; j < n; j++) {                                                                 \
          double d = mx ? -(double)g[j] : (double)g[j];                                                               \
          if (w) d = d + wd * (double)p[j];                                                                           \
          buf[j] = (T)(mu * (double)buf[j] + (1.0 - dampening) * d);                                                  \
          p[j] = (T)((double)p[j] - lr * (double)buf[j]);                                                             \
        } }                                                                                                           \
      else { SGD_BODY(T, 0, 0, 1, 0, 0) }                                                                             \
    }                                                                                                                 \
  }
SGD_FN(sgd_f32, float)
SGD_FN(sgd_f64, double)

static napi_value sgd(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  napi_typedarray_type t[3];
  size_t len[3];
  void *ptr[3] = {0};
  napi_valuetype vt;
  CHECK(napi_typeof(env, argv[2], &vt));
  const int hasBuf = vt != napi_null && vt != napi_undefined;
  for (int i = 0; i < 3; i++) {
    if (i == 2 && !hasBuf) continue;
    if (!typed(env, argv[i], &t[i], &len[i], &ptr[i]) || t[i] != t[0] || (t[0] != napi_float32_array && t[0] != napi_float64_array) ||
        len[i] < len[0]) {
      napi_throw_type_error(env, NULL, "descent_blas.sgd: p, g (, buf) must be equal-length arrays of one float type");
      return NULL;
    }
  }
  double lr, mu, dampening, wd;
  int32_t flags;
  CHECK(napi_get_value_double(env, argv[3], &lr));
  CHECK(napi_get_value_double(env, argv[4], &mu));
  CHECK(napi_get_value_double(env, argv[5], &dampening));
  CHECK(napi_get_value_double(env, argv[6], &wd));
  CHECK(napi_get_value_int32(env, argv[7], &flags));
  const size_t n = len[0];
  if (t[0] == napi_float64_array) sgd_f64(ptr[0], ptr[1], ptr[2], n, lr, mu, dampening, wd, flags);
  else sgd_f32(ptr[0], ptr[1], ptr[2], n, lr, mu, dampening, wd, flags);
  return NULL;
}

/* Binary cross-entropy on logits, value and gradient in one pass (see LossKernels in optim-types.ts). */
#define BCE_FN(NAME, T)                                                                                               \
  static double NAME(const T *restrict x, const T *restrict y, T *restrict grad, size_t n, double scale) {            \
    double s = 0.0;                                                                                                   \
    for (size_t i = 0; i < n; i++) {                                                                                  \
      const double xi = (double)x[i], yi = (double)y[i];                                                              \
      const double e = exp(-fabs(xi));                                                                                \
      s += (1.0 - yi) * xi + (xi < 0 ? -xi : 0.0) + log1p(e);                                                         \
      const double sig = xi >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);                                                   \
      grad[i] = (T)((sig - yi) * scale);                                                                              \
    }                                                                                                                 \
    return s;                                                                                                         \
  }
BCE_FN(bce_f32, float)
BCE_FN(bce_f64, double)

static napi_value bce_logits(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  napi_typedarray_type t;
  size_t lx, ly, lg;
  void *px, *py, *pg;
  if (!three_arrays(env, argv, &t, &lx, &ly, &lg, &px, &py, &pg)) return NULL;
  if (ly < lx || lg < lx) {
    napi_throw_range_error(env, NULL, "descent_blas.bceWithLogits: targets/grad shorter than logits");
    return NULL;
  }
  double scale;
  CHECK(napi_get_value_double(env, argv[3], &scale));
  const double s = t == napi_float64_array ? bce_f64(px, py, pg, lx, scale) : bce_f32(px, py, pg, lx, scale);
  napi_value r;
  CHECK(napi_create_double(env, s, &r));
  return r;
}

static napi_value set_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t t = 1;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc > 0) CHECK(napi_get_value_int32(env, argv[0], &t));
  openblas_set_num_threads(t < 1 ? 1 : t);
  return NULL;
}

static napi_value get_threads(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value r;
  CHECK(napi_create_int32(env, openblas_get_num_threads(), &r));
  return r;
}

static napi_value config(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value r;
  const char *s = openblas_get_config();
  CHECK(napi_create_string_utf8(env, s ? s : "", NAPI_AUTO_LENGTH, &r));
  return r;
}

static napi_value init(napi_env env, napi_value exports) {
  openblas_set_num_threads(1);
  napi_property_descriptor props[] = {
      {"matmul", NULL, matmul, NULL, NULL, NULL, napi_default, NULL},
      {"matmulBatched", NULL, matmul_batched, NULL, NULL, NULL, napi_default, NULL},
      {"binary", NULL, binary, NULL, NULL, NULL, napi_default, NULL},
      {"binaryRow", NULL, binary_row, NULL, NULL, NULL, napi_default, NULL},
      {"sumRows", NULL, sum_rows, NULL, NULL, NULL, napi_default, NULL},
      {"adam", NULL, adam, NULL, NULL, NULL, napi_default, NULL},
      {"sgd", NULL, sgd, NULL, NULL, NULL, napi_default, NULL},
      {"bceWithLogits", NULL, bce_logits, NULL, NULL, NULL, napi_default, NULL},
      {"setThreads", NULL, set_threads, NULL, NULL, NULL, napi_default, NULL},
      {"getThreads", NULL, get_threads, NULL, NULL, NULL, napi_default, NULL},
      {"config", NULL, config, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
