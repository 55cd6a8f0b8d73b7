#include "veil/ring.h"
#include "vtest.h"

static bool trial_division_prime(uint64_t x) {
  if (x < 2)
    return false;
  for (uint64_t d = 2; d * d <= x; d++)
    if (x % d == 0)
      return false;
  return true;
}

static void test_is_prime(void) {
  for (uint64_t x = 0; x < 20000; x++)
    VT_CHECK_MSG(veil_is_prime(x) == trial_division_prime(x), "x=%llu", (unsigned long long)x);
  VT_CHECK(veil_is_prime((1ull << 61) - 1));             /* Mersenne prime */
  VT_CHECK(!veil_is_prime(3215031751ull));               /* strong pseudoprime to bases 2,3,5,7 */
  VT_CHECK(!veil_is_prime(3825123056546413051ull));      /* strong pseudoprime to bases up to 23 */
  VT_CHECK(veil_is_prime(18446744073709551557ull));      /* largest 64-bit prime */
}

static void test_ntt_primes(void) {
  int cases[][3] = {{12, 30, 4}, {13, 40, 8}, {16, 49, 3}, {16, 60, 5}, {17, 61, 3}, {10, 20, 2}};
  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
    int logn = cases[c][0], bits = cases[c][1], count = cases[c][2];
    uint64_t p[8], p2[8];
    VT_OK(veil_primes_ntt(logn, bits, count, NULL, 0, p));
    VT_OK(veil_primes_ntt(logn, bits, count, NULL, 0, p2));
    for (int i = 0; i < count; i++) {
      VT_CHECK(p[i] == p2[i]); /* deterministic */
      VT_CHECK(veil_is_prime(p[i]));
      VT_CHECK(p[i] % (2ull << logn) == 1);
      VT_CHECK(64 - __builtin_clzll(p[i]) == bits);
      if (i)
        VT_CHECK(p[i] < p[i - 1]);
    }
    /* The first is the largest such prime: nothing between it and 2^bits qualifies. */
    for (uint64_t q = p[0] + (2ull << logn); q < (1ull << bits); q += 2ull << logn)
      VT_CHECK(!veil_is_prime(q));
    uint64_t p3[8];
    VT_OK(veil_primes_ntt(logn, bits, count, p, 1, p3)); /* exclusion skips p[0] */
    for (int i = 0; i < count; i++)
      VT_CHECK(p3[i] != p[0]);
  }
  uint64_t out[4];
  VT_CHECK(veil_primes_ntt(16, 62, 1, NULL, 0, out) == VEIL_ERR_INVALID_ARG);
  VT_CHECK(veil_primes_ntt(16, 17, 1, NULL, 0, out) == VEIL_ERR_INVALID_ARG);
  VT_CHECK(veil_primes_ntt(10, 14, 4, NULL, 0, out) == VEIL_ERR_INVALID_ARG); /* too few exist */
}

static void test_primitive_root(void) {
  uint64_t p[3];
  VT_OK(veil_primes_ntt(10, 40, 3, NULL, 0, p));
  for (int i = 0; i < 3; i++) {
    uint64_t psi;
    VT_OK(veil_primitive_root_2n(p[i], 10, &psi));
    veil_modulus m;
    veil_modulus_init(&m, p[i]);
    VT_CHECK_EQ_U64(veil_mod_pow(psi, 1024, &m), p[i] - 1); /* psi^N = -1: order exactly 2N */
    VT_CHECK_EQ_U64(veil_mod_pow(psi, 2048, &m), 1);
  }
  uint64_t psi;
  VT_CHECK(veil_primitive_root_2n(12289, 12, &psi) == VEIL_ERR_INVALID_ARG); /* 12289 = 1 mod 4096 only */
  VT_OK(veil_primitive_root_2n(12289, 11, &psi));
}

int main(void) {
  VT_RUN(test_is_prime);
  VT_RUN(test_ntt_primes);
  VT_RUN(test_primitive_root);
  VT_DONE();
}
