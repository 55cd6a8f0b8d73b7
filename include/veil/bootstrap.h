/**
 * @file bootstrap.h
 * @brief CKKS bootstrapping (Cheon-Han-Kim-Kim-Song 2018; Chen-Chillotti-Song 2019; Bossuat et al.
 *        EC 2021): ModRaise, CoeffToSlot, EvalMod, SlotToCoeff, for full (N/2) and sparse slots.
 *
 * Pipeline for a ciphertext at level 0 with scale D holding n = 2^log_slots complex slots:
 *  1. scale-up: multiply by the integer round(q_0 / (2^log_msg_ratio D)) (no level), so that the
 *     message polynomial m sits at scale D_0 ~ q_0 / 2^log_msg_ratio;
 *  2. ModRaise: the coefficients of (c0, c1) mod q_0, centred, are lifted to the whole chain: the
 *     ciphertext now decrypts to m + q_0 I with a small integer polynomial I (|I| < K with
 *     overwhelming probability); its scale label becomes q_0, so its "value" is t = m / q_0 + I;
 *  3. sparse slots only: SubSum (rotate-and-add by n, 2n, .., N/4) projects onto the subring of
 *     X^(N/2n) (the factor N/2n is folded into the next step);
 *  4. CoeffToSlot: the inverse special FFT, factored into the log2(n) butterfly stages (each has
 *     3 diagonals) merged into @c cts_levels groups, each one BSGS diagonal transform with hoisted
 *     baby steps and one level; the bit-reversal permutation is never applied (EvalMod is slot-wise
 *     and SlotToCoeff consumes the bit-reversed order). The constants 1 / (2 K) are folded in. Then
 *     t_re = v + conj(v), t_im = -i (v - conj(v)): for full slots two ciphertexts; for n <= N/4 the
 *     last factor writes into the first half of 2n-periodic slots and t_im is rotated into the
 *     second half, giving one real ciphertext;
 *  5. EvalMod: z = exp(2 pi i K x / 2^r) on x = t / K in [-1, 1] (Chebyshev interpolants of cos and
 *     sin evaluated as one plan), then r complex squarings z <- z^2 (an error doubles per step, for
 *     every t); sin(2 pi t) = Im z ~ 2 pi m / q_0;
 *  6. SlotToCoeff: the special FFT (stages in the opposite order) times q_0 / (2 pi D_0), after
 *     recombining Im z_re + i Im z_im (one conjugation).
 * The DFT factors' scale ratios are balanced so that every diagonal plaintext keeps the same
 * precision; CoeffToSlot splits real and imaginary parts before its last rescale.
 * The output has the context's default scale exactly (the last SlotToCoeff factor moves the scale
 * from EvalMod's large one to it) and sits at level out_level = nq - 1 -
 * cts_levels - (EvalMod depth) - stc_levels.
 *
 * @code
 *   veil_boot_lit lit; veil_boot_lit_default(&lit, log_slots);
 *   veil_boot bt;      veil_boot_init(&bt, &ctx, &lit);                    // plan + encoded DFT
 *   veil_rlwe_gks gks; veil_boot_keys_gen(&bt, &sk, &gks);                // only the keys needed
 *   veil_ckks_eval ev; veil_ckks_eval_init(&ev, &ctx, &rlk, &gks);
 *   veil_boot_run(&bt, &ev, &ct, &out);                                   // out.level == bt.out_level
 * @endcode
 */
#ifndef VEIL_BOOTSTRAP_H
#define VEIL_BOOTSTRAP_H

#include "veil/ckks.h"
#include "veil/poly.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Most merged DFT factors per direction. */
#define VEIL_BOOT_MAX_FACTORS 8

/** Bootstrapping parameters the caller chooses (zero-initialize, or veil_boot_lit_default()). */
typedef struct veil_boot_lit {
  int log_slots;      /**< n = 2^log_slots slots, 1..logN-1 */
  int cts_levels;     /**< CoeffToSlot factors (levels), 1..min(log_slots, 8) */
  int stc_levels;     /**< SlotToCoeff factors (levels), 1..min(log_slots, 8) */
  int k;              /**< EvalMod range: |I| + 1 <= k, 1..4096 (about 8.5 sqrt(h/12) suffices) */
  int double_angle;   /**< complex squarings r (angle doublings), 0..8 */
  int cos_degree;     /**< Chebyshev degree of the cos/sin(2 pi K x / 2^r) interpolants, 2..1023 */
  int log_msg_ratio;  /**< log2(q_0 / D_0), 1..30 */
} veil_boot_lit;

/** One level of the homomorphic DFT: a sparse-diagonal matrix encoded for BSGS. */
typedef struct veil_boot_factor {
  int dim;            /**< period of the slot vectors it acts on (n or 2n) */
  int level;          /**< input level (diagonals encoded there) */
  int ndiag;          /**< diagonals, sorted by giant step */
  int *off;           /**< signed offsets o = giant + baby */
  int n1, step;       /**< baby steps are step * i, i < n1; giant steps multiples of n1 * step */
  double ratio;       /**< output scale / input scale (diagonals encoded at q_level * ratio) */
  veil_ckks_pt *pt;   /**< pt[d] = diagonal off[d] rotated by -giant, tiled, scale q_level * ratio */
} veil_boot_factor;

/** A bootstrapping plan for one context (immutable after init; share across evaluators). */
typedef struct veil_boot {
  const veil_ckks_ctx *ctx;
  veil_boot_lit lit;
  int slots;          /**< n */
  bool packed;        /**< n <= N/4: one EvalMod on 2n real slots, else two (full slots) */
  int top;            /**< nq - 1: level after ModRaise */
  int mod_level;      /**< EvalMod input level */
  int out_level;      /**< output level (levels left to the user) */
  double mod_scale;   /**< scale at the EvalMod input */
  double sin_scale;   /**< scale after EvalMod (q_mod_level: SlotToCoeff amplifies its noise) */
  double out_scale;   /**< output scale: the context's default scale */
  double da_scale[9]; /**< scale after the polynomial and after each double-angle step */
  int ncts, nstc;
  veil_boot_factor cts[VEIL_BOOT_MAX_FACTORS], stc[VEIL_BOOT_MAX_FACTORS];
  veil_poly_plan exp_plan; /**< cos + sin of 2 pi K x / 2^r on [-1, 1] (even + odd interpolants) */
  double cos_err;     /**< max interpolation error of the cosine and sine parts on [-1, 1] (float64) */
} veil_boot;

/**
 * Defaults for @p log_slots: 3 CtS and 3 StC levels (fewer when log_slots < 3), K = 16 (suits
 * sparse secrets h <= 32, sigma(I) = sqrt(h / 12) <= 1.7; dense secrets need K = 512, see
 * veil_boot_params_128()), r = 2, degree 55 (the
 * cosine interpolation error is about 2^-45), log_msg_ratio max(8, 13 - (log_slots + 1) / 2).
 */
void veil_boot_lit_default(veil_boot_lit *lit, int log_slots);

/**
 * Plans the bootstrapping for @p ctx: checks @p lit, builds and encodes the DFT factors, the
 * cosine polynomial and the level/scale schedule. The plan borrows @p ctx.
 * Errors: VEIL_ERR_INVALID_ARG (a field out of range, named), VEIL_ERR_INSECURE is never returned;
 * VEIL_ERR_PRECISION (not enough levels in the chain: the detail gives the levels needed),
 * VEIL_ERR_NOMEM.
 */
VEIL_WUR veil_status veil_boot_init(veil_boot *bt, const veil_ckks_ctx *ctx, const veil_boot_lit *lit);
void veil_boot_free(veil_boot *bt);

/**
 * The 128-bit parameter set for bootstrapping N/2 = 2^(logn - 1) slots (docs/bootstrapping.md):
 * dense uniform ternary secret, chain q_0 (60 bits), 9 user levels and 3 SlotToCoeff levels of 40
 * bits (scale 2^40), 13 EvalMod and 3 CoeffToSlot levels of 60 bits, 4 special primes of 60 bits,
 * dnum 8: log2(QP) ~ 1740 <= 1747, the 128-bit bound at N = 2^16 (DESIGN.md section 5). EvalMod:
 * K = 512, r = 7, degree 55, log_msg_ratio 6. For logn 12..15 the same chain is returned with
 * insecure_test_only set (smoke runs only). Errors: VEIL_ERR_INVALID_ARG (logn outside 12..16).
 */
VEIL_WUR veil_status veil_boot_params_128(int logn, veil_ckks_params_lit *ck, veil_boot_lit *bl);

/** Levels the bootstrapping consumes (cts + EvalMod + stc); the chain needs at least this plus 1. */
int veil_boot_depth(const veil_boot_lit *lit);

/**
 * The rotation steps the bootstrapping uses (DFT baby/giant steps, SubSum, the packing rotation),
 * without duplicates, into @p steps (room for 256); @p count gets how many. Conjugation is also
 * needed (always).
 */
void veil_boot_rotations(const veil_boot *bt, int *steps, int *count);

/** Generates exactly the Galois keys veil_boot_run() needs (rotations + conjugation). */
VEIL_WUR veil_status veil_boot_keys_gen(const veil_boot *bt, const veil_rlwe_sk *sk, veil_rlwe_gks *gks);

/**
 * Bootstraps @p in (any level; it is first dropped to level 0) holding bt->slots slots whose values
 * satisfy |value| * D * 2^log_msg_ratio << q_0 (for the default ratio and |value| <= 1 the
 * sine's cubic error is below 2^-25 relative). @p out (not aliasing @p in) gets the same slots at
 * level bt->out_level and scale bt->out_scale. The evaluator needs the relinearization key and the
 * keys of veil_boot_keys_gen(). Errors: VEIL_ERR_INVALID_ARG (size, scale), VEIL_ERR_NOT_FOUND (a
 * key), VEIL_ERR_NOMEM.
 */
VEIL_WUR veil_status veil_boot_run(const veil_boot *bt, veil_ckks_eval *ev, const veil_ckks_ct *in,
                                   veil_ckks_ct *out);

/** Wall-clock time of each bootstrapping stage in milliseconds (veil_boot_run_stats()). */
typedef struct veil_boot_stats {
  double raise_ms;    /**< scale-up and ModRaise */
  double subsum_ms;   /**< SubSum (exactly 0 for full slots) */
  double cts_ms;      /**< CoeffToSlot, including the real/imaginary split */
  double evalmod_ms;  /**< EvalMod (both halves for full slots) and the sine recombination */
  double stc_ms;      /**< SlotToCoeff */
} veil_boot_stats;

/**
 * veil_boot_run() that also reports the time of each stage into @p stats (may be NULL).
 * Errors: those of veil_boot_run().
 */
VEIL_WUR veil_status veil_boot_run_stats(const veil_boot *bt, veil_ckks_eval *ev, const veil_ckks_ct *in,
                                         veil_ckks_ct *out, veil_boot_stats *stats);

/**
 * Bootstraps two ciphertexts with real slots at once (full or sparse slots): packs a + i b,
 * bootstraps, and splits with one conjugation. @p a and @p b must have equal level and scale; the
 * outputs are at level out_level and scale out_scale.
 */
VEIL_WUR veil_status veil_boot_run_real2(const veil_boot *bt, veil_ckks_eval *ev, const veil_ckks_ct *a,
                                         const veil_ckks_ct *b, veil_ckks_ct *out_a, veil_ckks_ct *out_b);

/* ---- the pieces (exposed for tests) ------------------------------------------------------- */

/**
 * ModRaise: @p in at level 0 -> @p out at level bt->top decrypting to (the same value mod q_0)
 * + q_0 I, scale label q_0 (the value is t = m / q_0 + I). @p in is not modified.
 */
VEIL_WUR veil_status veil_boot_mod_raise(const veil_boot *bt, veil_ckks_eval *ev, const veil_ckks_ct *in,
                                         veil_ckks_ct *out);
/**
 * CoeffToSlot on the raised (and SubSummed) ciphertext: @p re (and @p im when !bt->packed) get
 * t / K of the coefficients in bit-reversed order (packed: real parts in slots [0, n) of each
 * 2n-period, imaginary parts in [n, 2n)), at level mod_level and scale mod_scale.
 */
VEIL_WUR veil_status veil_boot_coeff_to_slot(const veil_boot *bt, veil_ckks_eval *ev, const veil_ckks_ct *in,
                                             veil_ckks_ct *re, veil_ckks_ct *im);
/** EvalMod: out = sin(2 pi K x) for x in the slots of @p in (at mod_level); out at sin_scale. */
VEIL_WUR veil_status veil_boot_eval_mod(const veil_boot *bt, veil_ckks_eval *ev, const veil_ckks_ct *in,
                                        veil_ckks_ct *out);
/**
 * SlotToCoeff: the inverse of CoeffToSlot's layout: @p re (and @p im) hold real values in
 * bit-reversed coefficient order; @p out gets their special FFT times 2^log_msg_ratio / (2 pi)
 * (full slots: of re + i im). Consumes stc_levels levels; out's scale is re's times out_scale /
 * sin_scale.
 */
VEIL_WUR veil_status veil_boot_slot_to_coeff(const veil_boot *bt, veil_ckks_eval *ev, const veil_ckks_ct *re,
                                             const veil_ckks_ct *im, veil_ckks_ct *out);

#ifdef __cplusplus
}
#endif
#endif
