/*
 * Routing and the handlers of the HTTP API (docs/service.md):
 *   GET /v1/health, GET /v1/metrics, GET /v1/models, GET /v1/models/{name}, GET /v1/models/{name}/plan,
 *   POST /v1/keys?model=NAME, DELETE /v1/keys/{id}, POST /v1/models/{name}/infer?key_set=ID,
 *   POST /v1/models/{name}/sessions?key_set=ID, POST /v1/sessions/{id}/rounds/{k}, DELETE /v1/sessions/{id}.
 */
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "service/service-impl.h"

#define MAX_SEGS 4

static veil__model *find_model(veil_service *s, const char *name) {
  for (int i = 0; i < s->nmodels; i++)
    if (strcmp(s->models[i].name, name) == 0)
      return &s->models[i];
  return NULL;
}

static int keyset_count(veil__store *st) {
  pthread_mutex_lock(&st->mu);
  int n = st->count;
  pthread_mutex_unlock(&st->mu);
  return n;
}

/* ---- metadata ---------------------------------------------------------------------------------- */

static void get_health(veil__req *r) {
  veil_service *s = r->srv;
  veil_wbuf w;
  veil_wbuf_init(&w);
  veil__wbuf_printf(&w, "{\"status\":\"ok\",\"engine\":");
  veil__wbuf_json_str(&w, s->engine->name);
  veil__wbuf_printf(&w, ",\"models\":%d,\"key_sets\":%d", s->nmodels, keyset_count(&s->store));
  if (s->opts.banner) {
    veil__wbuf_printf(&w, ",\"warning\":");
    veil__wbuf_json_str(&w, s->opts.banner);
  }
  veil__wbuf_printf(&w, "}\n");
  veil__req_json(r, 200, &w);
}

static void get_metrics(veil__req *r) {
  veil_service *s = r->srv;
  pthread_mutex_lock(&s->pool.mu);
  int queued = s->pool.queued;
  pthread_mutex_unlock(&s->pool.mu);
  veil_wbuf w;
  veil_wbuf_init(&w);
  veil__metrics_write(&s->metrics, &w, keyset_count(&s->store), queued, s->pool.nthreads);
  veil__req_json(r, 200, &w);
  r->ctype = "text/plain; version=0.0.4";
}

static veil_status describe(veil_service *s, veil__model *m, veil_wbuf *w) {
  veil__wbuf_printf(w, "{\"name\":");
  veil__wbuf_json_str(w, m->name);
  veil__wbuf_printf(w, ",");
  VEIL_TRY(s->engine->model_describe(m->impl, w));
  veil__wbuf_printf(w, "}");
  return w->failed ? veil_fail(VEIL_ERR_NOMEM, "out of memory") : VEIL_OK;
}

static void get_models(veil__req *r) {
  veil_service *s = r->srv;
  veil_wbuf w;
  veil_wbuf_init(&w);
  veil__wbuf_printf(&w, "{\"models\":[");
  veil_status st = VEIL_OK;
  for (int i = 0; !st && i < s->nmodels; i++) {
    if (i)
      veil__wbuf_printf(&w, ",");
    st = describe(s, &s->models[i], &w);
  }
  veil__wbuf_printf(&w, "]}\n");
  if (st)
    veil__req_fail(r, st, "describing models");
  else
    veil__req_json(r, 200, &w);
  veil_wbuf_free(&w);
}

static void get_model(veil__req *r, veil__model *m, bool plan) {
  veil_wbuf w;
  veil_wbuf_init(&w);
  veil_status st = plan ? r->srv->engine->model_plan(m->impl, &w) : describe(r->srv, m, &w);
  if (!plan)
    veil__wbuf_printf(&w, "\n");
  if (st)
    veil__req_fail(r, st, m->name);
  else
    veil__req_json(r, 200, &w);
  if (plan)
    r->ctype = "application/octet-stream";
  veil_wbuf_free(&w);
}

/* ---- authorization and bodies ------------------------------------------------------------------ */

static const char *query(veil__req *r, const char *key) {
  return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

/* Checks the bearer token of key set @p id and keeps a reference in r->keyset. */
static bool authorize(veil__req *r, const char *id) {
  const char *auth = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
  if (!auth || strncmp(auth, "Bearer ", 7) != 0) {
    veil__req_error(r, 401, "unauthorized", "key set %s needs 'Authorization: Bearer <token>'", id);
    return false;
  }
  veil_status st = veil__store_acquire(&r->srv->store, id, auth + 7, &r->keyset);
  if (st == VEIL_ERR_INVALID_ARG)
    veil__req_error(r, 403, "forbidden", "%s", veil_error_detail());
  else if (st)
    veil__req_fail(r, st, "key set");
  return st == VEIL_OK;
}

/* Checks the announced body size and opens the temporary file the body streams into. */
static bool open_body(veil__req *r, veil__job_fn fn) {
  const char *cl = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
  uint64_t limit = r->srv->opts.limits.max_body_bytes;
  if (cl && strtoull(cl, NULL, 10) > limit) {
    veil__req_error(r, 413, "too_large", "request body of %s bytes exceeds the limit of %llu bytes", cl,
                    (unsigned long long)limit);
    return false;
  }
  veil_status st = veil__store_tmp(&r->srv->store, &r->body_fd, &r->body_path);
  if (st) {
    veil__req_fail(r, st, "storing request body");
    return false;
  }
  r->job_fn = fn;
  r->state = VEIL__R_BODY;
  return true;
}

/* ---- key sets ---------------------------------------------------------------------------------- */

static void job_keys(veil__req *r) {
  veil_service *s = r->srv;
  void *keys = NULL;
  veil_status st = s->engine->keys_open(r->model->impl, r->body_path, &keys);
  if (st) {
    veil__req_fail(r, st, "evaluation keys rejected");
    return;
  }
  if (veil__store_count_owner(&s->store, r->addr) >= s->opts.limits.max_keysets_per_client) {
    s->engine->keys_close(keys);
    veil__req_error(r, 429, "too_many_key_sets", "address %s already holds %d key sets", r->addr,
                    s->opts.limits.max_keysets_per_client);
    return;
  }
  char id[VEIL__ID_HEX + 1], token[VEIL__TOKEN_HEX + 1];
  st = veil__store_commit(&s->store, r->body_path, r->model->name, r->addr, keys, id, token);
  if (st) {
    s->engine->keys_close(keys);
    veil__req_fail(r, st, "storing key set");
    return;
  }
  free(r->body_path); /* renamed into the store */
  r->body_path = NULL;
  veil_wbuf w;
  veil_wbuf_init(&w);
  veil__wbuf_printf(&w, "{\"key_set_id\":\"%s\",\"token\":\"%s\",\"model\":", id, token);
  veil__wbuf_json_str(&w, r->model->name);
  veil__wbuf_printf(&w, "}\n");
  veil_memzero(token, sizeof token);
  veil__req_json(r, 201, &w);
}

static void post_keys(veil__req *r) {
  veil_service *s = r->srv;
  const char *name = query(r, "model");
  if (!name) {
    veil__req_error(r, 400, "bad_request", "POST /v1/keys needs ?model=NAME");
    return;
  }
  r->model = find_model(s, name);
  if (!r->model) {
    veil__req_error(r, 404, "not_found", "no model '%s'", name);
    return;
  }
  if (veil__store_count_owner(&s->store, r->addr) >= s->opts.limits.max_keysets_per_client) {
    veil__req_error(r, 429, "too_many_key_sets", "address %s already holds %d key sets (the limit)", r->addr,
                    s->opts.limits.max_keysets_per_client);
    return;
  }
  if (keyset_count(&s->store) >= s->opts.limits.max_keysets) {
    veil__req_error(r, 503, "over_capacity", "the server holds %d key sets (the limit)", s->opts.limits.max_keysets);
    return;
  }
  open_body(r, job_keys);
}

static void delete_keys(veil__req *r, const char *id) {
  const char *auth = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
  if (!auth || strncmp(auth, "Bearer ", 7) != 0) {
    veil__req_error(r, 401, "unauthorized", "key set %s needs 'Authorization: Bearer <token>'", id);
    return;
  }
  veil_status st = veil__store_delete(&r->srv->store, id, auth + 7, r->srv->engine);
  if (st == VEIL_ERR_INVALID_ARG) {
    veil__req_error(r, 403, "forbidden", "%s", veil_error_detail());
    return;
  }
  if (st) {
    veil__req_fail(r, st, "key set");
    return;
  }
  veil_wbuf w;
  veil_wbuf_init(&w);
  veil__wbuf_printf(&w, "{\"deleted\":\"%s\"}\n", id);
  veil__req_json(r, 200, &w);
}

/* ---- inference --------------------------------------------------------------------------------- */

/* Loads the key set's keys on first use (after a restart they live only on disk). */
static veil_status keys_ready(veil__req *r) {
  veil__store *st = &r->srv->store;
  veil__keyset *ks = r->keyset;
  pthread_mutex_lock(&st->load_mu);
  veil_status rc = VEIL_OK;
  if (!ks->keys) {
    char *path = veil__store_key_path(st, ks->id);
    rc = path ? r->srv->engine->keys_open(r->model->impl, path, &ks->keys) : veil_fail(VEIL_ERR_NOMEM, "oom");
    free(path);
  }
  pthread_mutex_unlock(&st->load_mu);
  return rc;
}

/* Opens the finished output file for streaming and unlinks it (the fd keeps it alive). */
static veil_status take_output(veil__req *r, const char *path) {
  int fd = open(path, O_RDONLY);
  struct stat sb;
  if (fd < 0 || fstat(fd, &sb) != 0) {
    if (fd >= 0)
      close(fd);
    return veil_fail(VEIL_ERR_IO, "cannot read result %s: %s", path, strerror(errno));
  }
  r->resp_fd = fd;
  r->resp_size = (uint64_t)sb.st_size;
  r->status = 200;
  r->ctype = "application/octet-stream";
  r->state = VEIL__R_DONE;
  return VEIL_OK;
}

static void job_infer(veil__req *r) {
  veil_service *s = r->srv;
  veil_status st = keys_ready(r);
  if (st) {
    veil__req_fail(r, st, "loading key set");
    return;
  }
  int fd;
  char *out;
  st = veil__store_tmp(&s->store, &fd, &out);
  if (st) {
    veil__req_fail(r, st, "result file");
    return;
  }
  close(fd);
  veil_service_deadline dl = {r->start_ns + (uint64_t)s->opts.limits.request_timeout_s * 1000000000ull};
  st = s->engine->infer(r->model->impl, r->keyset->keys, r->body_path, out, &dl);
  if (!st)
    st = take_output(r, out);
  unlink(out);
  free(out);
  if (st == VEIL_ERR_LIMIT)
    veil__req_error(r, 503, "timeout", "inference: %s", veil_error_detail());
  else if (st)
    veil__req_fail(r, st, "inference");
}

static void post_infer(veil__req *r, veil__model *m) {
  const char *id = query(r, "key_set");
  if (!id) {
    veil__req_error(r, 400, "bad_request", "inference needs ?key_set=ID");
    return;
  }
  r->model = m;
  if (!authorize(r, id))
    return;
  if (strcmp(r->keyset->model, m->name) != 0) {
    veil__req_error(r, 409, "wrong_model", "key set %s was uploaded for model '%s', not '%s'", id,
                    r->keyset->model, m->name);
    return;
  }
  open_body(r, job_infer);
}

static bool is(const char *a, const char *b);

/* ---- client-aided sessions --------------------------------------------------------------------- */

/* Runs an engine session call into a fresh result file and answers with it and the round headers. */
static void session_answer(veil__req *r, bool start) {
  veil_service *s = r->srv;
  veil__session *x = r->sess;
  int fd;
  char *out = NULL;
  veil_status st = keys_ready(r);
  if (!st)
    st = veil__store_tmp(&s->store, &fd, &out);
  if (out)
    close(fd);
  if (!st && start)
    st = s->engine->session_start(x->model->impl, r->keyset->keys, r->body_path, out, x->dir, &x->impl, &r->round);
  else if (!st)
    st = s->engine->session_round(x->impl, r->body_path, out, &r->round);
  if (!st)
    st = take_output(r, out);
  if (out)
    unlink(out);
  free(out);
  if (st) {
    /* a malformed or mismatched answer leaves the session as it was: the client may retry */
    r->sess_end = start || !(st == VEIL_ERR_FORMAT || st == VEIL_ERR_MISMATCH);
    veil__req_fail(r, st, start ? "session start" : "session round");
  } else {
    r->has_round = true, r->sess_end = r->round.done;
    x->next_round = r->round.round;
    snprintf(r->sess_id, sizeof r->sess_id, "%s", x->id);
  }
  veil__sessions_release(s, x, r->sess_end); /* ready for the next round before the response ends */
  r->sess = NULL;
}

static void job_session_start(veil__req *r) { session_answer(r, true); }
static void job_session_round(veil__req *r) { session_answer(r, false); }

static void post_session(veil__req *r, veil__model *m) {
  veil_service *s = r->srv;
  const char *id = query(r, "key_set");
  if (!id) {
    veil__req_error(r, 400, "bad_request", "a session needs ?key_set=ID");
    return;
  }
  r->model = m;
  if (!s->engine->session_start) {
    veil__req_error(r, 422, "unsupported", "the %s engine has no client-aided sessions", s->engine->name);
    return;
  }
  if (!authorize(r, id))
    return;
  if (strcmp(r->keyset->model, m->name) != 0) {
    veil__req_error(r, 409, "wrong_model", "key set %s was uploaded for model '%s', not '%s'", id, r->keyset->model, m->name);
    return;
  }
  veil_status st = veil__sessions_add(s, r->addr, &r->sess);
  if (st == VEIL_ERR_INVALID_ARG)
    veil__req_error(r, 429, "too_many_sessions", "%s", veil_error_detail());
  else if (st == VEIL_ERR_LIMIT)
    veil__req_error(r, 503, "over_capacity", "%s", veil_error_detail());
  else if (st)
    veil__req_fail(r, st, "session");
  if (st)
    return;
  r->sess_end = true; /* until the engine has started it */
  r->sess->model = m;
  const char *auth = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
  st = veil__store_acquire(&s->store, id, auth + 7, &r->sess->ks); /* the session's own reference */
  if (st)
    veil__req_fail(r, st, "key set");
  else
    open_body(r, job_session_start);
}

/* Finds the session, checks its key set's token; false (answered) otherwise. */
static bool session_open(veil__req *r, const char *id) {
  veil_status st = veil__sessions_acquire(r->srv, id, &r->sess);
  if (st == VEIL_ERR_LIMIT)
    veil__req_error(r, 409, "busy", "%s", veil_error_detail());
  else if (st)
    veil__req_fail(r, st, "session");
  if (st)
    return false;
  r->model = r->sess->model;
  return authorize(r, r->sess->ks->id);
}

static void post_round(veil__req *r, const char *id, const char *k) {
  if (!session_open(r, id))
    return;
  char *end = NULL;
  long want = strtol(k, &end, 10);
  if (!*k || *end || want != r->sess->next_round) {
    veil__req_error(r, 409, "wrong_round", "session %s expects round %d, not '%s'", id, r->sess->next_round, k);
    return;
  }
  open_body(r, job_session_round);
}

static void delete_session(veil__req *r, const char *id) {
  if (!session_open(r, id))
    return;
  veil__sessions_release(r->srv, r->sess, true); /* gone (state and files) before the answer */
  r->sess = NULL;
  veil_wbuf w;
  veil_wbuf_init(&w);
  veil__wbuf_printf(&w, "{\"deleted\":\"%s\"}\n", id);
  veil__req_json(r, 200, &w);
}

static void route_sessions(veil__req *r, const char *method, char **seg, int n) {
  if (n == 2 && is(method, "DELETE"))
    delete_session(r, seg[1]);
  else if (n == 4 && is(seg[2], "rounds") && is(method, "POST"))
    post_round(r, seg[1], seg[3]);
  else if (n == 2 || (n == 4 && is(seg[2], "rounds")))
    veil__req_error(r, 405, "method_not_allowed", "%s %s", method, r->url);
  else
    veil__req_error(r, 404, "not_found", "no resource %s", r->url);
}

/* ---- routing ----------------------------------------------------------------------------------- */

/* Splits "/v1/a/b/c" into segments; false if not under /v1 or too deep. */
static int split(const char *url, char *buf, size_t cap, char **seg) {
  if (strncmp(url, "/v1/", 4) != 0 || strlen(url + 4) >= cap)
    return -1;
  strcpy(buf, url + 4);
  int n = 0;
  for (char *p = buf, *save = NULL, *t; (t = strtok_r(p, "/", &save)); p = NULL) {
    if (n == MAX_SEGS)
      return -1;
    seg[n++] = t;
  }
  return n;
}

static bool is(const char *a, const char *b) { return strcmp(a, b) == 0; }

static void route_models(veil__req *r, const char *method, char **seg, int n) {
  veil__model *m = n >= 2 ? find_model(r->srv, seg[1]) : NULL;
  if (n >= 2 && !m) {
    veil__req_error(r, 404, "not_found", "no model '%s'", seg[1]);
    return;
  }
  bool get = is(method, "GET"), post = is(method, "POST");
  if (n == 1 && get)
    get_models(r);
  else if (n == 2 && get)
    get_model(r, m, false);
  else if (n == 3 && get && is(seg[2], "plan"))
    get_model(r, m, true);
  else if (n == 3 && post && is(seg[2], "infer"))
    post_infer(r, m);
  else if (n == 3 && post && is(seg[2], "sessions"))
    post_session(r, m);
  else
    veil__req_error(r, n <= 3 ? 405 : 404, n <= 3 ? "method_not_allowed" : "not_found", "%s %s", method, r->url);
}

void veil__route(veil__req *r, const char *url, const char *method) {
  char buf[512], *seg[MAX_SEGS];
  int n = split(url, buf, sizeof buf, seg);
  bool get = is(method, "GET");
  if (n < 1)
    veil__req_error(r, 404, "not_found", "no resource %s", url);
  else if (n == 1 && is(seg[0], "health") && get)
    get_health(r);
  else if (n == 1 && is(seg[0], "metrics") && get)
    get_metrics(r);
  else if (is(seg[0], "models"))
    route_models(r, method, seg, n);
  else if (is(seg[0], "sessions"))
    route_sessions(r, method, seg, n);
  else if (n == 1 && is(seg[0], "keys") && is(method, "POST"))
    post_keys(r);
  else if (n == 2 && is(seg[0], "keys") && is(method, "DELETE"))
    delete_keys(r, seg[1]);
  else if (is(seg[0], "keys") || is(seg[0], "health") || is(seg[0], "metrics"))
    veil__req_error(r, 405, "method_not_allowed", "%s %s", method, url);
  else
    veil__req_error(r, 404, "not_found", "no resource %s", url);
}
