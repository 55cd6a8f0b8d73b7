/**
 * @file rlwe.h
 * @brief The rlwe layer: an immutable context for a ciphertext chain Q = q_0..q_L and special primes
 *        P = p_0..p_{k-1}; secret, public, relinearization and Galois keys; encryption (public-key and
 *        seeded symmetric), decryption; hybrid key switching (Han-Ki, ePrint 2019/688) with hoisting
 *        (Halevi-Shoup, ePrint 2018/244); ciphertext/plaintext containers; serialization.
 *
 * Polynomials are kept in NTT form. A ciphertext at level l uses limbs 0..l of Q. A key-switching key
 * has dnum digit components (b_j, a_j) over Q ∪ P; digit j covers primes [j*alpha, (j+1)*alpha) with
 * alpha = ceil((L+1)/dnum). The a_j are expanded from a stored 32-byte seed, so serialized keys are
 * about half size.
 *
 * @code
 *   veil_rlwe_ctx ctx;  VEIL_TRY(veil_rlwe_ctx_init(&ctx, &params));
 *   veil_rlwe_sk sk;    VEIL_TRY(veil_rlwe_sk_gen(&ctx, &sk));
 *   veil_rlwe_swk rlk;  VEIL_TRY(veil_rlwe_relin_key_gen(&ctx, &sk, &rlk));
 *   ...
 *   veil_rlwe_swk_free(&rlk); veil_rlwe_sk_free(&sk); veil_rlwe_ctx_free(&ctx);
 * @endcode
 */
#ifndef VEIL_RLWE_H
#define VEIL_RLWE_H

#include "veil/ring.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Most primes (Q and P together) a context may hold. */
#define VEIL_RLWE_MAX_PRIMES 128
/** Size of the parameter fingerprint carried by every serialized object. */
#define VEIL_RLWE_FP_BYTES 32
/** Size of a PRNG seed. */
#define VEIL_RLWE_SEED_BYTES 32

/** What a context is built from (normally filled by a scheme from its resolved parameters). */
typedef struct veil_rlwe_params {
  int logn;                /**< ring dimension N = 2^logn, 1 <= logn <= 17 */
  int nq;                  /**< number of Q primes (L + 1), >= 1 */
  const uint64_t *q;       /**< Q primes, distinct NTT-friendly, < 2^61 */
  int np;                  /**< number of special primes, >= 1 */
  const uint64_t *p;       /**< P primes */
  int dnum;                /**< key-switching digits, 1 <= dnum <= nq */
  int hamming_weight;      /**< secret: 0 = uniform ternary, else exactly h nonzero coefficients */
  uint8_t fingerprint[VEIL_RLWE_FP_BYTES]; /**< identifies the scheme parameters (serialization) */
} veil_rlwe_params;

/**
 * Fast basis conversion from a contiguous range of source primes to every prime of the QP list:
 * bc.hat_inv[i] = (S / s_i)^-1 mod s_i (and Shoup factor), bc.hat_mod[t * nsrc + i] = (S / s_i) mod m_t.
 */
typedef struct veil_rlwe_bconv {
  int src0, nsrc; /**< source primes are indices [src0, src0 + nsrc) of the QP list */
  veil_bconv bc;
} veil_rlwe_bconv;

/**
 * The immutable context: rings, digit layout and all key-switching precomputation. Built once,
 * shared read-only across threads.
 */
typedef struct veil_rlwe_ctx {
  int logn;
  size_t n;
  int nq, np, dnum, alpha;       /**< alpha = ceil(nq / dnum) primes per digit */
  int hamming_weight;
  veil_ring rq, rp;              /**< ring Q (the chain) and ring P (special primes) */
  const veil_ntt_tables **tab;   /**< NTT tables of the QP list: Q primes then P primes */
  veil_modulus *mod;             /**< moduli of the QP list */
  veil_rlwe_bconv *modup;        /**< modup[j * alpha + len - 1]: digit j truncated to len primes */
  veil_rlwe_bconv moddown;       /**< P -> every Q prime */
  uint64_t *p_mod_q, *p_mod_q_sh;        /**< P mod q_i, Shoup */
  uint64_t *p_inv_q, *p_inv_q_sh;        /**< P^-1 mod q_i, Shoup */
  uint64_t *ql_inv, *ql_inv_sh;          /**< [l * nq + i] = q_l^-1 mod q_i for i < l (rescale) */
  uint32_t *brv;                 /**< bit reversal on logn bits */
  uint8_t fingerprint[VEIL_RLWE_FP_BYTES];
} veil_rlwe_ctx;

/**
 * Builds a context: checks the primes (distinct, NTT-friendly, < 2^61), dnum in [1, nq], the
 * Hamming weight in [0, N], and precomputes the ModUp/ModDown/rescale constants.
 * Errors: VEIL_ERR_INVALID_ARG (detail names the field), VEIL_ERR_NOMEM.
 */
VEIL_WUR veil_status veil_rlwe_ctx_init(veil_rlwe_ctx *c, const veil_rlwe_params *p);
void veil_rlwe_ctx_free(veil_rlwe_ctx *c);

/** Number of digits a level-l polynomial decomposes into: ceil((l + 1) / alpha). */
static inline int veil_rlwe_ctx_digits(const veil_rlwe_ctx *c, int level) {
  return (level + c->alpha) / c->alpha;
}

/** The Galois element 5^step mod 2N for a left rotation by @p step slots (step may be negative). */
uint64_t veil_rlwe_galois_elt(const veil_rlwe_ctx *c, int step);
/** The Galois element of complex conjugation, 2N - 1. */
static inline uint64_t veil_rlwe_galois_conj(const veil_rlwe_ctx *c) { return 2 * c->n - 1; }
/**
 * The NTT-domain permutation of X -> X^g: (phi_g a)[i] = a[perm[i]] for NTT-form polynomials.
 * Errors: VEIL_ERR_INVALID_ARG if g is even or >= 2N.
 */
VEIL_WUR veil_status veil_rlwe_galois_perm(const veil_rlwe_ctx *c, uint64_t g, uint32_t *perm);

/* ---- keys -------------------------------------------------------------------------------------- */

/** Secret key: ternary s in NTT form over all QP primes (nq + np limbs). Wiped on free. */
typedef struct veil_rlwe_sk {
  veil_poly s;
} veil_rlwe_sk;

/** Public key (b, a) = (-a s + e, a) over Q in NTT form; a is expanded from @c seed. */
typedef struct veil_rlwe_pk {
  veil_poly b, a;
  uint8_t seed[VEIL_RLWE_SEED_BYTES];
} veil_rlwe_pk;

/**
 * A key-switching key from s' to s: dnum components (b_j, a_j) over QP (nq + np limbs, NTT form)
 * with b_j = -a_j s + e_j + [i in digit j] (P mod q_i) s'. Relinearization keys have s' = s^2,
 * Galois keys s' = phi_g(s) and carry their permutation.
 */
typedef struct veil_rlwe_swk {
  int dnum;
  veil_poly *b, *a;
  uint8_t seed[VEIL_RLWE_SEED_BYTES];
  uint64_t galois;   /**< 0 for a relinearization key, else the Galois element */
  uint32_t *perm;    /**< NTT-domain permutation for galois (NULL for relinearization) */
} veil_rlwe_swk;

/** A set of Galois keys, looked up by Galois element. */
typedef struct veil_rlwe_gks {
  int count;
  veil_rlwe_swk *keys;
} veil_rlwe_gks;

/** Samples a secret key (uniform ternary or fixed Hamming weight per the context). Errors: NOMEM. */
VEIL_WUR veil_status veil_rlwe_sk_gen(const veil_rlwe_ctx *c, veil_rlwe_sk *sk);
/** Wipes and frees; NULL is a no-op. */
void veil_rlwe_sk_free(veil_rlwe_sk *sk);
/** Generates a public key for @p sk. Errors: NOMEM. */
VEIL_WUR veil_status veil_rlwe_pk_gen(const veil_rlwe_ctx *c, const veil_rlwe_sk *sk, veil_rlwe_pk *pk);
void veil_rlwe_pk_free(veil_rlwe_pk *pk);
/** Generates the relinearization key (s^2 -> s). Errors: NOMEM. */
VEIL_WUR veil_status veil_rlwe_relin_key_gen(const veil_rlwe_ctx *c, const veil_rlwe_sk *sk,
                                             veil_rlwe_swk *rlk);
/** Generates the Galois key for element @p g (odd, < 2N). Errors: INVALID_ARG, NOMEM. */
VEIL_WUR veil_status veil_rlwe_galois_key_gen(const veil_rlwe_ctx *c, const veil_rlwe_sk *sk,
                                              uint64_t g, veil_rlwe_swk *gk);
void veil_rlwe_swk_free(veil_rlwe_swk *k);
/**
 * Generates Galois keys for the rotation @p steps (duplicates and steps = 0 mod N/2 are skipped)
 * plus conjugation when @p conj. Errors: INVALID_ARG, NOMEM.
 */
VEIL_WUR veil_status veil_rlwe_gks_gen(const veil_rlwe_ctx *c, const veil_rlwe_sk *sk, const int *steps,
                                       int nsteps, bool conj, veil_rlwe_gks *gks);
void veil_rlwe_gks_free(veil_rlwe_gks *g);
/** The key for Galois element @p g, or NULL. */
const veil_rlwe_swk *veil_rlwe_gks_find(const veil_rlwe_gks *g, uint64_t galois);

/* ---- containers -------------------------------------------------------------------------------- */

/** A plaintext: one NTT-form polynomial over q_0..q_level with its scale. */
typedef struct veil_rlwe_pt {
  veil_poly m;
  int level;
  double scale;
} veil_rlwe_pt;

/**
 * A ciphertext: @c size components (2 or 3) in NTT form over q_0..q_level. Buffers have room for
 * @c cap limbs so level changes never allocate. @c seeded: c1 is still the expansion of @c seed
 * (fresh symmetric encryption) and serializes as the seed.
 */
typedef struct veil_rlwe_ct {
  int size, level, cap;
  double scale;
  veil_poly c[3];
  bool seeded;
  uint8_t seed[VEIL_RLWE_SEED_BYTES];
} veil_rlwe_ct;

/** Allocates a zero plaintext at @p level (0 <= level < nq). Errors: INVALID_ARG, NOMEM. */
VEIL_WUR veil_status veil_rlwe_pt_init(const veil_rlwe_ctx *c, veil_rlwe_pt *pt, int level);
void veil_rlwe_pt_free(veil_rlwe_pt *pt);
/** Allocates a zero ciphertext of @p size (2 or 3) components at @p level. Errors: INVALID_ARG, NOMEM. */
VEIL_WUR veil_status veil_rlwe_ct_init(const veil_rlwe_ctx *c, veil_rlwe_ct *ct, int size, int level);
void veil_rlwe_ct_free(veil_rlwe_ct *ct);
/** Makes @p ct hold @p size components at @p level, growing buffers if needed (contents undefined). */
VEIL_WUR veil_status veil_rlwe_ct_reshape(const veil_rlwe_ctx *c, veil_rlwe_ct *ct, int size, int level);
/** Deep copy (dst may be uninitialized-zero or an existing ciphertext). Errors: NOMEM. */
VEIL_WUR veil_status veil_rlwe_ct_copy(const veil_rlwe_ctx *c, veil_rlwe_ct *dst, const veil_rlwe_ct *src);

/* ---- encryption -------------------------------------------------------------------------------- */

/** ct = (b u + e0 + m, a u + e1) at the plaintext's level and scale. Errors: NOMEM, INVALID_ARG. */
VEIL_WUR veil_status veil_rlwe_encrypt_pk(const veil_rlwe_ctx *c, const veil_rlwe_pk *pk,
                                          const veil_rlwe_pt *pt, veil_rlwe_ct *ct);
/** Seeded symmetric encryption: ct = (-a s + e + m, a), a from a fresh seed kept in ct. */
VEIL_WUR veil_status veil_rlwe_encrypt_sk(const veil_rlwe_ctx *c, const veil_rlwe_sk *sk,
                                          const veil_rlwe_pt *pt, veil_rlwe_ct *ct);
/** pt = c0 + c1 s (+ c2 s^2) at the ciphertext's level and scale. Errors: NOMEM. */
VEIL_WUR veil_status veil_rlwe_decrypt(const veil_rlwe_ctx *c, const veil_rlwe_sk *sk,
                                       const veil_rlwe_ct *ct, veil_rlwe_pt *pt);

/* ---- key switching ----------------------------------------------------------------------------- */

/**
 * Scratch for key switching, owned by one evaluator (one per thread). Sized on first use for the
 * context's largest level; later calls do not allocate.
 */
typedef struct veil_rlwe_ks {
  const veil_rlwe_ctx *ctx;
  int nthreads;
  uint64_t *coef;   /**< (nq) x N: input in coefficient form */
  uint64_t *acc;    /**< 2 x (nq + np) x N: key-switched pair over QP before ModDown */
  uint64_t *tmp;    /**< nthreads x (2 dnum + 1) x N: per-thread ModUp limbs and their automorphisms */
  uint64_t *hoist;  /**< dnum x (nq + np) x N: hoisted decomposition (allocated on first hoist) */
  int hoist_level;  /**< level of the stored decomposition, -1 if none */
} veil_rlwe_ks;

/** Prepares scratch for @p c with the current veil_threads(). Errors: NOMEM. */
VEIL_WUR veil_status veil_rlwe_ks_init(veil_rlwe_ks *ks, const veil_rlwe_ctx *c);
void veil_rlwe_ks_free(veil_rlwe_ks *ks);

/** How key switching writes its two outputs: bit 0 accumulates into out0, bit 1 into out1. */
typedef enum veil_rlwe_ks_mode {
  VEIL_KS_SET = 0,  /**< out0 = ..., out1 = ... */
  VEIL_KS_ADD0 = 1, /**< out0 += ..., out1 = ... (rotations: out0 holds phi(c0)) */
  VEIL_KS_ADD = 3,  /**< out0 += ..., out1 += ... (relinearization) */
} veil_rlwe_ks_mode;

/**
 * Key-switches the NTT-form polynomial @p d (level+1 limbs) with @p key, optionally applying the
 * key's automorphism to @p d first: out0 (+)= ModDown(sum_j phi(D_j) b_j), out1 (+)= ModDown(...a_j),
 * over q_0..q_level; @p mode says which outputs accumulate. The outputs are written only after @p d
 * has been consumed, so @p d may alias out0 or out1.
 */
void veil_rlwe_keyswitch(veil_rlwe_ks *ks, const uint64_t *d, int level, const veil_rlwe_swk *key,
                         bool apply_perm, uint64_t *out0, uint64_t *out1, veil_rlwe_ks_mode mode);
/** Hoisting: decomposes and ModUps @p d once (kept in @p ks) for several veil_rlwe_keyswitch_hoisted. */
VEIL_WUR veil_status veil_rlwe_hoist(veil_rlwe_ks *ks, const uint64_t *d, int level);
/** As veil_rlwe_keyswitch(apply_perm = true) on the decomposition stored by veil_rlwe_hoist. */
void veil_rlwe_keyswitch_hoisted(veil_rlwe_ks *ks, const veil_rlwe_swk *key, uint64_t *out0,
                                 uint64_t *out1, veil_rlwe_ks_mode mode);

/* ---- parameter sets ---------------------------------------------------------------------------- */

/**
 * A resolved parameter set with its own storage: exactly the canonical fields that the parameter
 * fingerprint hashes and a params object stores. Schemes fill it from their resolved parameters
 * (CKKS: veil_ckks_params_fingerprint uses it); veil_rlwe_params_load rebuilds and re-validates it.
 */
typedef struct veil_rlwe_paramset {
  int logn;                             /**< 1..17 */
  int nq, np;                           /**< >= 1 each, nq + np <= VEIL_RLWE_MAX_PRIMES */
  uint64_t q[VEIL_RLWE_MAX_PRIMES];     /**< Q primes, q_0 first */
  uint64_t p[VEIL_RLWE_MAX_PRIMES];     /**< P primes */
  int dnum;                             /**< key-switching digits, 1..nq, ceil(nq / dnum) <= np */
  int log_scale;                        /**< CKKS default scale bits (0..60; 0: none), < bits(q_0) */
  int hamming_weight;                   /**< 0: uniform ternary secret; else sparse with h in [1, N] */
  int security;                         /**< requested level: 128, 192 or 256 */
  bool insecure;                        /**< fails the security check: accepted as a test-only set */
  uint8_t fingerprint[VEIL_RLWE_FP_BYTES]; /**< veil_rlwe_paramset_fingerprint() of the fields above */
} veil_rlwe_paramset;

/**
 * Largest log2(QP) at @p security bits (128, 192, 256) for N = 2^logn, logn 10..17 (ternary secret,
 * sigma 3.2; HE Standard 2018, extended as in ../shared/DESIGN.md section 5); 0 outside the table.
 */
int veil_rlwe_security_bound(int security, int logn);

/** log2(Q * P) of the set's primes (sum of log2 of each prime, in double). */
double veil_rlwe_paramset_log_qp(const veil_rlwe_paramset *s);

/**
 * BLAKE2b-256 of the canonical little-endian encoding: the tag "veil-ckks-params-v1", u32 logn,
 * u32 nq, u64 q[], u32 np, u64 p[], u32 dnum, u32 log_scale, u32 secret (0 ternary, 1 sparse),
 * u32 h, u32 security, u8 insecure. (The tag predates this layer; fingerprints are unchanged.)
 */
void veil_rlwe_paramset_fingerprint(const veil_rlwe_paramset *s, uint8_t out[VEIL_RLWE_FP_BYTES]);

/**
 * Validates every field of @p s except the fingerprint: ranges above; every prime is prime, below
 * 2^61, = 1 mod 2N (NTT-friendly for logn) and distinct; dnum and digit sizes; the security check
 * redone (a sparse secret, or log2(QP) above the bound of @c security at N) and equal to
 * @c insecure: a set failing the check is refused unless flagged insecure (then a warning says
 * "INSECURE (test only)"), and a flagged set that passes is malformed.
 * Errors: VEIL_ERR_FORMAT (detail names the field), VEIL_ERR_INSECURE.
 */
VEIL_WUR veil_status veil_rlwe_paramset_check(const veil_rlwe_paramset *s);

/** Points @p out (a context's parameters) into @p s; @p s must outlive the use of @p out. */
void veil_rlwe_paramset_view(const veil_rlwe_paramset *s, veil_rlwe_params *out);

/* ---- serialization ----------------------------------------------------------------------------- */

/** Object types in the veil binary format. */
typedef enum veil_rlwe_obj {
  VEIL_OBJ_PARAMS = 1, /**< a resolved parameter set (::veil_rlwe_paramset) */
  VEIL_OBJ_SK = 2,
  VEIL_OBJ_PK = 3,
  VEIL_OBJ_SWK = 4,
  VEIL_OBJ_GKS = 5,
  VEIL_OBJ_PT = 6,
  VEIL_OBJ_CT = 7,
  VEIL_OBJ_HE_KEYS = 8,   /**< header of an encrypted-inference key file (include/veil/he.h) */
  VEIL_OBJ_HE_TENSOR = 9, /**< header of an encrypted tensor file (include/veil/he.h) */
} veil_rlwe_obj;

/**
 * Current format version. 2: residues bit-packed (limb i of a polynomial is N values of
 * bitlen(q_i) bits, little-endian bit stream, zero-padded to a byte); 1 (u64 words) is refused.
 */
#define VEIL_FORMAT_VERSION 2

/**
 * Writes the common header: "VEIL", u32 version, u32 object type, the fingerprint.
 * Then the save functions write their contents. All little-endian.
 */
void veil_rlwe_header_write(veil_wbuf *w, veil_rlwe_obj type, const uint8_t fp[VEIL_RLWE_FP_BYTES]);
/**
 * Reads and checks the header: magic, version, @p type and the fingerprint against @p fp.
 * Errors: VEIL_ERR_FORMAT (magic, version, truncated), VEIL_ERR_MISMATCH (type, fingerprint).
 */
VEIL_WUR veil_status veil_rlwe_header_read(veil_rbuf *r, veil_rlwe_obj type,
                                           const uint8_t fp[VEIL_RLWE_FP_BYTES]);
/**
 * As veil_rlwe_header_read, but returns the fingerprint in @p fp instead of comparing it (for
 * callers that report a parameter mismatch in their own words).
 * Errors: VEIL_ERR_FORMAT (magic, version, truncated), VEIL_ERR_MISMATCH (type).
 */
VEIL_WUR veil_status veil_rlwe_header_peek(veil_rbuf *r, veil_rlwe_obj type, uint8_t fp[VEIL_RLWE_FP_BYTES]);

/**
 * Writes a params object: the header (type VEIL_OBJ_PARAMS, the set's fingerprint), then u32 logn,
 * u32 nq, u64 q[], u32 np, u64 p[], u32 dnum, u32 log_scale, u32 h, u32 security, u8 insecure.
 */
void veil_rlwe_params_save(const veil_rlwe_paramset *s, veil_wbuf *w);
/**
 * Reads a params object: header (magic, version, type), every field re-validated by
 * veil_rlwe_paramset_check(), the fingerprint recomputed and compared with the header's, all bytes
 * consumed. @p s is written only on success.
 * Errors: VEIL_ERR_FORMAT (truncated, malformed field, fingerprint mismatch), VEIL_ERR_MISMATCH
 * (another object type), VEIL_ERR_INSECURE (an insecure set not saved as test-only).
 */
VEIL_WUR veil_status veil_rlwe_params_load(const void *data, size_t len, veil_rlwe_paramset *s);

void veil_rlwe_sk_save(const veil_rlwe_ctx *c, const veil_rlwe_sk *sk, veil_wbuf *w);
void veil_rlwe_pk_save(const veil_rlwe_ctx *c, const veil_rlwe_pk *pk, veil_wbuf *w);
void veil_rlwe_swk_save(const veil_rlwe_ctx *c, const veil_rlwe_swk *k, veil_wbuf *w);
void veil_rlwe_gks_save(const veil_rlwe_ctx *c, const veil_rlwe_gks *g, veil_wbuf *w);
void veil_rlwe_pt_save(const veil_rlwe_ctx *c, const veil_rlwe_pt *pt, veil_wbuf *w);
/** Writes a ciphertext; a fresh symmetric one (ct->seeded) stores c1 as its 32-byte seed. */
void veil_rlwe_ct_save(const veil_rlwe_ctx *c, const veil_rlwe_ct *ct, veil_wbuf *w);

/**
 * Loaders: parse one object of the given type from @p data, validating the header, every count and
 * size against the context, every coefficient < its prime, and that all bytes are consumed. The
 * output is initialized only on success. Errors: VEIL_ERR_FORMAT, VEIL_ERR_MISMATCH, VEIL_ERR_NOMEM.
 */
VEIL_WUR veil_status veil_rlwe_sk_load(const veil_rlwe_ctx *c, const void *data, size_t len, veil_rlwe_sk *sk);
VEIL_WUR veil_status veil_rlwe_pk_load(const veil_rlwe_ctx *c, const void *data, size_t len, veil_rlwe_pk *pk);
VEIL_WUR veil_status veil_rlwe_swk_load(const veil_rlwe_ctx *c, const void *data, size_t len, veil_rlwe_swk *k);
VEIL_WUR veil_status veil_rlwe_gks_load(const veil_rlwe_ctx *c, const void *data, size_t len, veil_rlwe_gks *g);
VEIL_WUR veil_status veil_rlwe_pt_load(const veil_rlwe_ctx *c, const void *data, size_t len, veil_rlwe_pt *pt);
VEIL_WUR veil_status veil_rlwe_ct_load(const veil_rlwe_ctx *c, const void *data, size_t len, veil_rlwe_ct *ct);

#ifdef __cplusplus
}
#endif
#endif
