/* Shared helpers for ring tests: a deterministic PRNG for test vectors (not for cryptography). */
#ifndef VEIL_RING_TEST_UTIL_H
#define VEIL_RING_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

static uint64_t vt_rng_state = 0x9e3779b97f4a7c15ull;

static inline uint64_t vt_rand64(void) {
  uint64_t z = (vt_rng_state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static inline uint64_t vt_rand_below(uint64_t q) { return (uint64_t)(((unsigned __int128)vt_rand64() * q) >> 64); }

/* Schoolbook negacyclic product c = a * b mod (X^n + 1, q), 128-bit accumulation: the independent
 * reference for NTT-based multiplication. */
static inline void vt_negacyclic_schoolbook(uint64_t *c, const uint64_t *a, const uint64_t *b, size_t n,
                                            uint64_t q) {
  for (size_t k = 0; k < n; k++)
    c[k] = 0;
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < n; j++) {
      uint64_t p = (uint64_t)((unsigned __int128)a[i] * b[j] % q);
      size_t k = i + j;
      if (k < n)
        c[k] = (c[k] + p) % q;
      else
        c[k - n] = (c[k - n] + q - p) % q;
    }
}

#endif
