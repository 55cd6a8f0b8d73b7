/* .npy reader/writer: files written by NumPy load with the right values, veil's writer reproduces
 * NumPy's bytes exactly, and malformed files fail cleanly. */
#include <unistd.h>

#include "vtest.h"
#include "veil/npy.h"

/* A v1.0 .npy image from a header dict and raw data (header padded like NumPy: 64-byte aligned). */
static size_t make_npy(uint8_t *out, const char *dict, const void *data, size_t n) {
  size_t h = strlen(dict) + 1, pad = (64 - (10 + h) % 64) % 64;
  memcpy(out, "\x93NUMPY\x01\x00", 8);
  out[8] = (uint8_t)((h + pad) & 0xff);
  out[9] = (uint8_t)((h + pad) >> 8);
  memcpy(out + 10, dict, h - 1);
  memset(out + 10 + h - 1, ' ', pad);
  out[10 + h - 1 + pad] = '\n';
  memcpy(out + 10 + h + pad, data, n);
  return 10 + h + pad + n;
}

static void test_numpy_files(void) {
  veil_tensor t;
  VT_OK(veil_npy_load(vt_src("tests/onnx/data/resnet20.labels.npy"), &t)); /* int64, written by NumPy */
  VT_CHECK(t.ndim == 1 && t.shape[0] == 4);
  const float labels[8] = {3, 8, 8, 0, 6, 6, 1, 6}; /* CIFAR-10 test labels, ../shared/data/README.md */
  for (int i = 0; i < 4 && t.ndim == 1; i++)
    VT_CHECK(t.data[i] == labels[i]);
  veil_tensor_free(&t);
  VT_OK(veil_npy_load(vt_src("tests/onnx/data/resnet20.in.npy"), &t));
  VT_CHECK(t.ndim == 4 && t.shape[0] == 4 && t.shape[1] == 3 && t.shape[2] == 32 && t.shape[3] == 32);
  veil_tensor_free(&t);
}

static void test_writer_matches_numpy(void) {
  const char *paths[] = {"tests/onnx/data/resnet20.logits.npy", "tests/onnx/data/conv.in.npy",
                         "tests/onnx/data/gemm.out.npy"};
  for (size_t i = 0; i < 3; i++) {
    uint8_t *orig, *mine;
    size_t n0, n1;
    veil_tensor t;
    VT_OK(veil_file_read(vt_src(paths[i]), 1 << 24, &orig, &n0));
    VT_OK(veil_npy_load_buffer(orig, n0, &t));
    VT_OK(veil_npy_save_buffer(&t, &mine, &n1));
    VT_CHECK_MSG(n0 == n1 && memcmp(orig, mine, n0) == 0, "%s differs from NumPy's bytes", paths[i]);
    veil_free(orig);
    veil_free(mine);
    veil_tensor_free(&t);
  }
}

static void test_dtypes(void) {
  uint8_t buf[512];
  veil_tensor t;
  const double d[3] = {0.5, -2.25, 1e10};
  size_t n = make_npy(buf, "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", d, sizeof d);
  VT_OK(veil_npy_load_buffer(buf, n, &t));
  VT_CHECK(t.ndim == 1 && t.shape[0] == 3 && t.data[0] == 0.5f && t.data[1] == -2.25f && t.data[2] == 1e10f);
  veil_tensor_free(&t);
  const int64_t l[4] = {-7, 0, 1 << 20, 3};
  n = make_npy(buf, "{\"descr\":\"<i8\",\"fortran_order\":False,\"shape\":(2,2)}", l, sizeof l);
  VT_OK(veil_npy_load_buffer(buf, n, &t));
  VT_CHECK(t.ndim == 2 && t.shape[1] == 2 && t.data[0] == -7 && t.data[2] == (float)(1 << 20));
  veil_tensor_free(&t);
  const float s = 4.5f;
  n = make_npy(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", &s, 4);
  VT_OK(veil_npy_load_buffer(buf, n, &t));
  VT_CHECK(t.ndim == 0 && t.data[0] == 4.5f);
  veil_tensor_free(&t);
}

static void expect_error(const char *dict, const void *data, size_t len, veil_status want, const char *msg) {
  uint8_t buf[512];
  veil_tensor t;
  size_t n = make_npy(buf, dict, data, len);
  veil_status st = veil_npy_load_buffer(buf, n, &t);
  VT_CHECK_MSG(st == want && strstr(veil_error_detail(), msg), "%s -> %s: %s", dict, veil_status_str(st),
               veil_error_detail());
  VT_CHECK(t.data == NULL);
}

static void test_errors(void) {
  const float z[8] = {0};
  expect_error("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 4), }", z, 32, VEIL_ERR_UNSUPPORTED,
               "fortran_order");
  expect_error("{'descr': '>f4', 'fortran_order': False, 'shape': (8,), }", z, 32, VEIL_ERR_UNSUPPORTED, ">f4");
  expect_error("{'descr': '<f4', 'fortran_order': False, 'shape': (9,), }", z, 32, VEIL_ERR_FORMAT, "bytes");
  expect_error("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", z, 32, VEIL_ERR_FORMAT, "bytes");
  expect_error("{'descr': '<f4', 'shape': (8,), }", z, 32, VEIL_ERR_FORMAT, "fortran_order");
  expect_error("{'descr': '<f4', 'fortran_order': False, 'shape': (8,), 'x': 1}", z, 32, VEIL_ERR_FORMAT, "'x'");
  expect_error("{'descr': '<f4', 'fortran_order': False, 'shape': (9999999999, 9999999999, 9999999999), }", z,
               32, VEIL_ERR_FORMAT, "shape");
  expect_error("{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,8), }", z, 32,
               VEIL_ERR_UNSUPPORTED, "dimensions");
  veil_tensor t;
  VT_CHECK(veil_npy_load_buffer((const uint8_t *)"PK\x03\x04zipfile", 11, &t) == VEIL_ERR_FORMAT);
  VT_CHECK(veil_npy_load("/nonexistent/x.npy", &t) == VEIL_ERR_IO);
  /* every truncation of a valid file fails cleanly */
  uint8_t buf[512];
  size_t n = make_npy(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4), }", z, 32);
  for (size_t cut = 0; cut < n; cut++)
    VT_CHECK(veil_npy_load_buffer(buf, cut, &t) != VEIL_OK && t.data == NULL);
}

static void test_save_load(void) {
  veil_tensor t, u;
  int64_t shape[3] = {2, 1, 3};
  VT_OK(veil_tensor_init(&t, 3, shape));
  for (int i = 0; i < 6; i++)
    t.data[i] = (float)i * 0.25f - 0.5f;
  char path[] = "/tmp/veil_npy_XXXXXX";
  int fd = mkstemp(path);
  VT_REQUIRE(fd >= 0);
  close(fd);
  VT_OK(veil_npy_save(path, &t));
  VT_OK(veil_npy_load(path, &u));
  VT_CHECK(u.ndim == 3 && memcmp(u.shape, t.shape, sizeof shape) == 0 && memcmp(u.data, t.data, 24) == 0);
  unlink(path);
  veil_tensor_free(&t);
  veil_tensor_free(&u);
}

int main(void) {
  VT_RUN(test_numpy_files);
  VT_RUN(test_writer_matches_numpy);
  VT_RUN(test_dtypes);
  VT_RUN(test_errors);
  VT_RUN(test_save_load);
  VT_DONE();
}
