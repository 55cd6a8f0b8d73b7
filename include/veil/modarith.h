/**
 * @file modarith.h
 * @brief Inline 64-bit modular arithmetic for word-size primes q < 2^61 (ring layer's arithmetic,
 *        usable by backend kernels).
 *
 * Ranges are part of every contract below. "Lazy" variants return values in [0, 2q) and are meant
 * for chains whose final result is corrected once (Harvey 2014).
 */
#ifndef VEIL_MODARITH_H
#define VEIL_MODARITH_H

#include <stdbool.h>
#include <stdint.h>

typedef unsigned __int128 veil_u128;

/** Largest supported prime size in bits. */
#define VEIL_MAX_PRIME_BITS 61

/** A prime modulus with its Barrett constant floor(2^128 / q) split into two words. */
typedef struct veil_modulus {
  uint64_t q;
  uint64_t r_hi, r_lo; /**< floor(2^128 / q) = r_hi * 2^64 + r_lo */
  int bits;            /**< bit length of q */
} veil_modulus;

/** Fills @p m for 2 <= q < 2^61. */
static inline void veil_modulus_init(veil_modulus *m, uint64_t q) {
  m->q = q;
  m->bits = 64 - __builtin_clzll(q);
  /* floor(2^128 / q) = floor((2^128 - 1) / q) since q is not a power of two (q odd prime > 2). */
  veil_u128 all = ~(veil_u128)0;
  veil_u128 r = all / q;
  m->r_hi = (uint64_t)(r >> 64);
  m->r_lo = (uint64_t)r;
}

/** x mod q for any 128-bit x < 2^64 * q (Barrett). Output in [0, q). */
static inline uint64_t veil_mod_reduce128(veil_u128 x, const veil_modulus *m) {
  uint64_t xl = (uint64_t)x, xh = (uint64_t)(x >> 64);
  veil_u128 lo_lo = (veil_u128)xl * m->r_lo;
  veil_u128 mid = (veil_u128)xl * m->r_hi + (uint64_t)(lo_lo >> 64);
  veil_u128 mid2 = (veil_u128)xh * m->r_lo + (uint64_t)mid;
  uint64_t qhat = xh * m->r_hi + (uint64_t)(mid >> 64) + (uint64_t)(mid2 >> 64);
  uint64_t r = xl - qhat * m->q;
  while (r >= m->q)
    r -= m->q;
  return r;
}

/** x mod q for a 64-bit x. Output in [0, q). */
static inline uint64_t veil_mod_reduce64(uint64_t x, const veil_modulus *m) {
  return veil_mod_reduce128((veil_u128)x, m);
}

/** a * b mod q for a, b < q (more generally a*b < 2^64 q). Output in [0, q). */
static inline uint64_t veil_mod_mul(uint64_t a, uint64_t b, const veil_modulus *m) {
  return veil_mod_reduce128((veil_u128)a * b, m);
}

/** a + b mod q for a, b in [0, q). */
static inline uint64_t veil_mod_add(uint64_t a, uint64_t b, uint64_t q) {
  uint64_t s = a + b;
  return s >= q ? s - q : s;
}

/** a - b mod q for a, b in [0, q). */
static inline uint64_t veil_mod_sub(uint64_t a, uint64_t b, uint64_t q) {
  return a >= b ? a - b : a + q - b;
}

/** -a mod q for a in [0, q). */
static inline uint64_t veil_mod_neg(uint64_t a, uint64_t q) { return a ? q - a : 0; }

/** Shoup's precomputed factor floor(w * 2^64 / q) for a fixed multiplicand w in [0, q). */
static inline uint64_t veil_shoup_prep(uint64_t w, uint64_t q) {
  return (uint64_t)(((veil_u128)w << 64) / q);
}

/** a * w mod q, lazily: any a < 2^64, w in [0, q), wp = veil_shoup_prep(w, q). Output in [0, 2q). */
static inline uint64_t veil_mod_mul_shoup_lazy(uint64_t a, uint64_t w, uint64_t wp, uint64_t q) {
  uint64_t qhat = (uint64_t)(((veil_u128)a * wp) >> 64);
  return a * w - qhat * q;
}

/** a * w mod q with Shoup's trick: any a < 2^64. Output in [0, q). */
static inline uint64_t veil_mod_mul_shoup(uint64_t a, uint64_t w, uint64_t wp, uint64_t q) {
  uint64_t r = veil_mod_mul_shoup_lazy(a, w, wp, q);
  return r >= q ? r - q : r;
}

/** base^e mod q. */
static inline uint64_t veil_mod_pow(uint64_t base, uint64_t e, const veil_modulus *m) {
  uint64_t r = 1 % m->q, b = veil_mod_reduce64(base, m);
  while (e) {
    if (e & 1)
      r = veil_mod_mul(r, b, m);
    b = veil_mod_mul(b, b, m);
    e >>= 1;
  }
  return r;
}

/** a^-1 mod q for prime q and a not divisible by q (Fermat). */
static inline uint64_t veil_mod_inv(uint64_t a, const veil_modulus *m) {
  return veil_mod_pow(a, m->q - 2, m);
}

/** Reverses the low @p bits bits of @p x. */
static inline uint64_t veil_bitrev(uint64_t x, int bits) {
  uint64_t r = 0;
  for (int i = 0; i < bits; i++, x >>= 1)
    r = (r << 1) | (x & 1);
  return r;
}

#endif
