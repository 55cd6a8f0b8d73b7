/* Helpers shared by the data tests: scratch files under /tmp and the optional ../shared data dir. */
#ifndef VEIL_TEST_DATA_UTIL_H
#define VEIL_TEST_DATA_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A scratch path /tmp/veil-<test>-<pid>-<name> (one static buffer per slot 0..3). */
static inline const char *td_tmp(int slot, const char *name) {
  static char buf[4][512];
  snprintf(buf[slot], sizeof buf[slot], "/tmp/veil-data-%d-%s", (int)getpid(), name);
  return buf[slot];
}

static inline int td_write(const char *path, const void *data, size_t len) {
  FILE *f = fopen(path, "wb");
  if (!f)
    return -1;
  size_t w = fwrite(data, 1, len, f);
  return fclose(f) == 0 && w == len ? 0 : -1;
}

/* Reads a whole (small) file into a malloc'd buffer; NULL on failure. */
static inline unsigned char *td_slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *b = malloc(n > 0 ? (size_t)n : 1);
  *len = b ? fread(b, 1, (size_t)n, f) : 0;
  fclose(f);
  return b;
}

/* The shared data directory (../shared/data next to the main checkout), or NULL if absent. */
static inline const char *td_shared(const char *rel) {
  static char buf[4096];
  const char *env = getenv("VEIL_SHARED_DATA");
  const char *roots[] = {env ? env : "", "%s/../shared/data", "%s/../../shared/data"};
  const char *src = getenv("VEIL_SOURCE_DIR");
  for (int i = 0; i < 3; i++) {
    char root[2048];
    if (!*roots[i])
      continue;
    snprintf(root, sizeof root, roots[i], src ? src : ".");
    snprintf(buf, sizeof buf, "%s/%s", root, rel);
    struct stat st;
    if (stat(buf, &st) == 0)
      return buf;
  }
  fprintf(stderr, "  skip: shared data %s not found (set VEIL_SHARED_DATA)\n", rel);
  return NULL;
}

#endif
