/*
 * The HTTP server: libmicrohttpd with internal I/O threads; request bodies stream to temporary files
 * in the state directory; HE work runs on a bounded worker pool while the connection is suspended.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "service/service-impl.h"

void veil_service_opts_default(veil_service_opts *o) {
  int cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
  if (cores < 1)
    cores = 1;
  *o = (veil_service_opts){.listen = "127.0.0.1:8750"};
  o->limits = (veil_service_limits){.max_body_bytes = 4ull << 30,
                                    .max_keysets_per_client = 4,
                                    .max_keysets = 256,
                                    .workers = cores,
                                    .queue = 2 * cores,
                                    .max_connections = 256,
                                    .request_timeout_s = 600,
                                    .idle_timeout_s = 60,
                                    .session_timeout_s = 300,
                                    .max_sessions_per_client = 2,
                                    .max_sessions = 16};
}

/* ---- responses --------------------------------------------------------------------------------- */

void veil__req_json(veil__req *r, unsigned status, veil_wbuf *json) {
  veil_wbuf_free(&r->resp);
  r->resp = *json;
  veil_wbuf_init(json);
  r->status = status;
  r->ctype = "application/json";
  r->state = VEIL__R_DONE;
}

void veil__req_error(veil__req *r, unsigned status, const char *code, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  veil_wbuf w;
  veil_wbuf_init(&w);
  veil__wbuf_printf(&w, "{\"error\":{\"code\":");
  veil__wbuf_json_str(&w, code);
  veil__wbuf_printf(&w, ",\"message\":");
  veil__wbuf_json_str(&w, msg);
  veil__wbuf_printf(&w, "}}\n");
  veil__req_json(r, status, &w);
}

/* Copies @p in to @p out with every absolute path ("/..." up to ':' or a space) replaced by
 * "<upload>": error details name the server's temporary files, which clients must not learn. */
static void scrub_paths(const char *in, char *out, size_t cap) {
  size_t o = 0;
  for (size_t i = 0; in[i] && o + 1 < cap;) {
    bool starts = in[i] == '/' && (i == 0 || in[i - 1] == ' ');
    if (!starts) {
      out[o++] = in[i++];
      continue;
    }
    while (in[i] && in[i] != ':' && in[i] != ' ')
      i++;
    for (const char *t = "<upload>"; *t && o + 1 < cap; t++)
      out[o++] = *t;
  }
  out[o] = 0;
}

void veil__req_fail(veil__req *r, veil_status st, const char *what) {
  static const struct {
    veil_status st;
    unsigned http;
    const char *code;
  } map[] = {{VEIL_ERR_INVALID_ARG, 400, "bad_request"}, {VEIL_ERR_FORMAT, 400, "malformed"},
             {VEIL_ERR_UNSUPPORTED, 422, "unsupported"}, {VEIL_ERR_MISMATCH, 422, "wrong_parameters"},
             {VEIL_ERR_INSECURE, 422, "insecure"},       {VEIL_ERR_PRECISION, 422, "precision"},
             {VEIL_ERR_NOT_FOUND, 404, "not_found"},     {VEIL_ERR_LIMIT, 503, "over_capacity"},
             {VEIL_ERR_NOMEM, 503, "out_of_memory"},     {VEIL_ERR_IO, 500, "io_error"}};
  unsigned http = 500;
  const char *code = "internal";
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (map[i].st == st) {
      http = map[i].http;
      code = map[i].code;
    }
  char detail[512];
  scrub_paths(veil_error_detail(), detail, sizeof detail);
  veil__req_error(r, http, code, "%s: %s", what, detail);
}

/* X-Veil-Session, -Done, -Round, -Activation, -Group, -Outputs, -Clip (docs/service.md). */
static void add_round_headers(struct MHD_Response *resp, const veil__req *r) {
  const veil_service_round *k = &r->round;
  char v[64];
  MHD_add_response_header(resp, "X-Veil-Session", r->sess_id);
  MHD_add_response_header(resp, "X-Veil-Done", k->done ? "1" : "0");
  if (k->done)
    return;
  snprintf(v, sizeof v, "%d", k->round);
  MHD_add_response_header(resp, "X-Veil-Round", v);
  MHD_add_response_header(resp, "X-Veil-Activation", k->act);
  snprintf(v, sizeof v, "%d", k->group);
  MHD_add_response_header(resp, "X-Veil-Group", v);
  snprintf(v, sizeof v, "%lld", (long long)k->outputs);
  MHD_add_response_header(resp, "X-Veil-Outputs", v);
  snprintf(v, sizeof v, "%.17g,%.17g", k->clip[0], k->clip[1]);
  MHD_add_response_header(resp, "X-Veil-Clip", v);
}

static enum MHD_Result send_response(veil__req *r) {
  if (r->queued)
    return MHD_YES;
  r->queued = true;
  struct MHD_Response *resp;
  if (r->resp_fd >= 0) {
    resp = MHD_create_response_from_fd64(r->resp_size, r->resp_fd);
    r->resp_fd = -1; /* owned by the response now */
    r->bytes_out = r->resp_size;
  } else {
    resp = MHD_create_response_from_buffer(r->resp.len, r->resp.data, MHD_RESPMEM_MUST_COPY);
    r->bytes_out = r->resp.len;
  }
  if (!resp)
    return MHD_NO;
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->ctype ? r->ctype : "application/json");
  if (r->status == 503)
    MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
  if (r->status == 401)
    MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
  if (r->has_round && r->status < 300)
    add_round_headers(resp, r);
  enum MHD_Result ok = MHD_queue_response(r->conn, r->status, resp);
  MHD_destroy_response(resp);
  return ok;
}

/* ---- request life cycle ------------------------------------------------------------------------ */

static void client_addr(struct MHD_Connection *conn, char *out, size_t cap) {
  snprintf(out, cap, "unknown");
  const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (!ci || !ci->client_addr)
    return;
  const struct sockaddr *sa = ci->client_addr;
  if (sa->sa_family == AF_INET)
    inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out, (socklen_t)cap);
  else if (sa->sa_family == AF_INET6)
    inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out, (socklen_t)cap);
}

static veil__req *req_new(veil_service *s, struct MHD_Connection *conn, const char *url, const char *method) {
  veil__req *r = calloc(1, sizeof *r);
  if (!r)
    return NULL;
  r->srv = s;
  r->conn = conn;
  r->body_fd = r->resp_fd = -1;
  r->start_ns = veil_now_ns();
  r->url = strdup(url);
  snprintf(r->method, sizeof r->method, "%s", method);
  client_addr(conn, r->addr, sizeof r->addr);
  veil_wbuf_init(&r->resp);
  return r;
}

void veil__req_release(veil__req *r) {
  if (r->body_fd >= 0)
    close(r->body_fd);
  r->body_fd = -1;
  if (r->body_path)
    unlink(r->body_path);
  free(r->body_path);
  r->body_path = NULL;
  if (r->resp_fd >= 0)
    close(r->resp_fd);
  r->resp_fd = -1;
  if (r->keyset)
    veil__store_release(&r->srv->store, r->keyset, r->srv->engine);
  if (r->sess)
    veil__sessions_release(r->srv, r->sess, r->sess_end);
  r->sess = NULL;
  r->keyset = NULL;
}

static void access_log(veil_service *s, const veil__req *r, uint64_t ns) {
  if (!s->opts.access_log)
    return;
  char ts[32];
  time_t now = time(NULL);
  struct tm tm;
  strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
  pthread_mutex_lock(&s->log_mu);
  fprintf(s->opts.access_log, "%s %s \"%s %s\" %u in=%llu out=%llu %.3fms\n", ts, r->addr, r->method,
          r->url ? r->url : "?", r->status, (unsigned long long)r->bytes_in, (unsigned long long)r->bytes_out,
          (double)ns * 1e-6);
  fflush(s->opts.access_log);
  pthread_mutex_unlock(&s->log_mu);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode why) {
  (void)conn;
  veil_service *s = cls;
  veil__req *r = *con_cls;
  if (!r)
    return;
  if (why != MHD_REQUEST_TERMINATED_COMPLETED_OK && r->status < 400)
    r->status = 499; /* client went away (nginx's convention) */
  uint64_t ns = veil_now_ns() - r->start_ns;
  veil__metrics_record(&s->metrics, r->status, r->bytes_in, r->bytes_out, ns);
  access_log(s, r, ns);
  veil__req_release(r);
  veil_wbuf_free(&r->resp);
  free(r->url);
  free(r);
  *con_cls = NULL;
}

static void job_main(veil__job *j) {
  veil__req *r = (veil__req *)((char *)j - offsetof(veil__req, job));
  veil_service *s = r->srv;
  uint64_t waited = veil_now_ns() - j->enqueued_ns;
  if (waited > (uint64_t)s->opts.limits.request_timeout_s * 1000000000ull)
    veil__req_error(r, 503, "timeout", "request waited %.1f s for a worker", (double)waited * 1e-9);
  else
    r->job_fn(r);
  if (r->state != VEIL__R_DONE)
    veil__req_error(r, 500, "internal", "job produced no response");
  atomic_fetch_sub(&s->metrics.inflight_jobs, 1);
  MHD_resume_connection(r->conn);
}

/* Body complete: closes the sink and hands the work to the pool (connection suspended meanwhile). */
static void start_job(veil__req *r) {
  if (r->body_fd >= 0 && close(r->body_fd) != 0) {
    r->body_fd = -1;
    veil__req_error(r, 500, "io_error", "cannot store request body: %s", strerror(errno));
    return;
  }
  r->body_fd = -1;
  if (r->body_path && r->bytes_in == 0) {
    veil__req_error(r, 400, "empty_body", "%s %s needs a request body", r->method, r->url);
    return;
  }
  r->state = VEIL__R_JOB;
  r->job.run = job_main;
  atomic_fetch_add(&r->srv->metrics.inflight_jobs, 1);
  MHD_suspend_connection(r->conn);
  if (veil__pool_submit(&r->srv->pool, &r->job) != VEIL_OK) {
    atomic_fetch_sub(&r->srv->metrics.inflight_jobs, 1);
    veil__req_error(r, 503, "over_capacity", "%s", veil_error_detail());
    MHD_resume_connection(r->conn);
  }
}

static void body_write(veil__req *r, const char *data, size_t n) {
  uint64_t limit = r->srv->opts.limits.max_body_bytes;
  r->bytes_in += n;
  if (r->bytes_in > limit) {
    veil__req_error(r, 413, "too_large", "request body exceeds the limit of %llu bytes",
                    (unsigned long long)limit);
    veil__req_release(r);
    return;
  }
  if (r->body_fd < 0) {
    veil__req_error(r, 400, "unexpected_body", "%s %s takes no request body", r->method, r->url);
    return;
  }
  while (n) {
    ssize_t w = write(r->body_fd, data, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0) {
      veil__req_error(r, 507, "insufficient_storage", "cannot store request body: %s", strerror(errno));
      veil__req_release(r);
      return;
    }
    data += w;
    n -= (size_t)w;
  }
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls) {
  (void)version;
  veil__req *r = *con_cls;
  if (!r) {
    r = req_new(cls, conn, url, method);
    if (!r)
      return MHD_NO;
    *con_cls = r;
    veil__route(r, url, method);
    return r->state == VEIL__R_DONE ? send_response(r) : MHD_YES;
  }
  if (*upload_data_size) {
    bool was_body = r->state == VEIL__R_BODY;
    if (was_body)
      body_write(r, upload_data, *upload_data_size);
    *upload_data_size = 0;
    /* An error mid-body is answered at once; libmicrohttpd then closes the connection. */
    return was_body && r->state == VEIL__R_DONE ? send_response(r) : MHD_YES;
  }
  if (r->state == VEIL__R_BODY) {
    if (r->job_fn) {
      start_job(r);
      if (r->state != VEIL__R_DONE)
        return MHD_YES;
    } else
      veil__req_error(r, 500, "internal", "no handler");
  }
  if (r->state == VEIL__R_JOB)
    return MHD_YES; /* spurious call while the job runs */
  return send_response(r);
}

/* ---- start and stop ---------------------------------------------------------------------------- */

static veil_status parse_listen(const char *listen, struct sockaddr_in *sa) {
  char host[64];
  unsigned port;
  const char *colon = listen ? strrchr(listen, ':') : NULL;
  if (!colon || (size_t)(colon - listen) >= sizeof host || sscanf(colon + 1, "%u", &port) != 1 || port > 65535)
    return veil_fail(VEIL_ERR_INVALID_ARG, "listen address '%s': expected HOST:PORT", listen ? listen : "");
  memcpy(host, listen, (size_t)(colon - listen));
  host[colon - listen] = 0;
  *sa = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
    return veil_fail(VEIL_ERR_INVALID_ARG, "listen address '%s': host must be an IPv4 address", listen);
  return VEIL_OK;
}

static int name_cmp(const void *a, const void *b) {
  return strcmp(((const veil__model *)a)->name, ((const veil__model *)b)->name);
}

/* Loads one model file if its extension matches the engine's. */
static veil_status load_model(veil_service *s, const char *dir, const char *fname) {
  const char *ext = s->engine->model_ext;
  size_t n = strlen(fname), el = strlen(ext);
  if (n <= el || strcmp(fname + n - el, ext) != 0)
    return VEIL_OK;
  char name[128];
  if (n - el >= sizeof name)
    return veil_fail(VEIL_ERR_INVALID_ARG, "model file name too long: %s", fname);
  memcpy(name, fname, n - el);
  name[n - el] = 0;
  if (!veil__name_ok(name))
    return veil_fail(VEIL_ERR_INVALID_ARG, "model name '%s' (from %s/%s): use only [A-Za-z0-9._-]", name, dir,
                     fname);
  veil__model *m = realloc(s->models, (size_t)(s->nmodels + 1) * sizeof *m);
  if (!m)
    return veil_fail(VEIL_ERR_NOMEM, "out of memory");
  s->models = m;
  m += s->nmodels;
  *m = (veil__model){0};
  snprintf(m->name, sizeof m->name, "%s", name);
  char *path = veil__strdupf("%s/%s", dir, fname);
  if (!path)
    return veil_fail(VEIL_ERR_NOMEM, "out of memory");
  veil_status st = s->engine->model_load(s->engine, path, name, &m->impl);
  free(path);
  if (st)
    return veil_fail(st, "model %s: %s", name, veil_error_detail());
  s->nmodels++;
  return VEIL_OK;
}

static veil_status load_models(veil_service *s, const char *dir) {
  DIR *d = opendir(dir);
  if (!d)
    return veil_fail(VEIL_ERR_IO, "cannot read models directory %s: %s", dir, strerror(errno));
  veil_status st = VEIL_OK;
  for (struct dirent *e; !st && (e = readdir(d));)
    st = load_model(s, dir, e->d_name);
  closedir(d);
  if (!st && s->nmodels == 0)
    st = veil_fail(VEIL_ERR_NOT_FOUND, "no *%s models in %s", s->engine->model_ext, dir);
  if (!st)
    qsort(s->models, (size_t)s->nmodels, sizeof *s->models, name_cmp);
  return st;
}

static veil_status start_daemon(veil_service *s) {
  struct sockaddr_in sa;
  VEIL_TRY(parse_listen(s->opts.listen, &sa));
  const veil_service_limits *L = &s->opts.limits;
  s->daemon = MHD_start_daemon(
      MHD_USE_AUTO_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, s,
      MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)2,
      MHD_OPTION_CONNECTION_LIMIT, (unsigned)L->max_connections, MHD_OPTION_CONNECTION_TIMEOUT,
      (unsigned)L->idle_timeout_s, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_END);
  if (!s->daemon)
    return veil_fail(VEIL_ERR_IO, "cannot listen on %s: %s", s->opts.listen, strerror(errno));
  const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
  s->port = di ? di->port : 0;
  return VEIL_OK;
}

static veil_status check_opts(const veil_service_opts *o) {
  const veil_service_limits *L = &o->limits;
  if (!o->models_dir || !o->state_dir || !o->engine)
    return veil_fail(VEIL_ERR_INVALID_ARG, "service: models_dir, state_dir and engine are required");
  if (L->workers < 1 || L->queue < 0 || L->max_connections < 1 || L->request_timeout_s < 1 ||
      L->idle_timeout_s < 1 || L->max_keysets < 1 || L->max_keysets_per_client < 1 || L->max_body_bytes < 1 ||
      L->session_timeout_s < 1 || L->max_sessions < 1 || L->max_sessions_per_client < 1)
    return veil_fail(VEIL_ERR_INVALID_ARG, "service: every limit must be positive (queue may be 0)");
  return VEIL_OK;
}

veil_status veil_service_start(const veil_service_opts *o, veil_service **out) {
  *out = NULL;
  VEIL_TRY(check_opts(o));
  VEIL_TRY(veil_crypto_init());
  veil_service *s = calloc(1, sizeof *s);
  if (!s)
    return veil_fail(VEIL_ERR_NOMEM, "out of memory");
  s->opts = *o;
  s->engine = o->engine;
  pthread_mutex_init(&s->log_mu, NULL);
  veil_status st = veil__store_open(&s->store, o->state_dir);
  if (!st)
    st = veil__sessions_init(s);
  if (!st)
    st = load_models(s, o->models_dir);
  if (!st)
    st = veil__pool_init(&s->pool, o->limits.workers, o->limits.queue);
  if (!st)
    st = start_daemon(s);
  if (st) {
    veil_service_stop(s);
    return st;
  }
  *out = s;
  return VEIL_OK;
}

unsigned veil_service_port(const veil_service *s) { return s->port; }

void veil_service_stop(veil_service *s) {
  if (!s)
    return;
  if (s->daemon)
    MHD_quiesce_daemon(s->daemon);
  veil__pool_free(&s->pool); /* finishes jobs: every suspended connection is resumed */
  if (s->daemon)
    MHD_stop_daemon(s->daemon);
  veil__sessions_free(s);
  veil__store_free(&s->store, s->engine);
  for (int i = 0; i < s->nmodels; i++)
    s->engine->model_free(s->models[i].impl);
  free(s->models);
  pthread_mutex_destroy(&s->log_mu);
  free(s);
}
