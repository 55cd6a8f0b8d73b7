/* CIFAR-10 binary batch reader (Krizhevsky 2009): records of 1 label byte + R, G, B 32x32 planes. */
#include "data-impl.h"

#include <string.h>

#define PLANE (32 * 32)

static veil_status parse(const char *path, const uint8_t *buf, size_t len, int64_t max_count,
                         veil_dataset *ds) {
  if (len == 0)
    return veil_fail(VEIL_ERR_FORMAT, "%s: empty file, expected %d-byte CIFAR-10 records", path,
                     VEIL_CIFAR10_RECORD);
  if (len % VEIL_CIFAR10_RECORD)
    return veil_fail(VEIL_ERR_FORMAT, "%s: %zu bytes is not a whole number of %d-byte CIFAR-10 records "
                     "(truncated?)", path, len, VEIL_CIFAR10_RECORD);
  int64_t n = (int64_t)(len / VEIL_CIFAR10_RECORD);
  if (max_count > 0 && max_count < n)
    n = max_count;
  VEIL_TRY(veil__dataset_alloc(ds, n, 3, 32, 32, 10));
  for (int64_t i = 0; i < n; i++) {
    const uint8_t *rec = buf + i * VEIL_CIFAR10_RECORD;
    if (rec[0] > 9) {
      veil_dataset_free(ds);
      return veil_fail(VEIL_ERR_FORMAT, "%s: record %lld has label %u (expected 0..9)", path, (long long)i,
                       rec[0]);
    }
    ds->labels[i] = rec[0];
    float *img = ds->images.data + i * 3 * PLANE;
    for (int k = 0; k < 3 * PLANE; k++)
      img[k] = rec[1 + k];
  }
  return VEIL_OK;
}

veil_status veil_cifar10_load(const char *path, int64_t max_count, veil_dataset *ds) {
  memset(ds, 0, sizeof *ds);
  if (max_count < 0)
    return veil_fail(VEIL_ERR_INVALID_ARG, "cifar10: max_count %lld < 0", (long long)max_count);
  uint8_t *buf;
  size_t len;
  VEIL_TRY(veil__gz_read(path, VEIL__DATA_MAX_BYTES, &buf, &len));
  veil_status st = parse(path, buf, len, max_count, ds);
  veil_free(buf);
  return st;
}

veil_status veil_cifar10_load_dir(const char *dir, int64_t max_count, veil_dataset *ds) {
  memset(ds, 0, sizeof *ds);
  static const char *const names[] = {"test_batch.bin", "test_batch.first1000.bin"};
  char path[4096];
  for (int i = 0; i < 2; i++) {
    VEIL_TRY(veil__path_join(path, sizeof path, dir, names[i]));
    if (veil__file_exists(path))
      return veil_cifar10_load(path, max_count, ds);
  }
  return veil_fail(VEIL_ERR_NOT_FOUND, "CIFAR-10 test batch not found in %s (looked for test_batch.bin and "
                   "test_batch.first1000.bin)", dir);
}
