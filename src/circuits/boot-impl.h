/* Internal pieces of the bootstrapping (boot*.c). */
#ifndef VEIL_BOOT_IMPL_H
#define VEIL_BOOT_IMPL_H

#include <complex.h>

#include "veil/bootstrap.h"

#define VEIL__MAX_BABY 64   /* most baby steps per DFT factor */
#define VEIL__MAX_STEPS 256 /* most distinct rotation steps of a plan */

/** A sparse-diagonal matrix over dim-periodic slot vectors: (M x)[t] = sum_o d[o][t] x[t + o]. */
typedef struct veil__smat {
  int dim;
  double complex **d; /**< d[o] (o in [0, dim)) or NULL when that diagonal is zero */
} veil__smat;

VEIL_WUR veil_status veil__smat_init(veil__smat *m, int dim);
void veil__smat_free(veil__smat *m);
VEIL_WUR veil_status veil__smat_add(veil__smat *m, int o, int t, double complex v);
/** out = a b (b applied first); frees a and b. */
VEIL_WUR veil_status veil__smat_mul_free(veil__smat *a, veil__smat *b, veil__smat *out);
/**
 * The product of the special-FFT butterfly stages of n values with block lengths len_lo..len_hi,
 * as a matrix over dim-periodic vectors, times @p c. inv: the inverse stages (largest first).
 */
VEIL_WUR veil_status veil__dft_group(const veil_ckks_encoder *enc, int n, int dim, int len_lo, int len_hi,
                                     bool inv, double complex c, veil__smat *out);

/** Encodes @p m for inputs at @p level; output scale = input scale * ratio. */
VEIL_WUR veil_status veil__factor_init(veil_boot_factor *f, const veil_ckks_ctx *ctx, const veil__smat *m,
                                       int level, double ratio);
void veil__factor_free(veil_boot_factor *f);
/** out = M in before the rescale: level of in, scale label in.scale * ratio * q_level (out != in). */
VEIL_WUR veil_status veil__factor_apply(const veil_boot_factor *f, veil_ckks_eval *ev, const veil_ckks_ct *in,
                                        veil_ckks_ct *out);
/** out = M in (one level, one rescale). */
VEIL_WUR veil_status veil__factor_eval(const veil_boot_factor *f, veil_ckks_eval *ev, const veil_ckks_ct *in,
                                       veil_ckks_ct *out);
int veil__factor_baby(const veil_boot_factor *f, int d);
int veil__factor_giant(const veil_boot_factor *f, int d);
/** Adds the factor's rotation steps (mod slots, nonzero, distinct) to steps[]. */
void veil__factor_steps(const veil_boot_factor *f, int slots, int *steps, int *count);
void veil__steps_add(int *steps, int *count, int s, int slots);

/** Builds the CtS and StC factors of @p bt (fields lit, slots, packed, top and levels set). */
VEIL_WUR veil_status veil__boot_dft_init(veil_boot *bt);
/** Builds the plan of cos + sin (even + odd interpolants; sets cos_err). */
VEIL_WUR veil_status veil__boot_mod_init(veil_boot *bt);
/**
 * out = C(x) + i S(x) for the plan of P = C + S (C even, S odd in the Chebyshev basis) and the real
 * x in @p in, at exactly @p scale (boot_exp.c). Errors: those of veil_poly_eval(); VEIL_ERR_INTERNAL
 * if the plan multiplies a mixed-parity element by a non-even one.
 */
VEIL_WUR veil_status veil__boot_eval_cis(const veil_poly_plan *plan, veil_ckks_eval *ev, const veil_ckks_ct *in,
                                         double scale, veil_ckks_ct *out);
/**
 * out = exp(2 pi i K x) (complex slots) for the real x in @p in's slots, at exactly scale @p s_out
 * (the squaring schedule is derived backwards from it), level mod_level - poly depth - r.
 */
VEIL_WUR veil_status veil__boot_eval_exp(const veil_boot *bt, veil_ckks_eval *ev, const veil_ckks_ct *in,
                                         double s_out, veil_ckks_ct *out);
/** out = i (conj z - z) = 2 Im z (one conjugation; scale and level of z). */
VEIL_WUR veil_status veil__boot_imag2(veil_ckks_eval *ev, const veil_ckks_ct *z, veil_ckks_ct *out);

#endif
