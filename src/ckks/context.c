/* The CKKS context (rlwe context + encoder + monomial tables) and plaintext encoding helpers. */
#include <string.h>

#include "veil/ckks.h"

static veil_status build(veil_ckks_ctx *c, const veil_ckks_params *p) {
  veil_rlwe_params rp = {.logn = p->logn, .nq = p->nq, .q = p->q, .np = p->np, .p = p->p,
                         .dnum = p->dnum, .hamming_weight = p->secret == VEIL_SECRET_SPARSE ? p->h : 0};
  _Static_assert(VEIL_CKKS_FINGERPRINT_BYTES == VEIL_RLWE_FP_BYTES, "fingerprint sizes");
  memcpy(rp.fingerprint, p->fingerprint, VEIL_RLWE_FP_BYTES);
  VEIL_TRY(veil_rlwe_ctx_init(&c->rlwe, &rp));
  VEIL_TRY(veil_ckks_encoder_init(&c->enc, p->logn));
  size_t n = c->rlwe.n;
  c->iq = veil_malloc((size_t)p->nq * sizeof(uint64_t));
  c->iq_sh = veil_malloc((size_t)p->nq * sizeof(uint64_t));
  c->isign = veil_malloc(n);
  if (!c->iq || !c->iq_sh || !c->isign)
    return veil_fail(VEIL_ERR_NOMEM, "CKKS context tables");
  for (int i = 0; i < p->nq; i++) {
    const veil_ntt_tables *t = c->rlwe.tab[i];
    c->iq[i] = veil_mod_pow(t->psi, n / 2, &t->mod);
    c->iq_sh[i] = veil_shoup_prep(c->iq[i], t->mod.q);
  }
  /* Slot i evaluates at psi^(2 brv(i) + 1); X^(N/2) there is I^(2 brv(i) + 1) = +I iff brv(i) even. */
  for (size_t i = 0; i < n; i++)
    c->isign[i] = (uint8_t)(c->rlwe.brv[i] & 1);
  return VEIL_OK;
}

veil_status veil_ckks_ctx_init(veil_ckks_ctx *c, const veil_ckks_params *p) {
  *c = (veil_ckks_ctx){.params = *p, .scale = p->scale};
  veil_status st = build(c, p);
  if (st != VEIL_OK)
    veil_ckks_ctx_free(c);
  return st;
}

void veil_ckks_ctx_free(veil_ckks_ctx *c) {
  if (!c)
    return;
  veil_rlwe_ctx_free(&c->rlwe);
  veil_ckks_encoder_free(&c->enc);
  veil_free(c->iq);
  veil_free(c->iq_sh);
  veil_free(c->isign);
  *c = (veil_ckks_ctx){0};
}

veil_status veil_ckks_pt_encode(const veil_ckks_ctx *c, const double complex *v, size_t n, int level,
                                double scale, veil_ckks_pt *pt) {
  VEIL_TRY(veil_rlwe_pt_init(&c->rlwe, pt, level));
  veil_status st = veil_ckks_encode(&c->enc, &c->rlwe.rq, v, n, c->rlwe.n / 2, scale, true, &pt->m);
  pt->scale = scale;
  if (st != VEIL_OK)
    veil_rlwe_pt_free(pt);
  return st;
}

veil_status veil_ckks_pt_encode_real(const veil_ckks_ctx *c, const double *v, size_t n, int level,
                                     double scale, veil_ckks_pt *pt) {
  VEIL_TRY(veil_rlwe_pt_init(&c->rlwe, pt, level));
  veil_status st = veil_ckks_encode_real(&c->enc, &c->rlwe.rq, v, n, c->rlwe.n / 2, scale, true, &pt->m);
  pt->scale = scale;
  if (st != VEIL_OK)
    veil_rlwe_pt_free(pt);
  return st;
}

veil_status veil_ckks_pt_decode(const veil_ckks_ctx *c, const veil_ckks_pt *pt, double complex *out, size_t n) {
  size_t slots = c->rlwe.n / 2;
  if (n > slots)
    return veil_fail(VEIL_ERR_INVALID_ARG, "%zu values exceed the %zu slots", n, slots);
  double complex *all = veil_malloc(slots * sizeof *all);
  if (!all)
    return veil_fail(VEIL_ERR_NOMEM, "decode buffer");
  veil_status st = veil_ckks_decode(&c->enc, &c->rlwe.rq, &pt->m, pt->scale, slots, all);
  for (size_t i = 0; st == VEIL_OK && i < n; i++)
    out[i] = all[i];
  veil_free(all);
  return st;
}
