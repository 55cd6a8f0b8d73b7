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

/* Fills a with a pattern: 0 random, 1 all zero, 2 all q-1, 3 alternating 0 / q-1 with randoms. */
static void pattern_poly(uint64_t *a, size_t n, uint64_t q, int pattern) {
  for (size_t i = 0; i < n; i++) {
    uint64_t r = vt_rand_below(q);
    a[i] = pattern == 0 ? r : pattern == 1 ? 0 : pattern == 2 ? q - 1 : (i % 3 == 0 ? 0 : i % 3 == 1 ? q - 1 : r);
  }
}

/* Every table's forward and inverse NTT is bit-exact with the reference for prime q at 2^logn. */
static void check_bit_exact(uint64_t q, int logn, int npatterns) {
  const veil_kernels *ks[8];
  int nk = veil_kernels_all(ks, 8);
  veil_ntt_tables t;
  VT_OK(veil_ntt_tables_init(&t, q, logn));
  size_t n = t.n;
  uint64_t *a = veil_malloc(n * 8), *ref = veil_malloc(n * 8), *x = veil_malloc(n * 8);
  for (int p = 0; p < npatterns; p++) {
    pattern_poly(a, n, q, p);
    memcpy(ref, a, n * 8);
    veil_kernels_ref()->ntt_fwd(&t, ref);
    for (int k = 1; k < nk; k++) {
      memcpy(x, a, n * 8);
      ks[k]->ntt_fwd(&t, x);
      VT_CHECK_MSG(memcmp(x, ref, n * 8) == 0, "fwd %s logn %d q %llu pattern %d", ks[k]->name, logn,
                   (unsigned long long)q, p);
      memcpy(x, ref, n * 8);
      ks[k]->ntt_inv(&t, x);
      VT_CHECK_MSG(memcmp(x, a, n * 8) == 0, "inv %s logn %d q %llu pattern %d", ks[k]->name, logn,
                   (unsigned long long)q, p);
    }
  }
  veil_free(a);
  veil_free(ref);
  veil_free(x);
  veil_ntt_tables_free(&t);
}

/* Bit-exactness across sizes 2^1..2^12 and prime sizes 20..61 bits, around the 50-bit IFMA limit,
 * with random and edge inputs (0, q - 1). */
static void test_kernels_bit_exact(void) {
  const int bits[] = {20, 24, 30, 36, 40, 45, 48, 49, 50, 51, 52, 55, 58, 60, 61};
  for (int logn = 1; logn <= 12; logn++)
    for (size_t b = 0; b < sizeof bits / sizeof *bits; b++) {
      if (bits[b] < logn + 2)
        continue;
      uint64_t q[2];
      int cnt = bits[b] >= logn + 8 ? 2 : 1;
      VT_OK(veil_primes_ntt(logn, bits[b], cnt, NULL, 0, q));
      for (int i = 0; i < cnt; i++)
        check_bit_exact(q[i], logn, 4);
    }
}

/* Large sizes 2^13..2^17 for one IFMA-size and one DQ-size prime (kept few: the ref is slow under ASan). */
static void test_kernels_bit_exact_large(void) {
  const int bits[] = {49, 60};
  for (int logn = 13; logn <= 17; logn++)
    for (int b = 0; b < 2; b++) {
      uint64_t q;
      VT_OK(veil_primes_ntt(logn, bits[b], 1, NULL, 0, &q));
      check_bit_exact(q, logn, logn == 17 ? 1 : 2);
    }
}

/* The smallest and largest primes of a size hit the edges of the lazy ranges. */
static void test_kernels_bit_exact_extreme_primes(void) {
  /* q just above 2^49, 2^50 and 2^60: the first NTT-friendly primes over the power of two. */
  const int bits[] = {50, 51, 61};
  const int logn = 10;
  for (int b = 0; b < 3; b++) {
    uint64_t q = (1ull << (bits[b] - 1)) + 1;
    while (!veil_is_prime(q))
      q += 2ull << logn;
    check_bit_exact(q, logn, 4);
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
  VT_RUN(test_kernels_bit_exact_large);
  VT_RUN(test_kernels_bit_exact_extreme_primes);
  VT_RUN(test_ntt_evaluation_order);
  VT_RUN(test_tables_reject_bad_input);
  VT_DONE();
}
