#include "veil/util.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

void *veil_malloc(size_t bytes) {
  if (bytes == 0)
    return NULL;
  size_t rounded = (bytes + 63) & ~(size_t)63;
  if (rounded < bytes)
    return NULL;
  return aligned_alloc(64, rounded);
}

void *veil_calloc(size_t count, size_t size) {
  if (size && count > SIZE_MAX / size)
    return NULL;
  void *p = veil_malloc(count * size);
  if (p)
    memset(p, 0, count * size);
  return p;
}

void veil_free(void *p) { free(p); }

void veil_memzero(void *p, size_t bytes) {
  if (p && bytes)
    sodium_memzero(p, bytes);
}

void veil_free_secret(void *p, size_t bytes) {
  veil_memzero(p, bytes);
  free(p);
}

double veil_peak_rss_mb(void) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f)
    return 0;
  char line[256];
  double mb = 0;
  while (fgets(line, sizeof line, f)) {
    unsigned long kb;
    if (sscanf(line, "VmHWM: %lu kB", &kb) == 1) {
      mb = kb / 1024.0;
      break;
    }
  }
  fclose(f);
  return mb;
}

veil_status veil_crypto_init(void) {
  if (sodium_init() < 0)
    return veil_fail(VEIL_ERR_INTERNAL, "libsodium failed to initialize");
  return VEIL_OK;
}

void veil_random_bytes(void *out, size_t n) {
  VEIL_ASSERT(veil_crypto_init() == VEIL_OK);
  randombytes_buf(out, n);
}
