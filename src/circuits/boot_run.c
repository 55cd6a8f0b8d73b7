/* Bootstrapping pipeline: scale-up, ModRaise, SubSum, CoeffToSlot, EvalMod, SlotToCoeff. */
#include <math.h>
#include <string.h>

#include "boot-impl.h"

/* Lifts the centred residues mod q_0 of @p src (one NTT limb) into limbs 0..top of @p dst. */
static void raise_poly(const veil_rlwe_ctx *c, const uint64_t *src, int top, uint64_t *dst, uint64_t *buf) {
  size_t n = c->n;
  uint64_t q0 = c->mod[0].q;
  memcpy(buf, src, n * sizeof *buf);
  veil_ntt_inv(c->tab[0], buf);
#pragma omp parallel for if (n >= 4096) schedule(static)
  for (int i = 0; i <= top; i++) {
    const veil_modulus *m = &c->mod[i];
    uint64_t *o = dst + (size_t)i * n;
    for (size_t k = 0; k < n; k++) {
      uint64_t x = buf[k];
      o[k] = x > q0 / 2 ? veil_mod_neg(veil_mod_reduce64(q0 - x, m), m->q) : veil_mod_reduce64(x, m);
    }
    veil_ntt_fwd(c->tab[i], o);
  }
}

veil_status veil_boot_mod_raise(const veil_boot *bt, veil_ckks_eval *ev, const veil_ckks_ct *in, veil_ckks_ct *out) {
  const veil_rlwe_ctx *c = &bt->ctx->rlwe;
  if (in->size != 2 || in->level != 0)
    return veil_fail(VEIL_ERR_INVALID_ARG, "ModRaise: needs a 2-component ciphertext at level 0 (size %d, level %d)",
                     in->size, in->level);
  if (out == in)
    return veil_fail(VEIL_ERR_INVALID_ARG, "ModRaise: output aliases the input");
  (void)ev;
  uint64_t *buf = veil_malloc(c->n * sizeof *buf);
  if (!buf)
    return veil_fail(VEIL_ERR_NOMEM, "ModRaise buffer");
  veil_status st = veil_rlwe_ct_reshape(c, out, 2, bt->top);
  for (int k = 0; k < 2 && st == VEIL_OK; k++)
    raise_poly(c, in->c[k].c, bt->top, out->c[k].c, buf);
  veil_free(buf);
  out->scale = (double)c->mod[0].q;
  out->seeded = false;
  return st;
}

/* ct += rot(ct, s) for s = n, 2n, .., N/4: the trace onto the subring of X^(N/2n). */
static veil_status sub_sum(const veil_boot *bt, veil_ckks_eval *ev, veil_ckks_ct *ct) {
  veil_ckks_ct t = {0};
  veil_status st = VEIL_OK;
  for (size_t s = (size_t)bt->slots; s < bt->ctx->rlwe.n / 2 && st == VEIL_OK; s *= 2) {
    st = veil_ckks_rotate(ev, &t, ct, (int)s);
    if (st == VEIL_OK)
      st = veil_ckks_add(ev, ct, ct, &t);
  }
  veil_rlwe_ct_free(&t);
  return st;
}

/* Runs factors f[0..count) on @p in into @p out (in is not modified). */
static veil_status run_factors(const veil_boot_factor *f, int count, veil_ckks_eval *ev, const veil_ckks_ct *in,
                               veil_ckks_ct *out) {
  veil_ckks_ct t = {0};
  veil_status st = veil__factor_eval(&f[0], ev, in, out);
  for (int k = 1; k < count && st == VEIL_OK; k++) {
    st = veil__factor_eval(&f[k], ev, out, &t);
    if (st == VEIL_OK)
      st = veil_rlwe_ct_copy(&ev->ctx->rlwe, out, &t);
  }
  veil_rlwe_ct_free(&t);
  return st;
}

/* re = v + conj(v), im = -i (v - conj(v)) (im may be NULL: then re also gets rot(im, -n)). */
static veil_status split(const veil_boot *bt, veil_ckks_eval *ev, const veil_ckks_ct *v, veil_ckks_ct *re,
                         veil_ckks_ct *im) {
  veil_ckks_ct cj = {0}, d = {0};
  veil_status st = veil_ckks_conjugate(ev, &cj, v);
  if (st == VEIL_OK)
    st = veil_ckks_add(ev, re, v, &cj);
  if (st == VEIL_OK)
    st = veil_ckks_sub(ev, &d, &cj, v); /* conj(v) - v, times i below: -i (v - conj(v)) */
  if (st == VEIL_OK)
    st = veil_ckks_mul_i(ev, &d, &d);
  if (st == VEIL_OK && im)
    st = veil_rlwe_ct_copy(&ev->ctx->rlwe, im, &d);
  if (st == VEIL_OK && !im)
    st = veil_ckks_rotate(ev, &d, &d, -bt->slots);
  if (st == VEIL_OK && !im)
    st = veil_ckks_add(ev, re, re, &d);
  veil_rlwe_ct_free(&cj);
  veil_rlwe_ct_free(&d);
  return st;
}

/* Rescales @p ct and sets its scale label to exactly @p scale. */
static veil_status rescale_to(veil_ckks_eval *ev, veil_ckks_ct *ct, double scale) {
  VEIL_TRY(veil_ckks_rescale(ev, ct));
  ct->scale = scale;
  return VEIL_OK;
}

/* The last CtS factor is split into real and imaginary parts before its rescale, so that the
 * conjugation's key-switching noise is divided by that prime too (after the rescale it would sit
 * directly on t / K, where EvalMod multiplies it by 2 pi K). */
veil_status veil_boot_coeff_to_slot(const veil_boot *bt, veil_ckks_eval *ev, const veil_ckks_ct *in,
                                    veil_ckks_ct *re, veil_ckks_ct *im) {
  veil_ckks_ct v = {0}, u = {0};
  const veil_boot_factor *last = &bt->cts[bt->ncts - 1];
  veil_status st = bt->ncts > 1 ? run_factors(bt->cts, bt->ncts - 1, ev, in, &u) : veil_rlwe_ct_copy(&ev->ctx->rlwe, &u, in);
  double s = u.scale * last->ratio;
  if (st == VEIL_OK)
    st = veil__factor_apply(last, ev, &u, &v);
  if (st == VEIL_OK)
    st = split(bt, ev, &v, re, bt->packed ? NULL : im);
  if (st == VEIL_OK)
    st = rescale_to(ev, re, s);
  if (st == VEIL_OK && !bt->packed)
    st = rescale_to(ev, im, s);
  veil_rlwe_ct_free(&v);
  veil_rlwe_ct_free(&u);
  return st;
}

veil_status veil_boot_slot_to_coeff(const veil_boot *bt, veil_ckks_eval *ev, const veil_ckks_ct *re,
                                    const veil_ckks_ct *im, veil_ckks_ct *out) {
  if (bt->packed)
    return run_factors(bt->stc, bt->nstc, ev, re, out);
  if (!im)
    return veil_fail(VEIL_ERR_INVALID_ARG, "SlotToCoeff: full slots need the imaginary-part ciphertext");
  veil_ckks_ct w = {0};
  veil_status st = veil_ckks_mul_i(ev, &w, im);
  if (st == VEIL_OK)
    st = veil_ckks_add(ev, &w, &w, re);
  if (st == VEIL_OK)
    st = run_factors(bt->stc, bt->nstc, ev, &w, out);
  veil_rlwe_ct_free(&w);
  return st;
}

/* Drops @p in to level 0 and multiplies by round(q_0 / (2^ratio D)) into @p out (scale D_0). */
static veil_status scale_up(const veil_boot *bt, veil_ckks_eval *ev, const veil_ckks_ct *in, veil_ckks_ct *out) {
  double q0 = (double)bt->ctx->rlwe.mod[0].q, k = round(q0 / ldexp(in->scale, bt->lit.log_msg_ratio));
  if (in->size != 2 || !(in->scale > 0))
    return veil_fail(VEIL_ERR_INVALID_ARG, "bootstrap: needs a relinearized ciphertext (size %d)", in->size);
  if (k < 1)
    return veil_fail(VEIL_ERR_INVALID_ARG, "bootstrap: input scale 2^%.1f too large for q_0 = 2^%.1f and message "
                     "ratio 2^%d", log2(in->scale), log2(q0), bt->lit.log_msg_ratio);
  VEIL_TRY(veil_rlwe_ct_copy(&ev->ctx->rlwe, out, in));
  VEIL_TRY(veil_ckks_drop_levels(ev, out, out->level));
  double s = out->scale;
  VEIL_TRY(veil_ckks_mul_const(ev, out, out, k, 1.0));
  out->scale = s * k;
  return VEIL_OK;
}

/* The SlotToCoeff input 2 (Im z_re + i Im z_im) = (z_im - i z_re) - conj(z_im + i z_re) from the two
 * EvalMod outputs with one conjugation (packed, z_im NULL: 2 Im z_re). */
static veil_status sin_pack(veil_ckks_eval *ev, const veil_ckks_ct *zre, const veil_ckks_ct *zim, veil_ckks_ct *w) {
  if (!zim)
    return veil__boot_imag2(ev, zre, w);
  veil_ckks_ct a = {0}, cj = {0};
  veil_status st = veil_ckks_mul_i(ev, &a, zre);
  if (st == VEIL_OK)
    st = veil_ckks_sub(ev, w, zim, &a);
  if (st == VEIL_OK)
    st = veil_ckks_add(ev, &a, zim, &a);
  if (st == VEIL_OK)
    st = veil_ckks_conjugate(ev, &cj, &a);
  if (st == VEIL_OK)
    st = veil_ckks_sub(ev, w, w, &cj);
  veil_rlwe_ct_free(&a);
  veil_rlwe_ct_free(&cj);
  return st;
}

/* Milliseconds since *t0; *t0 becomes now. */
static double lap_ms(uint64_t *t0) {
  uint64_t t = veil_now_ns(), d = t - *t0;
  *t0 = t;
  return (double)d / 1e6;
}

/* EvalMod on re (and im) ending at scale s_out, then SlotToCoeff. */
static veil_status mod_and_stc(const veil_boot *bt, veil_ckks_eval *ev, const veil_ckks_ct *re, const veil_ckks_ct *im,
                               double s_out, veil_ckks_ct *out, veil_boot_stats *stats, uint64_t *t0) {
  veil_ckks_ct zre = {0}, zim = {0}, w = {0};
  veil_status st = veil__boot_eval_exp(bt, ev, re, s_out / 2, &zre);
  if (st == VEIL_OK && !bt->packed)
    st = veil__boot_eval_exp(bt, ev, im, s_out / 2, &zim);
  if (st == VEIL_OK)
    st = sin_pack(ev, &zre, bt->packed ? NULL : &zim, &w);
  if (st == VEIL_OK) {
    w.scale = s_out; /* twice the value at scale s_out / 2 is the value at s_out */
    stats->evalmod_ms = lap_ms(t0);
    st = run_factors(bt->stc, bt->nstc, ev, &w, out);
  }
  veil_rlwe_ct_free(&zre);
  veil_rlwe_ct_free(&zim);
  veil_rlwe_ct_free(&w);
  return st;
}

/* The whole pipeline with the output at exactly @p final_scale. */
static veil_status run_to(const veil_boot *bt, veil_ckks_eval *ev, const veil_ckks_ct *in, double final_scale,
                          veil_ckks_ct *out, veil_boot_stats *stats) {
  if (out == in)
    return veil_fail(VEIL_ERR_INVALID_ARG, "bootstrap: output aliases the input");
  veil_ckks_ct a = {0}, b = {0}, re = {0}, im = {0};
  veil_boot_stats dummy;
  stats = stats ? stats : &dummy;
  *stats = (veil_boot_stats){0};
  uint64_t t0 = veil_now_ns();
  veil_status st = scale_up(bt, ev, in, &a);
  double q0 = (double)bt->ctx->rlwe.mod[0].q;
  /* value after StC = rho * message with rho = 2^ratio D_0 / q_0; StC multiplies the scale by R:
   * EvalMod ends at final_scale / (R rho) so that the output label is final_scale exactly */
  double rho = ldexp(a.scale, bt->lit.log_msg_ratio) / q0, R = 1;
  for (int k = 0; k < bt->nstc; k++)
    R *= bt->stc[k].ratio;
  if (st == VEIL_OK)
    st = veil_boot_mod_raise(bt, ev, &a, &b);
  stats->raise_ms = lap_ms(&t0);
  if (st == VEIL_OK && (size_t)bt->slots < bt->ctx->rlwe.n / 2) {
    st = sub_sum(bt, ev, &b);
    stats->subsum_ms = lap_ms(&t0);
  }
  if (st == VEIL_OK)
    st = veil_boot_coeff_to_slot(bt, ev, &b, &re, &im);
  stats->cts_ms = lap_ms(&t0);
  if (st == VEIL_OK)
    st = mod_and_stc(bt, ev, &re, &im, final_scale / (R * rho), out, stats, &t0);
  stats->stc_ms = lap_ms(&t0);
  if (st == VEIL_OK)
    out->scale = final_scale;
  veil_rlwe_ct_free(&a);
  veil_rlwe_ct_free(&b);
  veil_rlwe_ct_free(&re);
  veil_rlwe_ct_free(&im);
  return st;
}

veil_status veil_boot_run(const veil_boot *bt, veil_ckks_eval *ev, const veil_ckks_ct *in, veil_ckks_ct *out) {
  return run_to(bt, ev, in, bt->out_scale, out, NULL);
}

veil_status veil_boot_run_stats(const veil_boot *bt, veil_ckks_eval *ev, const veil_ckks_ct *in, veil_ckks_ct *out,
                                veil_boot_stats *stats) {
  return run_to(bt, ev, in, bt->out_scale, out, stats);
}

veil_status veil_boot_run_real2(const veil_boot *bt, veil_ckks_eval *ev, const veil_ckks_ct *a, const veil_ckks_ct *b,
                                veil_ckks_ct *out_a, veil_ckks_ct *out_b) {
  veil_ckks_ct p = {0}, o = {0}, cj = {0};
  veil_status st = veil_ckks_mul_i(ev, &p, b); /* p = a + i b */
  if (st == VEIL_OK)
    st = veil_ckks_add(ev, &p, &p, a);
  if (st == VEIL_OK)
    st = run_to(bt, ev, &p, bt->out_scale / 2, &o, NULL);
  if (st == VEIL_OK)
    st = veil_ckks_conjugate(ev, &cj, &o);
  if (st == VEIL_OK) /* a = (o + conj o) / 2, b = -i (o - conj o) / 2: halve the scale label */
    st = veil_ckks_add(ev, out_a, &o, &cj);
  if (st == VEIL_OK)
    st = veil_ckks_sub(ev, out_b, &cj, &o);
  if (st == VEIL_OK)
    st = veil_ckks_mul_i(ev, out_b, out_b);
  if (st == VEIL_OK) {
    out_a->scale *= 2;
    out_b->scale *= 2;
  }
  veil_rlwe_ct_free(&p);
  veil_rlwe_ct_free(&o);
  veil_rlwe_ct_free(&cj);
  return st;
}
