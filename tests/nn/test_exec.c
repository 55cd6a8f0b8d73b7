/* Reference executor against hand-computed values and independently written formulas. */
#include "nntest.h"

/* Runs the model's current graph on one image given as floats; returns the output (malloc'd). */
static double *run1(veil_model *m, const double *x) {
  return nt_run(veil_model_graph(m), x, 1);
}

static void test_conv_hand(void) {
  veil_model m;
  VT_OK(veil_model_init(&m, "c", 1, 2, 2));
  float w[4] = {1, 0, 0, 1}, b[1] = {0.5f};
  VT_OK(veil_model_conv2d(&m, 1, 2, 2, 1, 1, w, b)); /* pad 1: 3x3 output */
  double x[4] = {1, 2, 3, 4};
  double *y = run1(&m, x);
  VT_REQUIRE(y);
  /* out[y][x] = in[y-1][x-1] + in[y][x] + 0.5, by hand */
  double want[9] = {1.5, 2.5, 0.5, 3.5, 5.5, 2.5, 0.5, 3.5, 4.5};
  for (int i = 0; i < 9; i++) VT_CHECK_NEAR(y[i], want[i], 0);
  free(y);
  veil_model_free(&m);
}

/* Direct convolution written as a gather over an explicitly zero-padded copy of the input. */
static void conv_ref(const double *x, int c, int h, int w, const float *wt, const float *bias, const veil_conv2d_opts *o,
                     double *out, int oh, int ow) {
  int ph = h + o->pad[0] + o->pad[2], pw = w + o->pad[1] + o->pad[3], cpg = c / o->groups, opg = o->cout / o->groups;
  double *xp = calloc((size_t)(c * ph * pw), sizeof *xp);
  for (int ci = 0; ci < c; ci++)
    for (int y = 0; y < h; y++)
      for (int xx = 0; xx < w; xx++) xp[(ci * ph + y + o->pad[0]) * pw + xx + o->pad[1]] = x[(ci * h + y) * w + xx];
  for (int oy = 0; oy < oh; oy++)
    for (int ox = 0; ox < ow; ox++)
      for (int co = 0; co < o->cout; co++) {
        double s = bias[co];
        for (int k = 0; k < cpg * o->kh * o->kw; k++) {
          int ci = k / (o->kh * o->kw), ky = k / o->kw % o->kh, kx = k % o->kw;
          int gy = oy * o->stride[0] + ky * o->dilation[0], gx = ox * o->stride[1] + kx * o->dilation[1];
          s += (double)wt[co * cpg * o->kh * o->kw + k] * xp[((co / opg * cpg + ci) * ph + gy) * pw + gx];
        }
        out[(co * oh + oy) * ow + ox] = s;
      }
  free(xp);
}

static void test_conv_sweep(void) {
  static const int cfg[][11] = {
      /* c h w cout kh kw sh sw dh dw groups ; pads from index below */
      {3, 7, 6, 4, 3, 3, 1, 1, 1, 1, 1}, {4, 8, 8, 6, 3, 2, 2, 1, 1, 1, 2}, {5, 9, 7, 5, 3, 3, 1, 2, 2, 1, 5},
      {2, 6, 6, 3, 1, 1, 2, 2, 1, 1, 1}, {3, 10, 9, 2, 5, 5, 2, 2, 1, 2, 1},
  };
  static const int pads[][4] = {{1, 1, 1, 1}, {0, 1, 2, 0}, {2, 2, 2, 2}, {0, 0, 0, 0}, {2, 1, 0, 3}};
  for (size_t t = 0; t < sizeof cfg / sizeof cfg[0]; t++) {
    const int *q = cfg[t];
    veil_conv2d_opts o = {.cout = q[3], .kh = q[4], .kw = q[5], .stride = {q[6], q[7]}, .dilation = {q[8], q[9]}, .groups = q[10]};
    memcpy(o.pad, pads[t], sizeof o.pad);
    int nw = q[3] * q[0] / q[10] * q[4] * q[5], nx = q[0] * q[1] * q[2];
    float *wt = nt_alloc(nw), bias[8];
    nt_fill(wt, nw, -1, 1);
    nt_fill(bias, q[3], -1, 1);
    veil_model m;
    VT_OK(veil_model_init(&m, "c", q[0], q[1], q[2]));
    VT_OK(veil_model_conv2d_ex(&m, &o, wt, bias));
    const veil_node *nd = &veil_model_graph(&m)->nodes[1];
    int oh = (int)nd->shape[1], ow = (int)nd->shape[2];
    VT_CHECK(oh == (q[1] + o.pad[0] + o.pad[2] - q[8] * (q[4] - 1) - 1) / q[6] + 1);
    double *x = malloc(sizeof(double) * 2 * (size_t)nx), *want = malloc(sizeof(double) * (size_t)(q[3] * oh * ow));
    for (int i = 0; i < 2 * nx; i++) x[i] = nt_uniform(-2, 2);
    double *y = nt_run(veil_model_graph(&m), x, 2);
    VT_REQUIRE(y);
    for (int b = 0; b < 2; b++) {
      conv_ref(x + b * nx, q[0], q[1], q[2], wt, bias, &o, want, oh, ow);
      VT_CHECK_MSG(nt_max_rel(y + b * q[3] * oh * ow, want, q[3] * oh * ow) < 1e-12, "config %zu image %d", t, b);
    }
    free(wt), free(x), free(want), free(y);
    veil_model_free(&m);
  }
}

static void test_dense_hand(void) {
  veil_model m;
  VT_OK(veil_model_init_1d(&m, "d", 2));
  float w[4] = {1, 2, 3, 4}, b[2] = {0.5f, -1};
  VT_OK(veil_model_dense(&m, 2, w, b));
  double x[4] = {1, 1, 2, -1}; /* two images */
  double *y = nt_run(veil_model_graph(&m), x, 2);
  VT_REQUIRE(y);
  VT_CHECK_NEAR(y[0], 3.5, 0);
  VT_CHECK_NEAR(y[1], 6, 0);
  VT_CHECK_NEAR(y[2], 0.5, 0);
  VT_CHECK_NEAR(y[3], 1, 0);
  free(y);
  veil_model_free(&m);
}

static void test_pools(void) {
  veil_model m;
  double x16[16];
  for (int i = 0; i < 16; i++) x16[i] = i;
  VT_OK(veil_model_init(&m, "p", 1, 4, 4));
  VT_OK(veil_model_avgpool(&m, 2, 2, 0));
  double *y = run1(&m, x16);
  VT_REQUIRE(y);
  double want[4] = {2.5, 4.5, 10.5, 12.5};
  for (int i = 0; i < 4; i++) VT_CHECK_NEAR(y[i], want[i], 0);
  free(y);
  veil_model_free(&m);

  /* 2x2 input, kernel 2, stride 2, pad 1: each window sees one real value. */
  double x4[4] = {-1, -2, -3, -4};
  for (int mode = 0; mode < 3; mode++) {
    VT_OK(veil_model_init(&m, "p", 1, 2, 2));
    veil_pool_opts o = {.kernel = {2, 2}, .stride = {2, 2}, .pad = {1, 1, 1, 1}, .count_include_pad = mode == 0};
    VT_OK(veil_model_pool_ex(&m, mode == 2 ? VEIL_OP_MAXPOOL : VEIL_OP_AVGPOOL, &o));
    y = run1(&m, x4);
    VT_REQUIRE(y);
    for (int i = 0; i < 4; i++) VT_CHECK_NEAR(y[i], mode == 0 ? x4[i] / 4 : x4[i], 0); /* max pads with -inf, not 0 */
    free(y);
    veil_model_free(&m);
  }

  VT_OK(veil_model_init(&m, "g", 2, 2, 3));
  VT_OK(veil_model_globalavgpool(&m, 0));
  double x12[12] = {1, 2, 3, 4, 5, 6, -6, 0, 0, 0, 0, 0};
  y = run1(&m, x12);
  VT_REQUIRE(y);
  VT_CHECK(veil_model_graph(&m)->nodes[1].ndim == 1);
  VT_CHECK_NEAR(y[0], 3.5, 0);
  VT_CHECK_NEAR(y[1], -1, 0);
  free(y);
  veil_model_free(&m);
}

static void test_pad_slice(void) {
  veil_model m;
  VT_OK(veil_model_init(&m, "ps", 1, 2, 2));
  int64_t b[3] = {1, 1, 0}, a[3] = {0, 0, 2};
  VT_OK(veil_model_pad_ex(&m, b, a, 7));
  const veil_node *p = &veil_model_graph(&m)->nodes[1];
  VT_CHECK(p->shape[0] == 2 && p->shape[1] == 3 && p->shape[2] == 4);
  double x[4] = {1, 2, 3, 4};
  double *y = run1(&m, x);
  VT_REQUIRE(y);
  for (int i = 0; i < 12; i++) VT_CHECK_NEAR(y[i], 7, 0); /* channel 0 is all padding */
  double want1[12] = {7, 7, 7, 7, 1, 2, 7, 7, 3, 4, 7, 7};
  for (int i = 0; i < 12; i++) VT_CHECK_NEAR(y[12 + i], want1[i], 0);
  free(y);
  /* slice channel 1 (negative start), rows 1.. step 1, columns 0..4 step 3 -> columns 0 and 3 */
  int64_t s0[3] = {-1, 1, 0}, s1[3] = {INT64_MAX, 3, 4}, st[3] = {1, 1, 3};
  VT_OK(veil_model_slice(&m, s0, s1, st));
  const veil_node *s = &veil_model_graph(&m)->nodes[2];
  VT_CHECK(s->shape[0] == 1 && s->shape[1] == 2 && s->shape[2] == 2);
  y = run1(&m, x);
  VT_REQUIRE(y);
  double want2[4] = {1, 7, 3, 7};
  for (int i = 0; i < 4; i++) VT_CHECK_NEAR(y[i], want2[i], 0);
  free(y);
  int64_t bad[3] = {0, 0, 0}, bad_step[3] = {1, 0, 1};
  VT_CHECK(veil_model_slice(&m, bad, s1, bad_step) == VEIL_ERR_FORMAT);
  VT_CHECK(strstr(veil_error_detail(), "step") != NULL);
  veil_model_free(&m);
}

static void test_elementwise(void) {
  veil_model m;
  VT_OK(veil_model_init(&m, "e", 2, 1, 3));
  float g[2] = {2, -1}, be[2] = {0.5f, 1}, mu[2] = {1, -1}, var[2] = {3, 0.25f};
  VT_OK(veil_model_batchnorm(&m, g, be, mu, var, 1.0));
  int bn = veil_model_last(&m);
  double co[4] = {1, -2, 0.5, 0.25};
  VT_OK(veil_model_poly(&m, 3, co));
  int po = veil_model_last(&m);
  VT_OK(veil_model_clip(&m, -1, 6));
  VT_OK(veil_model_relu(&m));
  VT_OK(veil_model_square(&m));
  VT_OK(veil_model_mul(&m, veil_model_last(&m), bn));
  VT_OK(veil_model_add(&m, veil_model_last(&m), po));
  VT_OK(veil_model_concat(&m, 2, (int[]){veil_model_last(&m), 0}));
  VT_OK(veil_model_softmax(&m));
  VT_CHECK(veil_model_graph(&m)->nodes[veil_model_last(&m)].shape[0] == 4);
  double x[6] = {0, 1, -2, 3, 0.5, -1}, y_want[12];
  for (int i = 0; i < 6; i++) {
    int c = i / 3;
    double v = (x[i] - mu[c]) / sqrt(var[c] + 1.0) * g[c] + be[c];
    double p = co[0] + co[1] * v + co[2] * pow(v, 2) + co[3] * pow(v, 3);
    double r = fmax(fmin(p, 6), -1);
    r = r > 0 ? r : 0;
    y_want[i] = r * r * v + p;
    y_want[6 + i] = x[i];
  }
  for (int pix = 0; pix < 3; pix++) { /* softmax over the 4 channels of each pixel */
    double s = 0;
    for (int c = 0; c < 4; c++) s += exp(y_want[c * 3 + pix]);
    for (int c = 0; c < 4; c++) y_want[c * 3 + pix] = exp(y_want[c * 3 + pix]) / s;
  }
  double *y = run1(&m, x);
  VT_REQUIRE(y);
  VT_CHECK(nt_max_rel(y, y_want, 12) < 1e-14);
  free(y);
  veil_model_free(&m);
}

static void test_float_api_and_batch(void) {
  veil_model m;
  VT_OK(veil_model_init(&m, "f", 1, 3, 3));
  float w[8], b[2] = {0.25f, -0.5f};
  nt_fill(w, 8, -1, 1);
  VT_OK(veil_model_conv2d(&m, 2, 2, 2, 1, 0, w, b));
  VT_OK(veil_model_flatten(&m));
  veil_graph g;
  veil_model_take(&m, &g);
  veil_model_free(&m);
  veil_tensor in, out, one, out1;
  VT_OK(veil_tensor_init(&in, 4, (int64_t[]){3, 1, 3, 3}));
  nt_fill(in.data, 27, -1, 1);
  VT_OK(veil_graph_run(&g, &in, &out));
  VT_CHECK(out.ndim == 2 && out.shape[0] == 3 && out.shape[1] == 8);
  for (int b2 = 0; b2 < 3; b2++) { /* a batch equals its images run one by one (unbatched tensor) */
    VT_OK(veil_tensor_init(&one, 3, (int64_t[]){1, 3, 3}));
    memcpy(one.data, in.data + 9 * b2, 9 * sizeof(float));
    VT_OK(veil_graph_run(&g, &one, &out1));
    VT_CHECK(out1.shape[0] == 1 && memcmp(out1.data, out.data + 8 * b2, 8 * sizeof(float)) == 0);
    veil_tensor_free(&one);
    veil_tensor_free(&out1);
  }
  veil_tensor bad;
  VT_OK(veil_tensor_init(&bad, 4, (int64_t[]){1, 1, 3, 4}));
  VT_CHECK(veil_graph_run(&g, &bad, &out1) == VEIL_ERR_MISMATCH && out1.data == NULL);
  veil_tensor_free(&bad);
  veil_tensor_free(&in);
  veil_tensor_free(&out);
  veil_graph_free(&g);
  veil_graph_free(&g); /* a freed graph frees again as a no-op */
}

int main(void) {
  VT_RUN(test_conv_hand);
  VT_RUN(test_conv_sweep);
  VT_RUN(test_dense_hand);
  VT_RUN(test_pools);
  VT_RUN(test_pad_slice);
  VT_RUN(test_elementwise);
  VT_RUN(test_float_api_and_batch);
  VT_DONE();
}
