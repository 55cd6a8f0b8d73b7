/* Composite approximations: sign/ReLU from odd minimax stages, smooth functions by one polynomial. */
#include <math.h>
#include <string.h>

#include "circuits/approx-impl.h"

void veil_approx_free(veil_approx *ap) {
  if (!ap)
    return;
  for (int i = 0; i < VEIL_APPROX_MAX_STAGES; i++)
    veil_cheb_free(&ap->stage[i]);
  memset(ap, 0, sizeof *ap);
}

double veil_approx_eval(const veil_approx *ap, double x) {
  double y = x;
  for (int i = 0; i < ap->nstages; i++)
    y = veil_cheb_eval(&ap->stage[i], y);
  return ap->mul_input ? x * y : y;
}

static double max_abs(double a, double b) { return fmax(fabs(a), fabs(b)); }

/* The sign stages on [eps M, M], then [1 - e, 1 + e] for each previous error e. */
static veil_status sign_stages(veil_approx *ap, double eps) {
  double M = max_abs(ap->lo, ap->hi), lo = eps, hi = 1.0;
  for (int i = 0; i < ap->nstages; i++) {
    veil_cheb_free(&ap->stage[i]);
    VEIL_TRY(veil_approx_remez_odd(VEIL_APPROX_SIGN, lo, hi, ap->degrees[i], &ap->stage[i], &ap->stage_err[i]));
    double e = ap->stage_err[i];
    if (!(e < 1.0))
      return veil_fail(VEIL_ERR_PRECISION, "sign stage %d (degree %d): error %g >= 1, gap %g too small", i,
                       ap->degrees[i], e, eps);
    lo = 1.0 - e;
    hi = 1.0 + e;
  }
  ap->stage[0].a = -M; /* stage 0 reads the raw input: domain [-M, M] */
  ap->stage[0].b = M;
  ap->eps = eps;
  return VEIL_OK;
}

/* Last stage p -> (1 + p) / 2 so that relu(x) = x * stage(x). */
static void relu_fold(veil_approx *ap) {
  veil_cheb *p = &ap->stage[ap->nstages - 1];
  p->c[0] += 1.0;
  for (int k = 0; k <= p->degree; k++)
    p->c[k] *= 0.5;
  ap->mul_input = true;
}

/* Maximum relu error over [lo, hi] on a uniform grid plus points geometrically dense near 0. */
static double relu_objective(const veil_approx *ap) {
  double M = max_abs(ap->lo, ap->hi), worst = 0;
  for (int k = 0; k <= 2048; k++) {
    double x = ap->lo + (ap->hi - ap->lo) * k / 2048.0;
    worst = fmax(worst, fabs(veil_approx_eval(ap, x) - veil_approx_fn_eval(VEIL_APPROX_RELU, x)));
  }
  for (int k = 0; k <= 1024; k++) {
    double x = M * exp2(-24.0 + 24.0 * k / 1024.0);
    for (int s = -1; s <= 1; s += 2)
      if (s * x >= ap->lo && s * x <= ap->hi)
        worst = fmax(worst, fabs(veil_approx_eval(ap, s * x) - veil_approx_fn_eval(VEIL_APPROX_RELU, s * x)));
  }
  return worst;
}

/* relu error for gap 2^le, or INFINITY if the stages do not converge. */
static double relu_try(veil_approx *ap, double le) {
  if (sign_stages(ap, exp2(le)) != VEIL_OK) {
    veil_error_clear();
    return INFINITY;
  }
  relu_fold(ap);
  return relu_objective(ap);
}

/* Golden-section search on log2(eps) in [-24, -1] for the smallest max relu error. */
static veil_status relu_optimize(veil_approx *ap) {
  const double g = 0.6180339887498949;
  double a = -24, b = -1, x1 = b - g * (b - a), x2 = a + g * (b - a);
  double f1 = relu_try(ap, x1), f2 = relu_try(ap, x2);
  for (int it = 0; it < 22; it++) {
    if (f1 <= f2) {
      b = x2, x2 = x1, f2 = f1, x1 = b - g * (b - a);
      f1 = relu_try(ap, x1);
    } else {
      a = x1, x1 = x2, f1 = f2, x2 = a + g * (b - a);
      f2 = relu_try(ap, x2);
    }
  }
  double best = f1 <= f2 ? x1 : x2;
  if (!isfinite(fmin(f1, f2)))
    return veil_fail(VEIL_ERR_PRECISION, "relu: no gap in [2^-24, 2^-1] gives converging sign stages");
  VEIL_TRY(sign_stages(ap, exp2(best)));
  relu_fold(ap);
  return VEIL_OK;
}

static veil_status check_degrees(veil_approx_fn fn, const int *degrees, int nd) {
  bool composite = fn == VEIL_APPROX_SIGN || fn == VEIL_APPROX_RELU;
  if (nd < 1 || nd > (composite ? VEIL_APPROX_MAX_STAGES : 1))
    return veil_fail(VEIL_ERR_INVALID_ARG, "%s takes %s degree(s), got %d", veil_approx_fn_name(fn),
                     composite ? "1..8" : "exactly 1", nd);
  for (int i = 0; i < nd; i++) {
    if (composite && (degrees[i] < 3 || degrees[i] > 255 || degrees[i] % 2 == 0))
      return veil_fail(VEIL_ERR_INVALID_ARG, "%s degree %d (stage %d) must be odd in 3..255",
                       veil_approx_fn_name(fn), degrees[i], i);
    if (!composite && (degrees[i] < 1 || degrees[i] > 1023))
      return veil_fail(VEIL_ERR_INVALID_ARG, "%s degree %d outside 1..1023", veil_approx_fn_name(fn), degrees[i]);
  }
  return VEIL_OK;
}

static veil_status build(veil_approx *ap, const veil_approx_opts *o) {
  if (ap->fn == VEIL_APPROX_SIGN)
    return sign_stages(ap, o->eps > 0 ? o->eps : exp2(-8));
  if (ap->fn == VEIL_APPROX_RELU) {
    if (o->eps <= 0)
      return relu_optimize(ap);
    VEIL_TRY(sign_stages(ap, o->eps));
    relu_fold(ap);
    return VEIL_OK;
  }
  if (o->remez)
    return veil_approx_remez(ap->fn, ap->lo, ap->hi, ap->degrees[0], &ap->stage[0], &ap->stage_err[0]);
  return veil_approx_cheb_interp(ap->fn, ap->lo, ap->hi, ap->degrees[0], &ap->stage[0]);
}

veil_status veil_approx_build(veil_approx *ap, veil_approx_fn fn, double A, double B, const int *degrees,
                              int ndegrees, const veil_approx_opts *opts) {
  memset(ap, 0, sizeof *ap);
  veil_approx_opts def = {0};
  const veil_approx_opts *o = opts ? opts : &def;
  if ((unsigned)fn >= VEIL_APPROX_FN_COUNT)
    return veil_fail(VEIL_ERR_INVALID_ARG, "approximation function %d unknown", (int)fn);
  if (!(A < B) || !isfinite(A) || !isfinite(B))
    return veil_fail(VEIL_ERR_INVALID_ARG, "interval [%g, %g] is empty or not finite", A, B);
  if (!(o->eps >= 0 && o->eps < 1))
    return veil_fail(VEIL_ERR_INVALID_ARG, "gap eps %g outside [0, 1)", o->eps);
  VEIL_TRY(check_degrees(fn, degrees, ndegrees));
  ap->fn = fn;
  ap->lo = A;
  ap->hi = B;
  ap->nstages = ndegrees;
  for (int i = 0; i < ndegrees; i++) {
    ap->degrees[i] = degrees[i];
    ap->depth += veil_approx_poly_depth(degrees[i]);
  }
  veil_status st = build(ap, o);
  if (st != VEIL_OK) {
    veil_approx_free(ap);
    return st;
  }
  ap->depth += ap->mul_input ? 1 : 0;
  ap->depth += ap->stage[0].b - ap->stage[0].a != 2.0 ? 1 : 0; /* prescale of the input */
  return VEIL_OK;
}

veil_status veil_approx_measure(const veil_approx *ap, size_t npoints, veil_approx_stats *st) {
  if (npoints < 2)
    return veil_fail(VEIL_ERR_INVALID_ARG, "measure: %zu points, need >= 2", npoints);
  memset(st, 0, sizeof *st);
  double gap = ap->fn == VEIL_APPROX_SIGN ? ap->eps * max_abs(ap->lo, ap->hi) : 0, sum = 0;
  for (size_t k = 0; k < npoints; k++) {
    double x = ap->lo + (ap->hi - ap->lo) * (double)k / (double)(npoints - 1);
    if (fabs(x) < gap)
      continue;
    double e = fabs(veil_approx_eval(ap, x) - veil_approx_fn_eval(ap->fn, x));
    if (e > st->max_err || st->points == 0) {
      st->max_err = e;
      st->argmax = x;
    }
    sum += e;
    st->points++;
  }
  st->mean_err = st->points ? sum / (double)st->points : 0;
  return VEIL_OK;
}

void veil_approx_json_shape(const veil_approx *ap, veil_json *j) {
  veil_json_array_begin(j, "degrees");
  for (int i = 0; i < ap->nstages; i++)
    veil_json_array_int(j, ap->degrees[i]);
  veil_json_array_end(j);
  veil_json_int(j, "depth", ap->depth);
  veil_json_array_begin(j, "interval");
  veil_json_array_num(j, ap->lo);
  veil_json_array_num(j, ap->hi);
  veil_json_array_end(j);
}
