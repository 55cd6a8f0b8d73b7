/* Linear transforms on CKKS (insecure logN 10): M v against float64 matrix-vector products, the
 * rotation-step list (keys made from it alone suffice), level/scale bookkeeping, bad input. */
#include "ckks/eval_test_util.h"
#include "veil/lintrans.h"

static double urand(void) { return 2.0 * (double)vt_rand64() / 18446744073709551616.0 - 1.0; }

/* Runs one n x n matrix (dense or banded) through keys generated only from the step list. */
static void check_matrix(int n, int band, int n1, int *nsteps_out) {
  double *m = calloc((size_t)n * (size_t)n, sizeof *m), *v = malloc((size_t)n * sizeof *v);
  for (int i = 0; i < n; i++) {
    v[i] = urand();
    for (int j = 0; j < n; j++) {
      int dist = (j - i + n) % n;
      if (band == 0 || dist < band)
        m[(size_t)i * (size_t)n + (size_t)j] = urand();
    }
  }
  vt_fix f; /* first a context without keys to encode and list the steps */
  VT_OK(vt_fix_init(&f, 10, 3, 1, 3, NULL, 0));
  veil_lintrans lt;
  VT_OK(veil_lintrans_init(&lt, &f.ctx, m, n, 2, n1));
  int steps[512], ns;
  veil_lintrans_rotations(&lt, steps, &ns);
  *nsteps_out = ns;
  veil_rlwe_gks_free(&f.gks);
  VT_OK(veil_rlwe_gks_gen(&f.ctx.rlwe, &f.sk, steps, ns, false, &f.gks));
  double complex *x = malloc(f.slots * sizeof *x), *ref = malloc(f.slots * sizeof *ref);
  for (size_t t = 0; t < f.slots; t++) { /* tiled input and float64 reference */
    x[t] = v[t % (size_t)n];
    double s = 0;
    for (int j = 0; j < n; j++)
      s += m[(t % (size_t)n) * (size_t)n + (size_t)j] * v[j];
    ref[t] = s;
  }
  veil_ckks_ct in = {0}, out = {0};
  VT_OK(vt_enc(&f, x, &in));
  VT_OK(veil_lintrans_eval(&lt, &f.ev, &in, &out));
  VT_CHECK(out.level == 1 && out.scale == in.scale);
  double err = vt_err(&f, &out, ref);
  VT_CHECK_MSG(err < 1e-6 * n, "n %d band %d: error %g", n, band, err);
  veil_rlwe_ct_free(&in);
  veil_rlwe_ct_free(&out);
  veil_lintrans_free(&lt);
  vt_fix_free(&f);
  free(x);
  free(ref);
  free(m);
  free(v);
}

static void test_dense(void) {
  int ns;
  check_matrix(16, 0, 0, &ns);
  VT_CHECK(ns == 3 + 3); /* n1 = 4: baby 1,2,3; giant 4,8,12 */
  check_matrix(64, 0, 8, &ns);
  VT_CHECK(ns == 7 + 7);
}

static void test_banded(void) {
  int ns;
  check_matrix(32, 3, 8, &ns); /* diagonals 0,1,2 only: steps 1 and 2, no giant step */
  VT_CHECK(ns == 2);
  check_matrix(512, 2, 0, &ns); /* full slots, two diagonals */
  VT_CHECK(ns == 1);
}

static void test_bad_input(void) {
  vt_fix f;
  VT_OK(vt_fix_init(&f, 10, 3, 1, 3, NULL, 0));
  double m[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, z[16] = {0};
  veil_lintrans lt;
  VT_CHECK(veil_lintrans_init(&lt, &f.ctx, m, 3, 2, 0) == VEIL_ERR_INVALID_ARG);
  VT_CHECK(veil_lintrans_init(&lt, &f.ctx, z, 4, 3, 0) == VEIL_ERR_INVALID_ARG); /* level out of range */
  VT_CHECK(veil_lintrans_init(&lt, &f.ctx, z, 4, 2, 3) == VEIL_ERR_INVALID_ARG); /* n1 not a power of 2 */
  VT_OK(veil_lintrans_init(&lt, &f.ctx, z, 4, 1, 0));
  double complex x[512] = {0};
  veil_ckks_ct in = {0}, out = {0};
  VT_OK(vt_enc(&f, x, &in));
  VT_CHECK(veil_lintrans_eval(&lt, &f.ev, &in, &out) == VEIL_ERR_MISMATCH); /* level 2 vs 1 */
  veil_lintrans_free(&lt);
  veil_lintrans_free(NULL);
  veil_rlwe_ct_free(&in);
  veil_rlwe_ct_free(&out);
  vt_fix_free(&f);
}

int main(void) {
  VT_RUN(test_dense);
  VT_RUN(test_banded);
  VT_RUN(test_bad_input);
  VT_DONE();
}
