/* The approximated functions (double and MPFR), Chebyshev polynomials and interpolation. */
#include <math.h>
#include <string.h>

#include "circuits/approx-impl.h"

static const char *const fn_names[VEIL_APPROX_FN_COUNT] = {"sign", "relu", "sigmoid", "gelu",
                                                           "silu", "exp",  "tanh"};

const char *veil_approx_fn_name(veil_approx_fn f) {
  return (unsigned)f < VEIL_APPROX_FN_COUNT ? fn_names[f] : "?";
}

veil_status veil_approx_fn_parse(const char *name, veil_approx_fn *out) {
  for (int i = 0; i < VEIL_APPROX_FN_COUNT; i++)
    if (name && strcmp(name, fn_names[i]) == 0) {
      *out = (veil_approx_fn)i;
      return VEIL_OK;
    }
  return veil_fail(VEIL_ERR_NOT_FOUND, "unknown function '%s' (sign, relu, sigmoid, gelu, silu, exp, tanh)",
                   name ? name : "");
}

bool veil__fn_is_odd(veil_approx_fn f) { return f == VEIL_APPROX_SIGN || f == VEIL_APPROX_TANH; }

double veil_approx_fn_eval(veil_approx_fn f, double x) {
  switch (f) {
  case VEIL_APPROX_SIGN: return x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0;
  case VEIL_APPROX_RELU: return x > 0 ? x : 0.0;
  case VEIL_APPROX_SIGMOID: return 1.0 / (1.0 + exp(-x));
  case VEIL_APPROX_GELU: return 0.5 * x * (1.0 + erf(x / sqrt(2.0)));
  case VEIL_APPROX_SILU: return x / (1.0 + exp(-x));
  case VEIL_APPROX_EXP: return exp(x);
  case VEIL_APPROX_TANH: return tanh(x);
  default: return NAN;
  }
}

/* y = 1 / (1 + e^-x); y must not alias x. */
static void sigmoid_mpfr(mpfr_t y, const mpfr_t x) {
  mpfr_neg(y, x, MPFR_RNDN);
  mpfr_exp(y, y, MPFR_RNDN);
  mpfr_add_ui(y, y, 1, MPFR_RNDN);
  mpfr_ui_div(y, 1, y, MPFR_RNDN);
}

void veil__fn_mpfr(veil_approx_fn f, mpfr_t y, const mpfr_t x, mpfr_t t) {
  switch (f) {
  case VEIL_APPROX_SIGN: mpfr_set_si(y, mpfr_sgn(x), MPFR_RNDN); break;
  case VEIL_APPROX_RELU:
    if (mpfr_sgn(x) > 0)
      mpfr_set(y, x, MPFR_RNDN);
    else
      mpfr_set_zero(y, 1);
    break;
  case VEIL_APPROX_SIGMOID: sigmoid_mpfr(y, x); break;
  case VEIL_APPROX_SILU:
    sigmoid_mpfr(t, x);
    mpfr_mul(y, t, x, MPFR_RNDN);
    break;
  case VEIL_APPROX_GELU:
    mpfr_sqrt_ui(t, 2, MPFR_RNDN);
    mpfr_div(t, x, t, MPFR_RNDN);
    mpfr_erf(t, t, MPFR_RNDN);
    mpfr_add_ui(t, t, 1, MPFR_RNDN);
    mpfr_mul(t, t, x, MPFR_RNDN);
    mpfr_div_2ui(y, t, 1, MPFR_RNDN);
    break;
  case VEIL_APPROX_EXP: mpfr_exp(y, x, MPFR_RNDN); break;
  case VEIL_APPROX_TANH: mpfr_tanh(y, x, MPFR_RNDN); break;
  default: mpfr_set_nan(y); break;
  }
}

/* ---- Chebyshev-basis polynomials ------------------------------------------------------------ */

veil_status veil_cheb_init(veil_cheb *p, double a, double b, int degree) {
  memset(p, 0, sizeof *p);
  if (!(a < b) || !isfinite(a) || !isfinite(b))
    return veil_fail(VEIL_ERR_INVALID_ARG, "chebyshev domain [%g, %g] is empty or not finite", a, b);
  if (degree < 0 || degree > 4096)
    return veil_fail(VEIL_ERR_INVALID_ARG, "chebyshev degree %d outside 0..4096", degree);
  p->c = veil_calloc((size_t)degree + 1, sizeof(double));
  if (!p->c)
    return veil_fail(VEIL_ERR_NOMEM, "chebyshev coefficients (degree %d)", degree);
  p->a = a;
  p->b = b;
  p->degree = degree;
  return VEIL_OK;
}

void veil_cheb_free(veil_cheb *p) {
  if (!p)
    return;
  veil_free(p->c);
  memset(p, 0, sizeof *p);
}

veil_status veil_cheb_copy(veil_cheb *dst, const veil_cheb *src) {
  VEIL_TRY(veil_cheb_init(dst, src->a, src->b, src->degree));
  memcpy(dst->c, src->c, ((size_t)src->degree + 1) * sizeof(double));
  return VEIL_OK;
}

double veil_cheb_eval(const veil_cheb *p, double x) {
  double t = (2.0 * x - p->a - p->b) / (p->b - p->a), b1 = 0, b2 = 0;
  for (int k = p->degree; k >= 1; k--) {
    double b0 = 2.0 * t * b1 - b2 + p->c[k];
    b2 = b1;
    b1 = b0;
  }
  return t * b1 - b2 + p->c[0];
}

void veil__cheb_flush(veil_cheb *p) {
  double mx = 0;
  for (int k = 0; k <= p->degree; k++)
    mx = fmax(mx, fabs(p->c[k]));
  for (int k = 0; k <= p->degree; k++)
    if (fabs(p->c[k]) < ldexp(mx, -60))
      p->c[k] = 0.0;
}

int veil_cheb_true_degree(const veil_cheb *p) {
  int d = p->degree;
  while (d > 0 && p->c[d] == 0.0)
    d--;
  return d;
}

int veil_approx_poly_depth(int degree) {
  int m = 0;
  while ((1L << m) < (long)degree + 1)
    m++;
  return m;
}

/* ---- Chebyshev interpolation ---------------------------------------------------------------- */

veil_status veil_approx_cheb_interp(veil_approx_fn f, double a, double b, int degree, veil_cheb *out) {
  if (degree < 0 || degree > 1023)
    return veil_fail(VEIL_ERR_INVALID_ARG, "interpolation degree %d outside 0..1023", degree);
  VEIL_TRY(veil_cheb_init(out, a, b, degree));
  int n = degree + 1;
  mpfr_t th, x, y, t, acc, pi;
  mpfr_inits2(VEIL__APPROX_PREC, th, x, y, t, acc, pi, (mpfr_ptr)0);
  mpfr_const_pi(pi, MPFR_RNDN);
  mpfr_t *fv = veil_malloc((size_t)n * sizeof(mpfr_t));
  if (!fv) {
    mpfr_clears(th, x, y, t, acc, pi, (mpfr_ptr)0);
    veil_cheb_free(out);
    return veil_fail(VEIL_ERR_NOMEM, "interpolation values (degree %d)", degree);
  }
  for (int j = 0; j < n; j++) { /* node j: theta_j = pi (j + 1/2) / n, x = mid + half cos(theta_j) */
    mpfr_init2(fv[j], VEIL__APPROX_PREC);
    mpfr_mul_ui(th, pi, 2UL * (unsigned long)j + 1, MPFR_RNDN);
    mpfr_div_ui(th, th, 2UL * (unsigned long)n, MPFR_RNDN);
    mpfr_cos(x, th, MPFR_RNDN);
    mpfr_mul_d(x, x, 0.5 * (b - a), MPFR_RNDN);
    mpfr_add_d(x, x, 0.5 * (a + b), MPFR_RNDN);
    veil__fn_mpfr(f, fv[j], x, t);
  }
  for (int k = 0; k < n; k++) { /* c_k = (2/n) sum_j f(x_j) cos(k theta_j); c_0 halved */
    mpfr_set_zero(acc, 1);
    for (int j = 0; j < n; j++) {
      mpfr_mul_ui(th, pi, (unsigned long)k * (2UL * (unsigned long)j + 1), MPFR_RNDN);
      mpfr_div_ui(th, th, 2UL * (unsigned long)n, MPFR_RNDN);
      mpfr_cos(y, th, MPFR_RNDN);
      mpfr_mul(y, y, fv[j], MPFR_RNDN);
      mpfr_add(acc, acc, y, MPFR_RNDN);
    }
    mpfr_mul_d(acc, acc, (k == 0 ? 1.0 : 2.0) / n, MPFR_RNDN);
    out->c[k] = mpfr_get_d(acc, MPFR_RNDN);
  }
  veil__cheb_flush(out);
  for (int j = 0; j < n; j++)
    mpfr_clear(fv[j]);
  veil_free(fv);
  mpfr_clears(th, x, y, t, acc, pi, (mpfr_ptr)0);
  return VEIL_OK;
}
