/* Graph passes: each rewrite must keep the function (float64 runs before/after) and do what it says. */
#include "nntest.h"

/* Number of nodes with op @p op. */
static int count_op(const veil_graph *g, veil_op op) {
  int k = 0;
  for (int i = 0; i < g->nnodes; i++) k += g->nodes[i].op == op;
  return k;
}

/* Runs @p a and @p b on the same random (dyadic when @p dyadic) inputs; returns the max relative difference. */
static double compare(const veil_graph *a, const veil_graph *b, bool dyadic) {
  const int n = 3;
  int64_t m = veil_graph_node_numel(a, 0);
  double *x = malloc(sizeof(double) * (size_t)(n * m));
  for (int64_t i = 0; i < n * m; i++) x[i] = dyadic ? (int)nt_uniform(-32, 33) / 8.0 : nt_uniform(-2, 2);
  double *ya = nt_run(a, x, n), *yb = nt_run(b, x, n), d = 1e300;
  if (ya && yb && veil_graph_node_numel(a, a->output) == veil_graph_node_numel(b, b->output))
    d = nt_max_rel(yb, ya, n * veil_graph_node_numel(a, a->output));
  free(x), free(ya), free(yb);
  return d;
}

/* Takes the model's graph and a clone of it. */
static veil_status take2(veil_model *m, veil_graph *g, veil_graph *orig) {
  veil_model_take(m, g);
  veil_model_free(m);
  return veil_graph_clone(orig, g);
}

/* BN statistics whose folded scale gamma/sqrt(var+eps) is exact in float32 (var+eps a power of 4). */
static void exact_bn(int c, float *gamma, float *beta, float *mean, float *var) {
  static const float pow4[4] = {0.25f, 1, 4, 16};
  nt_fill_dyadic(gamma, c, 2);
  nt_fill_dyadic(beta, c, 2);
  nt_fill_dyadic(mean, c, 2);
  for (int i = 0; i < c; i++) var[i] = pow4[i % 4];
}

static void test_fold_bn_conv_exact(void) {
  float w[4 * 3 * 9], b[4], g[4], be[4], mu[4], var[4];
  nt_fill_dyadic(w, 108, 1);
  nt_fill_dyadic(b, 4, 1);
  exact_bn(4, g, be, mu, var);
  veil_model m;
  veil_graph gr, orig;
  VT_OK(veil_model_init(&m, "bn", 3, 6, 6));
  VT_OK(veil_model_conv2d(&m, 4, 3, 3, 1, 1, w, b));
  VT_OK(veil_model_batchnorm(&m, g, be, mu, var, 0.0));
  VT_OK(veil_model_square(&m));
  VT_OK(take2(&m, &gr, &orig));
  int n;
  VT_OK(veil_graph_fold_batchnorm(&gr, &n));
  VT_CHECK(n == 1 && gr.nnodes == 3 && count_op(&gr, VEIL_OP_BATCHNORM) == 0 && count_op(&gr, VEIL_OP_AFFINE) == 0);
  VT_CHECK(gr.nodes[2].op == VEIL_OP_SQUARE && gr.nodes[2].inputs[0] == 1 && gr.output == 2);
  double d = compare(&orig, &gr, true);
  VT_CHECK_MSG(d < 1e-9, "rel diff %g", d);
  veil_graph_free(&gr);
  veil_graph_free(&orig);
}

/* Realistic BN (eps 1e-5, arbitrary floats): folded weights are rounded to float32, so the bound is
 * float32's (2^-24 relative per weight), not float64's. */
static void test_fold_bn_dense_generic(void) {
  float w[5 * 12], g[5], be[5], mu[5], var[5];
  nt_fill(w, 60, -1, 1);
  nt_fill(g, 5, 0.5, 2);
  nt_fill(be, 5, -1, 1);
  nt_fill(mu, 5, -1, 1);
  nt_fill(var, 5, 0.1, 3);
  veil_model m;
  veil_graph gr, orig;
  VT_OK(veil_model_init(&m, "bn", 3, 2, 2));
  VT_OK(veil_model_dense(&m, 5, w, NULL));
  VT_OK(veil_model_batchnorm(&m, g, be, mu, var, 1e-5));
  VT_OK(take2(&m, &gr, &orig));
  int n;
  VT_OK(veil_graph_fold_batchnorm(&gr, &n));
  VT_CHECK(n == 1 && gr.nnodes == 2 && gr.nodes[1].op == VEIL_OP_DENSE && gr.nodes[1].bias.data);
  double d = compare(&orig, &gr, false);
  VT_CHECK_MSG(d < 1e-6, "rel diff %g", d);
  veil_graph_free(&gr);
  veil_graph_free(&orig);
}

static void test_bn_not_foldable(void) {
  float w[2 * 2 * 1], g[2], be[2], mu[2], var[2];
  nt_fill_dyadic(w, 4, 1);
  exact_bn(2, g, be, mu, var);
  veil_model m;
  veil_graph gr, orig;
  VT_OK(veil_model_init(&m, "bn", 2, 3, 3));
  VT_OK(veil_model_conv2d(&m, 2, 1, 1, 1, 0, w, NULL));
  int conv = veil_model_last(&m);
  VT_OK(veil_model_batchnorm(&m, g, be, mu, var, 0.0)); /* conv output also feeds the residual add */
  VT_OK(veil_model_add(&m, veil_model_last(&m), conv));
  VT_OK(veil_model_relu(&m));
  VT_OK(veil_model_batchnorm(&m, g, be, mu, var, 0.0)); /* after relu: becomes AFFINE */
  VT_OK(take2(&m, &gr, &orig));
  int n;
  VT_OK(veil_graph_fold_batchnorm(&gr, &n));
  VT_CHECK(n == 2 && gr.nnodes == orig.nnodes && count_op(&gr, VEIL_OP_AFFINE) == 2);
  double d = compare(&orig, &gr, true);
  VT_CHECK_MSG(d < 1e-9, "rel diff %g", d);
  veil_graph_free(&gr);
  veil_graph_free(&orig);
}

/* Input normalization (x - mean) / std before a conv: folded only where exact. */
static void affine_conv_case(int pad, bool with_shift, bool expect_fold, int groups) {
  float w[4 * 2 * 9], sc[2] = {0.5f, -2}, sh[2] = {0.25f, -0.75f};
  nt_fill_dyadic(w, 72, 1);
  veil_conv2d_opts o = {.cout = groups == 2 ? 4 : 3, .kh = 3, .kw = 3, .pad = {pad, pad, pad, pad}, .groups = groups};
  veil_model m;
  veil_graph gr, orig;
  VT_OK(veil_model_init(&m, "aff", 2, 5, 5));
  VT_OK(veil_model_affine(&m, 2, sc, with_shift ? sh : NULL));
  VT_OK(veil_model_conv2d_ex(&m, &o, w, NULL));
  VT_OK(take2(&m, &gr, &orig));
  int n;
  VT_OK(veil_graph_fold_affine(&gr, &n));
  VT_CHECK_MSG(n == expect_fold && count_op(&gr, VEIL_OP_AFFINE) == !expect_fold, "pad %d shift %d folded %d", pad,
               with_shift, n);
  double d = compare(&orig, &gr, true);
  VT_CHECK_MSG(d < 1e-9, "pad %d shift %d: rel diff %g", pad, with_shift, d);
  veil_graph_free(&gr);
  veil_graph_free(&orig);
}

static void test_fold_affine_conv(void) {
  affine_conv_case(0, true, true, 1);
  affine_conv_case(1, false, true, 1);
  affine_conv_case(1, true, false, 1); /* zero padding would see the shift: kept */
  affine_conv_case(0, true, true, 2);  /* grouped: 2 output maps per input channel */
  affine_conv_case(2, false, true, 2);
}

static void test_fold_affine_chain_dense(void) {
  float s1 = 0.5f, t1 = -1, s2[3] = {2, -1, 0.25f}, t2[3] = {1, 0, -0.5f}, s3[12], t3[12], w[4 * 12], w2[2 * 4];
  nt_fill_dyadic(s3, 12, 2);
  nt_fill_dyadic(t3, 12, 2);
  nt_fill_dyadic(w, 48, 1);
  nt_fill_dyadic(w2, 8, 1);
  veil_model m;
  veil_graph gr, orig;
  VT_OK(veil_model_init(&m, "chain", 3, 2, 2));
  VT_OK(veil_model_affine(&m, 1, &s1, &t1));
  VT_OK(veil_model_affine(&m, 3, s2, t2));
  VT_OK(veil_model_affine(&m, 12, s3, t3)); /* element-wise */
  VT_OK(veil_model_flatten(&m));
  VT_OK(veil_model_dense(&m, 4, w, NULL));
  VT_OK(veil_model_square(&m));
  VT_OK(veil_model_affine(&m, 4, s3, NULL)); /* after the dense output: per feature */
  VT_OK(veil_model_affine(&m, 1, NULL, &t1));
  VT_OK(veil_model_dense(&m, 2, w2, NULL));
  VT_OK(take2(&m, &gr, &orig));
  int n;
  VT_OK(veil_graph_fold_affine(&gr, &n));
  VT_CHECK_MSG(count_op(&gr, VEIL_OP_AFFINE) == 0 && gr.nnodes == 5, "%d nodes left", gr.nnodes);
  VT_CHECK(n == 5);
  double d = compare(&orig, &gr, true);
  VT_CHECK_MSG(d < 1e-9, "rel diff %g", d);
  veil_graph_free(&gr);
  veil_graph_free(&orig);
}

static void test_fuse_square_poly(void) {
  veil_model m;
  veil_graph gr, orig;
  float a = 0.5f, b = 0.25f, c = -3;
  VT_OK(veil_model_init_1d(&m, "sq", 6));
  int x = veil_model_last(&m);
  VT_OK(veil_model_mul(&m, x, x));  /* -> SQUARE */
  VT_OK(veil_model_affine(&m, 1, &a, &b));
  int u = veil_model_last(&m);
  VT_OK(veil_model_select(&m, x));
  VT_OK(veil_model_affine(&m, 1, &c, NULL));
  VT_OK(veil_model_add(&m, u, veil_model_last(&m))); /* 0.5 x^2 + 0.25 - 3x -> POLY */
  VT_OK(take2(&m, &gr, &orig));
  int n;
  VT_OK(veil_graph_fuse_square(&gr, &n));
  VT_CHECK(gr.nnodes == 2 && gr.nodes[1].op == VEIL_OP_POLY && gr.nodes[1].inputs[0] == 0);
  VT_CHECK(gr.nodes[1].attrs.poly.degree == 2 && gr.nodes[1].attrs.poly.coeffs[0] == 0.25 &&
           gr.nodes[1].attrs.poly.coeffs[1] == -3 && gr.nodes[1].attrs.poly.coeffs[2] == 0.5);
  double d = compare(&orig, &gr, false);
  VT_CHECK_MSG(d < 1e-12, "rel diff %g", d);
  veil_graph_free(&gr);
  veil_graph_free(&orig);
}

static void test_remove_identity_remap(void) {
  float w[2 * 4];
  nt_fill(w, 8, -1, 1);
  veil_model m;
  veil_graph gr, orig;
  VT_OK(veil_model_init_1d(&m, "id", 4));
  VT_OK(veil_model_identity(&m));
  int a = veil_model_last(&m);
  VT_OK(veil_model_square(&m));
  VT_OK(veil_model_identity(&m));
  VT_OK(veil_model_add(&m, veil_model_last(&m), a));
  VT_OK(veil_model_dense(&m, 2, w, NULL));
  VT_OK(veil_model_identity(&m)); /* the output itself */
  VT_OK(take2(&m, &gr, &orig));
  int n;
  VT_OK(veil_graph_remove_identity(&gr, &n));
  VT_CHECK(n == 3 && gr.nnodes == 4 && count_op(&gr, VEIL_OP_IDENTITY) == 0 && gr.output == 3);
  VT_CHECK(gr.nodes[2].op == VEIL_OP_ADD && gr.nodes[2].inputs[0] == 1 && gr.nodes[2].inputs[1] == 0);
  double d = compare(&orig, &gr, false);
  VT_CHECK_MSG(d < 1e-15, "rel diff %g", d);
  veil_graph_free(&gr);
  veil_graph_free(&orig);
}

static void test_optimize_all(void) {
  float sc = 0.25f, sh = -0.5f, w1[4 * 1 * 9], g[4], be[4], mu[4], var[4], w2[8 * 64], g2[8], be2[8], mu2[8], var2[8], w3[3 * 8];
  nt_fill_dyadic(w1, 36, 1);
  exact_bn(4, g, be, mu, var);
  nt_fill_dyadic(w2, 8 * 64, 1);
  exact_bn(8, g2, be2, mu2, var2);
  nt_fill_dyadic(w3, 24, 1);
  veil_model m;
  veil_graph gr, orig;
  VT_OK(veil_model_init(&m, "opt", 1, 6, 6));
  VT_OK(veil_model_affine(&m, 1, &sc, &sh));
  VT_OK(veil_model_conv2d(&m, 4, 3, 3, 1, 0, w1, NULL));
  VT_OK(veil_model_batchnorm(&m, g, be, mu, var, 0));
  VT_OK(veil_model_mul(&m, veil_model_last(&m), veil_model_last(&m)));
  VT_OK(veil_model_identity(&m));
  VT_OK(veil_model_flatten(&m));
  VT_OK(veil_model_dense(&m, 8, w2, NULL));
  VT_OK(veil_model_batchnorm(&m, g2, be2, mu2, var2, 0));
  VT_OK(veil_model_square(&m));
  VT_OK(veil_model_dense(&m, 3, w3, NULL));
  VT_OK(take2(&m, &gr, &orig));
  int n;
  VT_OK(veil_graph_optimize(&gr, &n));
  static const veil_op want[] = {VEIL_OP_INPUT, VEIL_OP_CONV2D, VEIL_OP_SQUARE, VEIL_OP_FLATTEN,
                                 VEIL_OP_DENSE, VEIL_OP_SQUARE, VEIL_OP_DENSE};
  VT_REQUIRE(gr.nnodes == 7);
  for (int i = 0; i < 7; i++) VT_CHECK(gr.nodes[i].op == want[i] && (i == 0 || gr.nodes[i].inputs[0] == i - 1));
  VT_CHECK(n == 5); /* identity, 2 BN, 1 square, 1 affine */
  double d = compare(&orig, &gr, true);
  VT_CHECK_MSG(d < 1e-9, "rel diff %g", d);
  veil_graph_free(&gr);
  veil_graph_free(&orig);
}

int main(void) {
  VT_RUN(test_fold_bn_conv_exact);
  VT_RUN(test_fold_bn_dense_generic);
  VT_RUN(test_bn_not_foldable);
  VT_RUN(test_fold_affine_conv);
  VT_RUN(test_fold_affine_chain_dense);
  VT_RUN(test_fuse_square_poly);
  VT_RUN(test_remove_identity_remap);
  VT_RUN(test_optimize_all);
  VT_DONE();
}
