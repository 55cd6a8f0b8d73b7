/*
 * Remez exchange in the Chebyshev basis with MPFR arithmetic.
 *
 * Unknowns: n basis coefficients (T_0..T_d, or T_1, T_3, ..., T_d for odd approximations) and the
 * levelled error E. Each iteration solves sum_j c_j phi_j(x_i) + (-1)^i E = f(x_i) on n + 1 reference
 * points, then locates the extrema of the error f - p: the error is sampled on a dense Chebyshev grid
 * of [lo, hi], split into runs of constant sign, the largest sample of each run is refined by
 * golden-section search on its neighbouring grid cells, and n + 1 alternating extrema are kept
 * (dropping the smallest, in adjacent pairs or at the ends, so the signs keep alternating). It stops
 * when the extrema are level to a relative 1e-9, or after 60 iterations.
 */
#include <math.h>
#include <string.h>

#include "circuits/approx-impl.h"

#define REMEZ_MAX_ITER 60
#define REMEZ_LEVEL_TOL 1e-9
#define GOLDEN_STEPS 48

typedef struct remez {
  veil_approx_fn f;
  int degree, n; /* n basis functions */
  bool odd;
  double lo, hi, da, db; /* approximation interval, basis domain */
  mpfr_t *c, *x, *ex, *a; /* coefficients, references, new extrema, (n+1)^2 system */
  mpfr_t *ev;             /* error at the new extrema */
  mpfr_t t, tk0, tk1, tk2, y, s, u;
  int next;               /* extrema found in the last search */
} remez;

static int basis_index(const remez *r, int j) { return r->odd ? 2 * j + 1 : j; }

static mpfr_t *mp_array(size_t n) {
  mpfr_t *v = veil_malloc(n * sizeof(mpfr_t));
  if (v)
    for (size_t i = 0; i < n; i++)
      mpfr_init2(v[i], VEIL__APPROX_PREC);
  return v;
}

static void mp_array_free(mpfr_t *v, size_t n) {
  if (!v)
    return;
  for (size_t i = 0; i < n; i++)
    mpfr_clear(v[i]);
  veil_free(v);
}

static void remez_free(remez *r) {
  size_t m = (size_t)r->n + 1, grid = 64 * m;
  mp_array_free(r->c, (size_t)r->n);
  mp_array_free(r->x, m);
  mp_array_free(r->ex, grid);
  mp_array_free(r->ev, grid);
  mp_array_free(r->a, m * m);
  mpfr_clears(r->t, r->tk0, r->tk1, r->tk2, r->y, r->s, r->u, (mpfr_ptr)0);
}

static veil_status remez_init(remez *r) {
  size_t m = (size_t)r->n + 1, grid = 64 * m;
  mpfr_inits2(VEIL__APPROX_PREC, r->t, r->tk0, r->tk1, r->tk2, r->y, r->s, r->u, (mpfr_ptr)0);
  r->c = mp_array((size_t)r->n);
  r->x = mp_array(m);
  r->ex = mp_array(grid);
  r->ev = mp_array(grid);
  r->a = mp_array(m * m);
  if (!r->c || !r->x || !r->ex || !r->ev || !r->a) {
    remez_free(r);
    return veil_fail(VEIL_ERR_NOMEM, "remez workspace (degree %d)", r->degree);
  }
  return VEIL_OK;
}

/* r->t = (2x - da - db) / (db - da). */
static void to_domain(remez *r, const mpfr_t x) {
  mpfr_mul_2ui(r->t, x, 1, MPFR_RNDN);
  mpfr_sub_d(r->t, r->t, r->da + r->db, MPFR_RNDN);
  mpfr_div_d(r->t, r->t, r->db - r->da, MPFR_RNDN);
}

/* Calls row[j] = phi_j(x) for every basis function (T_k by the three-term recurrence). */
static void basis_row(remez *r, const mpfr_t x, mpfr_t *row) {
  to_domain(r, x);
  mpfr_set_ui(r->tk0, 1, MPFR_RNDN);
  mpfr_set(r->tk1, r->t, MPFR_RNDN);
  int j = 0;
  for (int k = 0; k <= r->degree && j < r->n; k++) {
    if (k >= 2) { /* tk2 = 2 t tk1 - tk0 */
      mpfr_mul(r->tk2, r->t, r->tk1, MPFR_RNDN);
      mpfr_mul_2ui(r->tk2, r->tk2, 1, MPFR_RNDN);
      mpfr_sub(r->tk2, r->tk2, r->tk0, MPFR_RNDN);
      mpfr_swap(r->tk0, r->tk1);
      mpfr_swap(r->tk1, r->tk2);
    }
    if (basis_index(r, j) == k)
      mpfr_set(row[j++], k == 0 ? r->tk0 : r->tk1, MPFR_RNDN);
  }
}

/* out = f(x) - p(x) (Clenshaw over the full Chebyshev index range). */
static void error_at(remez *r, mpfr_t out, const mpfr_t x) {
  to_domain(r, x);
  mpfr_set_zero(r->tk1, 1); /* b1 */
  mpfr_set_zero(r->tk2, 1); /* b2 */
  int j = r->n - 1;
  for (int k = r->degree; k >= 1; k--) {
    mpfr_mul(r->tk0, r->t, r->tk1, MPFR_RNDN);
    mpfr_mul_2ui(r->tk0, r->tk0, 1, MPFR_RNDN);
    mpfr_sub(r->tk0, r->tk0, r->tk2, MPFR_RNDN);
    if (j >= 0 && basis_index(r, j) == k)
      mpfr_add(r->tk0, r->tk0, r->c[j--], MPFR_RNDN);
    mpfr_swap(r->tk2, r->tk1);
    mpfr_swap(r->tk1, r->tk0);
  }
  mpfr_mul(r->tk0, r->t, r->tk1, MPFR_RNDN);
  mpfr_sub(r->tk0, r->tk0, r->tk2, MPFR_RNDN);
  if (j == 0 && basis_index(r, 0) == 0)
    mpfr_add(r->tk0, r->tk0, r->c[0], MPFR_RNDN);
  veil__fn_mpfr(r->f, out, x, r->u);
  mpfr_sub(out, out, r->tk0, MPFR_RNDN);
}

/* Solves the (n+1)x(n+1) levelled system on the reference points; r->c gets the coefficients. */
static veil_status solve_reference(remez *r) {
  int m = r->n + 1;
  mpfr_t *rhs = r->ev; /* reuse as right-hand side (m entries) */
  for (int i = 0; i < m; i++) {
    basis_row(r, r->x[i], r->a + (size_t)i * m);
    mpfr_set_si(r->a[(size_t)i * m + r->n], (i & 1) ? -1 : 1, MPFR_RNDN);
    veil__fn_mpfr(r->f, rhs[i], r->x[i], r->u);
  }
  for (int col = 0; col < m; col++) { /* Gaussian elimination, partial pivoting */
    int piv = col;
    for (int i = col + 1; i < m; i++)
      if (mpfr_cmpabs(r->a[(size_t)i * m + col], r->a[(size_t)piv * m + col]) > 0)
        piv = i;
    if (mpfr_zero_p(r->a[(size_t)piv * m + col]))
      return veil_fail(VEIL_ERR_PRECISION, "remez: singular system (degree %d)", r->degree);
    if (piv != col) {
      for (int k = 0; k < m; k++)
        mpfr_swap(r->a[(size_t)piv * m + k], r->a[(size_t)col * m + k]);
      mpfr_swap(rhs[piv], rhs[col]);
    }
    for (int i = col + 1; i < m; i++) {
      mpfr_div(r->s, r->a[(size_t)i * m + col], r->a[(size_t)col * m + col], MPFR_RNDN);
      for (int k = col; k < m; k++) {
        mpfr_mul(r->y, r->s, r->a[(size_t)col * m + k], MPFR_RNDN);
        mpfr_sub(r->a[(size_t)i * m + k], r->a[(size_t)i * m + k], r->y, MPFR_RNDN);
      }
      mpfr_mul(r->y, r->s, rhs[col], MPFR_RNDN);
      mpfr_sub(rhs[i], rhs[i], r->y, MPFR_RNDN);
    }
  }
  for (int i = m - 1; i >= 0; i--) { /* back substitution; unknown n is E (not needed) */
    mpfr_set(r->s, rhs[i], MPFR_RNDN);
    for (int k = i + 1; k < m; k++) {
      mpfr_mul(r->y, r->a[(size_t)i * m + k], rhs[k], MPFR_RNDN);
      mpfr_sub(r->s, r->s, r->y, MPFR_RNDN);
    }
    mpfr_div(rhs[i], r->s, r->a[(size_t)i * m + i], MPFR_RNDN);
  }
  for (int j = 0; j < r->n; j++)
    mpfr_set(r->c[j], rhs[j], MPFR_RNDN);
  return VEIL_OK;
}

/* Grid point k of g on [lo, hi], denser at the ends: mid - half cos(pi k / (g - 1)). */
static void grid_point(remez *r, mpfr_t x, int k, int g) {
  mpfr_const_pi(x, MPFR_RNDN);
  mpfr_mul_ui(x, x, (unsigned long)k, MPFR_RNDN);
  mpfr_div_ui(x, x, (unsigned long)(g - 1), MPFR_RNDN);
  mpfr_cos(x, x, MPFR_RNDN);
  mpfr_mul_d(x, x, -0.5 * (r->hi - r->lo), MPFR_RNDN);
  mpfr_add_d(x, x, 0.5 * (r->hi + r->lo), MPFR_RNDN);
}

/* Golden-section search for the max of sgn * err on [xl, xr]; keeps the best in (xbest, ebest). */
static void golden(remez *r, int sgn, mpfr_t xl, mpfr_t xr, mpfr_t xbest, mpfr_t ebest) {
  const double g = 0.6180339887498949;
  mpfr_t x1, x2, e1, e2, w;
  mpfr_inits2(VEIL__APPROX_PREC, x1, x2, e1, e2, w, (mpfr_ptr)0);
#define GOLDEN_POINT(xo, from, frac)               \
  mpfr_sub(w, xr, xl, MPFR_RNDN);                  \
  mpfr_mul_d(w, w, frac, MPFR_RNDN);               \
  mpfr_add(xo, from, w, MPFR_RNDN)
  GOLDEN_POINT(x1, xl, 1 - g);
  GOLDEN_POINT(x2, xl, g);
  error_at(r, e1, x1);
  error_at(r, e2, x2);
  for (int it = 0; it < GOLDEN_STEPS; it++) {
    if (sgn * mpfr_cmp(e1, e2) >= 0) { /* max in [xl, x2] */
      mpfr_set(xr, x2, MPFR_RNDN);
      mpfr_swap(x2, x1);
      mpfr_swap(e2, e1);
      GOLDEN_POINT(x1, xl, 1 - g);
      error_at(r, e1, x1);
    } else {
      mpfr_set(xl, x1, MPFR_RNDN);
      mpfr_swap(x1, x2);
      mpfr_swap(e1, e2);
      GOLDEN_POINT(x2, xl, g);
      error_at(r, e2, x2);
    }
  }
#undef GOLDEN_POINT
  if (sgn * mpfr_cmp(e1, ebest) > 0) {
    mpfr_set(xbest, x1, MPFR_RNDN);
    mpfr_set(ebest, e1, MPFR_RNDN);
  }
  mpfr_clears(x1, x2, e1, e2, w, (mpfr_ptr)0);
}

/* Refines run maximum at grid index k (sign sgn) into ex[slot], ev[slot]. */
static void refine(remez *r, int k, int g, int sgn, int slot) {
  mpfr_t xl, xr;
  mpfr_inits2(VEIL__APPROX_PREC, xl, xr, (mpfr_ptr)0);
  grid_point(r, xl, k > 0 ? k - 1 : 0, g);
  grid_point(r, xr, k < g - 1 ? k + 1 : g - 1, g);
  golden(r, sgn, xl, xr, r->ex[slot], r->ev[slot]);
  mpfr_clears(xl, xr, (mpfr_ptr)0);
}

/* Finds the local extrema of the error, one per run of constant sign, into ex/ev; sets r->next. */
static void find_extrema(remez *r) {
  int g = 64 * (r->n + 1) - 1, cnt = 0, run_sign = 0, best_k = -1;
  mpfr_t x, e, best;
  mpfr_inits2(VEIL__APPROX_PREC, x, e, best, (mpfr_ptr)0);
  for (int k = 0; k <= g; k++) {
    int sgn = 0;
    if (k < g) {
      grid_point(r, x, k, g);
      error_at(r, e, x);
      sgn = mpfr_sgn(e) >= 0 ? 1 : -1;
    }
    if (k == g || (run_sign != 0 && sgn != run_sign)) { /* close the run */
      grid_point(r, r->ex[cnt], best_k, g);
      mpfr_set(r->ev[cnt], best, MPFR_RNDN);
      refine(r, best_k, g, run_sign, cnt);
      cnt++;
      best_k = -1;
    }
    if (k < g && (best_k < 0 || mpfr_cmpabs(e, best) > 0)) {
      best_k = k;
      mpfr_set(best, e, MPFR_RNDN);
    }
    run_sign = sgn;
  }
  r->next = cnt;
  mpfr_clears(x, e, best, (mpfr_ptr)0);
}

static void drop_extremum(remez *r, int i) {
  for (int k = i; k + 1 < r->next; k++) {
    mpfr_swap(r->ex[k], r->ex[k + 1]);
    mpfr_swap(r->ev[k], r->ev[k + 1]);
  }
  r->next--;
}

/* Keeps n + 1 alternating extrema: drops the smallest at an end, or an interior pair. */
static void select_extrema(remez *r) {
  int m = r->n + 1;
  while (r->next > m) {
    int i = 0;
    for (int k = 1; k < r->next; k++)
      if (mpfr_cmpabs(r->ev[k], r->ev[i]) < 0)
        i = k;
    if (i == 0 || i == r->next - 1) {
      drop_extremum(r, i);
    } else if (r->next - m == 1) { /* one too many: drop the smaller end */
      drop_extremum(r, mpfr_cmpabs(r->ev[0], r->ev[r->next - 1]) < 0 ? 0 : r->next - 1);
    } else {
      int j = mpfr_cmpabs(r->ev[i - 1], r->ev[i + 1]) < 0 ? i - 1 : i + 1;
      drop_extremum(r, i > j ? i : j);
      drop_extremum(r, i < j ? i : j);
    }
  }
}

/* Relative spread (max - min) / max of |error| at the kept extrema; *emax gets max. */
static double level_spread(remez *r, double *emax) {
  double mx = 0, mn = INFINITY;
  for (int i = 0; i < r->next; i++) {
    double v = fabs(mpfr_get_d(r->ev[i], MPFR_RNDN));
    mx = fmax(mx, v);
    mn = fmin(mn, v);
  }
  *emax = mx;
  return mx > 0 ? (mx - mn) / mx : 0;
}

static veil_status remez_run(remez *r, double *max_err) {
  int m = r->n + 1;
  for (int i = 0; i < m; i++) { /* initial reference: Chebyshev extrema of [lo, hi] */
    mpfr_const_pi(r->x[i], MPFR_RNDN);
    mpfr_mul_ui(r->x[i], r->x[i], (unsigned long)i, MPFR_RNDN);
    mpfr_div_ui(r->x[i], r->x[i], (unsigned long)r->n, MPFR_RNDN);
    mpfr_cos(r->x[i], r->x[i], MPFR_RNDN);
    mpfr_mul_d(r->x[i], r->x[i], -0.5 * (r->hi - r->lo), MPFR_RNDN);
    mpfr_add_d(r->x[i], r->x[i], 0.5 * (r->hi + r->lo), MPFR_RNDN);
  }
  double emax = INFINITY;
  for (int it = 0; it < REMEZ_MAX_ITER; it++) {
    VEIL_TRY(solve_reference(r));
    find_extrema(r);
    if (r->next < m)
      return veil_fail(VEIL_ERR_PRECISION, "remez (%s, degree %d on [%g, %g]): %d alternations, need %d",
                       veil_approx_fn_name(r->f), r->degree, r->lo, r->hi, r->next, m);
    select_extrema(r);
    for (int i = 0; i < m; i++)
      mpfr_set(r->x[i], r->ex[i], MPFR_RNDN);
    if (level_spread(r, &emax) < REMEZ_LEVEL_TOL)
      break;
  }
  if (max_err)
    *max_err = emax;
  return VEIL_OK;
}

static veil_status remez_solve(remez *r, veil_cheb *out, double *max_err) {
  if (!(r->lo < r->hi) || !isfinite(r->lo) || !isfinite(r->hi))
    return veil_fail(VEIL_ERR_INVALID_ARG, "remez interval [%g, %g] is empty or not finite", r->lo, r->hi);
  if (r->degree < 0 || r->degree > 255)
    return veil_fail(VEIL_ERR_INVALID_ARG, "remez degree %d outside 0..255", r->degree);
  VEIL_TRY(remez_init(r));
  veil_status st = remez_run(r, max_err);
  if (st == VEIL_OK)
    st = veil_cheb_init(out, r->da, r->db, r->degree);
  if (st == VEIL_OK)
    for (int j = 0; j < r->n; j++)
      out->c[basis_index(r, j)] = mpfr_get_d(r->c[j], MPFR_RNDN);
  if (st == VEIL_OK)
    veil__cheb_flush(out);
  remez_free(r);
  return st;
}

veil_status veil_approx_remez(veil_approx_fn f, double a, double b, int degree, veil_cheb *out, double *max_err) {
  remez r = {.f = f, .degree = degree, .n = degree + 1, .lo = a, .hi = b, .da = a, .db = b};
  return remez_solve(&r, out, max_err);
}

veil_status veil_approx_remez_odd(veil_approx_fn f, double lo, double hi, int degree, veil_cheb *out,
                                  double *max_err) {
  if (degree < 1 || degree % 2 == 0)
    return veil_fail(VEIL_ERR_INVALID_ARG, "odd remez: degree %d must be odd and positive", degree);
  if (!veil__fn_is_odd(f))
    return veil_fail(VEIL_ERR_INVALID_ARG, "odd remez: %s is not an odd function", veil_approx_fn_name(f));
  if (lo < 0)
    return veil_fail(VEIL_ERR_INVALID_ARG, "odd remez: lower bound %g must be >= 0", lo);
  remez r = {.f = f, .degree = degree, .n = (degree + 1) / 2, .odd = true, .lo = lo, .hi = hi, .da = -hi, .db = hi};
  return remez_solve(&r, out, max_err);
}
