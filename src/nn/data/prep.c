/* Preprocessing specs: sidecar files `key value...` and their application to raw 0..255 images. */
#include "data-impl.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PAD 64

void veil_prep_default(veil_prep *p) {
  memset(p, 0, sizeof *p);
  p->scale = 1.0 / 255.0;
}

/* Parses up to @p max numbers separated by spaces or commas into @p v; @p n gets the count. */
static veil_status parse_numbers(const char *s, double *v, int max, int *n, const char *key, const char *where) {
  *n = 0;
  for (;;) {
    while (*s == ' ' || *s == '\t' || *s == ',')
      s++;
    if (!*s)
      return VEIL_OK;
    if (*n == max)
      return veil_fail(VEIL_ERR_FORMAT, "%s: '%s' takes at most %d values", where, key, max);
    char *end;
    errno = 0;
    v[*n] = strtod(s, &end);
    if (end == s || errno || !isfinite(v[*n]))
      return veil_fail(VEIL_ERR_FORMAT, "%s: '%s' value '%s' is not a number", where, key, s);
    (*n)++;
    s = end;
  }
}

static veil_status set_scale(veil_prep *p, const char *value, const char *where) {
  const char *slash = strchr(value, '/');
  double v[2];
  int n;
  if (slash) {
    char num[64];
    snprintf(num, sizeof num, "%.*s", (int)(slash - value), value);
    VEIL_TRY(parse_numbers(num, v, 1, &n, "scale", where));
    int m;
    VEIL_TRY(parse_numbers(slash + 1, v + 1, 1, &m, "scale", where));
    if (n != 1 || m != 1 || v[1] == 0)
      return veil_fail(VEIL_ERR_FORMAT, "%s: scale '%s' is not a fraction A/B with B != 0", where, value);
    v[0] /= v[1];
  } else {
    VEIL_TRY(parse_numbers(value, v, 1, &n, "scale", where));
    if (n != 1)
      return veil_fail(VEIL_ERR_FORMAT, "%s: scale needs one number", where);
  }
  p->scale = v[0];
  return VEIL_OK;
}

static veil_status set_pad(veil_prep *p, const char *value, const char *where) {
  double v[4];
  int n;
  VEIL_TRY(parse_numbers(value, v, 4, &n, "pad", where));
  if (n != 4)
    return veil_fail(VEIL_ERR_FORMAT, "%s: pad needs 4 integers: top left bottom right", where);
  for (int i = 0; i < 4; i++) {
    if (v[i] < 0 || v[i] > MAX_PAD || v[i] != floor(v[i]))
      return veil_fail(VEIL_ERR_FORMAT, "%s: pad value %g is not an integer in 0..%d", where, v[i], MAX_PAD);
    p->pad[i] = (int)v[i];
  }
  return VEIL_OK;
}

/* mean or std: 1..4 numbers; a single number applies to every channel. Counts above 1 must agree. */
static veil_status set_stat(veil_prep *p, const char *key, const char *value, const char *where) {
  bool is_std = !strcmp(key, "std");
  double v[VEIL_PREP_MAX_CHANNELS];
  int n;
  VEIL_TRY(parse_numbers(value, v, VEIL_PREP_MAX_CHANNELS, &n, key, where));
  if (n == 0)
    return veil_fail(VEIL_ERR_FORMAT, "%s: '%s' needs 1..%d numbers", where, key, VEIL_PREP_MAX_CHANNELS);
  if (n > 1 && p->nchannels > 1 && n != p->nchannels)
    return veil_fail(VEIL_ERR_FORMAT, "%s: '%s' has %d values but the preprocessing has %d channels", where,
                     key, n, p->nchannels);
  if (p->nchannels == 0) /* the other statistic starts as the identity */
    for (int i = 0; i < VEIL_PREP_MAX_CHANNELS; i++) {
      p->mean[i] = 0;
      p->std[i] = 1;
    }
  for (int i = 0; i < n && is_std; i++)
    if (!(v[i] > 0))
      return veil_fail(VEIL_ERR_FORMAT, "%s: std value %g must be > 0", where, v[i]);
  double *dst = is_std ? p->std : p->mean;
  for (int i = 0; i < VEIL_PREP_MAX_CHANNELS; i++)
    dst[i] = v[i < n ? i : 0];
  if (n > p->nchannels)
    p->nchannels = n;
  return VEIL_OK;
}

veil_status veil_prep_set(veil_prep *p, const char *key, const char *value, const char *where) {
  if (!strcmp(key, "scale"))
    return set_scale(p, value, where);
  if (!strcmp(key, "pad"))
    return set_pad(p, value, where);
  if (!strcmp(key, "mean") || !strcmp(key, "std"))
    return set_stat(p, key, value, where);
  if (!strcmp(key, "dataset")) {
    if (strlen(value) >= sizeof p->dataset)
      return veil_fail(VEIL_ERR_FORMAT, "%s: dataset name '%s' too long", where, value);
    snprintf(p->dataset, sizeof p->dataset, "%s", value);
    return VEIL_OK;
  }
  return veil_fail(VEIL_ERR_FORMAT, "%s: unknown key '%s' (expected scale, pad, mean, std or dataset)", where,
                   key);
}

/* Splits one line into key and value (both trimmed) and applies it; blank and '#' lines are skipped. */
static veil_status parse_line(veil_prep *p, char *line, const char *where) {
  char *hash = strchr(line, '#');
  if (hash)
    *hash = 0;
  char *key = line;
  while (isspace((unsigned char)*key))
    key++;
  if (!*key)
    return VEIL_OK;
  char *val = key;
  while (*val && !isspace((unsigned char)*val) && *val != '=')
    val++;
  if (*val)
    *val++ = 0;
  while (isspace((unsigned char)*val) || *val == '=')
    val++;
  size_t len = strlen(val);
  while (len && isspace((unsigned char)val[len - 1]))
    val[--len] = 0;
  return veil_prep_set(p, key, val, where);
}

veil_status veil_prep_load(const char *path, veil_prep *p) {
  FILE *f = fopen(path, "r");
  if (!f)
    return veil_fail(VEIL_ERR_IO, "cannot open preprocessing file %s", path);
  char line[1024], where[4200];
  veil_status st = VEIL_OK;
  for (int no = 1; !st && fgets(line, sizeof line, f); no++) {
    snprintf(where, sizeof where, "%s:%d", path, no);
    if (!strchr(line, '\n') && !feof(f))
      st = veil_fail(VEIL_ERR_FORMAT, "%s: line longer than %zu bytes", where, sizeof line - 2);
    else
      st = parse_line(p, line, where);
  }
  fclose(f);
  return st;
}

/* One image: normalize channel by channel, then place it inside the zero border. */
static void prep_image(const veil_prep *p, const float *in, int64_t c, int64_t h, int64_t w, float *out) {
  int64_t oh = h + p->pad[0] + p->pad[2], ow = w + p->pad[1] + p->pad[3];
  for (int64_t k = 0; k < c; k++) {
    int ci = p->nchannels == 1 ? 0 : (int)k;
    double mean = p->nchannels ? p->mean[ci] : 0, inv = p->nchannels ? 1.0 / p->std[ci] : 1;
    for (int64_t y = 0; y < h; y++)
      for (int64_t x = 0; x < w; x++) {
        double v = ((double)in[(k * h + y) * w + x] * p->scale - mean) * inv;
        out[(k * oh + y + p->pad[0]) * ow + x + p->pad[1]] = (float)v;
      }
  }
}

veil_status veil_prep_apply(const veil_prep *p, const veil_tensor *images, int64_t first, int64_t count,
                            veil_tensor *out) {
  memset(out, 0, sizeof *out);
  if (images->ndim != 4)
    return veil_fail(VEIL_ERR_INVALID_ARG, "preprocess: images must be [N,C,H,W], got %d dims", images->ndim);
  const int64_t *s = images->shape;
  if (first < 0 || count < 1 || first > s[0] - count)
    return veil_fail(VEIL_ERR_INVALID_ARG, "preprocess: images [%lld, %lld) outside 0..%lld", (long long)first,
                     (long long)(first + count), (long long)s[0]);
  if (p->nchannels > 1 && p->nchannels != s[1])
    return veil_fail(VEIL_ERR_MISMATCH, "preprocess: %d mean/std values for %lld-channel images", p->nchannels,
                     (long long)s[1]);
  int64_t shape[4] = {count, s[1], s[2] + p->pad[0] + p->pad[2], s[3] + p->pad[1] + p->pad[3]};
  VEIL_TRY(veil_tensor_init(out, 4, shape));
  int64_t in_per = s[1] * s[2] * s[3], out_per = shape[1] * shape[2] * shape[3];
  for (int64_t i = 0; i < count; i++)
    prep_image(p, images->data + (first + i) * in_per, s[1], s[2], s[3], out->data + i * out_per);
  return VEIL_OK;
}

/* Appends "key v0 v1 ..." for @p n values to @p buf at offset @p *k (truncating safely). */
static void put_list(char *buf, size_t len, size_t *k, const char *key, const double *v, int n,
                     const char *fmt) {
  if (*k < len)
    *k += (size_t)snprintf(buf + *k, len - *k, "%s", key);
  for (int i = 0; i < n && *k < len; i++)
    *k += (size_t)snprintf(buf + *k, len - *k, fmt, v[i]);
}

/* Formats the spec with a separator between items and the given number format. */
static void format_prep(const veil_prep *p, char *buf, size_t len, const char *sep, const char *fmt) {
  size_t k = 0;
  double pad[4] = {p->pad[0], p->pad[1], p->pad[2], p->pad[3]};
  put_list(buf, len, &k, "scale", &p->scale, 1, fmt);
  put_list(buf, len, &k, sep, NULL, 0, fmt);
  put_list(buf, len, &k, "pad", pad, 4, " %g");
  if (p->nchannels) {
    put_list(buf, len, &k, sep, NULL, 0, fmt);
    put_list(buf, len, &k, "mean", p->mean, p->nchannels, fmt);
    put_list(buf, len, &k, sep, NULL, 0, fmt);
    put_list(buf, len, &k, "std", p->std, p->nchannels, fmt);
  }
  if (p->dataset[0] && k < len)
    snprintf(buf + k, len - k, "%sdataset %s", sep, p->dataset);
}

const char *veil_prep_str(const veil_prep *p, char *buf, size_t len) {
  format_prep(p, buf, len, ", ", " %.6g");
  return buf;
}

veil_status veil_prep_save(const char *path, const veil_prep *p, const char *comment) {
  char body[1024];
  format_prep(p, body, sizeof body, "\n", " %.17g");
  FILE *f = fopen(path, "w");
  if (!f)
    return veil_fail(VEIL_ERR_IO, "cannot write preprocessing file %s", path);
  for (const char *c = comment; c && *c;) {
    size_t n = strcspn(c, "\n");
    fprintf(f, "# %.*s\n", (int)n, c);
    c += n + (c[n] == '\n');
  }
  fprintf(f, "%s\n", body);
  if (fclose(f) != 0)
    return veil_fail(VEIL_ERR_IO, "writing preprocessing file %s failed", path);
  return VEIL_OK;
}
