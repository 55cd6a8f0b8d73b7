/* Internal helpers shared by the dataset readers (src/nn/data). */
#ifndef VEIL_DATA_IMPL_H
#define VEIL_DATA_IMPL_H

#include "veil/data.h"

/** Largest file the readers accept after decompression (the MNIST training images are 47 MB). */
#define VEIL__DATA_MAX_BYTES ((size_t)256 << 20)

/**
 * Reads a whole file through zlib (gzip-compressed or plain) into a veil_malloc'd buffer.
 * Errors: VEIL_ERR_IO (cannot open), VEIL_ERR_FORMAT (corrupt or truncated gzip stream),
 * VEIL_ERR_LIMIT (more than @p max_bytes), VEIL_ERR_NOMEM.
 */
VEIL_WUR veil_status veil__gz_read(const char *path, size_t max_bytes, uint8_t **data, size_t *len);

/** Allocates @p ds for @p n images of C x H x W pixels (zeroed) and n labels. */
VEIL_WUR veil_status veil__dataset_alloc(veil_dataset *ds, int64_t n, int64_t c, int64_t h, int64_t w,
                                         int nclasses);

/** True if @p path names an existing regular file. */
bool veil__file_exists(const char *path);

/** Writes "dir/name" into @p buf; fails with VEIL_ERR_LIMIT if it does not fit. */
VEIL_WUR veil_status veil__path_join(char *buf, size_t cap, const char *dir, const char *name);

#endif
