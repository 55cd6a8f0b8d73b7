/* Weights text files: '#' comments, then per array "name d0 d1 ..." and one line of values. */
#include "data-impl.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ARRAYS 1024

typedef struct cursor {
  char *p;      /* next unread byte; the buffer is NUL-terminated */
  int line;     /* 1-based number of the line at p */
  const char *path;
} cursor;

/* Returns the next line that is neither blank nor a comment (NUL-terminated in place), or NULL at end. */
static char *next_line(cursor *c) {
  while (*c->p) {
    char *line = c->p, *nl = strchr(line, '\n');
    c->p = nl ? nl + 1 : line + strlen(line);
    if (nl)
      *nl = 0;
    c->line++;
    char *s = line + strspn(line, " \t\r");
    if (*s && *s != '#')
      return s;
  }
  return NULL;
}

static veil_status parse_header(cursor *c, char *line, veil_named_array *a, int64_t *shape, int *ndim) {
  char *save, *tok = strtok_r(line, " \t\r", &save);
  if (strlen(tok) >= sizeof a->name)
    return veil_fail(VEIL_ERR_FORMAT, "%s:%d: array name '%s' too long", c->path, c->line, tok);
  strcpy(a->name, tok);
  *ndim = 0;
  int64_t total = 1;
  while ((tok = strtok_r(NULL, " \t\r", &save))) {
    char *end;
    errno = 0;
    long long d = strtoll(tok, &end, 10);
    if (*end || errno || d < 1 || d > (1 << 28) || *ndim == VEIL_TENSOR_MAX_DIMS)
      return veil_fail(VEIL_ERR_FORMAT, "%s:%d: bad dimension '%s' of array %s (1..6 positive integers)", c->path,
                       c->line, tok, a->name);
    shape[(*ndim)++] = d;
    total *= d;
    if (total > (1 << 28))
      return veil_fail(VEIL_ERR_LIMIT, "%s:%d: array %s has too many elements", c->path, c->line, a->name);
  }
  if (*ndim == 0)
    return veil_fail(VEIL_ERR_FORMAT, "%s:%d: array %s has no dimensions", c->path, c->line, a->name);
  return VEIL_OK;
}

static veil_status parse_values(cursor *c, veil_named_array *a) {
  int64_t n = veil_tensor_numel(&a->t), i = 0;
  char *s = next_line(c);
  if (!s)
    return veil_fail(VEIL_ERR_FORMAT, "%s: array %s has no value line (truncated?)", c->path, a->name);
  for (;;) {
    s += strspn(s, " \t\r");
    if (!*s)
      break;
    char *end;
    errno = 0;
    float v = strtof(s, &end);
    if (end == s || !isfinite(v) || (*end && !strchr(" \t\r", *end)))
      return veil_fail(VEIL_ERR_FORMAT, "%s:%d: array %s value %lld is not a number", c->path, c->line, a->name,
                       (long long)i);
    if (i == n)
      return veil_fail(VEIL_ERR_FORMAT, "%s:%d: array %s has more than %lld values", c->path, c->line, a->name,
                       (long long)n);
    a->t.data[i++] = v;
    s = end;
  }
  if (i != n)
    return veil_fail(VEIL_ERR_FORMAT, "%s:%d: array %s has %lld values, expected %lld", c->path, c->line,
                     a->name, (long long)i, (long long)n);
  return VEIL_OK;
}

static veil_status parse_array(cursor *c, char *line, veil_weights *w) {
  if (w->n == MAX_ARRAYS)
    return veil_fail(VEIL_ERR_LIMIT, "%s: more than %d arrays", c->path, MAX_ARRAYS);
  veil_named_array *a = &w->arrays[w->n];
  int64_t shape[VEIL_TENSOR_MAX_DIMS];
  int ndim;
  VEIL_TRY(parse_header(c, line, a, shape, &ndim));
  VEIL_TRY(veil_tensor_init(&a->t, ndim, shape));
  w->n++;
  return parse_values(c, a);
}

veil_status veil_weights_load(const char *path, veil_weights *w) {
  memset(w, 0, sizeof *w);
  uint8_t *raw;
  size_t len;
  VEIL_TRY(veil__gz_read(path, VEIL__DATA_MAX_BYTES, &raw, &len));
  char *text = veil_malloc(len + 1);
  w->arrays = veil_calloc(MAX_ARRAYS, sizeof *w->arrays);
  veil_status st = VEIL_OK;
  if (!text || !w->arrays)
    st = veil_fail(VEIL_ERR_NOMEM, "%s: weights buffers", path);
  if (!st) {
    memcpy(text, raw, len);
    text[len] = 0;
    if (strlen(text) != len)
      st = veil_fail(VEIL_ERR_FORMAT, "%s: contains NUL bytes (not a weights text file)", path);
  }
  cursor c = {text, 0, path};
  for (char *line; !st && (line = next_line(&c));)
    st = parse_array(&c, line, w);
  if (!st && w->n == 0)
    st = veil_fail(VEIL_ERR_FORMAT, "%s: no arrays", path);
  veil_free(raw);
  veil_free(text);
  if (st)
    veil_weights_free(w);
  return st;
}

static void shape_str(char *buf, size_t cap, int ndim, const int64_t *shape) {
  size_t k = 0;
  buf[0] = 0;
  for (int i = 0; i < ndim && k < cap; i++)
    k += (size_t)snprintf(buf + k, cap - k, "%s%lld", i ? "x" : "", (long long)shape[i]);
}

veil_status veil_weights_get(const veil_weights *w, const char *name, int ndim, const int64_t *shape,
                             const veil_tensor **t) {
  *t = NULL;
  for (int i = 0; i < w->n; i++) {
    const veil_tensor *a = &w->arrays[i].t;
    if (strcmp(w->arrays[i].name, name) != 0)
      continue;
    if (a->ndim != ndim || memcmp(a->shape, shape, sizeof *shape * (size_t)ndim) != 0) {
      char have[128], want[128];
      shape_str(have, sizeof have, a->ndim, a->shape);
      shape_str(want, sizeof want, ndim, shape);
      return veil_fail(VEIL_ERR_MISMATCH, "weights array %s has shape %s, expected %s", name, have, want);
    }
    *t = a;
    return VEIL_OK;
  }
  return veil_fail(VEIL_ERR_NOT_FOUND, "weights array %s not found", name);
}

void veil_weights_free(veil_weights *w) {
  if (!w)
    return;
  for (int i = 0; w->arrays && i < w->n; i++)
    veil_tensor_free(&w->arrays[i].t);
  veil_free(w->arrays);
  memset(w, 0, sizeof *w);
}
