/* EvalMod: sin(2 pi t) for t = K x by a Chebyshev interpolant of the scaled cosine
 * cos(2 pi (K x - 1/4) / 2^r) on [-1, 1] and r double-angle steps (Cheon et al. 2018, Han-Ki 2020). */
#include <math.h>

#include "boot-impl.h"

static long double scaled_cos(const veil_boot_lit *l, long double x) {
  const long double pi = 3.14159265358979323846264338327950288L;
  return cosl(2 * pi * ((long double)l->k * x - 0.25L) / ldexpl(1.0L, l->double_angle));
}

/* Chebyshev interpolation at the d + 1 first-kind nodes (long double sums). */
static veil_status interp(const veil_boot_lit *l, veil_cheb *p) {
  int d = l->cos_degree;
  VEIL_TRY(veil_cheb_init(p, -1, 1, d));
  const long double pi = 3.14159265358979323846264338327950288L;
  for (int k = 0; k <= d; k++) {
    long double s = 0;
    for (int j = 0; j <= d; j++) {
      long double th = pi * (j + 0.5L) / (d + 1);
      s += scaled_cos(l, cosl(th)) * cosl(k * th);
    }
    p->c[k] = (double)(s * (k ? 2.0L : 1.0L) / (d + 1));
  }
  return VEIL_OK;
}

/* Max |p - f| on a grid of 16 (d + 1) points: the float64 error of the cosine polynomial. */
static double interp_err(const veil_boot_lit *l, const veil_cheb *p) {
  int m = 16 * (l->cos_degree + 1);
  double e = 0;
  for (int i = 0; i <= m; i++) {
    double x = -1.0 + 2.0 * i / m;
    e = fmax(e, fabs(veil_cheb_eval(p, x) - (double)scaled_cos(l, x)));
  }
  return e;
}

veil_status veil__boot_mod_init(veil_boot *bt) {
  veil_cheb p = {0};
  VEIL_TRY(interp(&bt->lit, &p));
  bt->cos_err = interp_err(&bt->lit, &p);
  veil_status st = veil_poly_plan_init(&bt->cos_plan, &p);
  veil_cheb_free(&p);
  return st;
}

veil_status veil__boot_eval_mod(const veil_boot *bt, veil_ckks_eval *ev, const veil_ckks_ct *in, double s_out,
                                veil_ckks_ct *out) {
  if (in->level != bt->mod_level)
    return veil_fail(VEIL_ERR_MISMATCH, "EvalMod: input at level %d, expected %d", in->level, bt->mod_level);
  int r = bt->lit.double_angle, lvl0 = bt->mod_level - bt->cos_plan.depth;
  double s[9];
  s[r] = s_out; /* step j squares at level lvl0 - j and divides by that prime */
  for (int j = r - 1; j >= 0; j--)
    s[j] = sqrt(s[j + 1] * (double)ev->ctx->rlwe.mod[lvl0 - j].q);
  veil_poly_ops ops;
  veil_poly_ops_ckks(&ops, ev);
  VEIL_TRY(veil_poly_eval(&bt->cos_plan, &ops, in, s[0], out));
  for (int j = 0; j < r; j++) { /* cos(2a) = 2 cos(a)^2 - 1 */
    VEIL_TRY(veil_ckks_mul(ev, out, out, out));
    VEIL_TRY(veil_ckks_add(ev, out, out, out));
    VEIL_TRY(veil_ckks_add_const(ev, out, out, -1.0));
    VEIL_TRY(veil_ckks_rescale(ev, out));
  }
  return VEIL_OK;
}

veil_status veil_boot_eval_mod(const veil_boot *bt, veil_ckks_eval *ev, const veil_ckks_ct *in,
                               veil_ckks_ct *out) {
  return veil__boot_eval_mod(bt, ev, in, bt->sin_scale, out);
}
