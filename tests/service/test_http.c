/*
 * The HTTP layer of `veil serve` on loopback (ephemeral port) with a fixture engine: routing, JSON
 * errors, limits, bearer tokens, durable key sets across restarts, concurrency, metrics. The fixture
 * treats keys and ciphertexts as tagged byte strings, so expected results are computed here
 * independently: a ciphertext "VCT<p>" + payload comes back as "VOUT" + each payload byte + k, where
 * k is the byte after the "VKEY<p>" tag of the uploaded key set. HE end to end: tests/cli/serve.sh.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "veil/client.h"
#include "veil/service.h"
#include "vtest.h"

/* ---- fixture engine ---------------------------------------------------------------------------- */

typedef struct fix_model {
  char param; /* the model's "parameter set": one letter from the model file */
} fix_model;

static veil_status fix_load(const veil_service_engine *e, const char *path, const char *name, void **model) {
  (void)e;
  (void)name;
  uint8_t *d;
  size_t n;
  VEIL_TRY(veil_file_read(path, 64, &d, &n));
  fix_model *m = calloc(1, sizeof *m);
  m->param = n ? (char)d[0] : '?';
  veil_free(d);
  *model = m;
  return VEIL_OK;
}
static void fix_free(void *m) { free(m); }
static veil_status fix_describe(void *model, veil_wbuf *w) {
  char s[32];
  snprintf(s, sizeof s, "\"param\":\"%c\"", ((fix_model *)model)->param);
  veil_wbuf_bytes(w, s, strlen(s));
  return VEIL_OK;
}
static veil_status fix_plan(void *model, veil_wbuf *w) {
  veil_wbuf_bytes(w, "PLAN", 4);
  veil_wbuf_u8(w, (uint8_t)((fix_model *)model)->param);
  return VEIL_OK;
}

/* Key file: "VKEY" <param> <k> then any filler. */
static veil_status fix_keys_open(void *model, const char *path, void **keys) {
  uint8_t *d;
  size_t n;
  VEIL_TRY(veil_file_read(path, 1 << 24, &d, &n));
  veil_status st = VEIL_OK;
  if (n < 6 || memcmp(d, "VKEY", 4) != 0)
    st = veil_fail(VEIL_ERR_FORMAT, "not a key file");
  else if ((char)d[4] != ((fix_model *)model)->param)
    st = veil_fail(VEIL_ERR_MISMATCH, "keys for parameters '%c', model has '%c'", d[4], ((fix_model *)model)->param);
  if (!st) {
    uint8_t *k = malloc(1);
    *k = d[5];
    *keys = k;
  }
  veil_free(d);
  return st;
}
static void fix_keys_close(void *keys) { free(keys); }

/* Ciphertexts: "VCT" <param> <delay_ms/10> payload. */
static veil_status fix_infer(void *model, void *keys, const char *in, const char *out, const veil_service_deadline *dl) {
  (void)dl;
  uint8_t *d;
  size_t n;
  VEIL_TRY(veil_file_read(in, 1 << 24, &d, &n));
  veil_status st = VEIL_OK;
  if (n < 5 || memcmp(d, "VCT", 3) != 0)
    st = veil_fail(VEIL_ERR_FORMAT, "not a ciphertext file");
  else if ((char)d[3] != ((fix_model *)model)->param)
    st = veil_fail(VEIL_ERR_MISMATCH, "ciphertexts under other parameters");
  if (!st) {
    usleep((useconds_t)d[4] * 10000);
    memcpy(d + 1, "VOUT", 4);
    for (size_t i = 5; i < n; i++)
      d[i] = (uint8_t)(d[i] + *(uint8_t *)keys);
    st = veil_file_write_atomic(out, d + 1, n - 1, 0600);
  }
  veil_free(d);
  return st;
}

static const veil_service_engine fixture = {"fixture", ".fix", fix_load, fix_free, fix_describe, fix_plan,
                                            fix_keys_open, fix_keys_close, fix_infer, NULL, NULL, NULL, NULL};

/* ---- helpers ----------------------------------------------------------------------------------- */

static char g_root[256];

static void put_file(const char *path, const void *d, size_t n) {
  FILE *f = fopen(path, "wb");
  fwrite(d, 1, n, f);
  fclose(f);
}

/* A path under the test's root (rotating thread-local buffers: copy it to keep it long). */
static char *path_in(const char *name) {
  static _Thread_local char buf[8][512];
  static _Thread_local int k;
  k = (k + 1) % 8;
  snprintf(buf[k], sizeof buf[k], "%s/%s", g_root, name);
  return buf[k];
}

static void setup_dirs(void) {
  snprintf(g_root, sizeof g_root, "/tmp/veil-test-http-XXXXXX");
  VEIL_ASSERT(mkdtemp(g_root));
  mkdir(path_in("models"), 0700);
  put_file(path_in("models/alpha.fix"), "A", 1);
  put_file(path_in("models/beta.fix"), "B", 1);
  put_file(path_in("models/ignored.txt"), "x", 1);
}

static char g_keep[8][512];
static int g_nkeep;

/* A path under the test's root that stays valid (server options). */
static const char *keep(const char *name) {
  VEIL_ASSERT(g_nkeep < 8);
  snprintf(g_keep[g_nkeep], sizeof g_keep[0], "%s/%s", g_root, name);
  return g_keep[g_nkeep++];
}

static veil_service_opts opts(void) {
  veil_service_opts o;
  veil_service_opts_default(&o);
  static const char *models, *state;
  if (!models) {
    models = keep("models");
    state = keep("state");
  }
  o.models_dir = models;
  o.state_dir = state;
  o.listen = "127.0.0.1:0";
  o.engine = &fixture;
  o.limits.max_body_bytes = 1 << 16;
  o.limits.max_keysets_per_client = 3;
  o.limits.workers = 2;
  o.limits.queue = 2;
  return o;
}

static veil_client *connect_client(veil_service *s) {
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%u", veil_service_port(s));
  veil_client *c = NULL;
  VEIL_ASSERT(veil_client_init(url, &c) == VEIL_OK);
  veil_client_set_timeout(c, 30);
  return c;
}

/* Writes a key file for parameter @p p with increment @p k. */
static const char *key_file(const char *name, char p, uint8_t k) {
  uint8_t d[64] = {'V', 'K', 'E', 'Y', (uint8_t)p, k};
  put_file(path_in(name), d, sizeof d);
  return path_in(name);
}

/* Writes a ciphertext file for parameter @p p: payload 0..n-1 (mod 256), delay in 10 ms units. */
static const char *ct_file(const char *name, char p, uint8_t delay, size_t n) {
  uint8_t *d = malloc(n + 5);
  memcpy(d, "VCT", 3);
  d[3] = (uint8_t)p;
  d[4] = delay;
  for (size_t i = 0; i < n; i++)
    d[5 + i] = (uint8_t)i;
  put_file(path_in(name), d, n + 5);
  free(d);
  return path_in(name);
}

/* True when @p path holds "VOUT" then bytes (i + k) mod 256 for i < n. */
static bool result_ok(const char *path, uint8_t k, size_t n) {
  uint8_t *d;
  size_t len;
  if (veil_file_read(path, 1 << 24, &d, &len) != VEIL_OK)
    return false;
  bool ok = len == n + 4 && memcmp(d, "VOUT", 4) == 0;
  for (size_t i = 0; ok && i < n; i++)
    ok = d[4 + i] == (uint8_t)(i + k);
  veil_free(d);
  return ok;
}

/* Sends raw bytes on a fresh connection; returns the HTTP status and the body (after the blank line). */
static int raw_http(unsigned port, const char *req, size_t n, char *body, size_t cap) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  struct timeval tv = {10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    close(fd);
    return -1;
  }
  if (write(fd, req, n) != (ssize_t)n) {
    close(fd);
    return -1;
  }
  char buf[8192];
  size_t got = 0;
  for (ssize_t r; got < sizeof buf - 1 && (r = read(fd, buf + got, sizeof buf - 1 - got)) > 0;)
    got += (size_t)r;
  buf[got] = 0;
  close(fd);
  int status = 0;
  if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
    return 0;
  const char *b = strstr(buf, "\r\n\r\n");
  snprintf(body, cap, "%s", b ? b + 4 : "");
  return status;
}

static bool json_error_is(const char *body, const char *code) {
  char c[64];
  return veil_json_get_str(body, strlen(body), "error.code", c, sizeof c) == VEIL_OK && strcmp(c, code) == 0;
}

static int count_files(const char *dir) {
  DIR *d = opendir(dir);
  int n = 0;
  for (struct dirent *e; d && (e = readdir(d));)
    n += e->d_name[0] != '.';
  if (d)
    closedir(d);
  return n;
}

/* ---- tests ------------------------------------------------------------------------------------- */

static void test_metadata(void) {
  veil_service_opts o = opts();
  o.banner = "TEST banner";
  veil_service *s;
  VT_OK(veil_service_start(&o, &s));
  veil_client *c = connect_client(s);
  veil_wbuf b;
  char str[64];
  VT_OK(veil_client_get(c, "/v1/health", &b));
  VT_CHECK(veil_json_get_str((char *)b.data, b.len, "status", str, sizeof str) == VEIL_OK && !strcmp(str, "ok"));
  VT_CHECK(veil_json_get_str((char *)b.data, b.len, "warning", str, sizeof str) == VEIL_OK &&
           !strcmp(str, "TEST banner"));
  veil_wbuf_free(&b);
  VT_OK(veil_client_get(c, "/v1/models/beta", &b));
  VT_CHECK(veil_json_get_str((char *)b.data, b.len, "param", str, sizeof str) == VEIL_OK && !strcmp(str, "B"));
  VT_CHECK(veil_json_get_str((char *)b.data, b.len, "name", str, sizeof str) == VEIL_OK && !strcmp(str, "beta"));
  veil_wbuf_free(&b);
  VT_OK(veil_client_get(c, "/v1/models/alpha/plan", &b));
  VT_CHECK(b.len == 5 && memcmp(b.data, "PLANA", 5) == 0);
  veil_wbuf_free(&b);
  VT_OK(veil_client_get(c, "/v1/models", &b));
  VT_CHECK(b.len > 0 && strstr((char *)b.data, "\"alpha\"") && strstr((char *)b.data, "\"beta\"") &&
           !strstr((char *)b.data, "ignored"));
  veil_wbuf_free(&b);
  VT_CHECK(veil_client_get(c, "/v1/models/gamma", &b) == VEIL_ERR_NOT_FOUND);
  VT_CHECK(veil_client_http_status(c) == 404);
  VT_CHECK(veil_client_get(c, "/v2/what", &b) == VEIL_ERR_NOT_FOUND);
  char body[4096];
  VT_CHECK(raw_http(veil_service_port(s), "PUT /v1/health HTTP/1.1\r\nHost: x\r\n\r\n", 37, body, sizeof body) == 405);
  VT_CHECK(json_error_is(body, "method_not_allowed"));
  veil_client_free(c);
  veil_service_stop(s);
}

static void test_keys_and_infer(void) {
  veil_service_opts o = opts();
  veil_service *s;
  VT_OK(veil_service_start(&o, &s));
  veil_client *c = connect_client(s);
  veil_client_keyset ks, ks2;
  VT_OK(veil_client_keys_upload(c, "alpha", key_file("k.bin", 'A', 7), &ks));
  VT_CHECK(veil_client_http_status(c) == 201);
  VT_CHECK(strlen(ks.id) == 32 && strlen(ks.token) == 64);
  VT_OK(veil_client_infer(c, "alpha", &ks, ct_file("x.ct", 'A', 0, 1000), path_in("y.ct")));
  VT_CHECK(result_ok(path_in("y.ct"), 7, 1000));
  /* the token is checked: another key set's token, a flipped token, no token */
  VT_OK(veil_client_keys_upload(c, "alpha", key_file("k2.bin", 'A', 9), &ks2));
  veil_client_keyset bad = ks;
  memcpy(bad.token, ks2.token, sizeof bad.token);
  VT_CHECK(veil_client_infer(c, "alpha", &bad, path_in("x.ct"), path_in("z.ct")) == VEIL_ERR_INVALID_ARG);
  VT_CHECK(veil_client_http_status(c) == 403);
  VT_CHECK(access(path_in("z.ct"), F_OK) != 0);
  char body[4096], req[512];
  int n = snprintf(req, sizeof req, "POST /v1/models/alpha/infer?key_set=%s HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", ks.id);
  VT_CHECK(raw_http(veil_service_port(s), req, (size_t)n, body, sizeof body) == 401);
  VT_CHECK(json_error_is(body, "unauthorized"));
  /* key set of model alpha used with model beta: 409 */
  VT_CHECK(veil_client_infer(c, "beta", &ks, ct_file("xb.ct", 'B', 0, 10), path_in("z.ct")) == VEIL_ERR_MISMATCH);
  VT_CHECK(veil_client_http_status(c) == 409);
  /* delete: the key set is gone, its files too */
  VT_OK(veil_client_keys_delete(c, &ks2));
  VT_CHECK(veil_client_infer(c, "alpha", &ks2, path_in("x.ct"), path_in("z.ct")) == VEIL_ERR_NOT_FOUND);
  VT_CHECK(veil_client_keys_delete(c, &bad) == VEIL_ERR_INVALID_ARG); /* ks.id with ks2's token */
  VT_OK(veil_client_keys_delete(c, &ks));
  VT_CHECK(count_files(path_in("state/keys")) == 0);
  veil_client_free(c);
  veil_service_stop(s);
}

static void test_bad_requests(void) {
  veil_service_opts o = opts();
  veil_service *s;
  VT_OK(veil_service_start(&o, &s));
  veil_client *c = connect_client(s);
  veil_client_keyset ks;
  /* garbage keys, keys for other parameters, an oversized body */
  put_file(path_in("garbage.bin"), "\x01\x02garbage", 9);
  VT_CHECK(veil_client_keys_upload(c, "alpha", path_in("garbage.bin"), &ks) == VEIL_ERR_FORMAT);
  VT_CHECK(veil_client_http_status(c) == 400);
  VT_CHECK(veil_client_keys_upload(c, "alpha", key_file("kb.bin", 'B', 1), &ks) == VEIL_ERR_MISMATCH);
  VT_CHECK(veil_client_http_status(c) == 422);
  VT_CHECK(veil_client_keys_upload(c, "nosuch", key_file("k.bin", 'A', 1), &ks) == VEIL_ERR_NOT_FOUND);
  uint8_t *big = calloc(1, 100000);
  memcpy(big, "VKEYA", 5);
  put_file(path_in("big.bin"), big, 100000);
  free(big);
  VT_CHECK(veil_client_keys_upload(c, "alpha", path_in("big.bin"), &ks) == VEIL_ERR_LIMIT);
  VT_CHECK(veil_client_http_status(c) == 413);
  /* truncated and wrong-parameter ciphertexts */
  VT_OK(veil_client_keys_upload(c, "alpha", key_file("k.bin", 'A', 3), &ks));
  put_file(path_in("trunc.ct"), "VC", 2);
  VT_CHECK(veil_client_infer(c, "alpha", &ks, path_in("trunc.ct"), path_in("z.ct")) == VEIL_ERR_FORMAT);
  VT_CHECK(veil_client_http_status(c) == 400);
  VT_CHECK(veil_client_infer(c, "alpha", &ks, ct_file("xb.ct", 'B', 0, 10), path_in("z.ct")) == VEIL_ERR_MISMATCH);
  VT_CHECK(veil_client_http_status(c) == 422);
  /* raw: an announced body above the limit is refused before it is sent; an empty body */
  char body[4096], req[512];
  int n = snprintf(req, sizeof req, "POST /v1/keys?model=alpha HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\n");
  VT_CHECK(raw_http(veil_service_port(s), req, (size_t)n, body, sizeof body) == 413);
  VT_CHECK(json_error_is(body, "too_large"));
  n = snprintf(req, sizeof req, "POST /v1/keys?model=alpha HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  VT_CHECK(raw_http(veil_service_port(s), req, (size_t)n, body, sizeof body) == 400);
  VT_CHECK(json_error_is(body, "empty_body"));
  n = snprintf(req, sizeof req, "POST /v1/keys HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  VT_CHECK(raw_http(veil_service_port(s), req, (size_t)n, body, sizeof body) == 400);
  /* a connection dropped mid-upload leaves no file behind */
  n = snprintf(req, sizeof req, "POST /v1/keys?model=alpha HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\nVKEYA\x01partial");
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)veil_service_port(s))};
  inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  VT_CHECK(connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
  VT_CHECK(write(fd, req, (size_t)n) == n);
  usleep(100000);
  close(fd);
  for (int i = 0; i < 100 && count_files(path_in("state/tmp")) != 0; i++)
    usleep(20000);
  VT_CHECK(count_files(path_in("state/tmp")) == 0);
  /* raw protocol garbage: refused, and the server keeps serving */
  raw_http(veil_service_port(s), "\x16\x03\x01garbage\r\n\r\n", 14, body, sizeof body);
  VT_OK(veil_client_infer(c, "alpha", &ks, ct_file("x.ct", 'A', 0, 300), path_in("y.ct")));
  VT_CHECK(result_ok(path_in("y.ct"), 3, 300));
  /* per-client key-set limit (3): one stored, two more fit, the fourth is refused with 429 */
  veil_client_keyset extra;
  VT_OK(veil_client_keys_upload(c, "alpha", key_file("k.bin", 'A', 3), &extra));
  VT_OK(veil_client_keys_upload(c, "alpha", key_file("k.bin", 'A', 3), &extra));
  VT_CHECK(veil_client_keys_upload(c, "alpha", key_file("k.bin", 'A', 3), &extra) == VEIL_ERR_LIMIT);
  VT_CHECK(veil_client_http_status(c) == 429);
  /* metrics count what happened */
  veil_wbuf m;
  VT_OK(veil_client_get(c, "/v1/metrics", &m));
  VT_CHECK(m.len && strstr((char *)m.data, "veil_errors_total{class=\"4xx\"}") &&
           strstr((char *)m.data, "veil_request_duration_seconds_bucket{le=\"+Inf\"}"));
  unsigned long long req_total = 0;
  const char *rt = m.len ? strstr((char *)m.data, "\nveil_requests_total ") : NULL;
  VT_CHECK(rt && sscanf(rt, "\nveil_requests_total %llu", &req_total) == 1 && req_total >= 15);
  veil_wbuf_free(&m);
  veil_client_free(c);
  veil_service_stop(s);
}

static void test_restart_and_recovery(void) {
  veil_service_opts o = opts();
  o.state_dir = keep("state-restart");
  veil_service *s;
  VT_OK(veil_service_start(&o, &s));
  veil_client *c = connect_client(s);
  veil_client_keyset ks;
  VT_OK(veil_client_keys_upload(c, "beta", key_file("k.bin", 'B', 42), &ks));
  veil_client_free(c);
  veil_service_stop(s);
  /* debris of a crash: an upload in tmp/ and a key file whose meta was never written */
  put_file(path_in("state-restart/tmp/up-crash1"), "VKEYB", 5);
  put_file(path_in("state-restart/keys/0123456789abcdef0123456789abcdef.bin"), "VKEYB\x01", 6);
  VT_OK(veil_service_start(&o, &s));
  c = connect_client(s);
  VT_CHECK(count_files(path_in("state-restart/tmp")) == 0);
  veil_wbuf b;
  double nks = -1;
  VT_OK(veil_client_get(c, "/v1/health", &b));
  VT_CHECK(veil_json_get_num((char *)b.data, b.len, "key_sets", &nks) == VEIL_OK && nks == 1);
  veil_wbuf_free(&b);
  VT_OK(veil_client_infer(c, "beta", &ks, ct_file("x.ct", 'B', 0, 500), path_in("y.ct")));
  VT_CHECK(result_ok(path_in("y.ct"), 42, 500));
  veil_client_free(c);
  veil_service_stop(s);
}

typedef struct worker_arg {
  unsigned port;
  int idx;
  bool ok;
} worker_arg;

static void *client_thread(void *p) {
  worker_arg *a = p;
  char url[64], k[32], x[32], y[32];
  snprintf(url, sizeof url, "http://127.0.0.1:%u", a->port);
  snprintf(k, sizeof k, "k%d.bin", a->idx);
  snprintf(x, sizeof x, "x%d.ct", a->idx);
  snprintf(y, sizeof y, "y%d.ct", a->idx);
  veil_client *c;
  veil_client_keyset ks;
  a->ok = veil_client_init(url, &c) == VEIL_OK;
  a->ok = a->ok && veil_client_keys_upload(c, "alpha", key_file(k, 'A', (uint8_t)(10 + a->idx)), &ks) == VEIL_OK;
  a->ok = a->ok && veil_client_infer(c, "alpha", &ks, ct_file(x, 'A', 2, 2000 + (size_t)a->idx), path_in(y)) == VEIL_OK;
  a->ok = a->ok && result_ok(path_in(y), (uint8_t)(10 + a->idx), 2000 + (size_t)a->idx);
  veil_client_free(c);
  return NULL;
}

static void test_concurrent_clients(void) {
  veil_service_opts o = opts();
  o.state_dir = keep("state-conc");
  o.limits.max_keysets_per_client = 8;
  o.limits.queue = 8;
  veil_service *s;
  VT_OK(veil_service_start(&o, &s));
  pthread_t t[8];
  worker_arg a[8];
  for (int i = 0; i < 8; i++) {
    a[i] = (worker_arg){veil_service_port(s), i, false};
    pthread_create(&t[i], NULL, client_thread, &a[i]);
  }
  for (int i = 0; i < 8; i++) {
    pthread_join(t[i], NULL);
    VT_CHECK_MSG(a[i].ok, "client %d", i);
  }
  veil_service_stop(s);
}

typedef struct busy_arg {
  unsigned port;
  veil_client_keyset ks;
  veil_status st;
  int http;
} busy_arg;

static void *busy_thread(void *p) {
  busy_arg *a = p;
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%u", a->port);
  veil_client *c;
  VEIL_ASSERT(veil_client_init(url, &c) == VEIL_OK);
  a->st = veil_client_infer(c, "alpha", &a->ks, path_in("slow.ct"), path_in("slow-out.ct"));
  a->http = veil_client_http_status(c);
  veil_client_free(c);
  return NULL;
}

/* One worker, no queue: of 4 simultaneous slow requests, some get 503, the rest succeed. */
static void test_over_capacity(void) {
  veil_service_opts o = opts();
  o.state_dir = keep("state-busy");
  o.limits.workers = 1;
  o.limits.queue = 0;
  veil_service *s;
  VT_OK(veil_service_start(&o, &s));
  veil_client *c = connect_client(s);
  veil_client_keyset ks;
  VT_OK(veil_client_keys_upload(c, "alpha", key_file("k.bin", 'A', 1), &ks));
  ct_file("slow.ct", 'A', 30, 10); /* 300 ms each */
  pthread_t t[4];
  busy_arg a[4];
  for (int i = 0; i < 4; i++) {
    a[i] = (busy_arg){.port = veil_service_port(s), .ks = ks};
    pthread_create(&t[i], NULL, busy_thread, &a[i]);
  }
  int ok = 0, busy = 0;
  for (int i = 0; i < 4; i++) {
    pthread_join(t[i], NULL);
    ok += a[i].st == VEIL_OK;
    busy += a[i].st == VEIL_ERR_LIMIT && a[i].http == 503;
  }
  VT_CHECK_MSG(ok >= 1 && busy >= 1 && ok + busy == 4, "ok %d busy %d", ok, busy);
  VT_OK(veil_client_infer(c, "alpha", &ks, ct_file("x.ct", 'A', 0, 10), path_in("y.ct")));
  VT_CHECK(result_ok(path_in("y.ct"), 1, 10));
  veil_client_free(c);
  veil_service_stop(s);
}

static void test_json_reader(void) {
  const char *j = "{\"a\": {\"b\": [1, {\"x\": \"y\"}], \"c\": \"q\\\"\\u00e9\\n\"}, \"n\": -2.5e1, \"t\": true}";
  char s[32];
  double d;
  VT_CHECK(veil_json_get_str(j, strlen(j), "a.c", s, sizeof s) == VEIL_OK && !strcmp(s, "q\"\xc3\xa9\n"));
  VT_CHECK(veil_json_get_num(j, strlen(j), "n", &d) == VEIL_OK && d == -25.0);
  VT_CHECK(veil_json_get_str(j, strlen(j), "a.z", s, sizeof s) == VEIL_ERR_NOT_FOUND);
  VT_CHECK(veil_json_get_str(j, strlen(j), "t", s, sizeof s) == VEIL_ERR_NOT_FOUND);
  VT_CHECK(veil_json_get_str(j, strlen(j), "a.c", s, 3) == VEIL_ERR_LIMIT);
  VT_CHECK(veil_json_get_str("{\"a\":", 5, "b", s, sizeof s) != VEIL_OK);
  VT_CHECK(veil_json_get_str("{\"a\" 1}", 7, "b", s, sizeof s) == VEIL_ERR_FORMAT);
}

int main(void) {
  setup_dirs();
  VT_RUN(test_json_reader);
  VT_RUN(test_metadata);
  VT_RUN(test_keys_and_infer);
  VT_RUN(test_bad_requests);
  VT_RUN(test_restart_and_recovery);
  VT_RUN(test_concurrent_clients);
  VT_RUN(test_over_capacity);
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_root);
  if (system(cmd) != 0)
    fprintf(stderr, "could not remove %s\n", g_root);
  VT_DONE();
}
