/* MNIST IDX reader (LeCun & Cortes): big-endian headers, optionally gzipped. */
#include "data-impl.h"

#include <stdio.h>
#include <string.h>

#define IDX1_MAGIC 0x00000801u
#define IDX3_MAGIC 0x00000803u
#define MAX_SIDE 1024u

static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Checks the IDX header of @p buf: magic, then @p ndims big-endian sizes into @p dims. */
static veil_status idx_header(const char *path, const uint8_t *buf, size_t len, uint32_t magic, int ndims,
                              uint32_t *dims) {
  size_t hdr = 4 + 4 * (size_t)ndims;
  if (len < hdr)
    return veil_fail(VEIL_ERR_FORMAT, "%s: %zu bytes, too short for an IDX header", path, len);
  if (be32(buf) != magic)
    return veil_fail(VEIL_ERR_FORMAT, "%s: bad IDX magic 0x%08x (expected 0x%08x)", path, be32(buf), magic);
  uint64_t body = 1;
  for (int i = 0; i < ndims; i++) {
    dims[i] = be32(buf + 4 + 4 * i);
    body *= dims[i];
  }
  if (len - hdr != body)
    return veil_fail(VEIL_ERR_FORMAT, "%s: header promises %llu data bytes, file has %zu%s", path,
                     (unsigned long long)body, len - hdr, len - hdr < body ? " (truncated?)" : "");
  return VEIL_OK;
}

static veil_status check_dims(const char *images, const char *labels, const uint32_t *idim, uint32_t nlab) {
  if (idim[0] == 0)
    return veil_fail(VEIL_ERR_FORMAT, "%s: holds no images", images);
  if (idim[1] == 0 || idim[2] == 0 || idim[1] > MAX_SIDE || idim[2] > MAX_SIDE)
    return veil_fail(VEIL_ERR_FORMAT, "%s: image size %ux%u outside 1..%u", images, idim[1], idim[2], MAX_SIDE);
  if (idim[0] != nlab)
    return veil_fail(VEIL_ERR_FORMAT, "%s holds %u images but %s holds %u labels", images, idim[0], labels,
                     nlab);
  return VEIL_OK;
}

static veil_status fill(veil_dataset *ds, const uint8_t *pix, const uint8_t *lab, const char *labels) {
  int64_t per = ds->images.shape[2] * ds->images.shape[3];
  for (int64_t i = 0; i < ds->count; i++) {
    if (lab[i] > 9)
      return veil_fail(VEIL_ERR_FORMAT, "%s: label %u of item %lld is not a digit", labels, lab[i], (long long)i);
    ds->labels[i] = lab[i];
  }
  for (int64_t i = 0; i < ds->count * per; i++)
    ds->images.data[i] = pix[i];
  return VEIL_OK;
}

static veil_status parse(const char *images, const uint8_t *ib, size_t ilen, const char *labels,
                         const uint8_t *lb, size_t llen, int64_t max_count, veil_dataset *ds) {
  uint32_t idim[3], nlab;
  VEIL_TRY(idx_header(images, ib, ilen, IDX3_MAGIC, 3, idim));
  VEIL_TRY(idx_header(labels, lb, llen, IDX1_MAGIC, 1, &nlab));
  VEIL_TRY(check_dims(images, labels, idim, nlab));
  int64_t n = idim[0];
  if (max_count > 0 && max_count < n)
    n = max_count;
  VEIL_TRY(veil__dataset_alloc(ds, n, 1, idim[1], idim[2], 10));
  veil_status st = fill(ds, ib + 16, lb + 8, labels);
  if (st)
    veil_dataset_free(ds);
  return st;
}

veil_status veil_mnist_load(const char *images_path, const char *labels_path, int64_t max_count,
                            veil_dataset *ds) {
  memset(ds, 0, sizeof *ds);
  if (max_count < 0)
    return veil_fail(VEIL_ERR_INVALID_ARG, "mnist: max_count %lld < 0", (long long)max_count);
  uint8_t *ib = NULL, *lb = NULL;
  size_t ilen = 0, llen = 0;
  veil_status st = veil__gz_read(images_path, VEIL__DATA_MAX_BYTES, &ib, &ilen);
  if (!st)
    st = veil__gz_read(labels_path, VEIL__DATA_MAX_BYTES, &lb, &llen);
  if (!st)
    st = parse(images_path, ib, ilen, labels_path, lb, llen, max_count, ds);
  veil_free(ib);
  veil_free(lb);
  return st;
}

/* Finds "<dir>/<split>-<kind>" with or without ".gz". */
static veil_status find_idx(char *buf, size_t cap, const char *dir, const char *split, const char *kind) {
  char name[256];
  const char *ext[2] = {".gz", ""};
  for (int i = 0; i < 2; i++) {
    snprintf(name, sizeof name, "%s-%s%s", split, kind, ext[i]);
    VEIL_TRY(veil__path_join(buf, cap, dir, name));
    if (veil__file_exists(buf))
      return VEIL_OK;
  }
  return veil_fail(VEIL_ERR_NOT_FOUND, "MNIST file %s/%s-%s[.gz] not found", dir, split, kind);
}

veil_status veil_mnist_load_dir(const char *dir, const char *split, int64_t max_count, veil_dataset *ds) {
  memset(ds, 0, sizeof *ds);
  if (strcmp(split, "t10k") != 0 && strcmp(split, "train") != 0)
    return veil_fail(VEIL_ERR_INVALID_ARG, "MNIST split '%s' (expected t10k or train)", split);
  char images[4096], labels[4096];
  VEIL_TRY(find_idx(images, sizeof images, dir, split, "images-idx3-ubyte"));
  VEIL_TRY(find_idx(labels, sizeof labels, dir, split, "labels-idx1-ubyte"));
  return veil_mnist_load(images, labels, max_count, ds);
}
