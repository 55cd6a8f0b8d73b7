/* Helpers for the RNS polynomial tests: rings with mixed prime sizes and random polynomials. */
#ifndef VEIL_RNS_TEST_UTIL_H
#define VEIL_RNS_TEST_UTIL_H

#include "ring_test_util.h"
#include "veil/ring.h"

/* A ring of primes with the given bit sizes (distinct; several of one size allowed). */
static inline veil_status vt_ring_mixed(veil_ring *r, int logn, const int *bits, int count) {
  uint64_t primes[64];
  for (int i = 0; i < count; i++) {
    veil_status st = veil_primes_ntt(logn, bits[i], 1, primes, i, &primes[i]);
    if (st != VEIL_OK)
      return st;
  }
  return veil_ring_init(r, logn, primes, count);
}

static inline void vt_poly_random(const veil_ring *r, veil_poly *p) {
  for (int i = 0; i < p->nlimbs; i++)
    for (size_t j = 0; j < r->n; j++)
      veil_poly_limb(p, i)[j] = vt_rand_below(r->mods[i].q);
}

/* Random integer in [0, bound) (test vectors only). */
static inline void vt_mpz_random(mpz_t x, const mpz_t bound) {
  mpz_set_ui(x, 0);
  size_t words = mpz_sizeinbase(bound, 2) / 64 + 2;
  for (size_t w = 0; w < words; w++) {
    mpz_mul_2exp(x, x, 64);
    mpz_add_ui(x, x, vt_rand64());
  }
  mpz_mod(x, x, bound);
}

#endif
