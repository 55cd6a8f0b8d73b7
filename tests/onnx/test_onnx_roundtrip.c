/* ONNX export: veil graphs saved with veil_onnx_save() and loaded back must compute the same outputs.
 * Covers a hand-built graph using every veil op (POLY, SQUARE, AFFINE, BATCHNORM... as standard ONNX ops)
 * and every PyTorch conformance model before and after veil_graph_optimize(). If VEIL_ONNX_EXPORT_DIR is
 * set, the exported models are also written there for tools/check_onnx_export.py (onnx.checker). */
#include <unistd.h>

#include "vtest.h"
#include "veil/model.h"
#include "veil/npy.h"
#include "veil/onnx.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static float frand(void) { /* uniform in [-1, 1) */
  rng = rng * 6364136223846793005ull + 1442695040888963407ull;
  return (float)((double)(rng >> 11) / 9007199254740992.0 * 2 - 1);
}

static float *rand_array(int64_t n, float lo) {
  float *p = malloc((size_t)n * sizeof *p);
  for (int64_t i = 0; i < n; i++)
    p[i] = lo > 0 ? lo + fabsf(frand()) : frand();
  return p;
}

static void maybe_export(const veil_graph *g, const char *name) {
  const char *dir = getenv("VEIL_ONNX_EXPORT_DIR");
  if (!dir)
    return;
  char path[4096];
  snprintf(path, sizeof path, "%s/%s.onnx", dir, name);
  if (veil_onnx_save(g, path) != VEIL_OK)
    fprintf(stderr, "  export to %s failed: %s\n", path, veil_error_detail());
}

/* max |run(g) - run(load(save(g)))| on @p in; INFINITY on any failure. */
static double roundtrip_diff(const veil_graph *g, const veil_tensor *in, const char *name) {
  uint8_t *buf = NULL;
  size_t len = 0;
  veil_graph h;
  veil_tensor a = {0}, b = {0};
  double d = INFINITY;
  maybe_export(g, name);
  if (veil_onnx_save_buffer(g, &buf, &len) == VEIL_OK && veil_onnx_load_buffer(buf, len, &h) == VEIL_OK) {
    if (veil_graph_run(g, in, &a) == VEIL_OK && veil_graph_run(&h, in, &b) == VEIL_OK &&
        veil_tensor_numel(&a) == veil_tensor_numel(&b) && a.ndim == b.ndim) {
      d = 0;
      for (int64_t i = 0; i < veil_tensor_numel(&a); i++)
        d = fmax(d, fabs((double)a.data[i] - (double)b.data[i]));
    }
    veil_graph_free(&h);
  }
  if (!(d < INFINITY))
    fprintf(stderr, "  %s: %s\n", name, veil_error_detail());
  veil_free(buf);
  veil_tensor_free(&a);
  veil_tensor_free(&b);
  return d;
}

/* A graph with every op veil has; weights random. */
static veil_status build_all_ops(veil_graph *g) {
  veil_model m;
  VEIL_TRY(veil_model_init(&m, "all_ops", 3, 8, 8));
  veil_conv2d_opts co = {.cout = 4, .kh = 3, .kw = 3, .stride = {1, 1}, .pad = {1, 0, 1, 2}, .groups = 1};
  float *w = rand_array(4 * 3 * 9, 0), *b = rand_array(4, 0), *gm = rand_array(4, 0.5f), *bt = rand_array(4, 0);
  float *mu = rand_array(4, 0), *var = rand_array(4, 0.5f), *sc = rand_array(256, 0), *sh = rand_array(256, 0);
  float *d1 = rand_array(6 * 5, 0), *d2 = rand_array(6 * 5, 0), *db = rand_array(6, 0);
  const double poly[4] = {0.1, 0.9, -0.2, 0.05};
  const int64_t pb[3] = {1, 1, 0}, pa[3] = {1, 0, 1}, ss[3] = {0, 0, 1}, se[3] = {9, 5, 5}, st[3] = {2, 2, 1};
  const int64_t rs[3] = {5, 4, -1};
  float two = 2.0f;
  veil_status s = veil_model_conv2d_ex(&m, &co, w, b);
  s = s ? s : veil_model_batchnorm(&m, gm, bt, mu, var, 1e-5);
  s = s ? s : veil_model_affine(&m, 4, gm, bt);
  s = s ? s : veil_model_relu(&m);
  s = s ? s : veil_model_clip(&m, -0.5, 1.5);
  int a = veil_model_last(&m);
  s = s ? s : veil_model_affine(&m, 256, sc, sh);
  s = s ? s : veil_model_poly(&m, 3, poly);
  s = s ? s : veil_model_square(&m);
  s = s ? s : veil_model_add(&m, a, veil_model_last(&m));
  s = s ? s : veil_model_mul(&m, a, veil_model_last(&m));
  s = s ? s : veil_model_maxpool(&m, 2, 2, 0);
  int c = veil_model_last(&m);
  veil_pool_opts po = {.kernel = {3, 3}, .stride = {1, 1}, .pad = {1, 1, 1, 1}, .count_include_pad = 0};
  s = s ? s : veil_model_pool_ex(&m, VEIL_OP_AVGPOOL, &po);
  int cat[2] = {c, veil_model_last(&m)};
  s = s ? s : veil_model_concat(&m, 2, cat);
  s = s ? s : veil_model_pad_ex(&m, pb, pa, 0.25);
  s = s ? s : veil_model_slice(&m, ss, se, st);
  s = s ? s : veil_model_reshape(&m, 3, rs);
  s = s ? s : veil_model_identity(&m);
  int e = veil_model_last(&m);
  s = s ? s : veil_model_globalavgpool(&m, 1);
  s = s ? s : veil_model_flatten(&m);
  s = s ? s : veil_model_dense(&m, 6, d1, db);
  int f = veil_model_last(&m);
  s = s ? s : veil_model_select(&m, e);
  s = s ? s : veil_model_globalavgpool(&m, 0);
  s = s ? s : veil_model_dense(&m, 6, d2, NULL);
  s = s ? s : veil_model_add(&m, f, veil_model_last(&m));
  s = s ? s : veil_model_affine(&m, 1, &two, NULL);
  s = s ? s : veil_model_softmax(&m);
  if (s == VEIL_OK)
    veil_model_take(&m, g);
  veil_model_free(&m);
  float *all[] = {w, b, gm, bt, mu, var, sc, sh, d1, d2, db};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
    free(all[i]);
  return s;
}

static void test_all_ops(void) {
  veil_graph g;
  veil_tensor in;
  int64_t shape[4] = {3, 3, 8, 8};
  VT_OK(build_all_ops(&g));
  VT_OK(veil_tensor_init(&in, 4, shape));
  for (int64_t i = 0; i < veil_tensor_numel(&in); i++)
    in.data[i] = frand();
  int seen[VEIL_OP_COUNT] = {0};
  for (int i = 0; i < g.nnodes; i++)
    seen[g.nodes[i].op] = 1;
  for (int op = 0; op < VEIL_OP_COUNT; op++)
    VT_CHECK_MSG(seen[op], "op %s missing from the test graph", veil_op_name((veil_op)op));
  double d = roundtrip_diff(&g, &in, "all_ops");
  fprintf(stderr, "  all_ops (%d nodes): max|diff| after save+load %.3g\n", g.nnodes, d);
  VT_CHECK(d <= 1e-5);
  veil_graph_free(&g);
  veil_tensor_free(&in);
}

static void test_conformance_models(void) {
  FILE *f = fopen(vt_src("tests/onnx/data/manifest.txt"), "r");
  VT_REQUIRE(f);
  char line[1024], name[128], kind[16], path[4096];
  int n = 0;
  while (fgets(line, sizeof line, f)) {
    if (line[0] == '#' || sscanf(line, "%127s %15s", name, kind) != 2 || strcmp(kind, "ok") != 0)
      continue;
    veil_graph g;
    veil_tensor in;
    snprintf(path, sizeof path, "%s", vt_src("tests/onnx/data/"));
    size_t l = strlen(path);
    snprintf(path + l, sizeof path - l, "%s.onnx", name);
    VT_OK(veil_onnx_load(path, &g));
    snprintf(path + l, sizeof path - l, "%s.in.npy", name);
    VT_OK(veil_npy_load(path, &in));
    double d0 = roundtrip_diff(&g, &in, name);
    VT_OK(veil_graph_optimize(&g, NULL));
    char oname[160];
    snprintf(oname, sizeof oname, "%s_optimized", name);
    double d1 = roundtrip_diff(&g, &in, oname);
    VT_CHECK_MSG(d0 <= 1e-5 && d1 <= 1e-5, "%s: %g / %g", name, d0, d1);
    veil_graph_free(&g);
    veil_tensor_free(&in);
    n++;
  }
  fclose(f);
  fprintf(stderr, "  %d conformance models round-tripped (as imported and optimized)\n", n);
  VT_CHECK(n >= 40);
}

static void test_bad_graphs(void) {
  veil_graph g;
  uint8_t *buf = (uint8_t *)1;
  size_t len = 1;
  veil_graph_init(&g);
  VT_CHECK(veil_onnx_save_buffer(&g, &buf, &len) == VEIL_ERR_INVALID_ARG && buf == NULL && len == 0);
  veil_node in = {.op = VEIL_OP_INPUT}; /* no shape */
  int idx;
  VT_OK(veil_graph_add(&g, &in, &idx));
  VT_CHECK(veil_onnx_save_buffer(&g, &buf, &len) == VEIL_ERR_INVALID_ARG);
  VT_CHECK(strstr(veil_error_detail(), "shape") != NULL);
  VT_CHECK(veil_onnx_save(&g, "/nonexistent-dir/x.onnx") != VEIL_OK);
  veil_graph_free(&g);
}

int main(void) {
  VT_RUN(test_all_ops);
  VT_RUN(test_conformance_models);
  VT_RUN(test_bad_graphs);
  VT_DONE();
}
