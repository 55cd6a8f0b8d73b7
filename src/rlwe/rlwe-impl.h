/* Internal pieces of the rlwe layer: a seeded ChaCha20 PRNG, samplers and small poly helpers. */
#ifndef VEIL_RLWE_IMPL_H
#define VEIL_RLWE_IMPL_H

#include "veil/rlwe.h"

/** Domains separating the PRNG streams expanded from one seed. */
enum { VEIL__DOM_A = 1 };
/** Domain of limb @p limb of component @p comp (digit) of a seeded uniform polynomial. */
static inline uint64_t veil__dom_uniform(int comp, int limb) {
  return ((uint64_t)VEIL__DOM_A << 56) | ((uint64_t)(uint32_t)comp << 16) | (uint32_t)limb;
}

/** Fills limbs [0, nlimbs) of @p out (QP list indices @p idx0..) with the seeded uniform a. */
void veil__expand_uniform(const veil_rlwe_ctx *c, const uint8_t seed[32], int comp, uint64_t *out,
                          int nlimbs);
/** Writes small signed @p v into limb i of @p out (QP list index i) and NTTs it, for nlimbs limbs. */
void veil__small_to_ntt(const veil_rlwe_ctx *c, const int64_t *v, uint64_t *out, int nlimbs);

/** Kinds of small polynomials: the secret (per the context), uniform ternary, Gaussian error. */
typedef enum { VEIL__SMALL_SECRET, VEIL__SMALL_TERNARY, VEIL__SMALL_GAUSS } veil__small;
/** Samples a small polynomial from a fresh OS seed into NTT form over the first nlimbs QP primes. */
VEIL_WUR veil_status veil__sample_small_ntt(const veil_rlwe_ctx *c, uint64_t *out, int nlimbs, veil__small kind);

/** Allocates a key's dnum components and expands a_j from k->seed. */
VEIL_WUR veil_status veil__swk_alloc(const veil_rlwe_ctx *c, veil_rlwe_swk *k);
/** Sets the key's Galois element and permutation. */
VEIL_WUR veil_status veil__swk_set_galois(const veil_rlwe_ctx *c, veil_rlwe_swk *k, uint64_t g);

/** Allocates an NTT-form polynomial of @p nlimbs limbs over the QP list (zeroed). */
VEIL_WUR veil_status veil__poly_alloc(const veil_rlwe_ctx *c, veil_poly *p, int nlimbs);

/** 128-bit x mod q for any x (two Barrett steps). */
static inline uint64_t veil__reduce_u128(veil_u128 x, const veil_modulus *m) {
  uint64_t hi = veil_mod_reduce64((uint64_t)(x >> 64), m);
  return veil_mod_reduce128(((veil_u128)hi << 64) | (uint64_t)x, m);
}

/** Applies the NTT-domain permutation: out[i] = in[perm[i]] (no aliasing). */
static inline void veil__permute(uint64_t *out, const uint64_t *in, const uint32_t *perm, size_t n) {
  for (size_t i = 0; i < n; i++)
    out[i] = in[perm[i]];
}

/** Parallel-for over limbs with the configured thread count. */
#define VEIL__OMP_LIMBS _Pragma("omp parallel for num_threads(veil_threads()) schedule(static)")

#endif
