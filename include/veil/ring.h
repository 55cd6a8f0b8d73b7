/**
 * @file ring.h
 * @brief The ring layer: NTT-friendly primes, negacyclic NTT, RNS polynomials in Z_Q[X]/(X^N + 1),
 *        automorphisms, rescaling, fast basis conversion, exact CRT reconstruction and sampling.
 *
 * A ::veil_ring is one RNS basis (q_0, ..., q_{k-1}) with its NTT tables; CKKS keeps two of them,
 * the ciphertext chain Q and the special primes P. A ::veil_poly over a ring uses its first
 * @c nlimbs primes (the level is nlimbs - 1) and stores limb i at `c + i * n`.
 *
 * @code
 *   uint64_t primes[3];
 *   veil_primes_ntt(12, 50, 3, NULL, 0, primes);
 *   veil_ring r; veil_ring_init(&r, 12, primes, 3);
 *   veil_poly a; veil_poly_init(&a, &r, 3);
 *   ...; veil_ring_ntt(&r, &a); veil_ring_mul(&r, &a, &a, &a); veil_ring_intt(&r, &a);
 *   veil_poly_free(&a); veil_ring_free(&r);
 * @endcode
 */
#ifndef VEIL_RING_H
#define VEIL_RING_H

#include <gmp.h>
#include <stdbool.h>

#include "veil/backend.h"
#include "veil/util.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- primes and roots ---------------------------------------------------------------------- */

/** Deterministic primality test for 64-bit integers (Miller-Rabin with a fixed witness set). */
bool veil_is_prime(uint64_t x);

/**
 * The @p count largest primes q < 2^bits with q = 1 mod 2^(logn+1), in decreasing order, skipping
 * those in @p exclude. Deterministic. Errors: bits outside [logn+2, 61], not enough primes.
 */
VEIL_WUR veil_status veil_primes_ntt(int logn, int bits, int count, const uint64_t *exclude,
                                     int nexclude, uint64_t *out);

/** The smallest primitive 2^(logn+1)-th root of unity modulo prime q (requires q = 1 mod 2N). */
VEIL_WUR veil_status veil_primitive_root_2n(uint64_t q, int logn, uint64_t *psi);

/* ---- NTT ----------------------------------------------------------------------------------- */

/** Builds NTT tables for prime q = 1 mod 2N, N = 2^logn, 1 <= logn <= 17. */
VEIL_WUR veil_status veil_ntt_tables_init(veil_ntt_tables *t, uint64_t q, int logn);
void veil_ntt_tables_free(veil_ntt_tables *t);
/** In-place forward negacyclic NTT with the best kernels; input/output in [0, q). */
void veil_ntt_fwd(const veil_ntt_tables *t, uint64_t *a);
/** In-place inverse negacyclic NTT (includes 1/N); input/output in [0, q). */
void veil_ntt_inv(const veil_ntt_tables *t, uint64_t *a);

/* ---- rings and polynomials ----------------------------------------------------------------- */

/** One RNS basis with NTT tables per prime. Immutable after init; share freely across threads. */
typedef struct veil_ring {
  int logn;
  size_t n;
  int nmods;
  veil_modulus *mods;
  veil_ntt_tables *ntt;
  const veil_kernels *k;
} veil_ring;

/** Builds the ring for distinct NTT-friendly primes (each = 1 mod 2N, < 2^61). */
VEIL_WUR veil_status veil_ring_init(veil_ring *r, int logn, const uint64_t *primes, int count);
void veil_ring_free(veil_ring *r);

/** A polynomial over the first @c nlimbs primes of a ring, in coefficient or NTT form. */
typedef struct veil_poly {
  int nlimbs;
  size_t n;
  bool is_ntt;
  uint64_t *c; /**< nlimbs * n words, limb-major, 64-byte aligned */
} veil_poly;

/** Allocates a zero polynomial with @p nlimbs limbs (1 <= nlimbs <= r->nmods), coefficient form. */
VEIL_WUR veil_status veil_poly_init(veil_poly *p, const veil_ring *r, int nlimbs);
void veil_poly_free(veil_poly *p);
static inline uint64_t *veil_poly_limb(const veil_poly *p, int i) { return p->c + (size_t)i * p->n; }

#ifdef __cplusplus
}
#endif
#endif
