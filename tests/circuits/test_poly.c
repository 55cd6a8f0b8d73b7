/* Polynomial evaluation on the float64 simulator: depth == ceil(log2(d+1)), exact output scale,
 * values against direct Chebyshev evaluation (cos(k acos t) in long double), plan reuse, errors. */
#include "veil/poly.h"
#include "vtest.h"

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static double urand(void) { /* xorshift64*, uniform in [-1, 1) */
  rng ^= rng >> 12, rng ^= rng << 25, rng ^= rng >> 27;
  return (double)((rng * 0x2545f4914f6cdd1dULL) >> 11) * 0x1p-52 - 1.0;
}

static double cheb_ref(const veil_cheb *p, double x) {
  long double t = (2.0L * x - p->a - p->b) / ((long double)p->b - p->a), s = 0;
  for (int k = 0; k <= p->degree; k++)
    s += p->c[k] * cosl(k * acosl(fminl(1, fmaxl(-1, t))));
  return (double)s;
}

/* A chain of 24 levels: q_0 = 2^55, then 40-bit moduli that differ from 2^40 (scales drift). */
static void sim_init(veil_poly_sim *s, size_t n) {
  memset(s, 0, sizeof *s);
  s->n = n;
  s->nq = 24;
  s->q[0] = 0x1p55;
  for (int i = 1; i < s->nq; i++)
    s->q[i] = 0x1p40 + (double)((i % 2 ? 1 : -1) * (i * 7919LL << 16) + 1);
}

#define NX 64

/* Evaluates a random degree-d polynomial on [a, b]; checks depth, scale, values. */
static void check_degree(int d, double a, double b, bool odd) {
  veil_cheb p;
  VT_OK(veil_cheb_init(&p, a, b, d));
  for (int k = 0; k <= d; k++)
    p.c[k] = (odd && k % 2 == 0) ? 0 : urand() / (1 + k / 4.0);
  if (p.c[d] == 0)
    p.c[d] = 0.5;
  double x[NX], bound = 0;
  for (int k = 0; k <= d; k++)
    bound += fabs(p.c[k]);
  for (int i = 0; i < NX; i++)
    x[i] = a + (b - a) * (i + 0.5) / NX;
  veil_poly_plan plan;
  VT_OK(veil_poly_plan_init(&plan, &p));
  veil_poly_sim sim;
  sim_init(&sim, NX);
  veil_poly_ops ops;
  veil_poly_sim_ops(&sim, &ops);
  veil_poly_sim_ct in, out;
  int L = 20;
  double target = 0x1p40 * 1.25;
  /* the input at scale 2^40 / h puts T_1 at 2^40 (poly.h) */
  VT_OK(veil_poly_sim_ct_init(&in, x, NX, L, 0x1p40 / (0.5 * (b - a))));
  VT_OK(veil_poly_sim_ct_init(&out, NULL, NX, 0, 1));
  VT_OK(veil_poly_eval(&plan, &ops, &in, target, &out));
  VT_CHECK_MSG(out.level == L - veil_approx_poly_depth(d), "degree %d: level %d", d, out.level);
  VT_CHECK_MSG(plan.depth == veil_approx_poly_depth(d), "degree %d", d);
  VT_CHECK_MSG(out.scale == target, "degree %d: scale 2^%.17g", d, log2(out.scale));
  VT_CHECK_MSG(sim.nmul == plan.nmul, "degree %d: %ld mults, plan says %d", d, sim.nmul, plan.nmul);
  double worst = 0;
  for (int i = 0; i < NX; i++)
    worst = fmax(worst, fabs(out.v[i] - cheb_ref(&p, x[i])));
  /* rounding at 2^-40 per operation, amplified by at most the coefficient mass times the depth */
  VT_CHECK_MSG(worst <= 1e-9 * bound * (1 + plan.depth), "degree %d: error %g", d, worst);
  veil_poly_sim_ct_free(&in);
  veil_poly_sim_ct_free(&out);
  veil_poly_plan_free(&plan);
  veil_cheb_free(&p);
}

static void test_all_small_degrees(void) {
  for (int d = 1; d <= 70; d++)
    check_degree(d, -2, 3, false);
  int big[] = {127, 128, 200, 255};
  for (int i = 0; i < 4; i++)
    check_degree(big[i], -1, 1, false);
}

static void test_odd_polynomials(void) {
  int ds[] = {3, 7, 15, 27, 31, 63};
  for (int i = 0; i < 6; i++)
    check_degree(ds[i], -1.5, 1.5, true);
}

static void test_bsgs_saves_multiplications(void) {
  veil_cheb p;
  VT_OK(veil_cheb_init(&p, -1, 1, 63));
  for (int k = 0; k <= 63; k++)
    p.c[k] = 1.0 / (1 + k);
  veil_poly_plan plan;
  VT_OK(veil_poly_plan_init(&plan, &p));
  /* power basis T_2..T_8, T_16, T_32 and ~7 giant-step products: far fewer than 63 */
  VT_CHECK_MSG(plan.nmul > 6 && plan.nmul <= 24, "%d", plan.nmul);
  VT_CHECK(plan.depth == 6 && plan.logsplit == 3);
  veil_poly_plan_free(&plan);
  veil_cheb_free(&p);
}

static void test_plan_reuse_and_errors(void) {
  veil_cheb p;
  VT_OK(veil_approx_cheb_interp(VEIL_APPROX_SIGMOID, -8, 8, 31, &p));
  veil_poly_plan plan;
  VT_OK(veil_poly_plan_init(&plan, &p));
  veil_poly_sim sim;
  sim_init(&sim, 8);
  veil_poly_ops ops;
  veil_poly_sim_ops(&sim, &ops);
  for (int rep = 0; rep < 3; rep++) {
    double x[8];
    for (int i = 0; i < 8; i++)
      x[i] = 8 * urand();
    veil_poly_sim_ct in, out;
    VT_OK(veil_poly_sim_ct_init(&in, x, 8, 10 + rep, 0x1p37)); /* 2^40 / h, h = 8 */
    VT_OK(veil_poly_sim_ct_init(&out, NULL, 8, 0, 1));
    VT_OK(veil_poly_eval(&plan, &ops, &in, 0x1p40, &out));
    VT_CHECK(out.level == 5 + rep && out.scale == 0x1p40);
    for (int i = 0; i < 8; i++)
      VT_CHECK_NEAR(out.v[i], 1 / (1 + exp(-x[i])), 1e-5);
    in.level = 4; /* below the depth */
    VT_CHECK(veil_poly_eval(&plan, &ops, &in, 0x1p40, &out) == VEIL_ERR_INVALID_ARG);
    in.level = 10;
    VT_CHECK(veil_poly_eval(&plan, &ops, &in, -1, &out) == VEIL_ERR_INVALID_ARG);
    veil_poly_sim_ct_free(&in);
    veil_poly_sim_ct_free(&out);
  }
  veil_poly_plan_free(&plan);
  p.c[0] = 1;
  for (int k = 1; k <= p.degree; k++)
    p.c[k] = 0;
  VT_CHECK(veil_poly_plan_init(&plan, &p) == VEIL_ERR_INVALID_ARG);
  veil_cheb_free(&p);
}

static void test_composite_relu_sim(void) {
  int deg[] = {7, 15};
  veil_approx_opts o = {.eps = 0.05};
  veil_approx ap;
  VT_OK(veil_approx_build(&ap, VEIL_APPROX_RELU, -3, 3, deg, 2, &o));
  veil_approx_plan plan;
  VT_OK(veil_approx_plan_init(&plan, &ap));
  VT_CHECK(plan.depth == ap.depth && plan.depth == 3 + 4 + 1 + 1); /* + prescale by 1/3 */
  veil_poly_sim sim;
  sim_init(&sim, NX);
  veil_poly_ops ops;
  veil_poly_sim_ops(&sim, &ops);
  double x[NX];
  for (int i = 0; i < NX; i++)
    x[i] = 3 * urand();
  veil_poly_sim_ct in, out;
  VT_OK(veil_poly_sim_ct_init(&in, x, NX, 12, 0x1p40));
  VT_OK(veil_poly_sim_ct_init(&out, NULL, NX, 0, 1));
  VT_OK(veil_approx_plan_eval(&plan, &ops, &in, 0x1p40, &out));
  VT_CHECK(out.level == 12 - 9 && out.scale == 0x1p40);
  for (int i = 0; i < NX; i++)
    VT_CHECK_NEAR(out.v[i], veil_approx_eval(&ap, x[i]), 1e-8);
  in.level = 8;
  VT_CHECK(veil_approx_plan_eval(&plan, &ops, &in, 0x1p40, &out) == VEIL_ERR_INVALID_ARG);
  veil_poly_sim_ct_free(&in);
  veil_poly_sim_ct_free(&out);
  veil_approx_plan_free(&plan);
  veil_approx_free(&ap);
}

int main(void) {
  VT_RUN(test_all_small_degrees);
  VT_RUN(test_odd_polynomials);
  VT_RUN(test_bsgs_saves_multiplications);
  VT_RUN(test_plan_reuse_and_errors);
  VT_RUN(test_composite_relu_sim);
  VT_DONE();
}
