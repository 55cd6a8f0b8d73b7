/* Graph container, shape inference errors, builder round trip, analysis, ranges, printers. */
#include "nntest.h"

/* Appends a node to @p g by hand (as an importer would). */
static int add(veil_graph *g, veil_node n) {
  int i = -1;
  if (veil_graph_add(g, &n, &i) != VEIL_OK) return -1;
  return i;
}

static void start(veil_graph *g, int ndim, int64_t c, int64_t h, int64_t w) {
  veil_graph_init(g);
  veil_node in = {.op = VEIL_OP_INPUT, .ndim = ndim, .shape = {c, h, w}};
  (void)add(g, in);
}

static void test_shape_errors(void) {
  veil_graph g;
  start(&g, 3, 5, 8, 8);
  veil_node c = {.name = "conv3", .op = VEIL_OP_CONV2D, .ninputs = 1, .attrs.conv = {{1, 1}, {0, 0, 0, 0}, {1, 1}, 1}};
  VT_OK(veil_tensor_init(&c.weight, 4, (int64_t[]){4, 3, 3, 3}));
  int idx;
  VT_OK(veil_graph_add(&g, &c, &idx));
  VT_CHECK(idx == 1 && c.weight.data == NULL && g.nodes[1].weight.data); /* moved into the graph */
  VT_CHECK(veil_graph_infer_shapes(&g) == VEIL_ERR_FORMAT);
  VT_CHECK_MSG(strcmp(veil_error_detail(), "node 'conv3' (conv2d): weight has 3 input channels, input has 5") == 0, "%s",
               veil_error_detail());
  veil_graph_free(&g);

  /* ADD of different shapes, named in the error */
  start(&g, 3, 2, 4, 4);
  veil_node p = {.name = "pool", .op = VEIL_OP_AVGPOOL, .ninputs = 1, .attrs.pool = {{2, 2}, {2, 2}, {0}, 1}};
  VT_REQUIRE(add(&g, p) == 1);
  VT_REQUIRE(add(&g, (veil_node){.name = "sum", .op = VEIL_OP_ADD, .ninputs = 2, .inputs = {0, 1}}) == 2);
  VT_CHECK(veil_graph_infer_shapes(&g) == VEIL_ERR_FORMAT && strstr(veil_error_detail(), "node 'sum' (add)"));
  veil_graph_free(&g);

  /* forward references are refused when added */
  start(&g, 1, 4, 0, 0);
  VT_CHECK(add(&g, (veil_node){.name = "r", .op = VEIL_OP_RELU, .ninputs = 1, .inputs = {1}}) == -1);
  VT_CHECK(strstr(veil_error_detail(), "not an earlier node") != NULL);
  VT_CHECK(add(&g, (veil_node){.name = "many", .op = VEIL_OP_CONCAT, .ninputs = 9}) == -1);
  /* a second INPUT, an unknown op */
  VT_REQUIRE(add(&g, (veil_node){.name = "in2", .op = VEIL_OP_INPUT, .ndim = 1, .shape = {4}}) == 1);
  VT_CHECK(veil_graph_infer_shapes(&g) == VEIL_ERR_UNSUPPORTED);
  veil_graph_free(&g);

  /* dense weight of the wrong width, reshape to a different size, poly degree 0, clip lo > hi, AFFINE count */
  struct { veil_node n; const char *want; } cases[] = {
      {{.name = "fc", .op = VEIL_OP_DENSE}, "weight has 5 inputs, input 'input0' has 4 values"},
      {{.name = "rs", .op = VEIL_OP_RESHAPE, .attrs.reshape = {2, {3, -1}}}, "cannot reshape 4 values"},
      {{.name = "pl", .op = VEIL_OP_POLY}, "degree 0 out of range"},
      {{.name = "cl", .op = VEIL_OP_CLIP, .attrs.clip = {1, 0}}, "lo 1 above hi 0"},
      {{.name = "af", .op = VEIL_OP_AFFINE}, "scale has 3 values"},
      {{.name = "gp", .op = VEIL_OP_GLOBALAVGPOOL}, "needs 3 (C,H,W)"},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    start(&g, 1, 4, 0, 0);
    veil_node n = cases[k].n;
    n.ninputs = 1;
    if (n.op == VEIL_OP_DENSE) VT_OK(veil_tensor_init(&n.weight, 2, (int64_t[]){2, 5}));
    if (n.op == VEIL_OP_AFFINE) VT_OK(veil_tensor_init(&n.weight, 1, (int64_t[]){3}));
    VT_REQUIRE(add(&g, n) == 1);
    VT_CHECK(veil_graph_infer_shapes(&g) == VEIL_ERR_FORMAT);
    VT_CHECK_MSG(strstr(veil_error_detail(), cases[k].want) && strstr(veil_error_detail(), n.name), "case %zu: %s", k,
                 veil_error_detail());
    veil_graph_free(&g);
  }
}

/* The CryptoNets-like example of model.h. */
static veil_status cryptonets(veil_model *m) {
  static float w1[5 * 25], b1[5], w2[100 * 845], b2[100], w3[10 * 100], b3[10];
  nt_fill(w1, 125, -0.5, 0.5);
  nt_fill(b1, 5, -0.1, 0.1);
  nt_fill(w2, 84500, -0.05, 0.05);
  nt_fill(b2, 100, -0.1, 0.1);
  nt_fill(w3, 1000, -0.2, 0.2);
  nt_fill(b3, 10, -0.1, 0.1);
  VEIL_TRY(veil_model_init(m, "cryptonets", 1, 28, 28));
  VEIL_TRY(veil_model_pad(m, 1, 0, 0));
  VEIL_TRY(veil_model_conv2d(m, 5, 5, 5, 2, 0, w1, b1));
  VEIL_TRY(veil_model_square(m));
  VEIL_TRY(veil_model_flatten(m));
  VEIL_TRY(veil_model_dense(m, 100, w2, b2));
  VEIL_TRY(veil_model_square(m));
  return veil_model_dense(m, 10, w3, b3);
}

static void test_builder_cryptonets(void) {
  veil_model m;
  VT_OK(cryptonets(&m));
  const veil_graph *g = veil_model_graph(&m);
  VT_REQUIRE(g->nnodes == 8);
  static const int64_t shapes[8][3] = {{1, 28, 28}, {1, 29, 29}, {5, 13, 13}, {5, 13, 13}, {845}, {100}, {100}, {10}};
  for (int i = 0; i < 8; i++)
    for (int d = 0; d < g->nodes[i].ndim; d++) VT_CHECK(g->nodes[i].shape[d] == shapes[i][d]);
  /* a failing call adds nothing and leaves the model usable */
  static float w[4 * 5 * 20 * 20];
  VT_OK(veil_model_select(&m, 2));
  VT_CHECK(veil_model_conv2d(&m, 4, 20, 20, 1, 0, w, NULL) == VEIL_ERR_FORMAT);
  VT_CHECK(strstr(veil_error_detail(), "exceeds padded input") != NULL);
  VT_CHECK(veil_model_graph(&m)->nnodes == 8 && veil_model_last(&m) == 2);
  VT_CHECK(veil_model_select(&m, 8) == VEIL_ERR_INVALID_ARG);
  VT_OK(veil_model_select(&m, 7));
  VT_OK(veil_model_name(&m, "logits"));
  VT_CHECK(veil_model_name(&m, "logits") == VEIL_ERR_INVALID_ARG);
  veil_graph out, copy;
  veil_model_take(&m, &out);
  VT_CHECK(veil_model_square(&m) == VEIL_ERR_INVALID_ARG); /* taken */
  veil_model_free(&m);
  VT_CHECK(veil_graph_find(&out, "logits") == 7 && out.output == 7);
  VT_OK(veil_graph_clone(&copy, &out));
  VT_CHECK(copy.nodes[5].weight.data != out.nodes[5].weight.data);
  VT_CHECK(memcmp(copy.nodes[5].weight.data, out.nodes[5].weight.data, 84500 * sizeof(float)) == 0);
  veil_graph_free(&out);
  VT_OK(veil_graph_infer_shapes(&copy));
  veil_graph_free(&copy);
}

static void test_analyze_cryptonets(void) {
  veil_model m;
  VT_OK(cryptonets(&m));
  veil_graph_info info;
  VT_OK(veil_graph_analyze(veil_model_graph(&m), &info));
  VT_CHECK(info.params == (5 * 25 + 5) + (845 * 100 + 100) + (100 * 10 + 10));
  VT_CHECK(info.nodes[2].params == 130 && info.nodes[1].params == 0);
  static const int total[8] = {0, 0, 1, 2, 2, 3, 4, 5};
  for (int i = 0; i < 8; i++) VT_CHECK(info.nodes[i].depth_total == total[i]);
  VT_CHECK(info.depth == 5 && info.client_rounds == 0 && !info.softmax_dropped);
  VT_CHECK(info.modes == (VEIL_MODE_BATCH | VEIL_MODE_CLIENT_AIDED) && info.why_not_batch[0] == 0);
  char buf[64];
  VT_CHECK(strcmp(veil_graph_modes_str(info.modes, buf, sizeof buf), "batch, client-aided") == 0);

  FILE *f = tmpfile();
  VT_REQUIRE(f);
  VT_OK(veil_graph_print(veil_model_graph(&m), &info, f));
  VT_OK(veil_graph_print_json(veil_model_graph(&m), NULL, f));
  static char text[8192];
  rewind(f);
  size_t len = fread(text, 1, sizeof text - 1, f);
  text[len] = 0;
  fclose(f);
  VT_CHECK(strstr(text, "conv2d") && strstr(text, "5x13x13") && strstr(text, "parameters: 85740"));
  VT_CHECK(strstr(text, "encrypted modes: batch, client-aided") && strstr(text, "multiplicative depth: 5"));
  VT_CHECK(strstr(text, "\"params\":85740") && strstr(text, "\"modes\":[\"batch\",\"client-aided\"]"));
  VT_CHECK(strstr(text, "{\"index\":2,\"name\":\"conv2d2\",\"op\":\"conv2d\",\"inputs\":[1],\"shape\":[5,13,13]"));
  veil_graph_info_free(&info);
  veil_graph_info_free(&info);
  veil_model_free(&m);
}

static void test_analyze_modes(void) {
  float w[16 * 4];
  nt_fill(w, 64, -1, 1);
  double p3[4] = {0, 1, 0, -0.1}, p7[8] = {0}, p1[2] = {1, 2};
  veil_model m;
  veil_graph_info info;
  VT_OK(veil_model_init_1d(&m, "modes", 4));
  VT_OK(veil_model_dense(&m, 16, w, NULL)); /* 1 */
  VT_OK(veil_model_poly(&m, 3, p3));       /* +2 = 3 */
  VT_OK(veil_model_relu(&m));              /* client round, resets */
  VT_OK(veil_model_name(&m, "act"));
  VT_OK(veil_model_poly(&m, 7, p7));       /* 3 */
  VT_OK(veil_model_poly(&m, 1, p1));       /* +1 = 4 */
  VT_OK(veil_model_softmax(&m));
  VT_OK(veil_graph_analyze(veil_model_graph(&m), &info));
  VT_CHECK(info.nodes[2].depth == 2 && info.nodes[4].depth == 3 && info.nodes[5].depth == 1);
  VT_CHECK(info.nodes[3].client && info.nodes[3].depth_total == 0 && info.nodes[5].depth_total == 4);
  VT_CHECK(info.depth == 4 && info.client_rounds == 1 && info.softmax_dropped);
  VT_CHECK(info.params == 64 + 4 + 8 + 2);
  VT_CHECK(info.modes == VEIL_MODE_CLIENT_AIDED && strstr(info.why_not_batch, "'act' (relu)"));
  veil_graph_info_free(&info);
  VT_OK(veil_model_square(&m)); /* softmax is no longer the output */
  VT_OK(veil_graph_analyze(veil_model_graph(&m), &info));
  VT_CHECK(info.modes == 0 && strstr(info.why_not_batch, "softmax"));
  veil_graph_info_free(&info);
  veil_model_free(&m);
}

static void test_ranges(void) {
  float s = -2, t = 0.5f;
  veil_model m;
  VT_OK(veil_model_init_1d(&m, "r", 3));
  VT_OK(veil_model_affine(&m, 1, &s, &t));
  VT_OK(veil_model_relu(&m));
  VT_OK(veil_model_square(&m));
  veil_tensor x;
  VT_OK(veil_tensor_init(&x, 2, (int64_t[]){4, 3}));
  nt_fill(x.data, 12, -1, 1);
  double lo[4], hi[4], want_lo[4] = {INFINITY, INFINITY, INFINITY, INFINITY}, want_hi[4] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY};
  for (int i = 0; i < 12; i++) {
    double v[3] = {x.data[i], x.data[i] * s + t, 0};
    v[2] = v[1] > 0 ? v[1] : 0; /* node k's input is v[k-1]; node 0's is the input itself */
    double in[4] = {v[0], v[0], v[1], v[2]};
    for (int k = 0; k < 4; k++) {
      want_lo[k] = fmin(want_lo[k], in[k]);
      want_hi[k] = fmax(want_hi[k], in[k]);
    }
  }
  VT_OK(veil_graph_ranges(veil_model_graph(&m), &x, lo, hi));
  for (int k = 0; k < 4; k++) {
    VT_CHECK_NEAR(lo[k], want_lo[k], 1e-12);
    VT_CHECK_NEAR(hi[k], want_hi[k], 1e-12);
  }
  veil_tensor_free(&x);
  veil_model_free(&m);
}

static void test_remove_nodes_errors(void) {
  veil_graph g;
  start(&g, 1, 4, 0, 0);
  VT_REQUIRE(add(&g, (veil_node){.op = VEIL_OP_RELU, .ninputs = 1}) == 1);
  bool dead[2] = {true, false};
  int rep[2] = {0, 0};
  VT_CHECK(veil_graph_remove_nodes(&g, dead, rep) == VEIL_ERR_INVALID_ARG);
  bool dead2[2] = {false, true};
  int rep2[2] = {0, 1};
  VT_CHECK(veil_graph_remove_nodes(&g, dead2, rep2) == VEIL_ERR_INVALID_ARG); /* replaced by itself */
  VT_CHECK(strcmp(g.nodes[1].name, "relu1") == 0);
  veil_graph_free(&g);
  veil_tensor t;
  VT_CHECK(veil_tensor_init(&t, 2, (int64_t[]){3, 0}) == VEIL_ERR_INVALID_ARG && t.data == NULL);
  VT_CHECK(veil_tensor_init(&t, 7, (int64_t[]){1, 1, 1, 1, 1, 1, 1}) == VEIL_ERR_INVALID_ARG);
  veil_tensor_free(NULL);
  veil_graph_free(NULL);
  VT_CHECK(strcmp(veil_op_name(VEIL_OP_GLOBALAVGPOOL), "globalavgpool") == 0 && strcmp(veil_op_name(VEIL_OP_COUNT), "unknown") == 0);
}

int main(void) {
  VT_RUN(test_shape_errors);
  VT_RUN(test_builder_cryptonets);
  VT_RUN(test_analyze_cryptonets);
  VT_RUN(test_analyze_modes);
  VT_RUN(test_ranges);
  VT_RUN(test_remove_nodes_errors);
  VT_DONE();
}
