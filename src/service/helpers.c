/* Small helpers shared by the server and client: formatted strings, JSON string output, names. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "service/service-impl.h"

veil_status veil__fsync_dir(const char *dir) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY);
  if (fd < 0)
    return veil_fail(VEIL_ERR_IO, "cannot open directory %s: %s", dir, strerror(errno));
  int rc = fsync(fd);
  close(fd);
  if (rc != 0)
    return veil_fail(VEIL_ERR_IO, "cannot fsync directory %s: %s", dir, strerror(errno));
  return VEIL_OK;
}

static char *vstrdupf(const char *fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap);
  char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (s)
    vsnprintf(s, (size_t)n + 1, fmt, ap2);
  va_end(ap2);
  return s;
}

char *veil__strdupf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = vstrdupf(fmt, ap);
  va_end(ap);
  return s;
}

void veil__wbuf_printf(veil_wbuf *w, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = vstrdupf(fmt, ap);
  va_end(ap);
  if (!s) {
    w->failed = true;
    return;
  }
  veil_wbuf_bytes(w, s, strlen(s));
  free(s);
}

void veil__wbuf_json_str(veil_wbuf *w, const char *s) {
  veil_wbuf_u8(w, '"');
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') {
      veil_wbuf_u8(w, '\\');
      veil_wbuf_u8(w, *p);
    } else if (*p < 0x20) {
      veil__wbuf_printf(w, "\\u%04x", *p);
    } else {
      veil_wbuf_u8(w, *p);
    }
  }
  veil_wbuf_u8(w, '"');
}

bool veil__name_ok(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > 127 || s[0] == '.')
    return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '_' || c == '-';
    if (!ok)
      return false;
  }
  return true;
}

bool veil_service_deadline_passed(const veil_service_deadline *d) {
  return d && d->at_ns && veil_now_ns() > d->at_ns;
}
