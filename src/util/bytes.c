#include "veil/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void veil_wbuf_init(veil_wbuf *w) { *w = (veil_wbuf){0}; }

void veil_wbuf_free(veil_wbuf *w) {
  free(w->data);
  *w = (veil_wbuf){0};
}

void veil_wbuf_bytes(veil_wbuf *w, const void *p, size_t n) {
  if (w->failed || n == 0)
    return;
  if (w->len + n < w->len) {
    w->failed = true;
    return;
  }
  if (w->len + n > w->cap) {
    size_t cap = w->cap ? w->cap : 256;
    while (cap < w->len + n)
      cap *= 2;
    uint8_t *d = realloc(w->data, cap);
    if (!d) {
      w->failed = true;
      return;
    }
    w->data = d;
    w->cap = cap;
  }
  memcpy(w->data + w->len, p, n);
  w->len += n;
}

void veil_wbuf_u8(veil_wbuf *w, uint8_t v) { veil_wbuf_bytes(w, &v, 1); }

void veil_wbuf_u32(veil_wbuf *w, uint32_t v) {
  uint8_t b[4];
  for (int i = 0; i < 4; i++)
    b[i] = (uint8_t)(v >> (8 * i));
  veil_wbuf_bytes(w, b, 4);
}

void veil_wbuf_u64(veil_wbuf *w, uint64_t v) {
  uint8_t b[8];
  for (int i = 0; i < 8; i++)
    b[i] = (uint8_t)(v >> (8 * i));
  veil_wbuf_bytes(w, b, 8);
}

void veil_wbuf_f64(veil_wbuf *w, double v) {
  uint64_t u;
  memcpy(&u, &v, 8);
  veil_wbuf_u64(w, u);
}

void veil_rbuf_init(veil_rbuf *r, const void *data, size_t len) {
  *r = (veil_rbuf){.data = data, .len = len};
}

const uint8_t *veil_rbuf_take(veil_rbuf *r, size_t n) {
  if (r->failed || n > r->len - r->pos) {
    r->failed = true;
    return NULL;
  }
  const uint8_t *p = r->data + r->pos;
  r->pos += n;
  return p;
}

bool veil_rbuf_bytes(veil_rbuf *r, void *out, size_t n) {
  const uint8_t *p = veil_rbuf_take(r, n);
  if (p && n)
    memcpy(out, p, n);
  return p != NULL;
}

bool veil_rbuf_u8(veil_rbuf *r, uint8_t *v) { return veil_rbuf_bytes(r, v, 1); }

bool veil_rbuf_u32(veil_rbuf *r, uint32_t *v) {
  const uint8_t *p = veil_rbuf_take(r, 4);
  if (!p)
    return false;
  *v = 0;
  for (int i = 0; i < 4; i++)
    *v |= (uint32_t)p[i] << (8 * i);
  return true;
}

bool veil_rbuf_u64(veil_rbuf *r, uint64_t *v) {
  const uint8_t *p = veil_rbuf_take(r, 8);
  if (!p)
    return false;
  *v = 0;
  for (int i = 0; i < 8; i++)
    *v |= (uint64_t)p[i] << (8 * i);
  return true;
}

bool veil_rbuf_f64(veil_rbuf *r, double *v) {
  uint64_t u;
  if (!veil_rbuf_u64(r, &u))
    return false;
  memcpy(v, &u, 8);
  return true;
}

veil_status veil_file_read(const char *path, size_t max_bytes, uint8_t **data, size_t *len) {
  *data = NULL;
  *len = 0;
  FILE *f = fopen(path, "rb");
  if (!f)
    return veil_fail(VEIL_ERR_IO, "cannot open %s: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
    fclose(f);
    return veil_fail(VEIL_ERR_IO, "%s is not a regular file", path);
  }
  if ((uint64_t)st.st_size > max_bytes) {
    fclose(f);
    return veil_fail(VEIL_ERR_LIMIT, "%s is %lld bytes, over the limit of %zu", path,
                     (long long)st.st_size, max_bytes);
  }
  size_t n = (size_t)st.st_size;
  uint8_t *buf = veil_malloc(n ? n : 1);
  if (!buf) {
    fclose(f);
    return veil_fail(VEIL_ERR_NOMEM, "cannot allocate %zu bytes for %s", n, path);
  }
  size_t got = fread(buf, 1, n, f);
  fclose(f);
  if (got != n) {
    veil_free(buf);
    return veil_fail(VEIL_ERR_IO, "short read on %s", path);
  }
  *data = buf;
  *len = n;
  return VEIL_OK;
}

veil_status veil_file_write_atomic(const char *path, const void *data, size_t len, unsigned mode) {
  size_t plen = strlen(path);
  char *tmp = malloc(plen + 16);
  if (!tmp)
    return veil_fail(VEIL_ERR_NOMEM, "out of memory");
  snprintf(tmp, plen + 16, "%s.tmpXXXXXX", path);
  int fd = mkstemp(tmp);
  if (fd < 0) {
    veil_status st = veil_fail(VEIL_ERR_IO, "cannot create %s: %s", tmp, strerror(errno));
    free(tmp);
    return st;
  }
  const uint8_t *p = data;
  size_t left = len;
  bool ok = fchmod(fd, (mode_t)mode) == 0;
  while (ok && left) {
    ssize_t w = write(fd, p, left);
    if (w < 0 && errno == EINTR)
      continue;
    ok = w > 0;
    if (ok) {
      p += w;
      left -= (size_t)w;
    }
  }
  ok = ok && fsync(fd) == 0;
  ok = (close(fd) == 0) && ok;
  ok = ok && rename(tmp, path) == 0;
  veil_status st = VEIL_OK;
  if (!ok) {
    st = veil_fail(VEIL_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    unlink(tmp);
  }
  free(tmp);
  return st;
}
