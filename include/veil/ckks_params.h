/**
 * @file ckks_params.h
 * @brief CKKS parameters: a literal the caller fills (::veil_ckks_params_lit), validated and resolved
 *        into concrete NTT-friendly primes (::veil_ckks_params), a security check against the
 *        Homomorphic Encryption Standard table, a fingerprint, and automatic selection.
 *
 * @code
 *   veil_ckks_params_lit lit;
 *   if (veil_ckks_params_select(5, 40, 20, 4096, 128, &lit)) ...;   // depth 5, scale 2^40
 *   veil_ckks_params p;
 *   if (veil_ckks_params_resolve(&lit, &p)) ...;                    // primes, security, fingerprint
 *   char text[512]; puts(veil_ckks_params_describe(&p, text, sizeof text));
 *   veil_ring rq; veil_ckks_params_ring_q(&p, &rq);                 // the ciphertext chain Q
 * @endcode
 *
 * Prime choice (deterministic, documented in veil_ckks_params_resolve()):
 *  - q_i (i >= 1) with q_bits[i] == log_scale are "scale primes": the NTT-friendly primes nearest to
 *    2^log_scale, taken alternately above and below it (q_{nq-1} above, q_{nq-2} below, ...), so that
 *    Delta^2 / q_l stays near Delta after each rescale (Lattigo's alternating generator, SEAL practice);
 *  - every other prime (q_0, q_i with other sizes, p_j) is the largest unused NTT-friendly prime below
 *    2^bits (so it has exactly @c bits bits).
 *
 * Security (log2(QP) bounds for a ternary secret, sigma 3.2; ../shared/DESIGN.md section 5):
 *  - 128-bit: 27, 54, 109, 218, 438, 881, 1747, 3523 for logN 10..17;
 *  - 192-bit: 19, 37, 75, 152, 305, 611, 1199, 2411;
 *  - 256-bit: 14, 29, 58, 118, 237, 476 for logN 10..15 (HE Standard, Albrecht et al. 2018, Table 1,
 *    ternary/uniform secret), and 952, 1904 for logN 16, 17 extrapolated by doubling (the bound grows
 *    linearly in N at fixed security; the 128/192-bit rows double the same way).
 * Sparse secrets are not covered by the table: they are refused unless @c insecure_test_only.
 */
#ifndef VEIL_CKKS_PARAMS_H
#define VEIL_CKKS_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "veil/ring.h"
#include "veil/rlwe.h"
#include "veil/util.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VEIL_CKKS_LOGN_MIN 10
#define VEIL_CKKS_LOGN_MAX 17
#define VEIL_CKKS_MAX_Q 64 /**< most ciphertext primes (max level 63) */
#define VEIL_CKKS_MAX_P 16 /**< most special primes */
#define VEIL_CKKS_PRIME_BITS_MIN 20
#define VEIL_CKKS_PRIME_BITS_MAX 60
#define VEIL_CKKS_FINGERPRINT_BYTES 32

/** Secret key distribution. */
typedef enum veil_secret_dist {
  VEIL_SECRET_TERNARY = 0, /**< uniform over {-1, 0, 1} (covered by the security table) */
  VEIL_SECRET_SPARSE = 1,  /**< ternary with fixed Hamming weight h (not covered: test only) */
} veil_secret_dist;

/** The parameter literal the caller fills. Zero-initialize, then set the fields. */
typedef struct veil_ckks_params_lit {
  int logn;                      /**< ring degree N = 2^logn, 10..17 */
  int nq;                        /**< number of ciphertext primes (max level nq - 1), 1..64 */
  int q_bits[VEIL_CKKS_MAX_Q];   /**< bit sizes, q_0 first; each 20..60 */
  int np;                        /**< number of special primes, 1..16 */
  int p_bits[VEIL_CKKS_MAX_P];   /**< bit sizes of the special primes; each 20..60 */
  int dnum;                      /**< key-switching digits; 0: derive as ceil(nq / np) */
  int log_scale;                 /**< default scale 2^log_scale, 20..60, < q_bits[0] */
  veil_secret_dist secret;       /**< VEIL_SECRET_TERNARY (default 0) or VEIL_SECRET_SPARSE */
  int hamming_weight;            /**< for sparse secrets: 1..N */
  int security;                  /**< 128 (default when 0), 192 or 256 */
  bool insecure_test_only;       /**< accept sets that fail the security check (tests only) */
} veil_ckks_params_lit;

/** Resolved, validated parameters. Plain data, immutable after resolve; share freely. */
typedef struct veil_ckks_params {
  int logn;
  size_t n;                        /**< N */
  size_t max_slots;                /**< N / 2 */
  int nq;
  uint64_t q[VEIL_CKKS_MAX_Q];     /**< ciphertext primes, q_0 first */
  int np;
  uint64_t p[VEIL_CKKS_MAX_P];     /**< special primes */
  int dnum;                        /**< key-switching digits */
  int alpha;                       /**< primes per digit, ceil(nq / dnum) <= np */
  int log_scale;
  double scale;                    /**< 2^log_scale */
  veil_secret_dist secret;
  int h;                           /**< Hamming weight (sparse), 0 for ternary */
  int security;                    /**< requested level: 128, 192 or 256 */
  int security_bits_met;           /**< highest of 256/192/128 whose bound holds; 0 if none */
  double log_qp;                   /**< log2(Q * P) of the actual primes */
  int qp_bound;                    /**< log2(QP) bound of the requested level at this N */
  bool insecure;                   /**< resolved with insecure_test_only and failing the check */
  uint8_t fingerprint[VEIL_CKKS_FINGERPRINT_BYTES]; /**< see veil_ckks_params_fingerprint() */
} veil_ckks_params;

/** Key sizes in bytes for one set of parameters (at the top level, over Q and QP). */
typedef struct veil_ckks_key_sizes {
  uint64_t pk, pk_seeded;         /**< public key (2 polys over Q); seeded: 1 poly + 32-byte seed */
  uint64_t rlk, rlk_seeded;       /**< relinearization key (dnum x 2 polys over QP) */
  uint64_t galois, galois_seeded; /**< one Galois (rotation) key, same shape as rlk */
} veil_ckks_key_sizes;

/**
 * Largest log2(QP) allowed at @p security bits (128, 192, 256) for N = 2^logn (logn 10..17), from
 * the table above; 0 when @p security or @p logn is outside the table.
 */
int veil_ckks_security_bound(int security, int logn);

/**
 * Validates @p lit and resolves it into @p out (primes, dnum, security, fingerprint).
 * @param[in]  lit  the literal; not modified.
 * @param[out] out  fully written on success; unspecified on failure.
 * @return VEIL_OK; VEIL_ERR_INVALID_ARG for out-of-range fields (message names the field: logn,
 *         counts, prime sizes, q_0 not larger than the scale, dnum, hamming weight, security level)
 *         or when not enough distinct primes exist; VEIL_ERR_INSECURE when log2(QP) exceeds the bound
 *         ("log2(QP) = 1800.0 exceeds 1747, the 128-bit bound for N=2^16") or a sparse secret is
 *         used, unless @c insecure_test_only (then @c out->insecure is set).
 */
VEIL_WUR veil_status veil_ckks_params_resolve(const veil_ckks_params_lit *lit, veil_ckks_params *out);

/**
 * Automatic selection (SEALion-style): the smallest secure N >= 2 * slots and a chain for
 * @p depth rescalings at scale 2^scale_bits.
 *
 * Rule: q_0 = scale_bits + precision_bits bits (capped at 60), then @p depth primes of scale_bits;
 * special primes of max(q bits) bits each; for each logN from the smallest allowed upward and
 * each dnum from 1 (fewest digits: smallest keys, cheapest key switching) to nq, np = ceil(nq/dnum);
 * the first set that resolves within the bound wins.
 * @param depth          number of rescalings (multiplicative depth), 0..63
 * @param scale_bits     log2 of the scale, 20..60
 * @param precision_bits bits of the integer part kept at level 0, >= 1 (q_0 = scale + precision)
 * @param slots          complex slots needed, 1..2^16 (rounded up to a power of two)
 * @param security       128, 192 or 256 (0 means 128)
 * @param[out] out       the literal (resolve it with veil_ckks_params_resolve())
 * @return VEIL_OK; VEIL_ERR_INVALID_ARG for out-of-range arguments; VEIL_ERR_INSECURE when no
 *         N <= 2^17 fits (the message gives the log2(QP) needed and the largest bound).
 */
VEIL_WUR veil_status veil_ckks_params_select(int depth, int scale_bits, int precision_bits,
                                             int slots, int security, veil_ckks_params_lit *out);

/**
 * BLAKE2b-256 (libsodium crypto_generichash) of a canonical little-endian encoding of the resolved
 * parameters: a version tag "veil-ckks-params-v1", logn, nq, q[], np, p[], dnum, log_scale, secret,
 * h, security and the insecure flag (veil_rlwe_paramset_fingerprint of veil_ckks_params_paramset).
 * Filled by resolve; call again after editing @p p by hand.
 */
void veil_ckks_params_fingerprint(const veil_ckks_params *p, uint8_t out[VEIL_CKKS_FINGERPRINT_BYTES]);

/**
 * The rlwe parameter set of @p p (its canonical fields and fingerprint): what a params object
 * stores (veil_rlwe_params_save) and what the fingerprint hashes.
 */
void veil_ckks_params_paramset(const veil_ckks_params *p, veil_rlwe_paramset *out);

/**
 * One human-readable line: N, slots, prime sizes, dnum, log2(QP), the bound met and "INSECURE
 * (test only)" when @c insecure. Writes into @p buf (truncated to @p cap) and returns @p buf.
 */
const char *veil_ckks_params_describe(const veil_ckks_params *p, char *buf, size_t cap);

/** Key sizes (full and seeded) for @p p; see ::veil_ckks_key_sizes. */
void veil_ckks_params_key_sizes(const veil_ckks_params *p, veil_ckks_key_sizes *out);

/** Builds the ring over the ciphertext primes q_0..q_{nq-1}. Free with veil_ring_free(). */
VEIL_WUR veil_status veil_ckks_params_ring_q(const veil_ckks_params *p, veil_ring *out);
/** Builds the ring over the special primes p_0..p_{np-1}. Free with veil_ring_free(). */
VEIL_WUR veil_status veil_ckks_params_ring_p(const veil_ckks_params *p, veil_ring *out);

#ifdef __cplusplus
}
#endif
#endif
