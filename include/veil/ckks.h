/**
 * @file ckks.h
 * @brief The CKKS evaluator: a context (resolved parameters + rlwe context + encoder), ciphertext and
 *        plaintext containers (NTT form, level, exact double scale) and evaluators, one per thread,
 *        owning their scratch (no allocation in the hot paths).
 *
 * Scales are tracked exactly: a product has scale s_a * s_b, a rescale divides by the dropped prime
 * q_l. Adding operands whose levels or scales differ fails with VEIL_ERR_MISMATCH ("scale mismatch:
 * 2^40.0 vs 2^80.0 in add") unless the caller aligns them first (veil_ckks_align()).
 *
 * @code
 *   veil_ckks_ctx ctx;   veil_ckks_ctx_init(&ctx, &params);          // resolved params
 *   veil_rlwe_sk sk;     veil_rlwe_sk_gen(&ctx.rlwe, &sk);
 *   veil_rlwe_swk rlk;   veil_rlwe_relin_key_gen(&ctx.rlwe, &sk, &rlk);
 *   veil_ckks_eval ev;   veil_ckks_eval_init(&ev, &ctx, &rlk, NULL);
 *   veil_ckks_pt pt;     veil_ckks_pt_encode_real(&ctx, x, n, ctx.rlwe.nq - 1, ctx.scale, &pt);
 *   veil_ckks_ct a;      veil_rlwe_encrypt_sk(&ctx.rlwe, &sk, &pt, &a);
 *   veil_ckks_mul(&ev, &a, &a, &a); veil_ckks_rescale(&ev, &a);      // a = a^2
 * @endcode
 */
#ifndef VEIL_CKKS_H
#define VEIL_CKKS_H

#include <complex.h>

#include "veil/ckks_encoder.h"
#include "veil/ckks_params.h"
#include "veil/rlwe.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef veil_rlwe_ct veil_ckks_ct;
typedef veil_rlwe_pt veil_ckks_pt;

/** The CKKS context: immutable after init, shared by all evaluators and threads. */
typedef struct veil_ckks_ctx {
  veil_ckks_params params;
  veil_rlwe_ctx rlwe;
  veil_ckks_encoder enc;
  double scale;              /**< default scale 2^log_scale */
  uint64_t *iq, *iq_sh;      /**< per Q prime: I = psi^(N/2), a square root of -1, and Shoup */
  uint8_t *isign;            /**< per NTT slot: 0 if X^(N/2) evaluates to +I there, 1 if -I */
} veil_ckks_ctx;

/** Builds the context from resolved parameters. Errors: INVALID_ARG, NOMEM. */
VEIL_WUR veil_status veil_ckks_ctx_init(veil_ckks_ctx *c, const veil_ckks_params *p);
void veil_ckks_ctx_free(veil_ckks_ctx *c);

/**
 * Encodes @p n complex values (n <= N/2, zero-padded to N/2 slots) at @p level and @p scale into a
 * new NTT-form plaintext (via the encoder of ckks_encoder.h) @p pt. Errors: INVALID_ARG, PRECISION, NOMEM.
 */
VEIL_WUR veil_status veil_ckks_pt_encode(const veil_ckks_ctx *c, const double complex *v, size_t n, int level,
                                      double scale, veil_ckks_pt *pt);
/** As veil_ckks_pt_encode() for real values. */
VEIL_WUR veil_status veil_ckks_pt_encode_real(const veil_ckks_ctx *c, const double *v, size_t n, int level,
                                           double scale, veil_ckks_pt *pt);
/** Decodes the first @p n (<= N/2) slots of @p pt at its scale. Errors: INVALID_ARG, NOMEM. */
VEIL_WUR veil_status veil_ckks_pt_decode(const veil_ckks_ctx *c, const veil_ckks_pt *pt, double complex *out,
                                      size_t n);

/** An evaluator: borrows the context and keys, owns its scratch. Not thread-safe: one per thread. */
typedef struct veil_ckks_eval {
  const veil_ckks_ctx *ctx;
  const veil_rlwe_swk *rlk;  /**< may be NULL (then mul with relinearization fails) */
  const veil_rlwe_gks *gks;  /**< may be NULL (then rotations fail) */
  veil_rlwe_ks ks;
  int nthreads;
  uint64_t *tmp;             /**< 2 x nq x N words */
} veil_ckks_eval;

/** Creates an evaluator (keys may be NULL). Errors: NOMEM. */
VEIL_WUR veil_status veil_ckks_eval_init(veil_ckks_eval *ev, const veil_ckks_ctx *c, const veil_rlwe_swk *rlk,
                                         const veil_rlwe_gks *gks);
/** A new evaluator with the same context and keys and its own scratch (for another thread). */
VEIL_WUR veil_status veil_ckks_eval_clone(veil_ckks_eval *dst, const veil_ckks_eval *src);
void veil_ckks_eval_free(veil_ckks_eval *ev);

/* In every op below @p out may alias any input; it is reshaped as needed (allocating only when it
 * must grow). Errors: VEIL_ERR_MISMATCH for level/scale/size mismatches, VEIL_ERR_NOT_FOUND for a
 * missing key, VEIL_ERR_INVALID_ARG for bad arguments, VEIL_ERR_PRECISION for constants too large. */

/** out = a + b (levels and scales must match; sizes 2 or 3). */
VEIL_WUR veil_status veil_ckks_add(veil_ckks_eval *ev, veil_ckks_ct *out, const veil_ckks_ct *a, const veil_ckks_ct *b);
/** out = a - b. */
VEIL_WUR veil_status veil_ckks_sub(veil_ckks_eval *ev, veil_ckks_ct *out, const veil_ckks_ct *a, const veil_ckks_ct *b);
/** out = -a. */
VEIL_WUR veil_status veil_ckks_neg(veil_ckks_eval *ev, veil_ckks_ct *out, const veil_ckks_ct *a);
/** out = a + pt (pt level >= a's level, scales equal). */
VEIL_WUR veil_status veil_ckks_add_pt(veil_ckks_eval *ev, veil_ckks_ct *out, const veil_ckks_ct *a, const veil_ckks_pt *pt);
/** out = a - pt. */
VEIL_WUR veil_status veil_ckks_sub_pt(veil_ckks_eval *ev, veil_ckks_ct *out, const veil_ckks_ct *a, const veil_ckks_pt *pt);
/** out = a + v in every slot (v encoded at a's scale, no FFT/NTT). */
VEIL_WUR veil_status veil_ckks_add_const(veil_ckks_eval *ev, veil_ckks_ct *out, const veil_ckks_ct *a, double complex v);

/** out = a * b relinearized (scale s_a s_b, not rescaled). Needs the relinearization key. */
VEIL_WUR veil_status veil_ckks_mul(veil_ckks_eval *ev, veil_ckks_ct *out, const veil_ckks_ct *a, const veil_ckks_ct *b);
/** out = a * b kept as 3 components (relinearize later with veil_ckks_relin()). */
VEIL_WUR veil_status veil_ckks_mul_norelin(veil_ckks_eval *ev, veil_ckks_ct *out, const veil_ckks_ct *a,
                                           const veil_ckks_ct *b);
/** Relinearizes a 3-component ciphertext in place (no-op for 2 components). */
VEIL_WUR veil_status veil_ckks_relin(veil_ckks_eval *ev, veil_ckks_ct *ct);
/** out = a * pt (scale s_a s_pt; pt level >= a's level). */
VEIL_WUR veil_status veil_ckks_mul_pt(veil_ckks_eval *ev, veil_ckks_ct *out, const veil_ckks_ct *a, const veil_ckks_pt *pt);
/**
 * out = a * v for a real or complex constant encoded at @p scale (0: use q_level, so that the next
 * rescale restores a's scale exactly). Scalar encoding: no FFT or NTT.
 */
VEIL_WUR veil_status veil_ckks_mul_const(veil_ckks_eval *ev, veil_ckks_ct *out, const veil_ckks_ct *a,
                                         double complex v, double scale);
/** out = a * i (exact: the NTT of X^(N/2); scale unchanged). */
VEIL_WUR veil_status veil_ckks_mul_i(veil_ckks_eval *ev, veil_ckks_ct *out, const veil_ckks_ct *a);
/** out = a * X^k for any integer k (negacyclic: X^N = -1). Scale unchanged. */
VEIL_WUR veil_status veil_ckks_mul_monomial(veil_ckks_eval *ev, veil_ckks_ct *out, const veil_ckks_ct *a, int64_t k);

/**
 * Lazy rescaling: acc += a * v (constant at @p scale as in veil_ckks_mul_const()), no rescale.
 * If acc->size == 0 (zero-initialized) it is initialized to the product. Otherwise acc's level and
 * scale must equal the product's. Rescale the sum once at the end.
 */
VEIL_WUR veil_status veil_ckks_mul_const_acc(veil_ckks_eval *ev, veil_ckks_ct *acc, const veil_ckks_ct *a,
                                             double complex v, double scale);
/** Lazy rescaling: acc += a * pt (same rules as veil_ckks_mul_const_acc()). */
VEIL_WUR veil_status veil_ckks_mul_pt_acc(veil_ckks_eval *ev, veil_ckks_ct *acc, const veil_ckks_ct *a,
                                          const veil_ckks_pt *pt);

/** Divides by the last prime q_l (rounding), level - 1, scale / q_l. Errors: INVALID_ARG at level 0. */
VEIL_WUR veil_status veil_ckks_rescale(veil_ckks_eval *ev, veil_ckks_ct *ct);
/** Drops @p levels limbs without dividing (scale unchanged). Errors: INVALID_ARG. */
VEIL_WUR veil_status veil_ckks_drop_levels(veil_ckks_eval *ev, veil_ckks_ct *ct, int levels);
/**
 * Brings @p a and @p b to the same level (the lower) and scale (the larger). The lower-scale operand
 * is multiplied by round(ratio) when ratio >= 2^16 (relative scale error <= 2^-17), otherwise by
 * round(ratio * q_l) followed by a rescale (both end one level lower; error <= 2^-(bits(q_l)-1)).
 * Errors: VEIL_ERR_PRECISION when the ratio is >= q_l, or < 2^16 at level 0.
 */
VEIL_WUR veil_status veil_ckks_align(veil_ckks_eval *ev, veil_ckks_ct *a, veil_ckks_ct *b);

/** out = a rotated left by @p steps slots (Galois key 5^steps needed). */
VEIL_WUR veil_status veil_ckks_rotate(veil_ckks_eval *ev, veil_ckks_ct *out, const veil_ckks_ct *a, int steps);
/** out = complex conjugate of a (conjugation key needed). */
VEIL_WUR veil_status veil_ckks_conjugate(veil_ckks_eval *ev, veil_ckks_ct *out, const veil_ckks_ct *a);
/**
 * Hoisted rotations (Halevi-Shoup): decomposes and ModUps @p a once, then produces out[i] = a rotated
 * by steps[i] for i < count. @p out holds @p count ciphertexts (zero-initialized or existing), none
 * aliasing @p a.
 */
VEIL_WUR veil_status veil_ckks_rotate_hoisted(veil_ckks_eval *ev, const veil_ckks_ct *a, const int *steps,
                                              int count, veil_ckks_ct *out);
/**
 * ct = sum over r < n of ct rotated by r (n a power of two <= N/2): log2(n) rotations by 1, 2, 4, ...
 */
VEIL_WUR veil_status veil_ckks_rotate_sum(veil_ckks_eval *ev, veil_ckks_ct *ct, int n);

#ifdef __cplusplus
}
#endif
#endif
