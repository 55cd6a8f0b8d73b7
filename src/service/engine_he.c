/*
 * The HE engine of `veil serve`: ONNX models compiled by the batch-packing HE compiler (veil/he.h),
 * CKKS parameters chosen from calibration images, key sets and ciphertexts in the executor's file
 * formats. Built only with the executor; without it veil_service_engine_he() says so.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "service/he-impl.h"
#include "service/service-impl.h"

#include "veil/data.h"
#include "veil/onnx.h"

typedef struct he_model {
  veil_he_plan plan;
  veil_prep prep;
  char *prep_text; /* the .prep sidecar published to clients ("" if none) */
} he_model;

static void model_free(void *m_) {
  he_model *m = m_;
  if (!m)
    return;
  veil_he_plan_free(&m->plan);
  free(m->prep_text);
  free(m);
}

/* Reads MODEL.prep beside the model if present. */
static veil_status load_prep(const char *path, he_model *m) {
  veil_prep_default(&m->prep);
  size_t n = strlen(path);
  char *pp = veil__strdupf("%.*s.prep", (int)(n > 5 && !strcmp(path + n - 5, ".onnx") ? n - 5 : n), path);
  if (!pp)
    return veil_fail(VEIL_ERR_NOMEM, "out of memory");
  uint8_t *text = NULL;
  size_t len = 0;
  veil_status st = VEIL_OK;
  if (access(pp, F_OK) == 0) {
    st = veil_prep_load(pp, &m->prep);
    if (!st)
      st = veil_file_read(pp, 65536, &text, &len);
  }
  m->prep_text = calloc(1, len + 1);
  if (!st && m->prep_text && len)
    memcpy(m->prep_text, text, len);
  veil_free(text);
  free(pp);
  return st ? st : m->prep_text ? VEIL_OK : veil_fail(VEIL_ERR_NOMEM, "out of memory");
}

/* MNIST training images, or the test images where only those are present (the shipped data/mnist). */
static veil_status mnist_calib(const char *dir, int64_t want, veil_dataset *ds) {
  veil_status st = veil_mnist_load_dir(dir, "train", want, ds);
  if (st == VEIL_ERR_NOT_FOUND)
    st = veil_mnist_load_dir(dir, "t10k", want, ds);
  return st;
}

/* Calibration images of the model's dataset (prep "dataset"), preprocessed, as doubles. */
static veil_status calib_load(const veil_service_he_opts *o, const he_model *m, double **x, int64_t *n) {
  *x = NULL;
  *n = 0;
  if (!o->data_dir || !m->prep.dataset[0])
    return VEIL_OK;
  char *dir = veil__strdupf("%s/%s", o->data_dir, m->prep.dataset);
  int64_t want = o->calib_count > 0 ? o->calib_count : 64;
  veil_dataset ds = {0};
  veil_status st = !dir ? veil_fail(VEIL_ERR_NOMEM, "oom")
                   : !strcmp(m->prep.dataset, "mnist") ? mnist_calib(dir, want, &ds)
                   : !strcmp(m->prep.dataset, "cifar10") ? veil_cifar10_load_dir(dir, want, &ds)
                                                         : veil_fail(VEIL_ERR_UNSUPPORTED, "dataset '%s'", m->prep.dataset);
  free(dir);
  veil_tensor t = {0};
  if (!st)
    st = veil_prep_apply(&m->prep, &ds.images, 0, ds.count, &t);
  int64_t total = st ? 0 : veil_tensor_numel(&t);
  *x = st ? NULL : veil_malloc((size_t)total * sizeof **x);
  if (!st && !*x)
    st = veil_fail(VEIL_ERR_NOMEM, "calibration: out of memory");
  for (int64_t i = 0; !st && i < total; i++)
    (*x)[i] = t.data[i];
  *n = st ? 0 : ds.count;
  veil_tensor_free(&t);
  veil_dataset_free(&ds);
  return st;
}

static veil_status compile(const veil_service_he_opts *o, const char *path, he_model *m) {
  veil_graph g;
  VEIL_TRY(veil_onnx_load(path, &g));
  /* Test parameters use the smallest ring (N = 2^10) so end-to-end tests stay fast. */
  veil_he_opts ho = {.insecure_test_only = o->insecure_test_params, .logn = o->insecure_test_params ? 10 : 0,
                     .precision_bits = o->precision_bits};
  veil_status st = veil_graph_optimize(&g, NULL);
  if (!st)
    st = veil_he_plan_compile(&g, &ho, &m->plan);
  if (st == VEIL_ERR_UNSUPPORTED && strstr(veil_error_detail(), "client-aided")) {
    /* ReLU / Clip / MaxPool: served in client-aided sessions */
    veil_error_clear();
    ho.client_aided = true;
    st = veil_he_plan_compile(&g, &ho, &m->plan);
  }
  veil_graph_free(&g);
  double *x = NULL;
  int64_t n = 0;
  if (!st && !o->precision_bits)
    st = calib_load(o, m, &x, &n);
  if (!st && !o->precision_bits && n == 0)
    st = veil_fail(VEIL_ERR_NOT_FOUND, "no calibration images (set a dataset in the .prep sidecar and --data-dir, "
                                       "or --precision-bits)");
  if (!st)
    st = veil_he_plan_choose(&m->plan, &ho, x, n);
  veil_free(x);
  return st;
}

static veil_status model_load(const veil_service_engine *e, const char *path, const char *name, void **out) {
  (void)name;
  he_model *m = calloc(1, sizeof *m);
  if (!m)
    return veil_fail(VEIL_ERR_NOMEM, "out of memory");
  veil_status st = load_prep(path, m);
  if (!st)
    st = compile(e->user, path, m);
  if (st) {
    model_free(m);
    return st;
  }
  *out = m;
  return VEIL_OK;
}

static void json_fp(veil_wbuf *w, const char *key, const uint8_t *b, size_t n) {
  veil__wbuf_printf(w, ",\"%s\":\"", key);
  for (size_t i = 0; i < n; i++)
    veil__wbuf_printf(w, "%02x", b[i]);
  veil__wbuf_printf(w, "\"");
}

static veil_status model_describe(void *m_, veil_wbuf *w) {
  he_model *m = m_;
  const veil_he_plan *p = &m->plan;
  const veil_ckks_params *cp = &p->params;
  const char *mode = p->client_aided ? "client-aided" : "encrypted";
  veil__wbuf_printf(w, "\"mode\":\"%s\",\"modes\":[\"%s\"],\"rounds\":%d,\"input_shape\":[", mode, mode, p->nrounds);
  for (int i = 0; i < p->in_shape_ndim; i++)
    veil__wbuf_printf(w, "%s%lld", i ? "," : "", (long long)p->in_shape[i]);
  veil__wbuf_printf(w, "],\"inputs\":%lld,\"outputs\":%lld,\"batch\":%lld,\"complex_packing\":%s",
                    (long long)p->values[p->input].count, (long long)p->values[p->output].count,
                    (long long)veil_he_plan_batch(p), p->complex_packing ? "true" : "false");
  veil__wbuf_printf(w, ",\"params\":{\"logn\":%d,\"slots\":%zu,\"levels\":%d,\"log_scale\":%d,\"depth\":%d,"
                       "\"security\":%d,\"log_qp\":%.1f,\"insecure_test_only\":%s",
                    cp->logn, cp->max_slots, cp->nq, p->lit.log_scale, p->depth, cp->security, cp->log_qp,
                    p->lit.insecure_test_only ? "true" : "false");
  json_fp(w, "fingerprint", cp->fingerprint, sizeof cp->fingerprint);
  veil__wbuf_printf(w, "},\"keys\":{\"relin\":%s,\"galois\":[]}", p->needs_relin ? "true" : "false");
  json_fp(w, "model_fingerprint", p->model_fp, sizeof p->model_fp);
  veil__wbuf_printf(w, ",\"prep\":");
  veil__wbuf_json_str(w, m->prep_text);
  return w->failed ? veil_fail(VEIL_ERR_NOMEM, "out of memory") : VEIL_OK;
}

static veil_status model_plan(void *m_, veil_wbuf *w) {
  he_model *m = m_;
  veil__plan_public_save(&m->plan, m->prep_text, w);
  return w->failed ? veil_fail(VEIL_ERR_NOMEM, "out of memory") : VEIL_OK;
}

static void keys_close(void *k) {
  if (!k)
    return;
  veil_he_server_free(k);
  free(k);
}

static veil_status keys_check(const he_model *m, const veil_ckks_params_lit *lit, int nbase, const uint8_t fp[32],
                              const veil_he_server *sv) {
  veil_ckks_params kp;
  VEIL_TRY(veil_ckks_params_resolve(lit, &kp));
  if (memcmp(kp.fingerprint, m->plan.params.fingerprint, sizeof kp.fingerprint) != 0 || nbase != m->plan.nbase)
    return veil_fail(VEIL_ERR_MISMATCH, "keys were made for other CKKS parameters than the model's plan");
  if (memcmp(fp, m->plan.model_fp, 32) != 0)
    return veil_fail(VEIL_ERR_MISMATCH, "keys were made for another model");
  if (m->plan.needs_relin && !sv->has_rlk)
    return veil_fail(VEIL_ERR_MISMATCH, "the model needs a relinearization key; the key set has none");
  return VEIL_OK;
}

static veil_status keys_open(void *m_, const char *path, void **out) {
  veil_he_server *sv = calloc(1, sizeof *sv);
  if (!sv)
    return veil_fail(VEIL_ERR_NOMEM, "out of memory");
  veil_ckks_params_lit lit;
  int nbase;
  uint8_t fp[32];
  veil_status st = veil_he_server_load(path, &lit, &nbase, fp, sv);
  if (st) {
    free(sv);
    return st;
  }
  st = keys_check(m_, &lit, nbase, fp, sv);
  if (st) {
    keys_close(sv);
    return st;
  }
  *out = sv;
  return VEIL_OK;
}

static veil_status infer(void *m_, void *k, const char *in, const char *out, const veil_service_deadline *dl) {
  he_model *m = m_;
  veil_he_server *sv = k;
  veil_he_tensor x = {0}, y = {0};
  VEIL_TRY(veil_he_tensor_load(in, &sv->ctx, sv->key_id, &x));
  veil_status st = veil_service_deadline_passed(dl) ? veil_fail(VEIL_ERR_LIMIT, "request time is up") : VEIL_OK;
  if (!st)
    st = veil_he_infer(&m->plan, sv, &x, &y);
  if (!st)
    st = veil_he_tensor_save(out, &sv->ctx, &y);
  veil_he_tensor_free(&x);
  veil_he_tensor_free(&y);
  return st;
}

/* ---- client-aided sessions ---------------------------------------------------------------------- */

typedef struct he_sess {
  he_model *m;
  veil_he_server *sv;
  veil_he_aided *a;
} he_sess;

static void session_free(void *s_) {
  he_sess *s = s_;
  if (!s)
    return;
  veil_he_aided_free(s->a);
  free(s);
}

static const char *act_name(veil_he_act a) {
  return a == VEIL_HE_ACT_RELU ? "relu" : a == VEIL_HE_ACT_CLIP ? "clip" : "maxpool";
}

/* Runs up to the next client round (or the end) and writes what the client receives. */
static veil_status session_emit(he_sess *s, const char *out, veil_service_round *next) {
  bool done = false;
  veil_he_tensor t = {0};
  veil_he_aided_round req = {0};
  VEIL_TRY(veil_he_aided_step(s->a, &done, &t, &req));
  veil_status st = veil_he_tensor_save(out, &s->sv->ctx, &t);
  veil_he_tensor_free(&t);
  *next = (veil_service_round){.done = done, .round = req.round, .group = req.group, .clip = {req.clip[0], req.clip[1]},
                               .outputs = req.nout};
  snprintf(next->act, sizeof next->act, "%s", done ? "" : act_name(req.act));
  return st;
}

static veil_status session_start(void *m_, void *k, const char *in, const char *out, const char *dir, void **sess,
                                 veil_service_round *next) {
  he_model *m = m_;
  (void)dir; /* values between rounds stay in memory (see docs/service.md) */
  if (!m->plan.client_aided)
    return veil_fail(VEIL_ERR_UNSUPPORTED, "the model runs fully encrypted (POST .../infer), not in client-aided sessions");
  he_sess *s = calloc(1, sizeof *s);
  if (!s)
    return veil_fail(VEIL_ERR_NOMEM, "out of memory");
  *s = (he_sess){.m = m, .sv = k};
  veil_he_tensor x = {0};
  veil_status st = veil_he_tensor_load(in, &s->sv->ctx, s->sv->key_id, &x);
  if (!st)
    st = veil_he_aided_start(&m->plan, s->sv, &x, &s->a);
  if (!st)
    st = session_emit(s, out, next);
  veil_he_tensor_free(&x);
  if (st) {
    session_free(s);
    return st;
  }
  *sess = s;
  return VEIL_OK;
}

static veil_status session_round(void *s_, const char *in, const char *out, veil_service_round *next) {
  he_sess *s = s_;
  veil_he_tensor x = {0};
  veil_status st = veil_he_tensor_load(in, &s->sv->ctx, s->sv->key_id, &x);
  if (!st)
    st = veil_he_aided_answer(s->a, &x);
  if (!st)
    st = session_emit(s, out, next);
  veil_he_tensor_free(&x);
  return st;
}

veil_status veil_service_engine_he(const veil_service_he_opts *o, veil_service_engine *e) {
  veil_service_he_opts *copy = malloc(sizeof *copy);
  if (!copy)
    return veil_fail(VEIL_ERR_NOMEM, "out of memory");
  *copy = *o;
  *e = (veil_service_engine){"he-batch", ".onnx", model_load, model_free, model_describe, model_plan,
                             keys_open, keys_close, infer, copy, session_start, session_round, session_free};
  return VEIL_OK;
}


void veil_service_engine_he_free(veil_service_engine *e) {
  if (!e)
    return;
  free(e->user);
  e->user = NULL;
}
