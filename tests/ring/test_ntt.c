#include "ring_test_util.h"
#include "veil/ring.h"
#include "vtest.h"

static void random_poly(uint64_t *a, size_t n, uint64_t q) {
  for (size_t i = 0; i < n; i++)
    a[i] = vt_rand_below(q);
}

/* NTT-based negacyclic multiplication equals the schoolbook product. */
static void test_ntt_mul_matches_schoolbook(void) {
  const int bits[] = {20, 30, 45, 49, 50, 52, 55, 60, 61};
  const veil_kernels *ks[8];
  int nk = veil_kernels_all(ks, 8);
  for (int logn = 1; logn <= 8; logn++)
    for (size_t b = 0; b < sizeof bits / sizeof *bits; b++) {
      if (bits[b] < logn + 2)
        continue;
      uint64_t q;
      VT_OK(veil_primes_ntt(logn, bits[b], 1, NULL, 0, &q));
      veil_ntt_tables t;
      VT_OK(veil_ntt_tables_init(&t, q, logn));
      size_t n = t.n;
      uint64_t a[256], bb[256], ref[256], fa[256], fb[256];
      random_poly(a, n, q);
      random_poly(bb, n, q);
      vt_negacyclic_schoolbook(ref, a, bb, n, q);
      for (int k = 0; k < nk; k++) {
        memcpy(fa, a, n * 8);
        memcpy(fb, bb, n * 8);
        ks[k]->ntt_fwd(&t, fa);
        ks[k]->ntt_fwd(&t, fb);
        ks[k]->mul(fa, fa, fb, n, &t.mod);
        ks[k]->ntt_inv(&t, fa);
        VT_CHECK_MSG(memcmp(fa, ref, n * 8) == 0, "kernels %s logn %d bits %d", ks[k]->name, logn,
                     bits[b]);
      }
      veil_ntt_tables_free(&t);
    }
}

/* Every kernel table is bit-exact with the reference, forward and inverse, at all sizes. */
static void test_kernels_bit_exact(void) {
  const int bits[] = {30, 40, 49, 50, 52, 58, 60, 61};
  const veil_kernels *ks[8];
  int nk = veil_kernels_all(ks, 8);
  for (int logn = 1; logn <= 14; logn++)
    for (size_t b = 0; b < sizeof bits / sizeof *bits; b++) {
      if (bits[b] < logn + 2)
        continue;
      uint64_t q;
      VT_OK(veil_primes_ntt(logn, bits[b], 1, NULL, 0, &q));
      veil_ntt_tables t;
      VT_OK(veil_ntt_tables_init(&t, q, logn));
      size_t n = t.n;
      uint64_t *a = veil_malloc(n * 8), *ref = veil_malloc(n * 8), *x = veil_malloc(n * 8);
      random_poly(a, n, q);
      a[0] = q - 1;
      memcpy(ref, a, n * 8);
      veil_kernels_ref()->ntt_fwd(&t, ref);
      for (int k = 0; k < nk; k++) {
        memcpy(x, a, n * 8);
        ks[k]->ntt_fwd(&t, x);
        VT_CHECK_MSG(memcmp(x, ref, n * 8) == 0, "fwd %s logn %d bits %d", ks[k]->name, logn, bits[b]);
        ks[k]->ntt_inv(&t, x);
        VT_CHECK_MSG(memcmp(x, a, n * 8) == 0, "inv %s logn %d bits %d", ks[k]->name, logn, bits[b]);
      }
      veil_free(a);
      veil_free(ref);
      veil_free(x);
      veil_ntt_tables_free(&t);
    }
}

/* Forward NTT output i is the evaluation at psi^(2 brv(i) + 1) (the documented order). */
static void test_ntt_evaluation_order(void) {
  uint64_t q;
  int logn = 5;
  VT_OK(veil_primes_ntt(logn, 40, 1, NULL, 0, &q));
  veil_ntt_tables t;
  VT_OK(veil_ntt_tables_init(&t, q, logn));
  uint64_t a[32], x[32];
  random_poly(a, 32, q);
  memcpy(x, a, sizeof a);
  veil_ntt_fwd(&t, x);
  for (size_t i = 0; i < 32; i++) {
    uint64_t pt = veil_mod_pow(t.psi, 2 * veil_bitrev(i, logn) + 1, &t.mod), acc = 0, pw = 1;
    for (size_t j = 0; j < 32; j++) {
      acc = veil_mod_add(acc, veil_mod_mul(a[j], pw, &t.mod), q);
      pw = veil_mod_mul(pw, pt, &t.mod);
    }
    VT_CHECK_EQ_U64(x[i], acc);
  }
  veil_ntt_tables_free(&t);
}

static void test_tables_reject_bad_input(void) {
  veil_ntt_tables t;
  VT_CHECK(veil_ntt_tables_init(&t, 12289, 13) == VEIL_ERR_INVALID_ARG);
  VT_CHECK(veil_ntt_tables_init(&t, 12289, 0) == VEIL_ERR_INVALID_ARG);
  VT_CHECK(veil_ntt_tables_init(&t, 12288, 2) == VEIL_ERR_INVALID_ARG);
  veil_ntt_tables_free(&t);
}

int main(void) {
  VT_RUN(test_ntt_mul_matches_schoolbook);
  VT_RUN(test_kernels_bit_exact);
  VT_RUN(test_ntt_evaluation_order);
  VT_RUN(test_tables_reject_bad_input);
  VT_DONE();
}
