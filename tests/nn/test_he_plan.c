/* HE plan compiler: structure, depth, lazy relinearization/rescaling, simulation vs float64 executor,
 * refusals, parameter choice and exact scales. No encryption here (see test_he_exec.c). */
#include <math.h>
#include <string.h>

#include "nntest.h"
#include "veil/he.h"
#include "veil/model.h"
#include "vtest.h"

/* Small CryptoNets-like model: conv 3x3/2 (3 maps) + square + dense 27->8 + poly + dense 8->4. */
static veil_status small_net(veil_graph *g, bool relu) {
  veil_model m;
  float cw[3 * 1 * 3 * 3], cb[3], d1[8 * 27], b1[8], d2[4 * 8], b2[4];
  nt_fill(cw, 27, -0.5, 0.5), nt_fill(cb, 3, -0.2, 0.2), nt_fill(d1, 8 * 27, -0.3, 0.3), nt_fill(b1, 8, -0.1, 0.1);
  nt_fill(d2, 32, -0.5, 0.5), nt_fill(b2, 4, -0.1, 0.1);
  double pc[3] = {0.1, 0.5, 0.25};
  VEIL_TRY(veil_model_init(&m, "small", 1, 7, 7));
  veil_status st = veil_model_conv2d(&m, 3, 3, 3, 2, 0, cw, cb);
  if (!st) st = relu ? veil_model_relu(&m) : veil_model_square(&m);
  if (!st) st = veil_model_flatten(&m);
  if (!st) st = veil_model_dense(&m, 8, d1, b1);
  if (!st) st = veil_model_poly(&m, 2, pc);
  if (!st) st = veil_model_dense(&m, 4, d2, b2);
  if (!st) veil_model_take(&m, g);
  veil_model_free(&m);
  return st;
}

static void test_structure(void) {
  veil_graph g;
  VT_OK(small_net(&g, false));
  VT_OK(veil_graph_optimize(&g, NULL));
  veil_he_plan p;
  VT_OK(veil_he_plan_compile(&g, NULL, &p));
  /* linear, poly, linear (lazy: 2 rescales), poly, linear (2 rescales) */
  VT_REQUIRE(p.nsteps == 5);
  VT_CHECK(p.steps[0].kind == VEIL_HE_LINEAR && p.steps[1].kind == VEIL_HE_POLY && p.steps[2].kind == VEIL_HE_LINEAR);
  VT_CHECK(p.steps[0].nrescale == 1 && !p.steps[0].relin);
  VT_CHECK(p.steps[2].nrescale == 2 && p.steps[2].relin);
  VT_CHECK(p.steps[4].nrescale == 2 && p.steps[4].relin);
  VT_CHECK(p.depth == 5);
  VT_CHECK(p.values[p.steps[1].out].size == 3);
  VT_CHECK(p.steps[0].lin.nin == 49 && p.steps[0].lin.nout == 27 && p.steps[0].lin.nnz == 27 * 9);
  VT_CHECK(p.needs_relin && p.npoly == 2);
  /* the poly's c2 = 0.25 was folded into the dense before it: c2 -> 1, c1 -> 0.5 / 0.5 */
  VT_CHECK_NEAR(p.steps[3].c[2], 1.0, 0);
  VT_CHECK_NEAR(p.steps[3].c[1], 1.0, 1e-15);
  veil_he_plan_free(&p);

  veil_he_opts o = {.no_lazy_relin = true};
  VT_OK(veil_he_plan_compile(&g, &o, &p));
  VT_CHECK(p.nsteps == 7 && p.depth == 5); /* NORM after each square: same depth, relin per square */
  int norms = 0;
  for (int i = 0; i < p.nsteps; i++) norms += p.steps[i].kind == VEIL_HE_NORM && p.steps[i].relin;
  VT_CHECK(norms == 2);
  veil_he_plan_free(&p);
  veil_graph_free(&g);
}

static void test_simulation(void) {
  veil_graph g;
  VT_OK(small_net(&g, false));
  veil_graph opt;
  VT_OK(veil_graph_clone(&opt, &g));
  VT_OK(veil_graph_optimize(&opt, NULL));
  veil_he_plan p;
  VT_OK(veil_he_plan_compile(&opt, NULL, &p));
  enum { N = 16 };
  double x[N * 49], y[N * 4], mx = 0;
  for (int i = 0; i < N * 49; i++) x[i] = nt_uniform(0, 1);
  double *ref = nt_run(&g, x, N); /* the unoptimized graph: independent of passes and plan */
  VT_REQUIRE(ref);
  VT_OK(veil_he_plan_simulate(&p, x, N, y, &mx));
  VT_CHECK(nt_max_rel(y, ref, N * 4) < 1e-6); /* float32 folding of the optimizer only */
  VT_CHECK(mx > 0);
  free(ref);
  veil_he_plan_free(&p);
  veil_graph_free(&opt);
  veil_graph_free(&g);
}

static void test_params(void) {
  veil_graph g;
  VT_OK(small_net(&g, false));
  VT_OK(veil_graph_optimize(&g, NULL));
  veil_he_plan p;
  VT_OK(veil_he_plan_compile(&g, NULL, &p));
  double x[8 * 49];
  for (int i = 0; i < 8 * 49; i++) x[i] = nt_uniform(0, 1);
  VT_OK(veil_he_plan_choose(&p, NULL, x, 8));
  VT_CHECK(p.params.security_bits_met >= 128 && !p.params.insecure);
  VT_CHECK(p.params.nq == p.nbase + p.depth);
  for (int i = 0; i < p.params.nq; i++) VT_CHECK(p.params.q[i] < (1ull << 31));
  /* every LINEAR output lands exactly on Delta; a POLY output on its input scale squared */
  for (int i = 0; i < p.nsteps; i++) {
    const veil_he_step *s = &p.steps[i];
    double in = p.values[s->in[0]].scale, out = p.values[s->out].scale;
    if (s->kind == VEIL_HE_LINEAR) {
      double drop = 1;
      int lvl = p.params.nq - 1 - p.values[s->in[0]].depth;
      for (int r = 0; r < s->nrescale; r++) drop *= (double)p.params.q[lvl - r];
      VT_CHECK_NEAR(in * s->wscale / drop, p.params.scale, 1e-6 * p.params.scale);
      VT_CHECK(out == p.params.scale);
    }
    if (s->kind == VEIL_HE_POLY) VT_CHECK(out == in * in);
  }
  VT_CHECK(!p.complex_packing && strstr(p.complex_why, "off"));
  veil_he_opts o = {.security = 256};
  veil_he_plan p2;
  VT_OK(veil_he_plan_compile(&g, &o, &p2));
  VT_OK(veil_he_plan_choose(&p2, &o, x, 8));
  VT_CHECK(p2.params.security_bits_met == 256 && p2.params.logn >= p.params.logn);
  veil_he_plan_free(&p2);
  veil_he_plan_free(&p);
  veil_graph_free(&g);
}

static void test_refusals(void) {
  veil_graph g;
  VT_OK(small_net(&g, true));
  VT_OK(veil_graph_optimize(&g, NULL));
  veil_he_plan p;
  VT_CHECK(veil_he_plan_compile(&g, NULL, &p) == VEIL_ERR_UNSUPPORTED);
  VT_CHECK(strstr(veil_error_detail(), "client-aided mode (--mode client-aided) or a polynomial approximation") != NULL);
  veil_graph_free(&g);
  /* a degree-3 polynomial */
  veil_model m;
  double c[4] = {0, 1, 0, 1};
  VT_OK(veil_model_init_1d(&m, "cubic", 4));
  VT_OK(veil_model_poly(&m, 3, c));
  veil_model_take(&m, &g);
  veil_model_free(&m);
  VT_CHECK(veil_he_plan_compile(&g, NULL, &p) == VEIL_ERR_UNSUPPORTED);
  veil_graph_free(&g);
}

/* Linear-only model: complex packing is chosen; a residual add of two branches aligns levels. */
static void test_linear_and_residual(void) {
  veil_model m;
  float w[6 * 6], w2[6 * 6];
  nt_fill(w, 36, -1, 1), nt_fill(w2, 36, -1, 1);
  VT_OK(veil_model_init_1d(&m, "res", 6));
  VT_OK(veil_model_dense(&m, 6, w, NULL));
  int a = veil_model_last(&m);
  VT_OK(veil_model_square(&m));
  VT_OK(veil_model_dense(&m, 6, w2, NULL));
  VT_OK(veil_model_square(&m));
  VT_OK(veil_model_add(&m, veil_model_last(&m), a));
  veil_graph g;
  veil_model_take(&m, &g);
  veil_model_free(&m);
  veil_he_plan p;
  VT_OK(veil_he_plan_compile(&g, NULL, &p));
  double x[4 * 6], y[4 * 6];
  for (int i = 0; i < 24; i++) x[i] = nt_uniform(-1, 1);
  double *ref = nt_run(&g, x, 4);
  VT_REQUIRE(ref);
  VT_OK(veil_he_plan_simulate(&p, x, 4, y, NULL));
  VT_CHECK(nt_max_rel(y, ref, 24) < 1e-9);
  VT_OK(veil_he_plan_choose(&p, NULL, x, 4));
  int adds = 0;
  for (int i = 0; i < p.nsteps; i++) adds += p.steps[i].kind == VEIL_HE_ADD;
  VT_CHECK(adds == 1);
  free(ref);
  veil_he_plan_free(&p);
  veil_graph_free(&g);

  VT_OK(veil_model_init_1d(&m, "lin", 6));
  VT_OK(veil_model_dense(&m, 6, w, NULL));
  veil_model_take(&m, &g);
  veil_model_free(&m);
  VT_OK(veil_he_plan_compile(&g, NULL, &p));
  VT_OK(veil_he_plan_choose(&p, NULL, x, 4));
  VT_CHECK(p.complex_packing && veil_he_plan_batch(&p) == (int64_t)p.params.n);
  veil_he_plan_free(&p);
  veil_graph_free(&g);
}

int main(void) {
  VT_RUN(test_structure);
  VT_RUN(test_simulation);
  VT_RUN(test_params);
  VT_RUN(test_refusals);
  VT_RUN(test_linear_and_residual);
  VT_DONE();
}
