#include "veil/util.h"

#include <math.h>

static void json_key(veil_json *j, const char *key) {
  if (j->need_comma[j->depth])
    fputc(',', j->out);
  j->need_comma[j->depth] = true;
  if (key) {
    veil_json_write_string(j->out, key);
    fputc(':', j->out);
  }
}

void veil_json_write_string(FILE *out, const char *s) {
  fputc('"', out);
  for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
    switch (*c) {
    case '"': fputs("\\\"", out); break;
    case '\\': fputs("\\\\", out); break;
    case '\n': fputs("\\n", out); break;
    case '\t': fputs("\\t", out); break;
    case '\r': fputs("\\r", out); break;
    default:
      if (*c < 0x20)
        fprintf(out, "\\u%04x", *c);
      else
        fputc(*c, out);
    }
  }
  fputc('"', out);
}

void veil_json_begin(veil_json *j, FILE *out) {
  j->out = out;
  j->depth = 0;
  j->need_comma[0] = false;
  fputc('{', out);
}

void veil_json_end(veil_json *j) {
  fputs("}\n", j->out);
  fflush(j->out);
}

void veil_json_str(veil_json *j, const char *key, const char *v) {
  json_key(j, key);
  veil_json_write_string(j->out, v);
}

void veil_json_int(veil_json *j, const char *key, int64_t v) {
  json_key(j, key);
  fprintf(j->out, "%lld", (long long)v);
}

static void json_number(FILE *out, double v) {
  if (isfinite(v))
    fprintf(out, "%.10g", v);
  else
    fputs("null", out);
}

void veil_json_num(veil_json *j, const char *key, double v) {
  json_key(j, key);
  json_number(j->out, v);
}

void veil_json_bool(veil_json *j, const char *key, bool v) {
  json_key(j, key);
  fputs(v ? "true" : "false", j->out);
}

static void json_open(veil_json *j, const char *key, char c) {
  json_key(j, key);
  fputc(c, j->out);
  VEIL_ASSERT(j->depth + 1 < 16);
  j->need_comma[++j->depth] = false;
}

void veil_json_array_begin(veil_json *j, const char *key) { json_open(j, key, '['); }
void veil_json_object_begin(veil_json *j, const char *key) { json_open(j, key, '{'); }

void veil_json_array_end(veil_json *j) {
  fputc(']', j->out);
  j->depth--;
}

void veil_json_object_end(veil_json *j) {
  fputc('}', j->out);
  j->depth--;
}

void veil_json_array_num(veil_json *j, double v) {
  json_key(j, NULL);
  json_number(j->out, v);
}

void veil_json_array_int(veil_json *j, int64_t v) {
  json_key(j, NULL);
  fprintf(j->out, "%lld", (long long)v);
}
