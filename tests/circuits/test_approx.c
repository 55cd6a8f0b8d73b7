/* Approximation tooling: Chebyshev evaluation against cos(k acos t), interpolation against libm,
 * Remez optimality by the equioscillation theorem, composite sign/relu error bounds, bad input. */
#include "veil/approx.h"
#include "vtest.h"

/* Reference: sum c_k cos(k acos t) in long double. */
static double cheb_ref(const veil_cheb *p, double x) {
  long double t = (2.0L * x - p->a - p->b) / ((long double)p->b - p->a), s = 0;
  for (int k = 0; k <= p->degree; k++)
    s += p->c[k] * cosl(k * acosl(t));
  return (double)s;
}

static void test_cheb_eval(void) {
  veil_cheb p;
  VT_OK(veil_cheb_init(&p, -3, 5, 12));
  for (int k = 0; k <= 12; k++)
    p.c[k] = sin(1.0 + k) / (1 + k);
  for (int i = 0; i <= 100; i++) {
    double x = -3 + 8.0 * i / 100;
    VT_CHECK_NEAR(veil_cheb_eval(&p, x), cheb_ref(&p, x), 1e-13);
  }
  p.c[12] = p.c[11] = 0;
  VT_CHECK(veil_cheb_true_degree(&p) == 10);
  veil_cheb q;
  VT_OK(veil_cheb_copy(&q, &p));
  VT_CHECK(q.degree == 12 && q.c[3] == p.c[3] && q.a == -3 && q.b == 5);
  veil_cheb_free(&q);
  veil_cheb_free(&p);
  veil_cheb_free(NULL);
}

static void test_depth_formula(void) {
  /* ceil(log2(d + 1)) */
  int d[] = {1, 2, 3, 4, 7, 8, 15, 16, 27, 31, 32, 63, 255};
  int want[] = {1, 2, 2, 3, 3, 4, 4, 5, 5, 5, 6, 6, 8};
  for (size_t i = 0; i < sizeof d / sizeof d[0]; i++)
    VT_CHECK_MSG(veil_approx_poly_depth(d[i]) == want[i], "degree %d", d[i]);
}

static void test_interp(void) {
  veil_cheb p;
  /* exp on [-1, 2], degree 20: the Chebyshev bound (b-a)^(n+1) e^b / (2^(2n+1) (n+1)!) is < 1e-20 */
  VT_OK(veil_approx_cheb_interp(VEIL_APPROX_EXP, -1, 2, 20, &p));
  for (int i = 0; i <= 300; i++) {
    double x = -1 + 3.0 * i / 300;
    VT_CHECK_NEAR(veil_cheb_eval(&p, x), exp(x), 4e-15 * exp(x));
  }
  veil_cheb_free(&p);
  /* interpolation property at the nodes for a low degree: sigmoid on [-8, 8], degree 9 */
  VT_OK(veil_approx_cheb_interp(VEIL_APPROX_SIGMOID, -8, 8, 9, &p));
  for (int j = 0; j < 10; j++) {
    double x = 8 * cos(M_PI * (j + 0.5) / 10);
    VT_CHECK_NEAR(veil_cheb_eval(&p, x), 1 / (1 + exp(-x)), 1e-14);
  }
  VT_CHECK(p.c[2] == 0 && p.c[4] == 0); /* sigmoid - 1/2 is odd */
  veil_cheb_free(&p);
}

/* Counts alternations of sign among grid points where |err| >= (1 - tol) * E. */
static int alternations(const veil_cheb *p, veil_approx_fn f, double lo, double hi, double E, double tol) {
  int count = 0, last = 0;
  for (int i = 0; i <= 200000; i++) {
    double x = lo + (hi - lo) * i / 200000.0, e = veil_approx_fn_eval(f, x) - veil_cheb_eval(p, x);
    int s = e > 0 ? 1 : -1;
    if (fabs(e) >= (1 - tol) * E && s != last) {
      count++;
      last = s;
    }
  }
  return count;
}

static double sup_err(const veil_cheb *p, veil_approx_fn f, double lo, double hi) {
  double m = 0;
  for (int i = 0; i <= 200000; i++) {
    double x = lo + (hi - lo) * i / 200000.0;
    m = fmax(m, fabs(veil_approx_fn_eval(f, x) - veil_cheb_eval(p, x)));
  }
  return m;
}

static void test_remez_full(void) {
  struct { veil_approx_fn f; double a, b; int d; } cs[] = {
      {VEIL_APPROX_EXP, -1, 1, 5}, {VEIL_APPROX_SIGMOID, -6, 6, 8}, {VEIL_APPROX_GELU, -4, 3, 10}};
  for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
    veil_cheb p, q;
    double E;
    VT_OK(veil_approx_remez(cs[i].f, cs[i].a, cs[i].b, cs[i].d, &p, &E));
    /* the returned level is the sup norm, reached d + 2 times with alternating signs (Chebyshev's
     * equioscillation theorem: so p is the minimax polynomial) */
    VT_CHECK_NEAR(sup_err(&p, cs[i].f, cs[i].a, cs[i].b), E, 1e-6 * E);
    VT_CHECK_MSG(alternations(&p, cs[i].f, cs[i].a, cs[i].b, E, 1e-4) >= cs[i].d + 2, "case %zu", i);
    /* and no worse than the interpolant of the same degree */
    VT_OK(veil_approx_cheb_interp(cs[i].f, cs[i].a, cs[i].b, cs[i].d, &q));
    VT_CHECK(E <= sup_err(&q, cs[i].f, cs[i].a, cs[i].b));
    veil_cheb_free(&p);
    veil_cheb_free(&q);
  }
}

static void test_remez_odd_sign(void) {
  veil_cheb p;
  double E, eps = 0.05;
  VT_OK(veil_approx_remez_odd(VEIL_APPROX_SIGN, eps, 1, 9, &p, &E));
  VT_CHECK(E > 0 && E < 1);
  for (int k = 0; k <= 9; k += 2)
    VT_CHECK(p.c[k] == 0);
  VT_CHECK(p.a == -1 && p.b == 1);
  VT_CHECK_NEAR(sup_err(&p, VEIL_APPROX_SIGN, eps, 1), E, 1e-6 * E);
  /* 5 odd basis functions: 6 alternations on [eps, 1] */
  VT_CHECK(alternations(&p, VEIL_APPROX_SIGN, eps, 1, E, 1e-4) >= 6);
  VT_CHECK_NEAR(veil_cheb_eval(&p, -0.3), -veil_cheb_eval(&p, 0.3), 1e-15);
  veil_cheb_free(&p);
  VT_CHECK(veil_approx_remez_odd(VEIL_APPROX_SIGN, eps, 1, 8, &p, &E) == VEIL_ERR_INVALID_ARG);
  VT_CHECK(veil_approx_remez_odd(VEIL_APPROX_EXP, eps, 1, 9, &p, &E) == VEIL_ERR_INVALID_ARG);
  VT_CHECK(veil_approx_remez(VEIL_APPROX_EXP, 1, 1, 9, &p, &E) == VEIL_ERR_INVALID_ARG);
}

static void test_composite_relu(void) {
  int deg[] = {15, 15, 27};
  veil_approx_opts o = {.eps = 0x1p-9};
  veil_approx ap;
  VT_OK(veil_approx_build(&ap, VEIL_APPROX_RELU, -4, 4, deg, 3, &o));
  VT_CHECK(ap.depth == 4 + 4 + 5 + 1 + 1 && ap.mul_input && ap.nstages == 3); /* + prescale by 1/4 */
  VT_CHECK(ap.stage[0].a == -4 && ap.stage[0].b == 4);
  /* each stage maps into [1 - e, 1 + e]; the last error bounds relu for |x| >= eps M:
   * |x (1 + s) / 2 - relu(x)| = |x| |s - sign x| / 2 <= M e / 2 */
  double bound = 4 * ap.stage_err[2] / 2, worst = 0;
  VT_CHECK(ap.stage_err[2] < ap.stage_err[1] && ap.stage_err[1] < ap.stage_err[0]);
  for (int i = 0; i <= 20000; i++) {
    double x = -4 + 8.0 * i / 20000;
    double y = veil_approx_eval(&ap, x), r = x > 0 ? x : 0;
    if (fabs(x) >= 4 * o.eps)
      worst = fmax(worst, fabs(y - r));
  }
  VT_CHECK_MSG(worst <= bound * (1 + 1e-9), "%g > %g", worst, bound);
  VT_CHECK_MSG(bound < 1e-3, "bound %g", bound);
  veil_approx_stats st;
  VT_OK(veil_approx_measure(&ap, 4097, &st));
  VT_CHECK(st.points == 4097 && st.max_err >= worst && st.mean_err <= st.max_err);
  veil_approx_free(&ap);
}

static void test_relu_optimized_gap(void) {
  int deg[] = {7, 7};
  veil_approx ap, fixed;
  veil_approx_stats s1, s2;
  VT_OK(veil_approx_build(&ap, VEIL_APPROX_RELU, -1, 1, deg, 2, NULL));
  VT_OK(veil_approx_measure(&ap, 8193, &s1));
  VT_CHECK(ap.eps > 0x1p-24 && ap.eps < 0.5 && ap.depth == 7);
  double gaps[] = {0x1p-3, 0x1p-5, 0x1p-7};
  for (int i = 0; i < 3; i++) { /* the optimized gap is no worse than fixed ones (small slack) */
    veil_approx_opts o = {.eps = gaps[i]};
    VT_OK(veil_approx_build(&fixed, VEIL_APPROX_RELU, -1, 1, deg, 2, &o));
    VT_OK(veil_approx_measure(&fixed, 8193, &s2));
    VT_CHECK_MSG(s1.max_err <= s2.max_err * 1.01, "opt %g vs eps %g: %g", s1.max_err, gaps[i], s2.max_err);
    veil_approx_free(&fixed);
  }
  veil_approx_free(&ap);
}

static void test_sign_and_smooth(void) {
  int deg[] = {7, 15};
  veil_approx ap;
  veil_approx_opts o = {.eps = 0.05};
  VT_OK(veil_approx_build(&ap, VEIL_APPROX_SIGN, -2, 1, deg, 2, &o));
  veil_approx_stats st;
  VT_OK(veil_approx_measure(&ap, 3001, &st));
  VT_CHECK(!ap.mul_input && ap.depth == 3 + 4 + 1); /* + prescale by 1/2 */
  VT_CHECK(st.points < 3001 && st.max_err <= ap.stage_err[1] * (1 + 1e-9));
  veil_approx_free(&ap);
  int d1 = 31;
  VT_OK(veil_approx_build(&ap, VEIL_APPROX_SILU, -8, 8, &d1, 1, NULL));
  VT_OK(veil_approx_measure(&ap, 4001, &st));
  VT_CHECK(ap.depth == 5 + 1 && st.max_err < 1e-4 && st.max_err > 0);
  VT_CHECK_NEAR(veil_approx_eval(&ap, 1.5), 1.5 / (1 + exp(-1.5)), 1e-4);
  veil_approx_free(&ap);
}

static void test_bad_input(void) {
  veil_approx ap;
  veil_approx_fn f;
  int even[] = {15, 14}, two[] = {7, 7}, zero = 0;
  VT_CHECK(veil_approx_fn_parse("softplus", &f) == VEIL_ERR_NOT_FOUND);
  VT_CHECK(veil_approx_fn_parse("gelu", &f) == VEIL_OK && f == VEIL_APPROX_GELU);
  VT_CHECK(veil_approx_build(&ap, VEIL_APPROX_RELU, -1, 1, even, 2, NULL) == VEIL_ERR_INVALID_ARG);
  VT_CHECK(strstr(veil_error_detail(), "14") != NULL);
  VT_CHECK(veil_approx_build(&ap, VEIL_APPROX_GELU, -1, 1, two, 2, NULL) == VEIL_ERR_INVALID_ARG);
  VT_CHECK(veil_approx_build(&ap, VEIL_APPROX_GELU, -1, 1, &zero, 1, NULL) == VEIL_ERR_INVALID_ARG);
  VT_CHECK(veil_approx_build(&ap, VEIL_APPROX_GELU, 1, -1, two, 1, NULL) == VEIL_ERR_INVALID_ARG);
  VT_CHECK(veil_approx_build(&ap, VEIL_APPROX_GELU, -1, NAN, two, 1, NULL) == VEIL_ERR_INVALID_ARG);
  veil_approx_opts o = {.eps = 1.5};
  VT_CHECK(veil_approx_build(&ap, VEIL_APPROX_SIGN, -1, 1, two, 2, &o) == VEIL_ERR_INVALID_ARG);
  VT_CHECK(veil_approx_measure(&ap, 1, &(veil_approx_stats){0}) == VEIL_ERR_INVALID_ARG);
}

int main(void) {
  VT_RUN(test_cheb_eval);
  VT_RUN(test_depth_formula);
  VT_RUN(test_interp);
  VT_RUN(test_remez_full);
  VT_RUN(test_remez_odd_sign);
  VT_RUN(test_composite_relu);
  VT_RUN(test_relu_optimized_gap);
  VT_RUN(test_sign_and_smooth);
  VT_RUN(test_bad_input);
  VT_DONE();
}
