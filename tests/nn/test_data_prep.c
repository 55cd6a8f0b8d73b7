/* Preprocessing sidecars, PNG reading (round trip through images written here with libpng) and the
 * weights text format. Expected values are computed in the test from the stated formulas. */
#include "veil/data.h"
#include "vtest.h"
#include "data_testutil.h"

#include <png.h>

static void test_prep_default_and_sidecar(void) {
  veil_prep p;
  veil_prep_default(&p);
  VT_CHECK_NEAR(p.scale, 1.0 / 255, 0);
  VT_CHECK(p.nchannels == 0 && p.pad[0] == 0 && p.pad[3] == 0);
  const char *path = td_tmp(0, "a.prep");
  const char *text = "# comment line\n\nscale = 1/256   # trailing comment\npad 0 0 1 1\n"
                     "mean 0.485, 0.456, 0.406\nstd 0.229 0.224 0.225\ndataset cifar10\n";
  VT_REQUIRE(td_write(path, text, strlen(text)) == 0);
  VT_OK(veil_prep_load(path, &p));
  VT_CHECK_NEAR(p.scale, 1.0 / 256, 0);
  VT_CHECK(p.pad[0] == 0 && p.pad[1] == 0 && p.pad[2] == 1 && p.pad[3] == 1);
  VT_CHECK(p.nchannels == 3);
  VT_CHECK_NEAR(p.mean[1], 0.456, 0);
  VT_CHECK_NEAR(p.std[2], 0.225, 0);
  VT_CHECK(strcmp(p.dataset, "cifar10") == 0);
  remove(path);
}

static void test_prep_save_round_trip(void) {
  veil_prep p, q;
  veil_prep_default(&p);
  VT_OK(veil_prep_set(&p, "scale", "1/255", "t"));
  VT_OK(veil_prep_set(&p, "pad", "1 2 3 4", "t"));
  VT_OK(veil_prep_set(&p, "mean", "0.485 0.456 0.406", "t"));
  VT_OK(veil_prep_set(&p, "std", "0.229 0.224 0.225", "t"));
  VT_OK(veil_prep_set(&p, "dataset", "cifar10", "t"));
  const char *path = td_tmp(0, "rt.prep");
  VT_OK(veil_prep_save(path, &p, "first line\nsecond line"));
  veil_prep_default(&q);
  VT_OK(veil_prep_load(path, &q));
  VT_CHECK(q.scale == p.scale && q.nchannels == 3 && !strcmp(q.dataset, "cifar10"));
  for (int i = 0; i < 4; i++)
    VT_CHECK(q.pad[i] == i + 1);
  for (int i = 0; i < 3; i++)
    VT_CHECK(q.mean[i] == p.mean[i] && q.std[i] == p.std[i]);
  size_t len;
  unsigned char *text = td_slurp(path, &len);
  VT_REQUIRE(text);
  VT_CHECK(len > 27 && memcmp(text, "# first line\n# second line\n", 27) == 0);
  free(text);
  char line[256];
  VT_CHECK(strstr(veil_prep_str(&q, line, sizeof line), "mean 0.485 0.456 0.406") != NULL);
  VT_CHECK(veil_prep_save("/nonexistent-dir/x.prep", &p, NULL) == VEIL_ERR_IO);
  remove(path);
}

static void expect_bad(const char *text, const char *needle) {
  const char *path = td_tmp(1, "bad.prep");
  VT_REQUIRE(td_write(path, text, strlen(text)) == 0);
  veil_prep p;
  veil_prep_default(&p);
  veil_status st = veil_prep_load(path, &p);
  VT_CHECK_MSG(st == VEIL_ERR_FORMAT, "'%s' gave %d", text, st);
  VT_CHECK_MSG(strstr(veil_error_detail(), needle) != NULL, "'%s' -> '%s'", text, veil_error_detail());
  VT_CHECK_MSG(strstr(veil_error_detail(), ":1") != NULL, "no line number in '%s'", veil_error_detail());
  remove(path);
}

static void test_prep_errors(void) {
  expect_bad("scael 1\n", "unknown key");
  expect_bad("scale 1/0\n", "fraction");
  expect_bad("scale abc\n", "not a number");
  expect_bad("pad 1 2 3\n", "4 integers");
  expect_bad("pad 1 2 3 -1\n", "pad value");
  expect_bad("std 0.2 0 0.2\n", "> 0");
  expect_bad("mean 1 2 3 4 5\n", "at most 4");
  veil_prep p;
  veil_prep_default(&p);
  VT_OK(veil_prep_set(&p, "mean", "0.5 0.5 0.5", "flag"));
  VT_CHECK(veil_prep_set(&p, "std", "1 2", "flag") == VEIL_ERR_FORMAT);
  VT_CHECK(veil_prep_load("/nonexistent.prep", &p) == VEIL_ERR_IO);
}

static void test_prep_apply(void) {
  /* 2 images, 2 channels, 2x3 pixels: value = 100*i + 10*c + k. */
  veil_tensor in, out;
  int64_t shape[4] = {2, 2, 2, 3};
  VT_OK(veil_tensor_init(&in, 4, shape));
  for (int i = 0; i < 2; i++)
    for (int c = 0; c < 2; c++)
      for (int k = 0; k < 6; k++)
        in.data[(i * 2 + c) * 6 + k] = (float)(100 * i + 10 * c + k);
  veil_prep p;
  veil_prep_default(&p);
  VT_OK(veil_prep_set(&p, "scale", "0.5", "t"));
  VT_OK(veil_prep_set(&p, "pad", "1 0 2 1", "t"));
  VT_OK(veil_prep_set(&p, "mean", "1 3", "t"));
  VT_OK(veil_prep_set(&p, "std", "2", "t"));
  VT_OK(veil_prep_apply(&p, &in, 1, 1, &out)); /* image 1 only */
  VT_CHECK(out.shape[0] == 1 && out.shape[1] == 2 && out.shape[2] == 5 && out.shape[3] == 4);
  int bad = 0;
  for (int c = 0; c < 2; c++)
    for (int y = 0; y < 5; y++)
      for (int x = 0; x < 4; x++) {
        int sy = y - 1, sx = x;
        double want = 0;
        if (sy >= 0 && sy < 2 && sx < 3)
          want = ((100 + 10 * c + sy * 3 + sx) * 0.5 - (c ? 3 : 1)) / 2;
        bad += fabs(out.data[(c * 5 + y) * 4 + x] - want) > 1e-6;
      }
  VT_CHECK_EQ_U64(bad, 0);
  veil_tensor_free(&out);
  VT_CHECK(veil_prep_apply(&p, &in, 1, 2, &out) == VEIL_ERR_INVALID_ARG);
  veil_prep_default(&p);
  VT_CHECK(veil_prep_set(&p, "mean", "1 2 3", "t") == VEIL_OK);
  VT_CHECK(veil_prep_apply(&p, &in, 0, 1, &out) == VEIL_ERR_MISMATCH); /* 3 statistics, 2 channels */
  veil_tensor_free(&in);
}

/* Writes a w x h PNG with @p ch channels (1 gray, 3 RGB, 4 RGBA) whose byte (y, x, c) is pix(y,x,c). */
static int write_png(const char *path, int w, int h, int ch, int bits) {
  png_image im;
  memset(&im, 0, sizeof im);
  im.version = PNG_IMAGE_VERSION;
  im.width = (png_uint_32)w;
  im.height = (png_uint_32)h;
  im.format = ch == 1 ? PNG_FORMAT_GRAY : ch == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_RGBA;
  if (bits == 16)
    im.format |= PNG_FORMAT_FLAG_LINEAR;
  size_t n = (size_t)w * h * ch;
  uint16_t *px = calloc(n, 2);
  for (size_t i = 0; i < n; i++) {
    size_t c = i % ch, x = i / ch % w, y = i / ch / w;
    if (bits == 16)
      px[i] = (uint16_t)(x * 1000 + y);
    else
      ((uint8_t *)px)[i] = ch == 4 && c == 3 ? 255 : (uint8_t)(x * 7 + y * 13 + c * 50);
  }
  int ok = png_image_write_to_file(&im, path, 0, px, 0, NULL);
  free(px);
  return ok ? 0 : -1;
}

static void check_png(int ch, int out_ch) {
  const char *path = td_tmp(0, "img.png");
  VT_REQUIRE(write_png(path, 5, 4, ch, 8) == 0);
  veil_tensor t;
  VT_OK(veil_png_load(path, &t));
  VT_CHECK(t.ndim == 4 && t.shape[0] == 1 && t.shape[1] == out_ch && t.shape[2] == 4 && t.shape[3] == 5);
  int bad = 0;
  for (int c = 0; c < out_ch; c++)
    for (int y = 0; y < 4; y++)
      for (int x = 0; x < 5; x++)
        bad += t.data[(c * 4 + y) * 5 + x] != (float)(uint8_t)(x * 7 + y * 13 + c * 50);
  VT_CHECK_MSG(bad == 0, "%d pixels differ for %d channels", bad, ch);
  veil_tensor_free(&t);
  remove(path);
}

static void test_png_round_trip(void) {
  check_png(1, 1);
  check_png(3, 3);
  check_png(4, 3); /* opaque alpha is dropped */
}

static void test_png_errors(void) {
  const char *path = td_tmp(0, "bad.png");
  veil_tensor t;
  VT_CHECK(veil_png_load("/nonexistent.png", &t) == VEIL_ERR_IO);
  VT_REQUIRE(td_write(path, "not a png at all", 16) == 0);
  VT_CHECK(veil_png_load(path, &t) == VEIL_ERR_FORMAT);
  VT_REQUIRE(write_png(path, 40, 30, 3, 8) == 0);
  size_t len;
  unsigned char *b = td_slurp(path, &len);
  VT_REQUIRE(b && len > 60);
  VT_REQUIRE(td_write(path, b, len - 30) == 0); /* truncated inside the image data */
  VT_CHECK(veil_png_load(path, &t) == VEIL_ERR_FORMAT);
  VT_CHECK(t.data == NULL);
  free(b);
  VT_REQUIRE(write_png(path, 3, 3, 1, 16) == 0);
  VT_CHECK(veil_png_load(path, &t) == VEIL_ERR_UNSUPPORTED);
  remove(path);
}

static void test_weights_text(void) {
  const char *path = td_tmp(0, "w.txt");
  const char *text = "# header\n# more\na 2 3\n1 2 3 4 5 6.5\n\nb 2\n-1e-3 7\n";
  VT_REQUIRE(td_write(path, text, strlen(text)) == 0);
  veil_weights w;
  VT_OK(veil_weights_load(path, &w));
  VT_CHECK(w.n == 2);
  const veil_tensor *a, *b;
  VT_OK(veil_weights_get(&w, "a", 2, (const int64_t[]){2, 3}, &a));
  VT_OK(veil_weights_get(&w, "b", 1, (const int64_t[]){2}, &b));
  VT_CHECK(a->data[5] == 6.5f && a->data[0] == 1.0f && b->data[0] == -1e-3f && b->data[1] == 7.0f);
  VT_CHECK(veil_weights_get(&w, "a", 2, (const int64_t[]){3, 2}, &a) == VEIL_ERR_MISMATCH);
  VT_CHECK(strstr(veil_error_detail(), "2x3") != NULL);
  VT_CHECK(veil_weights_get(&w, "c", 1, (const int64_t[]){1}, &a) == VEIL_ERR_NOT_FOUND);
  veil_weights_free(&w);
  veil_weights_free(&w);
  const char *bad[] = {"a 2\n1\n", "a 2\n1 2 3\n", "a 2\n1 x\n", "a 0\n\n", "a 2\n", "a\n1\n", "# only\n",
                       "a 2\n1 2\nb 1\n"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    VT_REQUIRE(td_write(path, bad[i], strlen(bad[i])) == 0);
    veil_status st = veil_weights_load(path, &w);
    VT_CHECK_MSG(st == VEIL_ERR_FORMAT, "case %zu gave %d", i, st);
    VT_CHECK(w.n == 0 && w.arrays == NULL);
  }
  remove(path);
}

static void test_weights_cryptonets_file(void) {
  const char *path = td_shared("models/cryptonets_mnist_weights.txt");
  if (!path)
    return;
  veil_weights w;
  VT_OK(veil_weights_load(path, &w));
  VT_CHECK(w.n == 6);
  const veil_tensor *t;
  VT_OK(veil_weights_get(&w, "fc1_w", 2, (const int64_t[]){845, 100}, &t));
  VT_CHECK(t->data[0] == -0.0063f && t->data[1] == -0.0053f);
  VT_OK(veil_weights_get(&w, "conv_b", 1, (const int64_t[]){5}, &t));
  VT_CHECK(t->data[0] == 1.36898661f && t->data[4] == -2.10748053f);
  veil_weights_free(&w);
}

int main(void) {
  VT_RUN(test_prep_default_and_sidecar);
  VT_RUN(test_prep_save_round_trip);
  VT_RUN(test_prep_errors);
  VT_RUN(test_prep_apply);
  VT_RUN(test_png_round_trip);
  VT_RUN(test_png_errors);
  VT_RUN(test_weights_text);
  VT_RUN(test_weights_cryptonets_file);
  VT_DONE();
}
