#include "veil/util.h"

#include <stdio.h>
#include <stdlib.h>

static _Thread_local char detail[512];

const char *veil_status_str(veil_status st) {
  switch (st) {
  case VEIL_OK: return "ok";
  case VEIL_ERR_INVALID_ARG: return "invalid argument";
  case VEIL_ERR_NOMEM: return "out of memory";
  case VEIL_ERR_IO: return "i/o error";
  case VEIL_ERR_FORMAT: return "malformed input";
  case VEIL_ERR_UNSUPPORTED: return "unsupported";
  case VEIL_ERR_MISMATCH: return "mismatch";
  case VEIL_ERR_INSECURE: return "insecure parameters";
  case VEIL_ERR_PRECISION: return "precision exhausted";
  case VEIL_ERR_NOT_FOUND: return "not found";
  case VEIL_ERR_LIMIT: return "limit exceeded";
  case VEIL_ERR_INTERNAL: return "internal error";
  }
  return "unknown status";
}

const char *veil_error_detail(void) { return detail; }

void veil_error_clear(void) { detail[0] = 0; }

veil_status veil_fail(veil_status st, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(detail, sizeof detail, fmt, ap);
  va_end(ap);
  return st;
}

void veil__assert_fail(const char *expr, const char *file, int line) {
  fprintf(stderr, "veil: assertion failed: %s (%s:%d)\n", expr, file, line);
  abort();
}
