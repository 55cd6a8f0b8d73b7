/* CryptoNets as assembled by veil_cryptonets_build() against a direct float64 transcription of the
 * recipe in the weights file's header (pad bottom/right, conv 5x5/2, square, fc1, square, fc2). */
#include "veil/data.h"
#include "vtest.h"
#include "data_testutil.h"

#define NIMG 16

/* Reference logits for one 28x28 image of raw pixels, straight from the weights arrays. */
static void reference(const veil_weights *w, const float *pix, double *logits) {
  const float *cw = w->arrays[0].t.data, *cb = w->arrays[1].t.data, *w1 = w->arrays[2].t.data;
  const float *b1 = w->arrays[3].t.data, *w2 = w->arrays[4].t.data, *b2 = w->arrays[5].t.data;
  double x[29][29] = {{0}}, flat[845], h[100];
  for (int y = 0; y < 28; y++)
    for (int c = 0; c < 28; c++)
      x[y][c] = pix[y * 28 + c] / 256.0;
  for (int m = 0; m < 5; m++)
    for (int oy = 0; oy < 13; oy++)
      for (int ox = 0; ox < 13; ox++) {
        double s = cb[m];
        for (int ky = 0; ky < 5; ky++)
          for (int kx = 0; kx < 5; kx++)
            s += cw[(m * 5 + ky) * 5 + kx] * x[2 * oy + ky][2 * ox + kx];
        flat[(m * 13 + oy) * 13 + ox] = s * s;
      }
  for (int j = 0; j < 100; j++) {
    double s = b1[j];
    for (int i = 0; i < 845; i++)
      s += flat[i] * w1[i * 100 + j];
    h[j] = s * s;
  }
  for (int k = 0; k < 10; k++) {
    logits[k] = b2[k];
    for (int j = 0; j < 100; j++)
      logits[k] += w2[k * 100 + j] * h[j];
  }
}

static void test_cryptonets_matches_recipe(void) {
  const char *path = td_shared("models/cryptonets_mnist_weights.txt");
  if (!path)
    return;
  veil_graph g;
  veil_graph_init(&g);
  VT_OK(veil_cryptonets_build(path, &g));
  veil_weights w;
  VT_OK(veil_weights_load(path, &w));
  VT_REQUIRE(w.n == 6 && !strcmp(w.arrays[2].name, "fc1_w") && !strcmp(w.arrays[5].name, "fc2_b"));
  veil_dataset ds;
  VT_OK(veil_mnist_load_dir(vt_src("data/mnist"), "t10k", NIMG, &ds));
  veil_prep p;
  veil_prep_default(&p);
  p.scale = 1.0 / 256;
  veil_tensor x, y;
  VT_OK(veil_prep_apply(&p, &ds.images, 0, NIMG, &x));
  VT_OK(veil_graph_run(&g, &x, &y));
  VT_CHECK(y.ndim == 2 && y.shape[0] == NIMG && y.shape[1] == 10);
  int correct = 0;
  double maxerr = 0;
  for (int i = 0; i < NIMG; i++) {
    double ref[10];
    reference(&w, ds.images.data + i * 784, ref);
    int best = 0;
    for (int k = 0; k < 10; k++) {
      double e = fabs(y.data[i * 10 + k] - ref[k]) / (1 + fabs(ref[k]));
      maxerr = e > maxerr ? e : maxerr;
      best = ref[k] > ref[best] ? k : best;
    }
    correct += best == ds.labels[i];
  }
  VT_CHECK_MSG(maxerr < 1e-5, "max relative logit error %g", maxerr);
  VT_CHECK_MSG(correct >= NIMG - 1, "%d/%d correct", correct, NIMG);
  veil_tensor_free(&x);
  veil_tensor_free(&y);
  veil_dataset_free(&ds);
  veil_weights_free(&w);
  veil_graph_free(&g);
}

static void test_cryptonets_bad_weights(void) {
  const char *p = td_tmp(0, "cn.txt");
  const char *text = "conv_w 5 5 4\n" /* wrong shape */
                     "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 "
                     "31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 "
                     "59 60 61 62 63 64 65 66 67 68 69 70 71 72 73 74 75 76 77 78 79 80 81 82 83 84 85 86 "
                     "87 88 89 90 91 92 93 94 95 96 97 98 99 100\n";
  VT_REQUIRE(td_write(p, text, strlen(text)) == 0);
  veil_graph g;
  veil_graph_init(&g);
  VT_CHECK(veil_cryptonets_build(p, &g) == VEIL_ERR_MISMATCH);
  VT_CHECK(strstr(veil_error_detail(), "conv_w") != NULL);
  VT_CHECK(g.nnodes == 0);
  VT_CHECK(veil_cryptonets_build("/nonexistent/w.txt", &g) == VEIL_ERR_IO);
  veil_graph_free(&g);
  remove(p);
}

int main(void) {
  VT_RUN(test_cryptonets_matches_recipe);
  VT_RUN(test_cryptonets_bad_weights);
  VT_DONE();
}
