/* NumPy .npy reader and writer (format 1.0/2.0/3.0; see numpy/lib/format.py for the layout). */
#include "veil/npy.h"

#include <stdlib.h>
#include <string.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "npy.c assumes a little-endian host"
#endif

static const char npy_magic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

typedef enum npy_dtype { NPY_F4, NPY_F8, NPY_I8 } npy_dtype;

typedef struct npy_header {
  npy_dtype dtype;
  int ndim;
  int64_t shape[VEIL_TENSOR_MAX_DIMS];
  bool have_descr, have_order, have_shape;
} npy_header;

/* A cursor over the header text (a Python dict literal). */
typedef struct npy_text {
  const char *s;
  size_t len, pos;
} npy_text;

static void npy_skip_ws(npy_text *t) {
  while (t->pos < t->len && (t->s[t->pos] == ' ' || t->s[t->pos] == '\t' || t->s[t->pos] == '\n'))
    t->pos++;
}

static bool npy_accept(npy_text *t, char c) {
  npy_skip_ws(t);
  if (t->pos < t->len && t->s[t->pos] == c) {
    t->pos++;
    return true;
  }
  return false;
}

static bool npy_accept_word(npy_text *t, const char *w) {
  npy_skip_ws(t);
  size_t n = strlen(w);
  if (t->len - t->pos >= n && memcmp(t->s + t->pos, w, n) == 0) {
    t->pos += n;
    return true;
  }
  return false;
}

/* Reads a quoted string ('...' or "...") into out (at most cap-1 chars). */
static bool npy_string(npy_text *t, char *out, size_t cap) {
  npy_skip_ws(t);
  if (t->pos >= t->len || (t->s[t->pos] != '\'' && t->s[t->pos] != '"'))
    return false;
  char q = t->s[t->pos++];
  size_t n = 0;
  while (t->pos < t->len && t->s[t->pos] != q) {
    if (n + 1 >= cap)
      return false;
    out[n++] = t->s[t->pos++];
  }
  if (t->pos >= t->len)
    return false;
  t->pos++;
  out[n] = 0;
  return true;
}

static bool npy_int(npy_text *t, int64_t *v) {
  npy_skip_ws(t);
  int64_t x = 0;
  size_t start = t->pos;
  while (t->pos < t->len && t->s[t->pos] >= '0' && t->s[t->pos] <= '9') {
    if (x > (INT64_MAX - 9) / 10)
      return false;
    x = x * 10 + (t->s[t->pos++] - '0');
  }
  if (t->pos < t->len && t->s[t->pos] == 'L') /* Python 2 longs */
    t->pos++;
  *v = x;
  return t->pos > start;
}

static veil_status npy_parse_shape(npy_text *t, npy_header *h) {
  if (!npy_accept(t, '('))
    return veil_fail(VEIL_ERR_FORMAT, "npy: 'shape' is not a tuple");
  h->ndim = 0;
  while (!npy_accept(t, ')')) {
    if (h->ndim == VEIL_TENSOR_MAX_DIMS)
      return veil_fail(VEIL_ERR_UNSUPPORTED, "npy: more than %d dimensions", VEIL_TENSOR_MAX_DIMS);
    if (!npy_int(t, &h->shape[h->ndim]))
      return veil_fail(VEIL_ERR_FORMAT, "npy: bad dimension %d in 'shape'", h->ndim);
    h->ndim++;
    if (!npy_accept(t, ',') && !(npy_skip_ws(t), t->pos < t->len && t->s[t->pos] == ')'))
      return veil_fail(VEIL_ERR_FORMAT, "npy: expected ',' or ')' in 'shape'");
  }
  h->have_shape = true;
  return VEIL_OK;
}

static veil_status npy_parse_descr(npy_text *t, npy_header *h) {
  char d[16];
  if (!npy_string(t, d, sizeof d))
    return veil_fail(VEIL_ERR_FORMAT, "npy: 'descr' is not a short string");
  if (strcmp(d, "<f4") == 0)
    h->dtype = NPY_F4;
  else if (strcmp(d, "<f8") == 0)
    h->dtype = NPY_F8;
  else if (strcmp(d, "<i8") == 0)
    h->dtype = NPY_I8;
  else
    return veil_fail(VEIL_ERR_UNSUPPORTED, "npy: dtype '%s' is not supported (<f4, <f8, <i8)", d);
  h->have_descr = true;
  return VEIL_OK;
}

static veil_status npy_parse_entry(npy_text *t, npy_header *h) {
  char key[32];
  if (!npy_string(t, key, sizeof key) || !npy_accept(t, ':'))
    return veil_fail(VEIL_ERR_FORMAT, "npy: malformed header dictionary");
  if (strcmp(key, "descr") == 0)
    return npy_parse_descr(t, h);
  if (strcmp(key, "shape") == 0)
    return npy_parse_shape(t, h);
  if (strcmp(key, "fortran_order") == 0) {
    if (npy_accept_word(t, "True"))
      return veil_fail(VEIL_ERR_UNSUPPORTED, "npy: fortran_order arrays are not supported (save in C order)");
    if (!npy_accept_word(t, "False"))
      return veil_fail(VEIL_ERR_FORMAT, "npy: 'fortran_order' is neither True nor False");
    h->have_order = true;
    return VEIL_OK;
  }
  return veil_fail(VEIL_ERR_FORMAT, "npy: unknown header key '%s'", key);
}

static veil_status npy_parse_header(const char *s, size_t len, npy_header *h) {
  npy_text t = {s, len, 0};
  *h = (npy_header){0};
  if (!npy_accept(&t, '{'))
    return veil_fail(VEIL_ERR_FORMAT, "npy: header is not a dictionary");
  while (!npy_accept(&t, '}')) {
    VEIL_TRY(npy_parse_entry(&t, h));
    if (!npy_accept(&t, ',') && !(npy_skip_ws(&t), t.pos < t.len && t.s[t.pos] == '}'))
      return veil_fail(VEIL_ERR_FORMAT, "npy: expected ',' or '}' in header");
  }
  if (!h->have_descr || !h->have_order || !h->have_shape)
    return veil_fail(VEIL_ERR_FORMAT, "npy: header lacks %s", !h->have_descr ? "'descr'"
                                                              : !h->have_order ? "'fortran_order'"
                                                                               : "'shape'");
  return VEIL_OK;
}

/* Splits the file into header text and data; checks magic and version. */
static veil_status npy_split(const uint8_t *data, size_t len, const char **hdr, size_t *hlen,
                             size_t *off) {
  if (len < 10 || memcmp(data, npy_magic, 6) != 0)
    return veil_fail(VEIL_ERR_FORMAT, "npy: bad magic (not a .npy file)");
  uint8_t major = data[6];
  if (major < 1 || major > 3)
    return veil_fail(VEIL_ERR_UNSUPPORTED, "npy: format version %u.%u is not supported", major, data[7]);
  size_t n, start;
  if (major == 1) {
    n = (size_t)data[8] | (size_t)data[9] << 8;
    start = 10;
  } else {
    if (len < 12)
      return veil_fail(VEIL_ERR_FORMAT, "npy: truncated header");
    n = (size_t)data[8] | (size_t)data[9] << 8 | (size_t)data[10] << 16 | (size_t)data[11] << 24;
    start = 12;
  }
  if (n > len - start)
    return veil_fail(VEIL_ERR_FORMAT, "npy: header length %zu exceeds the file (%zu bytes)", n, len);
  *hdr = (const char *)data + start;
  *hlen = n;
  *off = start + n;
  return VEIL_OK;
}

static void npy_convert(const uint8_t *src, npy_dtype dt, float *dst, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    if (dt == NPY_F4) {
      memcpy(&dst[i], src + 4 * i, 4);
    } else if (dt == NPY_F8) {
      double v;
      memcpy(&v, src + 8 * i, 8);
      dst[i] = (float)v;
    } else {
      int64_t v;
      memcpy(&v, src + 8 * i, 8);
      dst[i] = (float)v;
    }
  }
}

veil_status veil_npy_load_buffer(const uint8_t *data, size_t len, veil_tensor *t) {
  *t = (veil_tensor){0};
  const char *hdr;
  size_t hlen, off;
  npy_header h;
  VEIL_TRY(npy_split(data, len, &hdr, &hlen, &off));
  VEIL_TRY(npy_parse_header(hdr, hlen, &h));
  size_t item = h.dtype == NPY_F4 ? 4 : 8;
  int64_t numel = 1;
  for (int i = 0; i < h.ndim; i++) {
    if (h.shape[i] != 0 && numel > (int64_t)((len - off) / item) / h.shape[i])
      return veil_fail(VEIL_ERR_FORMAT, "npy: shape needs more data than the file holds (%zu bytes)",
                       len - off);
    numel *= h.shape[i];
  }
  if ((size_t)numel * item != len - off)
    return veil_fail(VEIL_ERR_FORMAT, "npy: %zu data bytes for %lld elements of %zu bytes", len - off,
                     (long long)numel, item);
  VEIL_TRY(veil_tensor_init(t, h.ndim, h.shape));
  npy_convert(data + off, h.dtype, t->data, numel);
  return VEIL_OK;
}

veil_status veil_npy_load(const char *path, veil_tensor *t) {
  *t = (veil_tensor){0};
  uint8_t *buf = NULL;
  size_t len = 0;
  veil_status st = veil_file_read(path, VEIL_NPY_MAX_BYTES, &buf, &len);
  if (st == VEIL_OK) {
    st = veil_npy_load_buffer(buf, len, t);
    if (st != VEIL_OK) {
      char detail[256];
      snprintf(detail, sizeof detail, "%s", veil_error_detail());
      st = veil_fail(st, "%s: %s", path, detail);
    }
  }
  veil_free(buf);
  return st;
}

veil_status veil_npy_save_buffer(const veil_tensor *t, uint8_t **data, size_t *len) {
  *data = NULL;
  *len = 0;
  if (!t || t->ndim < 0 || t->ndim > VEIL_TENSOR_MAX_DIMS || (!t->data && veil_tensor_numel(t) > 0))
    return veil_fail(VEIL_ERR_INVALID_ARG, "npy: tensor without data or with bad ndim");
  char hdr[256];
  int n = snprintf(hdr, sizeof hdr, "{'descr': '<f4', 'fortran_order': False, 'shape': (");
  for (int i = 0; i < t->ndim; i++)
    n += snprintf(hdr + n, sizeof hdr - (size_t)n, "%lld%s", (long long)t->shape[i],
                  t->ndim == 1 ? "," : i + 1 < t->ndim ? ", " : "");
  n += snprintf(hdr + n, sizeof hdr - (size_t)n, "), }");
  size_t hlen = (size_t)n + 1; /* + '\n' */
  hlen += (64 - (10 + hlen) % 64) % 64;
  size_t bytes = (size_t)veil_tensor_numel(t) * 4;
  uint8_t *out = veil_malloc(10 + hlen + bytes);
  if (!out)
    return veil_fail(VEIL_ERR_NOMEM, "npy: %zu bytes", 10 + hlen + bytes);
  memcpy(out, npy_magic, 6);
  out[6] = 1;
  out[7] = 0;
  out[8] = (uint8_t)(hlen & 0xff);
  out[9] = (uint8_t)(hlen >> 8);
  memset(out + 10, ' ', hlen);
  memcpy(out + 10, hdr, (size_t)n);
  out[10 + hlen - 1] = '\n';
  if (bytes)
    memcpy(out + 10 + hlen, t->data, bytes);
  *data = out;
  *len = 10 + hlen + bytes;
  return VEIL_OK;
}

veil_status veil_npy_save(const char *path, const veil_tensor *t) {
  uint8_t *buf;
  size_t len;
  VEIL_TRY(veil_npy_save_buffer(t, &buf, &len));
  veil_status st = veil_file_write_atomic(path, buf, len, 0644);
  veil_free(buf);
  return st;
}
