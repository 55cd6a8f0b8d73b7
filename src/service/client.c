/* Client library over libcurl: streamed uploads from files, downloads into memory or files. */
#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "service/service-impl.h"
#include "veil/client.h"

#define MAX_MEM_BODY (256u << 20)

struct veil_client {
  char *base;
  CURL *curl;
  bool progress;
  long timeout_s;
  int http_status;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

veil_status veil_client_init(const char *server_url, veil_client **out) {
  *out = NULL;
  if (!server_url || strncmp(server_url, "http://", 7) != 0 || strlen(server_url) < 8)
    return veil_fail(VEIL_ERR_INVALID_ARG, "server URL '%s': expected http://HOST:PORT", server_url ? server_url : "");
  pthread_once(&curl_once, curl_init_once);
  veil_client *c = calloc(1, sizeof *c);
  if (!c)
    return veil_fail(VEIL_ERR_NOMEM, "out of memory");
  c->base = strdup(server_url);
  c->curl = curl_easy_init();
  if (!c->base || !c->curl) {
    veil_client_free(c);
    return veil_fail(VEIL_ERR_NOMEM, "cannot initialize libcurl");
  }
  size_t n = strlen(c->base);
  while (n > 7 && c->base[n - 1] == '/')
    c->base[--n] = 0;
  *out = c;
  return VEIL_OK;
}

void veil_client_free(veil_client *c) {
  if (!c)
    return;
  if (c->curl)
    curl_easy_cleanup(c->curl);
  free(c->base);
  free(c);
}

void veil_client_set_progress(veil_client *c, bool on) { c->progress = on; }
void veil_client_set_timeout(veil_client *c, long seconds) { c->timeout_s = seconds; }
int veil_client_http_status(const veil_client *c) { return c->http_status; }

/* ---- one request ------------------------------------------------------------------------------- */

typedef struct xfer {
  FILE *in;         /* request body source (NULL = none) */
  uint64_t in_size;
  veil_wbuf mem;    /* response body (always captured for errors; for success when out == NULL) */
  FILE *out;        /* success response body sink (NULL = into mem) */
  CURL *curl;
  veil_progress bar;
  bool bar_on;
} xfer;

static size_t on_read(char *buf, size_t size, size_t n, void *ud) {
  xfer *x = ud;
  size_t got = fread(buf, 1, size * n, x->in);
  if (x->bar_on)
    veil_progress_add(&x->bar, got);
  return got;
}

static size_t on_write(char *buf, size_t size, size_t n, void *ud) {
  xfer *x = ud;
  size_t bytes = size * n;
  long code = 0;
  curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &code);
  if (x->out && code >= 200 && code < 300)
    return fwrite(buf, 1, bytes, x->out);
  if (x->mem.len + bytes > MAX_MEM_BODY)
    return 0; /* aborts the transfer */
  veil_wbuf_bytes(&x->mem, buf, bytes);
  return x->mem.failed ? 0 : bytes;
}

/* Maps an HTTP error answer to a status, quoting the server's JSON error. */
static veil_status http_error(int status, const veil_wbuf *body, const char *what) {
  char code[64] = "?", msg[512] = "";
  const char *j = (const char *)body->data;
  if (!j || veil_json_get_str(j, body->len, "error.code", code, sizeof code) ||
      veil_json_get_str(j, body->len, "error.message", msg, sizeof msg))
    snprintf(msg, sizeof msg, "%.*s", (int)(body->len < 200 ? body->len : 200), j ? j : "");
  veil_status st = VEIL_ERR_IO;
  if (status == 400)
    st = VEIL_ERR_FORMAT;
  else if (status == 401 || status == 403)
    st = VEIL_ERR_INVALID_ARG;
  else if (status == 404)
    st = VEIL_ERR_NOT_FOUND;
  else if (status == 409 || status == 422)
    st = VEIL_ERR_MISMATCH;
  else if (status == 413 || status == 429 || status == 503)
    st = VEIL_ERR_LIMIT;
  return veil_fail(st, "%s: server answered %d %s: %s", what, status, code, msg);
}

typedef struct req_spec {
  const char *method, *path, *token;
  const char *in_file; /* body from this file */
  FILE *out;           /* success body to this stream (else into *mem) */
  veil_wbuf *mem;
  veil_client_round *round; /* X-Veil-* response headers (NULL = ignored) */
} req_spec;

/* Parses one "X-Veil-Name: value" response header into the round description. */
static size_t on_header(char *buf, size_t size, size_t n, void *ud) {
  veil_client_round *r = ud;
  size_t len = size * n;
  char line[256], name[64], val[192];
  snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line - 1 ? len : sizeof line - 1), buf);
  if (sscanf(line, "%63[^:]: %191[^\r\n]", name, val) != 2 || strncasecmp(name, "X-Veil-", 7) != 0)
    return len;
  const char *k = name + 7;
  if (!strcasecmp(k, "Session"))
    snprintf(r->session, sizeof r->session, "%.32s", val);
  else if (!strcasecmp(k, "Done"))
    r->done = val[0] == '1';
  else if (!strcasecmp(k, "Round"))
    r->round = atoi(val);
  else if (!strcasecmp(k, "Activation"))
    snprintf(r->act, sizeof r->act, "%.15s", val);
  else if (!strcasecmp(k, "Group"))
    r->group = atoi(val);
  else if (!strcasecmp(k, "Outputs"))
    r->outputs = strtoll(val, NULL, 10);
  else if (!strcasecmp(k, "Clip") && sscanf(val, "%lf,%lf", &r->clip[0], &r->clip[1]) != 2)
    r->clip[0] = r->clip[1] = 0;
  return len;
}

static void setup(veil_client *c, const req_spec *q, xfer *x, struct curl_slist **hdr, const char *url) {
  CURL *h = c->curl;
  curl_easy_reset(h);
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, q->method);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, c->timeout_s);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
  if (q->round) {
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, q->round);
  }
  if (q->token) {
    char auth[128];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", q->token);
    *hdr = curl_slist_append(*hdr, auth);
  }
  if (x->in) {
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(h, CURLOPT_READDATA, x);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)x->in_size);
    *hdr = curl_slist_append(*hdr, "Content-Type: application/octet-stream");
    *hdr = curl_slist_append(*hdr, "Expect:"); /* send the body at once, no 100-continue round trip */
  }
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, *hdr);
}

static veil_status open_body(const req_spec *q, xfer *x, bool progress) {
  if (!q->in_file)
    return VEIL_OK;
  x->in = fopen(q->in_file, "rb");
  struct stat sb;
  if (!x->in || fstat(fileno(x->in), &sb) != 0)
    return veil_fail(VEIL_ERR_IO, "cannot read %s: %s", q->in_file, strerror(errno));
  x->in_size = (uint64_t)sb.st_size;
  x->bar_on = progress && x->in_size > (1u << 20);
  if (x->bar_on)
    veil_progress_init(&x->bar, "upload", x->in_size);
  return VEIL_OK;
}

/* Performs one request; a 2xx body goes to q->out or q->mem; anything else becomes an error. */
static veil_status perform(veil_client *c, const req_spec *q) {
  xfer x = {.curl = c->curl, .out = q->out};
  veil_wbuf_init(&x.mem);
  c->http_status = 0;
  veil_status st = open_body(q, &x, c->progress);
  char *url = veil__strdupf("%s%s", c->base, q->path);
  struct curl_slist *hdr = NULL;
  if (!st && !url)
    st = veil_fail(VEIL_ERR_NOMEM, "out of memory");
  if (!st) {
    setup(c, q, &x, &hdr, url);
    CURLcode rc = curl_easy_perform(c->curl);
    long code = 0;
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &code);
    c->http_status = (int)code;
    if (rc != CURLE_OK && code == 0)
      st = veil_fail(VEIL_ERR_IO, "%s %s: %s", q->method, url, curl_easy_strerror(rc));
    else if (code < 200 || code >= 300)
      st = http_error((int)code, &x.mem, q->path);
    else if (rc != CURLE_OK)
      st = veil_fail(VEIL_ERR_IO, "%s %s: %s", q->method, url, curl_easy_strerror(rc));
  }
  if (x.bar_on)
    veil_progress_finish(&x.bar);
  if (!st && q->mem) {
    veil_wbuf_u8(&x.mem, 0); /* NUL-terminated for text use, not counted in len */
    x.mem.len--;
    if (x.mem.failed)
      st = veil_fail(VEIL_ERR_NOMEM, "out of memory");
    *q->mem = x.mem;
    veil_wbuf_init(&x.mem);
  }
  curl_slist_free_all(hdr);
  if (x.in)
    fclose(x.in);
  veil_wbuf_free(&x.mem);
  free(url);
  return st;
}

veil_status veil_client_get(veil_client *c, const char *path, veil_wbuf *body) {
  veil_wbuf_init(body);
  return perform(c, &(req_spec){.method = "GET", .path = path, .mem = body});
}

static veil_status check_name(const char *what, const char *s) {
  if (!s || !veil__name_ok(s))
    return veil_fail(VEIL_ERR_INVALID_ARG, "%s '%s': use 1..127 of [A-Za-z0-9._-]", what, s ? s : "");
  return VEIL_OK;
}

veil_status veil_client_keys_upload(veil_client *c, const char *model, const char *key_file,
                                    veil_client_keyset *ks) {
  VEIL_TRY(check_name("model", model));
  char path[256];
  snprintf(path, sizeof path, "/v1/keys?model=%s", model);
  veil_wbuf body;
  veil_wbuf_init(&body);
  veil_status st = perform(c, &(req_spec){.method = "POST", .path = path, .in_file = key_file, .mem = &body});
  const char *j = (const char *)body.data;
  if (!st)
    st = veil_json_get_str(j, body.len, "key_set_id", ks->id, sizeof ks->id);
  if (!st)
    st = veil_json_get_str(j, body.len, "token", ks->token, sizeof ks->token);
  if (body.data)
    veil_memzero(body.data, body.len);
  veil_wbuf_free(&body);
  return st;
}

veil_status veil_client_keys_delete(veil_client *c, const veil_client_keyset *ks) {
  VEIL_TRY(check_name("key set", ks->id));
  char path[128];
  snprintf(path, sizeof path, "/v1/keys/%s", ks->id);
  veil_wbuf body;
  veil_wbuf_init(&body);
  veil_status st = perform(c, &(req_spec){.method = "DELETE", .path = path, .token = ks->token, .mem = &body});
  veil_wbuf_free(&body);
  return st;
}

/* POSTs @p in_file to @p path; a 2xx body streams into a temporary file renamed to @p out_file. */
static veil_status post_to_file(veil_client *c, const char *path, const char *token, const char *in_file,
                                const char *out_file, veil_client_round *round) {
  char *tmp = veil__strdupf("%s.partXXXXXX", out_file);
  int fd = tmp ? mkstemp(tmp) : -1;
  FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
  if (!f) {
    veil_status st = veil_fail(VEIL_ERR_IO, "cannot create a file next to %s: %s", out_file, strerror(errno));
    if (fd >= 0) {
      close(fd);
      unlink(tmp);
    }
    free(tmp);
    return st;
  }
  veil_status st = perform(c, &(req_spec){.method = "POST", .path = path, .token = token, .in_file = in_file,
                                          .out = f, .round = round});
  bool ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
  ok = fclose(f) == 0 && ok;
  if (!st && !ok)
    st = veil_fail(VEIL_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
  if (!st && rename(tmp, out_file) != 0)
    st = veil_fail(VEIL_ERR_IO, "cannot rename %s to %s: %s", tmp, out_file, strerror(errno));
  if (st)
    unlink(tmp);
  free(tmp);
  return st;
}

veil_status veil_client_infer(veil_client *c, const char *model, const veil_client_keyset *ks,
                              const char *in_file, const char *out_file) {
  VEIL_TRY(check_name("model", model));
  VEIL_TRY(check_name("key set", ks->id));
  char path[256];
  snprintf(path, sizeof path, "/v1/models/%s/infer?key_set=%s", model, ks->id);
  return post_to_file(c, path, ks->token, in_file, out_file, NULL);
}

static veil_status round_check(const veil_client_round *r) {
  if (!r->session[0] || (!r->done && (r->round < 0 || r->group < 1 || r->group > 64 || r->outputs < 1 || !r->act[0])))
    return veil_fail(VEIL_ERR_FORMAT, "the server's answer lacks valid X-Veil-* round headers");
  return VEIL_OK;
}

veil_status veil_client_aided_start(veil_client *c, const char *model, const veil_client_keyset *ks,
                                    const char *in_file, const char *out_file, veil_client_round *next) {
  VEIL_TRY(check_name("model", model));
  VEIL_TRY(check_name("key set", ks->id));
  char path[256];
  snprintf(path, sizeof path, "/v1/models/%s/sessions?key_set=%s", model, ks->id);
  memset(next, 0, sizeof *next);
  VEIL_TRY(post_to_file(c, path, ks->token, in_file, out_file, next));
  return round_check(next);
}

veil_status veil_client_aided_round(veil_client *c, const veil_client_keyset *ks, const char *session, int round,
                                    const char *in_file, const char *out_file, veil_client_round *next) {
  VEIL_TRY(check_name("session", session));
  char path[256];
  snprintf(path, sizeof path, "/v1/sessions/%s/rounds/%d", session, round);
  memset(next, 0, sizeof *next);
  VEIL_TRY(post_to_file(c, path, ks->token, in_file, out_file, next));
  return round_check(next);
}

veil_status veil_client_aided_delete(veil_client *c, const veil_client_keyset *ks, const char *session) {
  VEIL_TRY(check_name("session", session));
  char path[128];
  snprintf(path, sizeof path, "/v1/sessions/%s", session);
  veil_wbuf body;
  veil_wbuf_init(&body);
  veil_status st = perform(c, &(req_spec){.method = "DELETE", .path = path, .token = ks->token, .mem = &body});
  veil_wbuf_free(&body);
  return st;
}

const char *veil__client_base(const veil_client *c) { return c->base; }
