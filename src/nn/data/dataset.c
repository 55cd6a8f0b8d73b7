/* Dataset allocation and file helpers shared by the readers. */
#include "data-impl.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

void veil_dataset_free(veil_dataset *ds) {
  if (!ds)
    return;
  veil_tensor_free(&ds->images);
  veil_free(ds->labels);
  memset(ds, 0, sizeof *ds);
}

veil_status veil__dataset_alloc(veil_dataset *ds, int64_t n, int64_t c, int64_t h, int64_t w,
                                int nclasses) {
  memset(ds, 0, sizeof *ds);
  int64_t shape[4] = {n, c, h, w};
  VEIL_TRY(veil_tensor_init(&ds->images, 4, shape));
  ds->labels = veil_calloc((size_t)n, 1);
  if (!ds->labels) {
    veil_tensor_free(&ds->images);
    return veil_fail(VEIL_ERR_NOMEM, "dataset labels: %lld bytes", (long long)n);
  }
  ds->count = n;
  ds->nclasses = nclasses;
  return VEIL_OK;
}

bool veil__file_exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

veil_status veil__path_join(char *buf, size_t cap, const char *dir, const char *name) {
  int n = snprintf(buf, cap, "%s/%s", dir, name);
  if (n < 0 || (size_t)n >= cap)
    return veil_fail(VEIL_ERR_LIMIT, "path too long: %s/%s", dir, name);
  return VEIL_OK;
}

/* Grows @p buf to hold at least @p need bytes (doubling), within @p max. */
static veil_status grow(uint8_t **buf, size_t *cap, size_t need, size_t max, const char *path) {
  if (need <= *cap)
    return VEIL_OK;
  if (need > max)
    return veil_fail(VEIL_ERR_LIMIT, "%s: larger than %zu bytes after decompression", path, max);
  size_t ncap = *cap ? *cap : 1 << 16;
  while (ncap < need)
    ncap *= 2;
  if (ncap > max)
    ncap = max;
  uint8_t *nb = veil_malloc(ncap);
  if (!nb)
    return veil_fail(VEIL_ERR_NOMEM, "%s: %zu bytes", path, ncap);
  if (*buf)
    memcpy(nb, *buf, *cap);
  veil_free(*buf);
  *buf = nb;
  *cap = ncap;
  return VEIL_OK;
}

static veil_status gz_read_all(gzFile f, const char *path, size_t max, uint8_t **buf, size_t *len) {
  size_t cap = 0;
  for (;;) {
    VEIL_TRY(grow(buf, &cap, *len + (1 << 16), max + 1, path));
    size_t room = cap - *len;
    int got = gzread(f, *buf + *len, room > (1u << 30) ? 1u << 30 : (unsigned)room);
    int err;
    const char *msg = gzerror(f, &err);
    if (got < 0 || (err != Z_OK && err != Z_STREAM_END))
      return veil_fail(VEIL_ERR_FORMAT, "%s: corrupt or truncated gzip data (%s)", path, msg);
    if (got == 0)
      return VEIL_OK;
    *len += (size_t)got;
    if (*len > max)
      return veil_fail(VEIL_ERR_LIMIT, "%s: larger than %zu bytes after decompression", path, max);
  }
}

veil_status veil__gz_read(const char *path, size_t max_bytes, uint8_t **data, size_t *len) {
  *data = NULL;
  *len = 0;
  if (!veil__file_exists(path))
    return veil_fail(VEIL_ERR_IO, "cannot open %s: no such file", path);
  gzFile f = gzopen(path, "rb");
  if (!f)
    return veil_fail(VEIL_ERR_IO, "cannot open %s", path);
  veil_status st = gz_read_all(f, path, max_bytes, data, len);
  gzclose(f);
  if (st) {
    veil_free(*data);
    *data = NULL;
    *len = 0;
  }
  return st;
}
