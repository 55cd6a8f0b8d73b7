/* Encrypted batch-packed inference at a small insecure ring (test-only switch) against the float64
 * executor; the MAC kernels against each other (bit-exact); refusals of mismatched keys. */
#include <math.h>
#include <string.h>

#include "nn/he/he-impl.h"
#include "nntest.h"
#include "veil/model.h"
#include "vtest.h"

static veil_status net(veil_graph *g, int c, int h) {
  veil_model m;
  int oh = (h - 3) / 2 + 1, f = 2 * oh * oh;
  float *cw = nt_alloc(2 * c * 9), cb[2], *d1 = nt_alloc(6 * f), b1[6], d2[3 * 6], b2[3];
  nt_fill(cw, 2 * c * 9, -0.5, 0.5), nt_fill(cb, 2, -0.2, 0.2), nt_fill(d1, 6 * f, -0.3, 0.3), nt_fill(b1, 6, -0.1, 0.1);
  nt_fill(d2, 18, -0.5, 0.5), nt_fill(b2, 3, -0.1, 0.1);
  double pc[3] = {0.1, 0.5, -0.25};
  veil_status st = veil_model_init(&m, "t", c, h, h);
  if (!st) st = veil_model_conv2d(&m, 2, 3, 3, 2, 0, cw, cb);
  if (!st) st = veil_model_square(&m);
  if (!st) st = veil_model_dense(&m, 6, d1, b1);
  if (!st) st = veil_model_poly(&m, 2, pc);
  if (!st) st = veil_model_dense(&m, 3, d2, b2);
  if (!st) veil_model_take(&m, g);
  veil_model_free(&m);
  free(cw), free(d1);
  return st;
}

typedef struct fixture {
  veil_graph g;
  veil_he_plan p;
  veil_he_client cl;
  veil_he_server sv;
} fixture;

static veil_status setup(fixture *f, const double *calib, int n, bool lazy) {
  VEIL_TRY(net(&f->g, 1, 7));
  VEIL_TRY(veil_graph_optimize(&f->g, NULL));
  veil_he_opts o = {.logn = 10, .insecure_test_only = true, .no_lazy_relin = !lazy};
  VEIL_TRY(veil_he_plan_compile(&f->g, &o, &f->p));
  VEIL_TRY(veil_he_plan_choose(&f->p, &o, calib, n));
  return veil_he_keygen(&f->p, &f->cl, &f->sv);
}

static void teardown(fixture *f) {
  veil_he_client_free(&f->cl), veil_he_server_free(&f->sv), veil_he_plan_free(&f->p), veil_graph_free(&f->g);
}

static void run_case(bool lazy) {
  enum { N = 40 };
  double x[N * 49], y[N * 3];
  for (int i = 0; i < N * 49; i++) x[i] = nt_uniform(0, 1);
  fixture f;
  VT_OK(setup(&f, x, N, lazy));
  double *ref = nt_run(&f.g, x, N);
  VT_REQUIRE(ref);
  veil_he_tensor in, out;
  VT_OK(veil_he_encrypt(&f.p, &f.cl, x, N, &in));
  VT_OK(veil_he_infer(&f.p, &f.sv, &in, &out));
  VT_OK(veil_he_decrypt(&f.p, &f.cl, &out, y));
  double err = 0;
  for (int i = 0; i < N * 3; i++) err = fmax(err, fabs(y[i] - ref[i]));
  /* stated bound: 2^-12 absolute on outputs of magnitude ~1 with a 2^24+ scale */
  VT_CHECK_MSG(err < 1.0 / 4096, "max error %g", err);
  veil_he_tensor_free(&in), veil_he_tensor_free(&out);
  free(ref);
  teardown(&f);
}

static void test_encrypted_lazy(void) { run_case(true); }
static void test_encrypted_eager(void) { run_case(false); }

static void test_key_mismatch(void) {
  double x[4 * 49];
  for (int i = 0; i < 4 * 49; i++) x[i] = nt_uniform(0, 1);
  fixture a, b;
  VT_OK(setup(&a, x, 4, true));
  VT_OK(setup(&b, x, 4, true));
  veil_he_tensor in, out;
  VT_OK(veil_he_encrypt(&a.p, &a.cl, x, 4, &in));
  VT_CHECK(veil_he_infer(&b.p, &b.sv, &in, &out) == VEIL_ERR_MISMATCH);
  VT_CHECK(strstr(veil_error_detail(), "other keys") != NULL);
  veil_he_tensor_free(&in);
  teardown(&a), teardown(&b);
}

/* The reference and the best (AVX-512 where the CPU has it) kernels against a direct modular computation, with tiny chunks to exercise partial reductions. */
static void test_mac_kernels(void) {
  enum { NIN = 7, NOUT = 5, LEN = 64 };
  const uint64_t q = 2147352577ull; /* < 2^31 */
  int64_t row[NOUT + 1];
  int32_t col[NOUT * NIN], w[NOUT * NIN];
  uint64_t x[NIN * LEN], bias[NOUT], o1[NOUT][LEN], o2[NOUT][LEN];
  uint64_t *p1[NOUT], *p2[NOUT];
  for (int j = 0, k = 0; j < NOUT; j++) {
    row[j] = k;
    for (int t = 0; t < NIN; t++)
      if ((j + t) % 3) col[k] = t, w[k++] = (int32_t)nt_uniform(-2147483647.0, 2147483647.0);
    row[j + 1] = k;
    bias[j] = (uint64_t)nt_uniform(0, (double)q);
    p1[j] = o1[j], p2[j] = o2[j];
  }
  for (int i = 0; i < NIN * LEN; i++) x[i] = (uint64_t)nt_uniform(0, (double)q);
  for (int chunk = 1; chunk <= 4; chunk *= 2) {
    veil__he_mac_ref(row, col, w, NOUT, x, LEN, q, chunk, bias, p1);
    veil__he_mac_best()(row, col, w, NOUT, x, LEN, q, chunk, bias, p2);
    for (int j = 0; j < NOUT; j++)
      for (int k = 0; k < LEN; k++) {
        __int128 s = bias[j];
        for (int64_t t = row[j]; t < row[j + 1]; t++) s += (__int128)w[t] * (__int128)x[col[t] * LEN + k];
        int64_t r = (int64_t)(s % (__int128)q);
        uint64_t want = (uint64_t)(r < 0 ? r + (int64_t)q : r);
        VT_CHECK_EQ_U64(o1[j][k], want);
        VT_CHECK_EQ_U64(o2[j][k], want);
      }
  }
}

/* The fused square kernels against __int128 arithmetic, every component and sign. */
static void test_poly_kernels(void) {
  enum { LEN = 64 };
  const uint64_t q = 2147352577ull;
  uint64_t a[LEN], b[LEN], o1[LEN], o2[LEN];
  for (int k = 0; k < LEN; k++) a[k] = (uint64_t)nt_uniform(0, (double)q), b[k] = (uint64_t)nt_uniform(0, (double)q);
  a[0] = 0, b[1] = q - 1;
  uint64_t c1 = (uint64_t)nt_uniform(0, (double)q), c0 = (uint64_t)nt_uniform(0, (double)q);
  for (int c = 0; c < 3; c++)
    for (int neg = 0; neg < 2; neg++) {
      veil__he_poly_ref(a, b, c, neg, c1, c0, q, LEN, o1);
      veil__he_poly_best()(a, b, c, neg, c1, c0, q, LEN, o2);
      for (int k = 0; k < LEN; k++) {
        unsigned __int128 sq = c == 0 ? (unsigned __int128)a[k] * a[k] : c == 1 ? 2 * (unsigned __int128)a[k] * b[k] : (unsigned __int128)b[k] * b[k];
        uint64_t v = (uint64_t)(sq % q);
        v = neg && v ? q - v : v;
        if (c < 2) v = (uint64_t)(((unsigned __int128)v + (unsigned __int128)(c == 0 ? a[k] : b[k]) * c1 + (c == 0 ? c0 : 0)) % q);
        VT_CHECK_EQ_U64(o1[k], v);
        VT_CHECK_EQ_U64(o2[k], v);
      }
    }
}

int main(void) {
  veil_threads_set(2);
  VT_RUN(test_mac_kernels);
  VT_RUN(test_poly_kernels);
  VT_RUN(test_encrypted_lazy);
  VT_RUN(test_encrypted_eager);
  VT_RUN(test_key_mismatch);
  VT_DONE();
}
