/* EvalMod: exp(2 pi i K x) by Chebyshev interpolants of cos and sin(2 pi K x / 2^r) on [-1, 1]
 * followed by r complex squarings (e^(2ia) = (e^(ia))^2); sin(2 pi t) is its imaginary part.
 *
 * Why complex squarings rather than the real double angle cos(2a) = 2 cos(a)^2 - 1: an error e in
 * cos(a_r) comes out of r real steps multiplied by prod_k |4 cos(a_k)| = 2^r |sin(a_0) / sin(a_r)|,
 * which is large for the t whose reduced angle a_r lies near a multiple of pi (about 2^(2-r) of
 * them, amplified up to 4^r): its mean square over a wide spread of t is about 2^(3r + 1). A complex
 * squaring multiplies the error by |2 z| = 2 exactly, so the amplification is 2^r for every t. */
#include <math.h>

#include "boot-impl.h"

static const long double boot_pi = 3.14159265358979323846264338327950288L;

/* cos (odd = false) or sin (odd = true) of 2 pi K x / 2^r. */
static long double scaled_trig(const veil_boot_lit *l, bool odd, long double x) {
  long double a = 2 * boot_pi * (long double)l->k * x / ldexpl(1.0L, l->double_angle);
  return odd ? sinl(a) : cosl(a);
}

/* Chebyshev interpolation at the d + 1 first-kind nodes (long double sums); the coefficients of
 * the wrong parity are exactly zero. */
static veil_status interp(const veil_boot_lit *l, bool odd, veil_cheb *p) {
  int d = l->cos_degree;
  VEIL_TRY(veil_cheb_init(p, -1, 1, d));
  for (int k = 0; k <= d; k++) {
    long double s = 0;
    for (int j = 0; j <= d && (k % 2 == 1) == odd; j++) {
      long double th = boot_pi * (j + 0.5L) / (d + 1);
      s += scaled_trig(l, odd, cosl(th)) * cosl(k * th);
    }
    p->c[k] = (double)(s * (k ? 2.0L : 1.0L) / (d + 1));
  }
  return VEIL_OK;
}

/* Max |p - f| on a grid of 16 (d + 1) points: the float64 error of the interpolant. */
static double interp_err(const veil_boot_lit *l, bool odd, const veil_cheb *p) {
  int m = 16 * (l->cos_degree + 1);
  double e = 0;
  for (int i = 0; i <= m; i++) {
    double x = -1.0 + 2.0 * i / m;
    e = fmax(e, fabs(veil_cheb_eval(p, x) - (double)scaled_trig(l, odd, x)));
  }
  return e;
}

/* One plan for P = C + S (C the even cosine interpolant, S the odd sine one): see boot_exp.c. */
veil_status veil__boot_mod_init(veil_boot *bt) {
  veil_cheb c = {0}, sn = {0};
  veil_status st = interp(&bt->lit, false, &c);
  if (st == VEIL_OK)
    st = interp(&bt->lit, true, &sn);
  if (st == VEIL_OK) {
    bt->cos_err = fmax(interp_err(&bt->lit, false, &c), interp_err(&bt->lit, true, &sn));
    for (int k = 1; k <= c.degree; k += 2)
      c.c[k] = sn.c[k];
    st = veil_poly_plan_init(&bt->exp_plan, &c);
  }
  veil_cheb_free(&c);
  veil_cheb_free(&sn);
  return st;
}

veil_status veil__boot_eval_exp(const veil_boot *bt, veil_ckks_eval *ev, const veil_ckks_ct *in, double s_out,
                                veil_ckks_ct *out) {
  if (in->level != bt->mod_level)
    return veil_fail(VEIL_ERR_MISMATCH, "EvalMod: input at level %d, expected %d", in->level, bt->mod_level);
  int r = bt->lit.double_angle, lvl0 = bt->mod_level - bt->exp_plan.depth;
  double s[9];
  s[r] = s_out; /* step j squares at level lvl0 - j and divides by that prime */
  for (int j = r - 1; j >= 0; j--)
    s[j] = sqrt(s[j + 1] * (double)ev->ctx->rlwe.mod[lvl0 - j].q);
  veil_status st = veil__boot_eval_cis(&bt->exp_plan, ev, in, s[0], out); /* cos + i sin */
  for (int j = 0; j < r && st == VEIL_OK; j++) {
    st = veil_ckks_mul(ev, out, out, out);
    if (st == VEIL_OK)
      st = veil_ckks_rescale(ev, out);
  }
  return st;
}

veil_status veil__boot_imag2(veil_ckks_eval *ev, const veil_ckks_ct *z, veil_ckks_ct *out) {
  veil_ckks_ct cj = {0};
  veil_status st = veil_ckks_conjugate(ev, &cj, z);
  if (st == VEIL_OK)
    st = veil_ckks_sub(ev, out, &cj, z);
  if (st == VEIL_OK)
    st = veil_ckks_mul_i(ev, out, out); /* i (conj z - z) = 2 Im z */
  veil_rlwe_ct_free(&cj);
  return st;
}

veil_status veil_boot_eval_mod(const veil_boot *bt, veil_ckks_eval *ev, const veil_ckks_ct *in,
                               veil_ckks_ct *out) {
  veil_ckks_ct z = {0};
  veil_status st = veil__boot_eval_exp(bt, ev, in, bt->sin_scale / 2, &z);
  if (st == VEIL_OK)
    st = veil__boot_imag2(ev, &z, out);
  if (st == VEIL_OK)
    out->scale = bt->sin_scale; /* 2 Im z at scale s / 2 is Im z at scale s */
  veil_rlwe_ct_free(&z);
  return st;
}
