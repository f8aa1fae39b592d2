/*
 * Descent's optional native kernel backend (Tier 2): matmul through the system OpenBLAS.
 *
 * N-API (ABI-stable, plain C), built by scripts/build-native.cjs when a C compiler, Node's headers and
 * OpenBLAS are present. Typed arrays are passed by pointer: no copies, whatever memory they live in.
 *
 *   matmul(a, b, c, m, n, k, transA, transB, accumulate)   C = op(A)·op(B) (+ C), row-major
 *   setThreads(n) / getThreads()                            OpenBLAS thread count (default set to 1 at load)
 *   config()                                                OpenBLAS build string
 */
#include <cblas.h>
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
  if (m == 0 || n == 0) return NULL;
  if (k == 0) {
    if (!acc) memset(pc, 0, (size_t)m * n * (f64 ? 8 : 4));
    return NULL;
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
  return NULL;
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
      {"setThreads", NULL, set_threads, NULL, NULL, NULL, napi_default, NULL},
      {"getThreads", NULL, get_threads, NULL, NULL, NULL, napi_default, NULL},
      {"config", NULL, config, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
