/**
 * @file approx.h
 * @brief Polynomial approximations for encrypted activations: Chebyshev-basis polynomials,
 *        Chebyshev interpolation, Remez minimax (multiple-precision, MPFR), and composite minimax
 *        approximations of sign(x) (Lee, Lee, Lee, Kim, No 2021, ePrint 2020/834) giving
 *        ReLU(x) = x (1 + sign(x)) / 2.
 *
 * A ::veil_approx is what an encrypted evaluation consumes: a list of stages, each a polynomial in
 * the Chebyshev basis of its own domain, composed in order (stage 0 first), optionally followed by
 * one multiplication by the input (ReLU). Its multiplicative depth is the sum over stages of
 * ceil(log2(d_i + 1)), plus one for the final multiplication, plus one when the first stage's
 * domain [a, b] has half-width (b - a) / 2 != 1 (the input is multiplied by 2 / (b - a) first;
 * see poly.h). Later stages' domains cost nothing (their input scale is chosen to match).
 *
 * @code
 *   int deg[] = {15, 15, 27};
 *   veil_approx ap;
 *   if (veil_approx_build(&ap, VEIL_APPROX_RELU, -1, 1, deg, 3, NULL)) ...;   // eps optimized
 *   veil_approx_stats st; veil_approx_measure(&ap, 1 << 16, &st);
 *   printf("depth %d max err %g\n", ap.depth, st.max_err);
 *   veil_approx_free(&ap);
 * @endcode
 */
#ifndef VEIL_APPROX_H
#define VEIL_APPROX_H

#include "veil/util.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Functions veil can approximate. */
typedef enum veil_approx_fn {
  VEIL_APPROX_SIGN,    /**< sign(x), sign(0) = 0; composite odd minimax on |x| >= eps * max|x| */
  VEIL_APPROX_RELU,    /**< max(x, 0) = x (1 + sign(x)) / 2 */
  VEIL_APPROX_SIGMOID, /**< 1 / (1 + e^-x) */
  VEIL_APPROX_GELU,    /**< x/2 (1 + erf(x / sqrt 2)) */
  VEIL_APPROX_SILU,    /**< x sigmoid(x) */
  VEIL_APPROX_EXP,     /**< e^x */
  VEIL_APPROX_TANH,    /**< tanh(x) */
  VEIL_APPROX_FN_COUNT
} veil_approx_fn;

/** @return the lower-case name ("relu", "sigmoid", ...). */
const char *veil_approx_fn_name(veil_approx_fn f);
/** Parses a name from veil_approx_fn_name(). Errors: VEIL_ERR_NOT_FOUND (detail lists the names). */
VEIL_WUR veil_status veil_approx_fn_parse(const char *name, veil_approx_fn *out);
/** The exact function in double precision (libm), the reference for error measurements. */
double veil_approx_fn_eval(veil_approx_fn f, double x);

/* ---- Chebyshev-basis polynomials ------------------------------------------------------------ */

/** p(x) = sum_k c[k] T_k(t), t = (2x - a - b) / (b - a), for x in the domain [a, b]. */
typedef struct veil_cheb {
  double a, b;  /**< domain, a < b */
  int degree;   /**< >= 0; c[degree] may be zero */
  double *c;    /**< degree + 1 coefficients */
} veil_cheb;

/** A zero polynomial of @p degree (0..4096) on [a, b]. Errors: INVALID_ARG, NOMEM. */
VEIL_WUR veil_status veil_cheb_init(veil_cheb *p, double a, double b, int degree);
/** Frees the coefficients; NULL or zeroed is a no-op. */
void veil_cheb_free(veil_cheb *p);
/** dst = src (dst uninitialized or freed). Errors: NOMEM. */
VEIL_WUR veil_status veil_cheb_copy(veil_cheb *dst, const veil_cheb *src);
/** p(x) by Clenshaw's recurrence (x outside the domain is extrapolated). */
double veil_cheb_eval(const veil_cheb *p, double x);
/** Degree of the highest nonzero coefficient (0 for the zero polynomial). */
int veil_cheb_true_degree(const veil_cheb *p);

/**
 * Chebyshev interpolation at the d + 1 Chebyshev nodes of [a, b] (first kind), coefficients
 * computed with MPFR at 160 bits. Errors: INVALID_ARG (a >= b, degree outside 0..1023), NOMEM.
 */
VEIL_WUR veil_status veil_approx_cheb_interp(veil_approx_fn f, double a, double b, int degree, veil_cheb *out);

/**
 * Minimax polynomial of @p degree for f on [a, b] by the Remez exchange (MPFR at 160 bits; extrema
 * found on a dense Chebyshev grid and refined by golden-section search).
 * @param[out] max_err the equioscillation level reached (sup |f - p| on [a, b]); may be NULL.
 * Errors: INVALID_ARG (a >= b, degree outside 0..255), PRECISION (no convergence: the detail says
 * how many alternations were found), NOMEM.
 */
VEIL_WUR veil_status veil_approx_remez(veil_approx_fn f, double a, double b, int degree, veil_cheb *out,
                                       double *max_err);

/**
 * Odd minimax polynomial (T_1, T_3, ... only) of odd @p degree for an odd f (sign, tanh) on
 * [-hi, -lo] U [lo, hi], 0 <= lo < hi; the domain of @p out is [-hi, hi].
 * Errors: as veil_approx_remez(); INVALID_ARG also for an even degree or an even f.
 */
VEIL_WUR veil_status veil_approx_remez_odd(veil_approx_fn f, double lo, double hi, int degree, veil_cheb *out,
                                           double *max_err);

/* ---- composite approximations ------------------------------------------------------------- */

#define VEIL_APPROX_MAX_STAGES 8

/** Options of veil_approx_build(); zero-initialize for defaults. */
typedef struct veil_approx_opts {
  double eps;   /**< sign/relu: gap as a fraction of max(|A|,|B|), (0, 1); 0: sign 2^-8, relu optimized */
  bool remez;   /**< smooth functions: minimax (Remez) instead of Chebyshev interpolation */
} veil_approx_opts;

/** A (composite) polynomial approximation of a function on an interval. */
typedef struct veil_approx {
  veil_approx_fn fn;
  double lo, hi;                          /**< the interval [A, B] */
  int nstages;
  int degrees[VEIL_APPROX_MAX_STAGES];
  veil_cheb stage[VEIL_APPROX_MAX_STAGES]; /**< applied in order; each on its own domain */
  bool mul_input;                         /**< multiply the last stage's output by the input (relu) */
  double eps;                             /**< sign/relu: the gap used, relative to max(|A|,|B|) */
  double stage_err[VEIL_APPROX_MAX_STAGES]; /**< minimax error of each sign stage on its interval */
  int depth;                              /**< sum ceil(log2(d_i + 1)) (+1 mul_input, +1 prescale) */
} veil_approx;

/**
 * Builds the approximation of @p fn on [A, B] from the stage degrees.
 * - sign, relu: one or more odd degrees (each 3..255); stage 0 is the odd minimax of sign on
 *   [eps M, M] (M = max(|A|,|B|)), stage i the odd minimax on [1 - e_{i-1}, 1 + e_{i-1}] where
 *   e_{i-1} is the previous stage's error. For relu with opts->eps == 0 the gap is chosen (golden
 *   section on log2 eps) to minimize the maximum ReLU error over [A, B]; the last stage is
 *   returned as (1 + p) / 2 and mul_input is set.
 * - smooth functions: exactly one degree (1..1023): Chebyshev interpolant (or Remez) on [A, B].
 * Errors: INVALID_ARG (A >= B, degree count or value, even sign degree), PRECISION (a stage does
 * not converge or the gap is too small for the degrees), NOMEM.
 */
VEIL_WUR veil_status veil_approx_build(veil_approx *ap, veil_approx_fn fn, double A, double B, const int *degrees,
                                       int ndegrees, const veil_approx_opts *opts);
void veil_approx_free(veil_approx *ap);
/** Writes the fields "degrees", "depth" and "interval" of @p ap into an open JSON object. */
void veil_approx_json_shape(const veil_approx *ap, veil_json *j);

/** The approximation evaluated in double precision (composition of the stages). */
double veil_approx_eval(const veil_approx *ap, double x);

/** Errors of an approximation against the exact function. */
typedef struct veil_approx_stats {
  double max_err, mean_err;  /**< max and mean of |approx - exact| over the measured points */
  double argmax;             /**< a point where the max is reached */
  size_t points;             /**< points measured */
} veil_approx_stats;

/**
 * Measures the approximation on @p npoints (>= 2) equally spaced points of [A, B] (both ends
 * included). For sign, points with |x| < eps M are skipped (the gap where sign cannot be
 * approximated). Errors: INVALID_ARG.
 */
VEIL_WUR veil_status veil_approx_measure(const veil_approx *ap, size_t npoints, veil_approx_stats *st);

/** ceil(log2(d + 1)): the optimal multiplicative depth of a degree-d polynomial (d >= 1). */
int veil_approx_poly_depth(int degree);

#ifdef __cplusplus
}
#endif
#endif
