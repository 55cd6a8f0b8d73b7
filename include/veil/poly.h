/**
 * @file poly.h
 * @brief Homomorphic polynomial evaluation in the Chebyshev basis: baby-step giant-step (Paterson-
 *        Stockmeyer style, Bossuat et al. EC 2021) at the optimal depth ceil(log2(d + 1)), with
 *        scale-invariant evaluation: the output scale equals the requested target exactly.
 *
 * The algorithm runs against a small evaluator interface (::veil_poly_ops) so that it can be run
 * on plain doubles (::veil_poly_sim, which mimics levels, exact scales, constant quantization,
 * rescale rounding and modulus overflow) and on CKKS ciphertexts (veil_poly_ops_ckks()).
 *
 * How it works. A plan splits p recursively as p = q T_g + r (g the largest power of two <= deg p)
 * until a part is a leaf: a linear combination of T_i from the power basis (T_1..T_{2^l} and the
 * powers of two T_{2^j}, l = floor(log2(d + 1) / 2)) whose levels leave room for one constant
 * multiplication. Target scales are chosen backwards from the output: a node asked for scale S at
 * level t evaluates q for scale S q_{t+1} / scale(T_g) at level t + 1, so that q T_g rescaled has
 * scale S; a leaf multiplies each T_i by c_i encoded at scale S q_{t+1} / scale(T_i) and rescales
 * once. The change of variable to [-1, 1] costs no level: the input's scale is reinterpreted
 * (scale times h = (b - a) / 2) and the midpoint subtracted as a constant. The powers T_{2^k} then
 * carry scales near (scale(in) h)^(2^k) / q^(2^k - 1): give the input at scale Delta / h (the
 * previous operation can target that scale for free) or call veil_poly_prescale() (one level) so
 * that T_1 sits at the working scale Delta; with h = 1 nothing is needed.
 *
 * @code
 *   veil_poly_plan plan;  veil_poly_plan_init(&plan, &cheb);           // once per polynomial
 *   veil_poly_ops ops;    veil_poly_ops_ckks(&ops, &ev);                // or veil_poly_sim_ops()
 *   for (...) veil_poly_eval(&plan, &ops, &ct[i], ctx.scale, &out[i]);  // level drops by plan.depth
 * @endcode
 */
#ifndef VEIL_POLY_H
#define VEIL_POLY_H

#include "veil/approx.h"
#include "veil/ckks.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * The evaluator operations polynomial evaluation needs. Ciphertexts are opaque pointers created by
 * ct_new. All ops may alias out with inputs. Binary ops need equal levels; add/sub also equal
 * scales (to a relative 2^-40).
 */
typedef struct veil_poly_ops {
  void *ev;
  VEIL_WUR veil_status (*ct_new)(void *ev, void **ct);          /**< an empty ciphertext */
  void (*ct_free)(void *ev, void *ct);                          /**< NULL is a no-op */
  VEIL_WUR veil_status (*copy)(void *ev, void *dst, const void *src);
  int (*level)(const void *ct);
  double (*scale)(const void *ct);
  void (*set_scale)(void *ct, double scale);                    /**< reinterpretation, no arithmetic */
  double (*prime)(void *ev, int level);                         /**< q_level, the rescale divisor */
  VEIL_WUR veil_status (*add)(void *ev, void *out, const void *a, const void *b);
  VEIL_WUR veil_status (*sub)(void *ev, void *out, const void *a, const void *b);
  VEIL_WUR veil_status (*add_const)(void *ev, void *out, const void *a, double c); /**< c at a's scale */
  VEIL_WUR veil_status (*mul)(void *ev, void *out, const void *a, const void *b);  /**< relinearized */
  /** out = a * round(c * pt_scale) / pt_scale; out scale = scale(a) * pt_scale; no rescale. */
  VEIL_WUR veil_status (*mul_const)(void *ev, void *out, const void *a, double c, double pt_scale);
  /** acc += a * c as mul_const (acc's level and scale must equal the product's). */
  VEIL_WUR veil_status (*mul_const_acc)(void *ev, void *acc, const void *a, double c, double pt_scale);
  VEIL_WUR veil_status (*rescale)(void *ev, void *ct);
  VEIL_WUR veil_status (*drop)(void *ev, void *ct, int levels);
} veil_poly_ops;

/** One node of a plan's split tree (internal layout, read-only for callers). */
typedef struct veil_poly_node {
  int kind;           /**< 0 constant, 1 leaf, 2 split */
  int budget;         /**< levels below the input level at which the node's output sits */
  int g;              /**< split: the giant step T_g */
  int q, r;           /**< split: child node indices */
  double c0;          /**< constant term (constant and leaf nodes) */
  int nterms;         /**< leaf: terms c[k] T_{idx[k]} */
  int *idx;
  double *c;
} veil_poly_node;

/** A reusable evaluation plan for one polynomial (any number of ciphertexts, any thread). */
typedef struct veil_poly_plan {
  veil_cheb poly;      /**< a copy of the polynomial */
  int degree;          /**< true degree, >= 1 */
  int depth;           /**< ceil(log2(degree + 1)) levels consumed */
  int logsplit;        /**< baby steps T_1..T_{2^logsplit} */
  int nnodes, root;
  veil_poly_node *nodes;
  bool *need;          /**< need[i]: T_i is computed (i <= degree) */
  int nmul;            /**< ciphertext-ciphertext multiplications per evaluation */
} veil_poly_plan;

/** Builds the plan. Errors: INVALID_ARG (true degree 0 or above 1023), NOMEM. */
VEIL_WUR veil_status veil_poly_plan_init(veil_poly_plan *plan, const veil_cheb *p);
void veil_poly_plan_free(veil_poly_plan *plan);

/**
 * out = p(in): level(out) = level(in) - plan->depth, scale(out) == target_scale exactly.
 * @p in is not modified. Errors: INVALID_ARG (input level below the depth, target_scale <= 0),
 * and whatever the ops return (MISMATCH, PRECISION, NOMEM).
 */
VEIL_WUR veil_status veil_poly_eval(const veil_poly_plan *plan, const veil_poly_ops *ops, const void *in,
                                    double target_scale, void *out);

/**
 * out = in * factor at level(in) - 1 with scale exactly @p target_scale (a constant multiplication
 * and one rescale). Errors: INVALID_ARG (level 0), and the ops' errors.
 */
VEIL_WUR veil_status veil_poly_prescale(const veil_poly_ops *ops, const void *in, double factor,
                                        double target_scale, void *out);

/* ---- composite approximations ------------------------------------------------------------- */

/** Plans for every stage of a ::veil_approx. */
typedef struct veil_approx_plan {
  int nstages;
  veil_poly_plan stage[VEIL_APPROX_MAX_STAGES];
  bool mul_input;
  double prescale;     /**< 1 / h of stage 0 when its half-width h != 1 (one level), else 0 */
  int depth;           /**< equals the approximation's depth */
} veil_approx_plan;

/** Builds the stage plans. Errors: as veil_poly_plan_init(). */
VEIL_WUR veil_status veil_approx_plan_init(veil_approx_plan *plan, const veil_approx *ap);
void veil_approx_plan_free(veil_approx_plan *plan);
/**
 * out = approximation(in) at level(in) - depth and scale exactly @p target_scale. Stage 0 reads
 * the input (prescaled by 1/h when its domain half-width h != 1); stage i > 0 is handed the
 * previous output at scale scale(in) / h_i, so every T_1 sits at the input's scale.
 * Errors: as veil_poly_eval().
 */
VEIL_WUR veil_status veil_approx_plan_eval(const veil_approx_plan *plan, const veil_poly_ops *ops, const void *in,
                                           double target_scale, void *out);

/**
 * Fills @p ops with the CKKS evaluator @p ev (borrowed; it needs the relinearization key).
 * Ciphertexts are veil_ckks_ct.
 */
void veil_poly_ops_ckks(veil_poly_ops *ops, veil_ckks_eval *ev);

/* ---- a float64 "evaluator" with CKKS level and scale rules ------------------------------- */

/**
 * Simulates CKKS bookkeeping on plain doubles: a ciphertext is n doubles (the message) with a
 * level and an exact scale. It enforces the evaluator's rules (equal levels, equal scales for
 * add, rescale by q_level, no rescale at level 0), quantizes constants to round(c * pt_scale),
 * rounds the message to 1 / scale after each rescale, and fails with VEIL_ERR_PRECISION when
 * |message| * scale reaches half the modulus q_0...q_level. Counts operations.
 */
typedef struct veil_poly_sim {
  size_t n;             /**< values per ciphertext */
  int nq;               /**< levels 0..nq-1 */
  double q[64];         /**< the chain (any positive integers; primes in real use) */
  long nmul, nconst, nrescale, nadd; /**< operation counts */
} veil_poly_sim;

/** A simulated ciphertext. */
typedef struct veil_poly_sim_ct {
  double *v;
  size_t n;
  int level;
  double scale;
} veil_poly_sim_ct;

/** Fills @p ops for @p sim (borrowed). */
void veil_poly_sim_ops(veil_poly_sim *sim, veil_poly_ops *ops);
/** A simulated ciphertext of @p n values at @p level and @p scale (values copied). Errors: NOMEM. */
VEIL_WUR veil_status veil_poly_sim_ct_init(veil_poly_sim_ct *ct, const double *v, size_t n, int level, double scale);
void veil_poly_sim_ct_free(veil_poly_sim_ct *ct);

#ifdef __cplusplus
}
#endif
#endif
