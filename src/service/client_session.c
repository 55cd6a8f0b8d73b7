/*
 * Encrypted inference from the client's side: fetch the public plan, keep keys in a directory
 * (generated on first use; the secret key stays in this process and that directory), upload the
 * evaluation keys once per server, then encrypt -> infer -> decrypt in batches.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "service/he-impl.h"
#include "service/service-impl.h"
#include "veil/client.h"

struct veil_client_session {
  veil_client *c;
  char model[128];
  char *dir;
  veil_he_plan plan;
  char *prep;
  veil_he_client cl;
  bool has_cl;
  veil_client_keyset ks;
  int rounds;     /* rounds of the last client-aided batch */
  uint64_t bytes; /* request and response bodies, all batches */
};

static uint64_t file_size(const char *path) {
  struct stat sb;
  return stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
}

static char *in_dir(const veil_client_session *s, const char *name) { return veil__strdupf("%s/%s", s->dir, name); }

static veil_status fetch_plan(veil_client_session *s) {
  char path[200];
  snprintf(path, sizeof path, "/v1/models/%s/plan", s->model);
  veil_wbuf b;
  VEIL_TRY(veil_client_get(s->c, path, &b));
  veil_status st = veil__plan_public_load(b.data, b.len, &s->plan, &s->prep);
  veil_wbuf_free(&b);
  return st;
}

/* Loads DIR/secret.key, or generates and saves keys on first use. */
static veil_status client_keys(veil_client_session *s) {
  char *sk = in_dir(s, "secret.key");
  if (!sk)
    return veil_fail(VEIL_ERR_NOMEM, "out of memory");
  veil_status st = VEIL_OK;
  if (access(sk, F_OK) == 0) {
    veil_ckks_params_lit lit;
    int nbase;
    uint8_t fp[32];
    veil_ckks_params kp;
    st = veil_he_client_load(sk, &lit, &nbase, fp, &s->cl);
    s->has_cl = !st;
    if (!st)
      st = veil_ckks_params_resolve(&lit, &kp);
    if (!st && (memcmp(kp.fingerprint, s->plan.params.fingerprint, sizeof kp.fingerprint) || nbase != s->plan.nbase ||
                memcmp(fp, s->plan.model_fp, 32)))
      st = veil_fail(VEIL_ERR_MISMATCH, "the keys in %s were made for another model or other parameters; "
                                        "use a fresh --keys directory", s->dir);
  } else {
    veil_he_server sv;
    st = veil_he_keygen(&s->plan, &s->cl, &sv);
    s->has_cl = !st;
    if (!st)
      st = veil_he_keys_save(s->dir, &s->plan, &s->cl, &sv);
    if (!st)
      veil_he_server_free(&sv);
  }
  free(sk);
  return st;
}

/* DIR/keyset-<model>: one line "URL ID TOKEN" for the server this key set lives on. */
static bool record_read(veil_client_session *s) {
  char *p = veil__strdupf("%s/keyset-%s", s->dir, s->model);
  uint8_t *d = NULL;
  size_t n = 0;
  bool ok = p && veil_file_read(p, 4096, &d, &n) == VEIL_OK;
  char url[512], line[4097] = "";
  if (ok) {
    memcpy(line, d, n);
    ok = sscanf(line, "%511s %32s %64s", url, s->ks.id, s->ks.token) == 3 &&
         strcmp(url, veil__client_base(s->c)) == 0 && strlen(s->ks.id) == 32 && strlen(s->ks.token) == 64;
  }
  if (d)
    veil_memzero(d, n);
  veil_free(d);
  veil_memzero(line, sizeof line);
  free(p);
  return ok;
}

static veil_status upload(veil_client_session *s) {
  char *ek = in_dir(s, "eval.keys");
  char *p = veil__strdupf("%s/keyset-%s", s->dir, s->model);
  veil_status st = ek && p ? veil_client_keys_upload(s->c, s->model, ek, &s->ks) : veil_fail(VEIL_ERR_NOMEM, "oom");
  char *line = st ? NULL : veil__strdupf("%s %s %s\n", veil__client_base(s->c), s->ks.id, s->ks.token);
  if (!st)
    st = line ? veil_file_write_atomic(p, line, strlen(line), 0600) : veil_fail(VEIL_ERR_NOMEM, "oom");
  if (line)
    veil_memzero(line, strlen(line));
  free(line);
  free(ek);
  free(p);
  return st;
}

veil_status veil_client_session_open(veil_client *c, const char *model, const char *keys_dir,
                                     veil_client_session **out) {
  *out = NULL;
  if (!veil__name_ok(model))
    return veil_fail(VEIL_ERR_INVALID_ARG, "model name '%s'", model);
  if (mkdir(keys_dir, 0700) != 0 && errno != EEXIST)
    return veil_fail(VEIL_ERR_IO, "cannot create keys directory %s: %s", keys_dir, strerror(errno));
  veil_client_session *s = calloc(1, sizeof *s);
  if (!s)
    return veil_fail(VEIL_ERR_NOMEM, "out of memory");
  s->c = c;
  snprintf(s->model, sizeof s->model, "%s", model);
  s->dir = strdup(keys_dir);
  veil_status st = s->dir ? fetch_plan(s) : veil_fail(VEIL_ERR_NOMEM, "out of memory");
  if (!st)
    st = client_keys(s);
  if (!st && !record_read(s))
    st = upload(s);
  if (st) {
    veil_client_session_free(s);
    return st;
  }
  *out = s;
  return VEIL_OK;
}

void veil_client_session_free(veil_client_session *s) {
  if (!s)
    return;
  if (s->has_cl)
    veil_he_client_free(&s->cl);
  veil_he_plan_free(&s->plan);
  veil_free(s->prep);
  free(s->dir);
  veil_memzero(&s->ks, sizeof s->ks);
  free(s);
}

void veil_client_session_sizes(const veil_client_session *s, int64_t *in_count, int64_t *out_count, int64_t *batch) {
  *in_count = s->plan.values[s->plan.input].count;
  *out_count = s->plan.values[s->plan.output].count;
  *batch = veil_he_plan_batch(&s->plan);
}

const char *veil_client_session_prep(const veil_client_session *s) { return s->prep ? s->prep : ""; }

static veil_status run_session(veil_client_session *s, const char *in, const char *out);

/* One batch: encrypt to a file, infer (re-uploading keys once if the server lost them), decrypt. */
static veil_status run_batch(veil_client_session *s, const double *x, int64_t n, double *y, const char *in,
                             const char *out) {
  veil_he_tensor t = {0}, r = {0};
  VEIL_TRY(veil_he_encrypt(&s->plan, &s->cl, x, n, &t));
  veil_status st = veil_he_tensor_save(in, &s->cl.ctx, &t);
  veil_he_tensor_free(&t);
  if (!st && s->plan.client_aided) {
    st = run_session(s, in, out);
  } else if (!st) {
    st = veil_client_infer(s->c, s->model, &s->ks, in, out);
    if (st == VEIL_ERR_NOT_FOUND && veil_client_http_status(s->c) == 404) {
      st = upload(s);
      if (!st)
        st = veil_client_infer(s->c, s->model, &s->ks, in, out);
    }
    s->bytes += file_size(in) + file_size(out);
  }
  if (!st)
    st = veil_he_tensor_load(out, &s->cl.ctx, s->cl.key_id, &r);
  if (!st && r.n_images != n)
    st = veil_fail(VEIL_ERR_FORMAT, "server returned %lld images for %lld", (long long)r.n_images, (long long)n);
  if (!st)
    st = veil_he_decrypt(&s->plan, &s->cl, &r, y);
  veil_he_tensor_free(&r);
  return st;
}

const char *veil_client_session_mode(const veil_client_session *s) {
  return s->plan.client_aided ? "client-aided" : "encrypted";
}

void veil_client_session_traffic(const veil_client_session *s, int *rounds, uint64_t *bytes) {
  *rounds = s->rounds;
  *bytes = s->bytes;
}

static veil_status parse_act(const veil_client_round *k, veil_he_aided_round *req) {
  *req = (veil_he_aided_round){.round = k->round, .group = k->group, .clip = {k->clip[0], k->clip[1]}, .nout = k->outputs};
  if (!strcmp(k->act, "relu"))
    req->act = VEIL_HE_ACT_RELU;
  else if (!strcmp(k->act, "clip"))
    req->act = VEIL_HE_ACT_CLIP;
  else if (!strcmp(k->act, "maxpool"))
    req->act = VEIL_HE_ACT_MAXPOOL;
  else
    return veil_fail(VEIL_ERR_FORMAT, "the server asks for an unknown activation '%s'", k->act);
  return VEIL_OK;
}

/* One client round: the server's masked ciphertexts (file @p out) -> activated, fresh ones (file @p in). */
static veil_status answer_round(veil_client_session *s, const veil_client_round *k, const char *in, const char *out) {
  veil_he_aided_round req;
  veil_he_tensor r = {0}, a = {0};
  VEIL_TRY(parse_act(k, &req));
  veil_status st = veil_he_tensor_load(out, &s->cl.ctx, s->cl.key_id, &r);
  if (!st)
    st = veil_he_aided_client_round(&s->plan, &s->cl, &req, &r, &a);
  veil_he_tensor_free(&r);
  if (!st)
    st = veil_he_tensor_save(in, &s->cl.ctx, &a);
  veil_he_tensor_free(&a);
  return st;
}

/* Starts a session (re-uploading the keys once if the server lost them) and answers its rounds. */
static veil_status run_session(veil_client_session *s, const char *in, const char *out) {
  veil_client_round k;
  veil_status st = veil_client_aided_start(s->c, s->model, &s->ks, in, out, &k);
  if (st == VEIL_ERR_NOT_FOUND && veil_client_http_status(s->c) == 404 && !(st = upload(s)))
    st = veil_client_aided_start(s->c, s->model, &s->ks, in, out, &k);
  s->bytes += file_size(in) + file_size(out);
  s->rounds = 0;
  bool started = !st;
  while (!st && !k.done) {
    st = answer_round(s, &k, in, out);
    if (!st)
      st = veil_client_aided_round(s->c, &s->ks, k.session, k.round, in, out, &k), s->rounds++;
    s->bytes += file_size(in) + file_size(out);
  }
  if (st && started) {
    veil_status keep = st;
    if (veil_client_aided_delete(s->c, &s->ks, k.session) != VEIL_OK)
      veil_error_clear();
    st = keep;
  }
  return st;
}

veil_status veil_client_session_run(veil_client_session *s, const double *x, int64_t n, double *y) {
  int64_t nin, nout, batch;
  veil_client_session_sizes(s, &nin, &nout, &batch);
  char *in = veil__strdupf("%s/.request-%d.ct", s->dir, (int)getpid());
  char *out = veil__strdupf("%s/.result-%d.ct", s->dir, (int)getpid());
  veil_status st = in && out ? VEIL_OK : veil_fail(VEIL_ERR_NOMEM, "out of memory");
  for (int64_t off = 0; !st && off < n; off += batch) {
    int64_t nb = n - off < batch ? n - off : batch;
    st = run_batch(s, x + off * nin, nb, y + off * nout, in, out);
  }
  if (in)
    unlink(in);
  if (out)
    unlink(out);
  free(in);
  free(out);
  return st;
}

