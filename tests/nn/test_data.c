/* Dataset readers: MNIST IDX (gzip) and CIFAR-10 binary batches against independently computed facts
 * (labels and pixel sums from Python's gzip module and the dataset's published label counts) and
 * against corrupted copies written to /tmp. */
#include "veil/data.h"
#include "vtest.h"
#include "data_testutil.h"

#include <zlib.h>

static const char *mnist_images(void) {
  static char b[4096];
  snprintf(b, sizeof b, "%s", vt_src("data/mnist/t10k-images-idx3-ubyte.gz"));
  return b;
}
static const char *mnist_labels(void) {
  static char b[4096];
  snprintf(b, sizeof b, "%s", vt_src("data/mnist/t10k-labels-idx1-ubyte.gz"));
  return b;
}

static void test_mnist_t10k(void) {
  veil_dataset ds;
  VT_OK(veil_mnist_load_dir(vt_src("data/mnist"), "t10k", 0, &ds));
  VT_CHECK_EQ_U64(ds.count, 10000);
  VT_CHECK(ds.images.ndim == 4 && ds.images.shape[0] == 10000 && ds.images.shape[1] == 1);
  VT_CHECK(ds.images.shape[2] == 28 && ds.images.shape[3] == 28 && ds.nclasses == 10);
  const int first[10] = {7, 2, 1, 0, 4, 1, 4, 9, 5, 9};
  for (int i = 0; i < 10; i++)
    VT_CHECK_EQ_U64(ds.labels[i], first[i]);
  const int counts[10] = {980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009};
  int got[10] = {0};
  for (int64_t i = 0; i < ds.count; i++)
    got[ds.labels[i]]++;
  for (int k = 0; k < 10; k++)
    VT_CHECK_EQ_U64(got[k], counts[k]);
  /* Pixel sums computed with Python's gzip module: image 0, the last image, and all images. */
  double s0 = 0, slast = 0, all = 0;
  for (int i = 0; i < 784; i++) {
    s0 += ds.images.data[i];
    slast += ds.images.data[9999 * 784 + i];
  }
  for (int64_t i = 0; i < 10000 * 784; i++)
    all += ds.images.data[i];
  VT_CHECK_NEAR(s0, 18454, 0);
  VT_CHECK_NEAR(slast, 41833, 0);
  VT_CHECK_NEAR(all, 264923200, 0);
  VT_CHECK_NEAR(ds.images.data[9999 * 784 + 28 * 10 + 10], 219, 0);
  veil_dataset_free(&ds);
  veil_dataset_free(&ds); /* second free is a no-op */
}

static void test_mnist_max_count(void) {
  veil_dataset ds;
  VT_OK(veil_mnist_load(mnist_images(), mnist_labels(), 3, &ds));
  VT_CHECK_EQ_U64(ds.count, 3);
  VT_CHECK(ds.images.shape[0] == 3);
  VT_CHECK(ds.labels[0] == 7 && ds.labels[1] == 2 && ds.labels[2] == 1);
  veil_dataset_free(&ds);
  VT_CHECK(veil_mnist_load(mnist_images(), mnist_labels(), -1, &ds) == VEIL_ERR_INVALID_ARG);
  VT_CHECK(veil_mnist_load_dir(vt_src("data/mnist"), "valid", 0, &ds) == VEIL_ERR_INVALID_ARG);
  VT_CHECK(veil_mnist_load_dir("/nonexistent-dir", "t10k", 0, &ds) == VEIL_ERR_NOT_FOUND);
}

/* Writes a plain (uncompressed) IDX pair with @p n images of 2x3 pixels; fields can be corrupted. */
static void write_idx(const char *ipath, const char *lpath, uint32_t imagic, uint32_t n_img, uint32_t n_lab,
                      int drop_bytes, uint8_t bad_label) {
  uint8_t ib[16 + 6 * 4], lb[8 + 4];
  uint32_t ih[4] = {imagic, n_img, 2, 3}, lh[2] = {0x801, n_lab};
  for (int i = 0; i < 4; i++)
    for (int k = 0; k < 4; k++)
      ib[4 * i + k] = (uint8_t)(ih[i] >> (24 - 8 * k));
  for (int i = 0; i < 2; i++)
    for (int k = 0; k < 4; k++)
      lb[4 * i + k] = (uint8_t)(lh[i] >> (24 - 8 * k));
  for (int i = 0; i < 24; i++)
    ib[16 + i] = (uint8_t)(10 * i);
  for (int i = 0; i < 4; i++)
    lb[8 + i] = (uint8_t)i;
  lb[8 + 3] = bad_label ? bad_label : 3;
  VT_CHECK(td_write(ipath, ib, 16 + 6 * n_img - (size_t)drop_bytes) == 0);
  VT_CHECK(td_write(lpath, lb, 8 + n_lab) == 0);
}

static void test_mnist_plain_and_corrupt(void) {
  const char *ip = td_tmp(0, "img.idx"), *lp = td_tmp(1, "lab.idx");
  veil_dataset ds;
  write_idx(ip, lp, 0x803, 4, 4, 0, 0); /* valid, uncompressed */
  VT_OK(veil_mnist_load(ip, lp, 0, &ds));
  VT_CHECK(ds.count == 4 && ds.images.shape[2] == 2 && ds.images.shape[3] == 3);
  VT_CHECK_NEAR(ds.images.data[23], 230, 0);
  VT_CHECK(ds.labels[3] == 3);
  veil_dataset_free(&ds);
  write_idx(ip, lp, 0x801, 4, 4, 0, 0);
  VT_CHECK(veil_mnist_load(ip, lp, 0, &ds) == VEIL_ERR_FORMAT);
  VT_CHECK(strstr(veil_error_detail(), "magic") != NULL);
  write_idx(ip, lp, 0x803, 4, 3, 0, 0);
  VT_CHECK(veil_mnist_load(ip, lp, 0, &ds) == VEIL_ERR_FORMAT);
  VT_CHECK(strstr(veil_error_detail(), "labels") != NULL);
  write_idx(ip, lp, 0x803, 4, 4, 5, 0);
  VT_CHECK(veil_mnist_load(ip, lp, 0, &ds) == VEIL_ERR_FORMAT);
  VT_CHECK(strstr(veil_error_detail(), "truncated") != NULL);
  write_idx(ip, lp, 0x803, 4, 4, 0, 12);
  VT_CHECK(veil_mnist_load(ip, lp, 0, &ds) == VEIL_ERR_FORMAT);
  VT_CHECK(td_write(ip, "\0\0", 2) == 0);
  VT_CHECK(veil_mnist_load(ip, lp, 0, &ds) == VEIL_ERR_FORMAT);
  VT_CHECK(veil_mnist_load("/nonexistent/images.gz", lp, 0, &ds) == VEIL_ERR_IO);
  VT_CHECK(strstr(veil_error_detail(), "/nonexistent/images.gz") != NULL);
  VT_CHECK(ds.images.data == NULL && ds.labels == NULL);
  remove(ip);
  remove(lp);
}

static void test_mnist_corrupt_gzip(void) {
  size_t len;
  unsigned char *gz = td_slurp(mnist_labels(), &len);
  VT_REQUIRE(gz && len > 100);
  const char *p = td_tmp(0, "labels-trunc.gz");
  veil_dataset ds;
  VT_CHECK(td_write(p, gz, len / 2) == 0); /* truncated gzip stream */
  VT_CHECK(veil_mnist_load(mnist_images(), p, 0, &ds) == VEIL_ERR_FORMAT);
  VT_CHECK(strstr(veil_error_detail(), "gzip") != NULL);
  for (size_t i = 40; i < 60; i++) /* flipped bytes inside the deflate data */
    gz[i] ^= 0x5a;
  VT_CHECK(td_write(p, gz, len) == 0);
  VT_CHECK(veil_mnist_load(mnist_images(), p, 0, &ds) == VEIL_ERR_FORMAT);
  free(gz);
  remove(p);
}

/* A synthetic CIFAR batch: record i has label i % 10 and pixel k = (i + k) % 251. */
static void write_cifar(const char *path, int n, size_t extra) {
  size_t len = (size_t)n * VEIL_CIFAR10_RECORD + extra;
  uint8_t *b = calloc(len, 1);
  for (int i = 0; i < n; i++) {
    b[(size_t)i * VEIL_CIFAR10_RECORD] = (uint8_t)(i % 10);
    for (int k = 0; k < 3072; k++)
      b[(size_t)i * VEIL_CIFAR10_RECORD + 1 + k] = (uint8_t)((i + k) % 251);
  }
  VT_CHECK(td_write(path, b, len) == 0);
  free(b);
}

static void test_cifar_synthetic(void) {
  const char *p = td_tmp(0, "cifar.bin");
  veil_dataset ds;
  write_cifar(p, 12, 0);
  VT_OK(veil_cifar10_load(p, 0, &ds));
  VT_CHECK(ds.count == 12 && ds.images.shape[1] == 3 && ds.images.shape[2] == 32 && ds.images.shape[3] == 32);
  int bad = 0;
  for (int i = 0; i < 12; i++) {
    bad += ds.labels[i] != i % 10;
    for (int c = 0; c < 3; c++) /* channel c, row y, column x is byte 1 + c*1024 + y*32 + x */
      for (int y = 0; y < 32; y += 7)
        for (int x = 0; x < 32; x += 5)
          bad += ds.images.data[((i * 3 + c) * 32 + y) * 32 + x] != (float)((i + c * 1024 + y * 32 + x) % 251);
  }
  VT_CHECK_EQ_U64(bad, 0);
  veil_dataset_free(&ds);
  VT_OK(veil_cifar10_load(p, 5, &ds));
  VT_CHECK(ds.count == 5);
  veil_dataset_free(&ds);
  write_cifar(p, 3, 100); /* not a whole number of records */
  VT_CHECK(veil_cifar10_load(p, 0, &ds) == VEIL_ERR_FORMAT);
  VT_CHECK(strstr(veil_error_detail(), "3073") != NULL);
  write_cifar(p, 0, 0);
  VT_CHECK(veil_cifar10_load(p, 0, &ds) == VEIL_ERR_FORMAT);
  uint8_t rec[VEIL_CIFAR10_RECORD] = {10};
  VT_CHECK(td_write(p, rec, sizeof rec) == 0);
  VT_CHECK(veil_cifar10_load(p, 0, &ds) == VEIL_ERR_FORMAT);
  VT_CHECK(veil_cifar10_load_dir("/tmp/veil-no-such-dir", 0, &ds) == VEIL_ERR_NOT_FOUND);
  remove(p);
}

static void test_cifar_shared(void) {
  const char *dir = td_shared("cifar10");
  if (!dir)
    return;
  veil_dataset ds;
  VT_OK(veil_cifar10_load_dir(dir, 0, &ds));
  VT_CHECK_EQ_U64(ds.count, 1000);
  const int first[10] = {3, 8, 8, 0, 6, 6, 1, 6, 3, 1};
  for (int i = 0; i < 10; i++)
    VT_CHECK_EQ_U64(ds.labels[i], first[i]);
  /* From Python: record 0 R[0]=158, G[0]=112, B[0]=49, pixel sum 332962; record 999 label 8, sum 461083. */
  const float *im = ds.images.data;
  VT_CHECK(im[0] == 158 && im[1024] == 112 && im[2048] == 49);
  double s0 = 0, s999 = 0;
  for (int k = 0; k < 3072; k++) {
    s0 += im[k];
    s999 += im[999 * 3072 + k];
  }
  VT_CHECK_NEAR(s0, 332962, 0);
  VT_CHECK_NEAR(s999, 461083, 0);
  VT_CHECK(ds.labels[999] == 8);
  veil_dataset_free(&ds);
}

int main(void) {
  VT_RUN(test_mnist_t10k);
  VT_RUN(test_mnist_max_count);
  VT_RUN(test_mnist_plain_and_corrupt);
  VT_RUN(test_mnist_corrupt_gzip);
  VT_RUN(test_cifar_synthetic);
  VT_RUN(test_cifar_shared);
  VT_DONE();
}
