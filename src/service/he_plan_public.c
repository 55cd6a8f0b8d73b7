/* Serialization of the public part of an HE plan (GET /v1/models/{name}/plan). */
#include <stdlib.h>
#include <string.h>

#include "service/he-impl.h"

#define PLAN_MAGIC "VPLN"
#define PLAN_VERSION 1u

static void lit_save(const veil_ckks_params_lit *l, veil_wbuf *w) {
  veil_wbuf_u32(w, (uint32_t)l->logn);
  veil_wbuf_u32(w, (uint32_t)l->nq);
  for (int i = 0; i < l->nq; i++)
    veil_wbuf_u32(w, (uint32_t)l->q_bits[i]);
  veil_wbuf_u32(w, (uint32_t)l->np);
  for (int i = 0; i < l->np; i++)
    veil_wbuf_u32(w, (uint32_t)l->p_bits[i]);
  veil_wbuf_u32(w, (uint32_t)l->dnum);
  veil_wbuf_u32(w, (uint32_t)l->log_scale);
  veil_wbuf_u32(w, (uint32_t)l->secret);
  veil_wbuf_u32(w, (uint32_t)l->hamming_weight);
  veil_wbuf_u32(w, (uint32_t)l->security);
  veil_wbuf_u8(w, l->insecure_test_only);
}

static bool u32_in(veil_rbuf *r, uint32_t lo, uint32_t hi, int *out) {
  uint32_t v;
  if (!veil_rbuf_u32(r, &v) || v < lo || v > hi)
    return false;
  *out = (int)v;
  return true;
}

static bool lit_load(veil_rbuf *r, veil_ckks_params_lit *l) {
  memset(l, 0, sizeof *l);
  int secret = 0;
  uint8_t insecure = 0;
  bool ok = u32_in(r, 1, 17, &l->logn) && u32_in(r, 1, VEIL_CKKS_MAX_Q, &l->nq);
  for (int i = 0; ok && i < l->nq; i++)
    ok = u32_in(r, 1, 64, &l->q_bits[i]);
  ok = ok && u32_in(r, 1, VEIL_CKKS_MAX_P, &l->np);
  for (int i = 0; ok && i < l->np; i++)
    ok = u32_in(r, 1, 64, &l->p_bits[i]);
  ok = ok && u32_in(r, 0, 64, &l->dnum) && u32_in(r, 1, 64, &l->log_scale) && u32_in(r, 0, 1, &secret) &&
       u32_in(r, 0, 1u << 17, &l->hamming_weight) && u32_in(r, 0, 256, &l->security) &&
       veil_rbuf_u8(r, &insecure) && insecure <= 1;
  l->secret = (veil_secret_dist)secret;
  l->insecure_test_only = insecure;
  return ok;
}

void veil__plan_public_save(const veil_he_plan *p, const char *prep_text, veil_wbuf *w) {
  veil_wbuf_bytes(w, PLAN_MAGIC, 4);
  veil_wbuf_u32(w, PLAN_VERSION);
  lit_save(&p->lit, w);
  veil_wbuf_u32(w, (uint32_t)p->nbase);
  veil_wbuf_u8(w, (uint8_t)(p->complex_packing | (p->needs_relin << 1) | (p->client_aided << 2)));
  veil_wbuf_u32(w, (uint32_t)p->in_shape_ndim);
  for (int i = 0; i < p->in_shape_ndim; i++)
    veil_wbuf_u64(w, (uint64_t)p->in_shape[i]);
  veil_wbuf_u64(w, (uint64_t)p->values[p->input].count);
  veil_wbuf_u64(w, (uint64_t)p->values[p->output].count);
  veil_wbuf_bytes(w, p->model_fp, sizeof p->model_fp);
  size_t n = prep_text ? strlen(prep_text) : 0;
  veil_wbuf_u32(w, (uint32_t)n);
  veil_wbuf_bytes(w, prep_text, n);
}

/* Reads everything after the parameters; false if malformed. */
static bool body_load(veil_rbuf *r, veil_he_plan *p, char **prep) {
  uint8_t flags;
  uint64_t nin, nout;
  uint32_t plen;
  bool ok = u32_in(r, 1, 64, &p->nbase) && veil_rbuf_u8(r, &flags) && flags <= 7 &&
            u32_in(r, 1, 4, &p->in_shape_ndim);
  for (int i = 0; ok && i < p->in_shape_ndim; i++)
    ok = veil_rbuf_u64(r, (uint64_t *)&p->in_shape[i]) && p->in_shape[i] >= 1 && p->in_shape[i] <= (1 << 20);
  ok = ok && veil_rbuf_u64(r, &nin) && veil_rbuf_u64(r, &nout) && nin >= 1 && nout >= 1 && nin <= (1u << 24) &&
       nout <= (1u << 24) && veil_rbuf_bytes(r, p->model_fp, sizeof p->model_fp) && veil_rbuf_u32(r, &plen) &&
       plen <= 65536 && veil_rbuf_left(r) == plen;
  if (!ok)
    return false;
  p->complex_packing = flags & 1;
  p->needs_relin = flags & 2;
  p->client_aided = flags & 4;
  p->values[0].count = (int64_t)nin;
  p->values[1].count = (int64_t)nout;
  *prep = veil_malloc(plen + 1);
  if (!*prep)
    return false;
  veil_rbuf_bytes(r, *prep, plen);
  (*prep)[plen] = 0;
  return true;
}

veil_status veil__plan_public_load(const void *data, size_t len, veil_he_plan *p, char **prep_text) {
  memset(p, 0, sizeof *p);
  *prep_text = NULL;
  veil_rbuf r;
  veil_rbuf_init(&r, data, len);
  uint8_t magic[4];
  uint32_t version;
  if (!veil_rbuf_bytes(&r, magic, 4) || memcmp(magic, PLAN_MAGIC, 4) != 0 || !veil_rbuf_u32(&r, &version))
    return veil_fail(VEIL_ERR_FORMAT, "model plan: not a veil plan");
  if (version != PLAN_VERSION)
    return veil_fail(VEIL_ERR_UNSUPPORTED, "model plan: version %u (this veil reads %u)", version, PLAN_VERSION);
  p->values = veil_calloc(2, sizeof *p->values);
  if (!p->values)
    return veil_fail(VEIL_ERR_NOMEM, "model plan: out of memory");
  p->nvalues = p->vcap = 2;
  p->input = 0;
  p->output = 1;
  veil_ckks_params_lit lit;
  if (!lit_load(&r, &lit) || !body_load(&r, p, prep_text)) {
    veil_he_plan_free(p);
    veil_free(*prep_text);
    *prep_text = NULL;
    return veil_fail(VEIL_ERR_FORMAT, "model plan: malformed or truncated (%zu bytes)", len);
  }
  veil_status st = veil_ckks_params_resolve(&lit, &p->params);
  if (st) {
    veil_he_plan_free(p);
    veil_free(*prep_text);
    *prep_text = NULL;
    return st;
  }
  p->lit = lit;
  p->has_params = true;
  return VEIL_OK;
}
