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
 *   ...; veil_poly_ntt(&r, &a); veil_poly_mul(&r, &a, &a, &a); veil_poly_intt(&r, &a);
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

/** Most primes one ring may hold. */
#define VEIL_RING_MAX_PRIMES 256

/** One RNS basis with NTT tables per prime. Immutable after init; share freely across threads. */
typedef struct veil_ring {
  int logn;
  size_t n;
  int nmods;
  veil_modulus *mods;
  veil_ntt_tables *ntt;
  const veil_kernels *k;
} veil_ring;

/** Builds the ring for 1..VEIL_RING_MAX_PRIMES distinct NTT-friendly primes (each = 1 mod 2N, < 2^61). */
VEIL_WUR veil_status veil_ring_init(veil_ring *r, int logn, const uint64_t *primes, int count);
void veil_ring_free(veil_ring *r);

/** A polynomial over the first @c nlimbs primes of a ring, in coefficient or NTT form. */
typedef struct veil_poly {
  int nlimbs;
  size_t n;
  bool is_ntt;
  uint64_t *c; /**< nlimbs * n words, limb-major, 64-byte aligned */
  int cap;     /**< limbs allocated (>= nlimbs); 0 is read as nlimbs */
} veil_poly;

/** Allocates a zero polynomial with @p nlimbs limbs (1 <= nlimbs <= r->nmods), coefficient form. */
VEIL_WUR veil_status veil_poly_init(veil_poly *p, const veil_ring *r, int nlimbs);
void veil_poly_free(veil_poly *p);
static inline uint64_t *veil_poly_limb(const veil_poly *p, int i) { return p->c + (size_t)i * p->n; }

/* ---- polynomial arithmetic ------------------------------------------------------------------- */
/*
 * Conventions for every veil_poly_* operation below:
 *  - All operands belong to ring @p r: n == r->n and nlimbs <= r->nmods (else VEIL_ERR_MISMATCH).
 *    Limb i is reduced modulo r->mods[i]; inputs must be in [0, q_i), outputs are in [0, q_i).
 *  - Limb count: an operation computes L = the minimum nlimbs of its inputs (for fma the output is
 *    an input too) and sets out->nlimbs = L; out must have capacity (cap) >= L, else
 *    VEIL_ERR_INVALID_ARG. Limbs of out beyond L keep their memory but are no longer part of it.
 *  - Forms: binary operations need both inputs in the same form (VEIL_ERR_MISMATCH otherwise);
 *    mul and fma need NTT form. out->is_ntt is set to the form of the result.
 *  - Aliasing: out may alias any input unless stated otherwise (automorphisms).
 *  - Limbs are processed in parallel with OpenMP (veil_threads() threads) when nlimbs * n is large.
 */

/** Sets the limb count to @p nlimbs in [1, cap]; limbs added beyond the old count are zeroed. */
VEIL_WUR veil_status veil_poly_resize(veil_poly *p, int nlimbs);
/** Level down: keeps the first @p nlimbs limbs, 1 <= nlimbs <= p->nlimbs (memory is kept). */
VEIL_WUR veil_status veil_poly_drop_limbs(veil_poly *p, int nlimbs);
/** out = a (L = a->nlimbs limbs; out->cap >= L), copying the form. */
VEIL_WUR veil_status veil_poly_copy(const veil_ring *r, veil_poly *out, const veil_poly *a);
/** Sets every limb of @p p to zero (form unchanged). */
void veil_poly_zero(veil_poly *p);
/**
 * Sets @p p (all p->nlimbs limbs, coefficient form) from n signed coefficients: limb i gets
 * coef[j] mod q_i. Any int64 value is allowed.
 */
VEIL_WUR veil_status veil_poly_set_i64(const veil_ring *r, veil_poly *p, const int64_t *coef);
/** As veil_poly_set_i64 for int8 coefficients (ternary secrets, small errors). */
VEIL_WUR veil_status veil_poly_set_i8(const veil_ring *r, veil_poly *p, const int8_t *coef);
/** Forward NTT of every limb, in place. Error VEIL_ERR_MISMATCH if @p p is already in NTT form. */
VEIL_WUR veil_status veil_poly_ntt(const veil_ring *r, veil_poly *p);
/** Inverse NTT of every limb, in place. Error VEIL_ERR_MISMATCH if @p p is in coefficient form. */
VEIL_WUR veil_status veil_poly_intt(const veil_ring *r, veil_poly *p);
/** out = a + b (either form, both the same). */
VEIL_WUR veil_status veil_poly_add(const veil_ring *r, veil_poly *out, const veil_poly *a,
                                   const veil_poly *b);
/** out = a - b (either form, both the same). */
VEIL_WUR veil_status veil_poly_sub(const veil_ring *r, veil_poly *out, const veil_poly *a,
                                   const veil_poly *b);
/** out = -a (either form). */
VEIL_WUR veil_status veil_poly_neg(const veil_ring *r, veil_poly *out, const veil_poly *a);
/** out = a * b in Z_Q[X]/(X^N+1), i.e. the point-wise product; a and b in NTT form. */
VEIL_WUR veil_status veil_poly_mul(const veil_ring *r, veil_poly *out, const veil_poly *a,
                                   const veil_poly *b);
/** out = out + a * b (fused, point-wise); out, a and b in NTT form. out must not alias a or b. */
VEIL_WUR veil_status veil_poly_fma(const veil_ring *r, veil_poly *out, const veil_poly *a,
                                   const veil_poly *b);
/**
 * out = a * s with one scalar per limb: limb i is multiplied by s[i], s[i] in [0, q_i) (checked:
 * VEIL_ERR_INVALID_ARG), for i < a->nlimbs. Either form. Uses Shoup multiplication.
 */
VEIL_WUR veil_status veil_poly_mul_scalars(const veil_ring *r, veil_poly *out, const veil_poly *a,
                                           const uint64_t *s);
/** out = out + a * s with one scalar per limb, s[i] in [0, q_i); out and a in the same form. */
VEIL_WUR veil_status veil_poly_fma_scalars(const veil_ring *r, veil_poly *out, const veil_poly *a,
                                           const uint64_t *s);
/** out = a * s for a signed integer s (any int64, reduced per limb). Either form. */
VEIL_WUR veil_status veil_poly_mul_i64(const veil_ring *r, veil_poly *out, const veil_poly *a, int64_t s);

/* ---- automorphisms X -> X^k ------------------------------------------------------------------ */

/**
 * The Galois element 5^steps mod 2N (steps may be negative: a rotation of CKKS slots to the left by
 * @p steps); 2N - 1 is complex conjugation.
 */
uint64_t veil_galois_elt(int logn, int64_t steps);

/**
 * The NTT-domain permutation of X -> X^k on N = 2^logn points: for a polynomial in NTT form
 * (veil_ntt_tables convention: slot i holds a(psi^(2 brv(i) + 1))), the automorphism is
 * out[i] = in[idx[i]]. Compute it once per k and keep it (Galois keys do).
 * @param[out] idx N entries.
 * @return VEIL_ERR_INVALID_ARG if k is even or logn is outside [1, 17]. k is taken mod 2N.
 */
VEIL_WUR veil_status veil_automorph_index(int logn, uint64_t k, uint32_t *idx);

/**
 * out = a(X^k) for odd k (taken mod 2N), in a's form (coefficient: index map with sign; NTT: the
 * permutation of veil_automorph_index, computed on the fly: prefer veil_poly_automorph_ntt when
 * k repeats). out must not alias a (VEIL_ERR_INVALID_ARG). L = a->nlimbs.
 */
VEIL_WUR veil_status veil_poly_automorph(const veil_ring *r, veil_poly *out, const veil_poly *a,
                                         uint64_t k);
/** out = a(X^k) for a in NTT form with idx from veil_automorph_index(r->logn, k, idx); no aliasing. */
VEIL_WUR veil_status veil_poly_automorph_ntt(const veil_ring *r, veil_poly *out, const veil_poly *a,
                                             const uint32_t *idx);

/* ---- rescaling ------------------------------------------------------------------------------- */

/**
 * Divides by the last prime q_l (l = p->nlimbs - 1) with rounding and drops that limb, in place:
 * with x the CRT value of p modulo Q = q_0...q_l, the result is round(x / q_l) = floor((x + floor(q_l/2))
 * / q_l) modulo q_0...q_{l-1}, coefficient-wise. Works in either form (NTT form: one inverse NTT of
 * the last limb and one forward NTT per remaining limb). Needs p->nlimbs >= 2 (VEIL_ERR_INVALID_ARG);
 * VEIL_ERR_NOMEM if scratch cannot be allocated.
 */
VEIL_WUR veil_status veil_poly_rescale(const veil_ring *r, veil_poly *p);

/* ---- fast basis conversion ------------------------------------------------------------------- */

/** Largest source basis for veil_bconv (bounds the lazy 128-bit accumulation). */
#define VEIL_BCONV_MAX_FROM 64
/** Largest target basis for veil_bconv. */
#define VEIL_BCONV_MAX_TO 1024

/**
 * Precomputed fast basis conversion from B = {b_0..b_{k-1}} to C = {c_0..c_{m-1}} (Han-Ki / HPS):
 * [x]_{c_i} = sum_j [x_j * (B/b_j)^-1]_{b_j} * (B/b_j) mod c_i. Immutable after init (share across
 * threads).
 */
typedef struct veil_bconv {
  int nfrom, nto;
  veil_modulus *from, *to;
  uint64_t *hat_inv, *hat_inv_sh; /**< [nfrom]: (B/b_j)^-1 mod b_j and its Shoup factor */
  uint64_t *hat_mod;              /**< [nto][nfrom]: (B/b_j) mod c_i */
  const veil_kernels *k;          /**< kernels used by apply (veil_kernels_best() after init) */
} veil_bconv;

/**
 * Builds the conversion constants. @p from holds 1..VEIL_BCONV_MAX_FROM distinct primes, @p to
 * 1..VEIL_BCONV_MAX_TO primes (may overlap @p from). Moduli must be < 2^61. Errors: VEIL_ERR_INVALID_ARG for
 * counts or repeated source primes, VEIL_ERR_NOMEM.
 */
VEIL_WUR veil_status veil_bconv_init(veil_bconv *bc, const veil_modulus *from, int nfrom,
                                     const veil_modulus *to, int nto);
void veil_bconv_free(veil_bconv *bc);

/**
 * Converts n coefficients (coefficient form, or any element-wise representation: the map is
 * per coefficient): in = nfrom limbs x n words (limb j in [0, b_j)), out = nto limbs x n words.
 * For x in [0, B) the CRT value of the input, out limb i is (x + e*B) mod c_i with the same
 * integer 0 <= e < nfrom for all i (no correction of the B-overflow). out must not overlap in.
 * Parallel over coefficient blocks.
 */
void veil_bconv_apply(const veil_bconv *bc, const uint64_t *in, uint64_t *out, size_t n);
/** As veil_bconv_apply with one pointer per limb (for source/target limbs that are not contiguous). */
void veil_bconv_apply_limbs(const veil_bconv *bc, const uint64_t *const *in, uint64_t *const *out,
                            size_t n);
/**
 * Benchmarks veil_bconv_apply at N = 2^logn from @p nfrom to @p nto 50-bit primes: the median of
 * @p reps timings in microseconds goes to @p median_us. Errors as veil_bconv_init, or bad sizes.
 */
VEIL_WUR veil_status veil_bconv_bench(int logn, int nfrom, int nto, int reps, double *median_us);

/* ---- exact CRT (GMP) ------------------------------------------------------------------------- */

/** Q = q_0 * ... * q_{nlimbs-1} into an initialized @p Q; nlimbs in [1, r->nmods]. */
VEIL_WUR veil_status veil_ring_modulus_mpz(const veil_ring *r, int nlimbs, mpz_t Q);
/**
 * Exact CRT reconstruction of the first @p nlimbs limbs (1 <= nlimbs <= p->nlimbs) of @p p in
 * coefficient form (VEIL_ERR_MISMATCH for NTT form) into n initialized integers, centred in
 * (-Q/2, Q/2].
 */
VEIL_WUR veil_status veil_poly_to_mpz(const veil_ring *r, const veil_poly *p, int nlimbs, mpz_t *out);
/** Sets @p p (all p->nlimbs limbs, coefficient form) from n arbitrary integers, reduced mod each q_i. */
VEIL_WUR veil_status veil_poly_from_mpz(const veil_ring *r, veil_poly *p, const mpz_t *in);

/* ---- sampling -------------------------------------------------------------------------------- */

#define VEIL_SEED_BYTES 32

/**
 * A seeded, expandable pseudo-random generator: ChaCha20 (libsodium crypto_stream_chacha20, 64-bit
 * nonce = @c stream, 64-bit block counter) keyed with a 32-byte seed. The same (seed, stream) and
 * the same sequence of calls give bit-identical output on every platform, so a uniform polynomial
 * can be stored as its seed. Not thread-safe: one generator per thread. Wipe with veil_prng_free.
 */
typedef struct veil_prng {
  uint8_t key[VEIL_SEED_BYTES];
  uint64_t stream;  /**< ChaCha20 nonce (domain separation between streams of one seed) */
  uint64_t block;   /**< next 64-byte block counter */
  size_t pos;       /**< bytes of buf already used */
  uint8_t buf[512]; /**< keystream buffer */
} veil_prng;

/** Starts a generator from @p seed and a stream number (domain separation). */
void veil_prng_init(veil_prng *g, const uint8_t seed[VEIL_SEED_BYTES], uint64_t stream);
/** Starts a generator from a fresh OS-random seed (veil_random_bytes), copied to @p seed_out if non-NULL. */
void veil_prng_init_random(veil_prng *g, uint8_t seed_out[VEIL_SEED_BYTES]);
/** Wipes the generator's key and buffer. NULL is a no-op. */
void veil_prng_free(veil_prng *g);
/** Next @p n keystream bytes. */
void veil_prng_bytes(veil_prng *g, void *out, size_t n);
/** Next 64-bit word (little-endian bytes of the stream). */
uint64_t veil_prng_u64(veil_prng *g);
/** Uniform integer in [0, bound) by rejection sampling (unbiased); bound >= 1. */
uint64_t veil_prng_below(veil_prng *g, uint64_t bound);

/**
 * Fills every limb of @p p uniformly modulo q_i (rejection sampling on bit-masked 64-bit words,
 * limb by limb in order) and marks it NTT form (uniform is uniform in either domain; by this
 * convention a seed expands to an NTT-form polynomial).
 */
VEIL_WUR veil_status veil_sample_uniform(veil_prng *g, const veil_ring *r, veil_poly *p);
/** n independent uniform values in {-1, 0, 1} (rejection on bytes: exactly 1/3 each). */
void veil_sample_ternary(veil_prng *g, int8_t *out, size_t n);
/**
 * n values in {-1, 0, 1} with exactly @p h nonzeros at uniformly random positions (partial
 * Fisher-Yates), each nonzero +-1 with probability 1/2. Errors: h > n (VEIL_ERR_INVALID_ARG),
 * VEIL_ERR_NOMEM.
 */
VEIL_WUR veil_status veil_sample_ternary_hw(veil_prng *g, int8_t *out, size_t n, size_t h);
/**
 * n samples of the centred discrete Gaussian with parameter @p sigma (standard deviation; 3.2 for
 * RLWE errors) restricted to |e| <= floor(6 sigma) (the tail beyond is cut and the rest
 * renormalised; mass cut at sigma 3.2 is < 2^-27). Method: cumulative distribution table of |e|
 * with 63-bit probabilities, scanned in full for every sample (no data-dependent branches or
 * early exit), plus a random sign. Errors: sigma outside (0, 64] (VEIL_ERR_INVALID_ARG).
 */
VEIL_WUR veil_status veil_sample_gaussian(veil_prng *g, int64_t *out, size_t n, double sigma);

#ifdef __cplusplus
}
#endif
#endif
