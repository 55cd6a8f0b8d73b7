/* A small JSON reader for the client: looks up a string or number by a dotted path of object keys. */
#include <stdlib.h>
#include <string.h>

#include "veil/client.h"

typedef struct cur {
  const char *p, *end;
  int depth;
} cur;

static void ws(cur *c) {
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
    c->p++;
}

static bool eat(cur *c, char ch) {
  ws(c);
  if (c->p < c->end && *c->p == ch) {
    c->p++;
    return true;
  }
  return false;
}

static void put(char *out, size_t cap, size_t *n, unsigned ch) {
  if (out && *n + 1 < cap)
    out[*n] = (char)ch;
  (*n)++;
}

static void put_utf8(char *out, size_t cap, size_t *n, unsigned u) {
  if (u < 0x80)
    put(out, cap, n, u);
  else if (u < 0x800) {
    put(out, cap, n, 0xC0 | (u >> 6));
    put(out, cap, n, 0x80 | (u & 0x3F));
  } else {
    put(out, cap, n, 0xE0 | (u >> 12));
    put(out, cap, n, 0x80 | ((u >> 6) & 0x3F));
    put(out, cap, n, 0x80 | (u & 0x3F));
  }
}

/* Parses a string literal; writes its unescaped text to out (if not NULL); *len = full length. */
static bool str(cur *c, char *out, size_t cap, size_t *len) {
  size_t n = 0;
  if (!eat(c, '"'))
    return false;
  while (c->p < c->end && *c->p != '"') {
    unsigned char ch = (unsigned char)*c->p++;
    if (ch < 0x20)
      return false;
    if (ch != '\\') {
      put(out, cap, &n, ch);
      continue;
    }
    if (c->p >= c->end)
      return false;
    char e = *c->p++;
    const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
    const char *k = strchr(from, e);
    if (e && k) {
      put(out, cap, &n, (unsigned char)to[k - from]);
    } else if (e == 'u' && c->end - c->p >= 4) {
      char hex[5] = {c->p[0], c->p[1], c->p[2], c->p[3], 0};
      char *stop;
      unsigned u = (unsigned)strtoul(hex, &stop, 16);
      if (*stop)
        return false;
      c->p += 4;
      put_utf8(out, cap, &n, u);
    } else {
      return false;
    }
  }
  if (!eat(c, '"'))
    return false;
  if (out && cap)
    out[n < cap ? n : cap - 1] = 0;
  *len = n;
  return true;
}

static bool value(cur *c);

static bool container(cur *c, char open, char close) {
  if (!eat(c, open) || ++c->depth > 64)
    return false;
  if (eat(c, close)) {
    c->depth--;
    return true;
  }
  do {
    size_t n;
    if (open == '{' && (!str(c, NULL, 0, &n) || !eat(c, ':')))
      return false;
    if (!value(c))
      return false;
  } while (eat(c, ','));
  c->depth--;
  return eat(c, close);
}

static bool literal(cur *c) {
  const char *start = c->p;
  while (c->p < c->end && (strchr("+-.eE", *c->p) || (*c->p >= '0' && *c->p <= '9') ||
                           (*c->p >= 'a' && *c->p <= 'z')))
    c->p++;
  return c->p > start;
}

static bool value(cur *c) {
  ws(c);
  if (c->p >= c->end)
    return false;
  if (*c->p == '{')
    return container(c, '{', '}');
  if (*c->p == '[')
    return container(c, '[', ']');
  if (*c->p == '"') {
    size_t n;
    return str(c, NULL, 0, &n);
  }
  return literal(c);
}

/* Positions @p c at the value for @p path; FORMAT if malformed before it, NOT_FOUND if absent. */
static veil_status seek(cur *c, const char *path) {
  while (*path) {
    const char *dot = strchr(path, '.');
    size_t klen = dot ? (size_t)(dot - path) : strlen(path);
    if (!eat(c, '{'))
      return veil_fail(VEIL_ERR_NOT_FOUND, "JSON: '%.*s' is not inside an object", (int)klen, path);
    bool found = false;
    if (!eat(c, '}')) {
      do {
        char key[128];
        size_t n;
        if (!str(c, key, sizeof key, &n) || !eat(c, ':'))
          return veil_fail(VEIL_ERR_FORMAT, "JSON: malformed object");
        if (n == klen && memcmp(key, path, klen) == 0) {
          found = true;
          break;
        }
        if (!value(c))
          return veil_fail(VEIL_ERR_FORMAT, "JSON: malformed value");
      } while (eat(c, ','));
    }
    if (!found)
      return veil_fail(VEIL_ERR_NOT_FOUND, "JSON: no member '%.*s'", (int)klen, path);
    path = dot ? dot + 1 : path + klen;
  }
  ws(c);
  return VEIL_OK;
}

veil_status veil_json_get_str(const char *json, size_t len, const char *path, char *out, size_t cap) {
  cur c = {json, json + len, 0};
  VEIL_TRY(seek(&c, path));
  size_t n;
  if (c.p >= c.end || *c.p != '"')
    return veil_fail(VEIL_ERR_NOT_FOUND, "JSON: '%s' is not a string", path);
  if (!str(&c, out, cap, &n))
    return veil_fail(VEIL_ERR_FORMAT, "JSON: malformed string at '%s'", path);
  if (n >= cap)
    return veil_fail(VEIL_ERR_LIMIT, "JSON: '%s' is %zu bytes, more than %zu", path, n, cap - 1);
  return VEIL_OK;
}

veil_status veil_json_get_num(const char *json, size_t len, const char *path, double *out) {
  cur c = {json, json + len, 0};
  VEIL_TRY(seek(&c, path));
  char buf[64];
  size_t n = 0;
  while (c.p + n < c.end && n < sizeof buf - 1 && strchr("+-.eE0123456789", c.p[n]))
    n++;
  memcpy(buf, c.p, n);
  buf[n] = 0;
  char *stop;
  *out = strtod(buf, &stop);
  if (n == 0 || *stop)
    return veil_fail(VEIL_ERR_NOT_FOUND, "JSON: '%s' is not a number", path);
  return VEIL_OK;
}
