/* The rlwe context: rings Q and P, digit layout and key-switching precomputation. */
#include <string.h>

#include "rlwe-impl.h"

/* Conversion from the QP primes [src0, src0 + nsrc) to every QP prime (the ring layer's veil_bconv). */
static veil_status bconv_init(const veil_rlwe_ctx *c, veil_rlwe_bconv *b, int src0, int nsrc) {
  *b = (veil_rlwe_bconv){.src0 = src0, .nsrc = nsrc};
  return veil_bconv_init(&b->bc, c->mod + src0, nsrc, c->mod, c->nq + c->np);
}

static veil_status check_params(const veil_rlwe_params *p) {
  if (p->logn < 1 || p->logn > 17)
    return veil_fail(VEIL_ERR_INVALID_ARG, "rlwe params: logn %d outside [1, 17]", p->logn);
  if (p->nq < 1 || p->np < 1 || p->nq + p->np > VEIL_RLWE_MAX_PRIMES || !p->q || !p->p)
    return veil_fail(VEIL_ERR_INVALID_ARG, "rlwe params: %d Q and %d P primes (need >= 1 each, <= %d total)",
                     p->nq, p->np, VEIL_RLWE_MAX_PRIMES);
  if (p->dnum < 1 || p->dnum > p->nq)
    return veil_fail(VEIL_ERR_INVALID_ARG, "rlwe params: dnum %d outside [1, %d]", p->dnum, p->nq);
  if (p->hamming_weight < 0 || p->hamming_weight > (1 << p->logn))
    return veil_fail(VEIL_ERR_INVALID_ARG, "rlwe params: Hamming weight %d outside [0, N]", p->hamming_weight);
  for (int i = 0; i < p->np; i++)
    for (int j = 0; j < p->nq; j++)
      if (p->p[i] == p->q[j])
        return veil_fail(VEIL_ERR_INVALID_ARG, "rlwe params: prime %llu is in both Q and P",
                         (unsigned long long)p->p[i]);
  return VEIL_OK;
}

static veil_status rescale_tables(veil_rlwe_ctx *c) {
  size_t sz = (size_t)c->nq * c->nq * sizeof(uint64_t);
  c->ql_inv = veil_calloc(1, sz);
  c->ql_inv_sh = veil_calloc(1, sz);
  c->p_mod_q = veil_malloc((size_t)c->nq * sizeof(uint64_t));
  c->p_mod_q_sh = veil_malloc((size_t)c->nq * sizeof(uint64_t));
  c->p_inv_q = veil_malloc((size_t)c->nq * sizeof(uint64_t));
  c->p_inv_q_sh = veil_malloc((size_t)c->nq * sizeof(uint64_t));
  if (!c->ql_inv || !c->ql_inv_sh || !c->p_mod_q || !c->p_mod_q_sh || !c->p_inv_q || !c->p_inv_q_sh)
    return veil_fail(VEIL_ERR_NOMEM, "rlwe context tables");
  for (int l = 1; l < c->nq; l++)
    for (int i = 0; i < l; i++) {
      const veil_modulus *m = &c->mod[i];
      size_t at = (size_t)l * c->nq + i;
      c->ql_inv[at] = veil_mod_inv(veil_mod_reduce64(c->mod[l].q, m), m);
      c->ql_inv_sh[at] = veil_shoup_prep(c->ql_inv[at], m->q);
    }
  for (int i = 0; i < c->nq; i++) {
    const veil_modulus *m = &c->mod[i];
    uint64_t pm = 1; /* P = product of the special primes, mod q_i */
    for (int k = 0; k < c->np; k++)
      pm = veil_mod_mul(pm, veil_mod_reduce64(c->mod[c->nq + k].q, m), m);
    c->p_mod_q[i] = pm;
    c->p_mod_q_sh[i] = veil_shoup_prep(pm, m->q);
    c->p_inv_q[i] = veil_mod_inv(pm, m);
    c->p_inv_q_sh[i] = veil_shoup_prep(c->p_inv_q[i], m->q);
  }
  return VEIL_OK;
}

static veil_status build(veil_rlwe_ctx *c, const veil_rlwe_params *p) {
  int total = p->nq + p->np;
  VEIL_TRY(veil_ring_init(&c->rq, p->logn, p->q, p->nq));
  VEIL_TRY(veil_ring_init(&c->rp, p->logn, p->p, p->np));
  c->tab = veil_calloc((size_t)total, sizeof *c->tab);
  c->mod = veil_calloc((size_t)total, sizeof *c->mod);
  c->brv = veil_malloc(c->n * sizeof(uint32_t));
  c->modup = veil_calloc((size_t)c->dnum * c->alpha, sizeof *c->modup);
  if (!c->tab || !c->mod || !c->brv || !c->modup)
    return veil_fail(VEIL_ERR_NOMEM, "rlwe context tables");
  for (int i = 0; i < total; i++) {
    c->tab[i] = i < p->nq ? &c->rq.ntt[i] : &c->rp.ntt[i - p->nq];
    c->mod[i] = c->tab[i]->mod;
  }
  for (size_t i = 0; i < c->n; i++)
    c->brv[i] = (uint32_t)veil_bitrev(i, c->logn);
  for (int j = 0; j < c->dnum; j++)
    for (int len = 1; len <= c->alpha && j * c->alpha + len <= c->nq; len++)
      VEIL_TRY(bconv_init(c, &c->modup[j * c->alpha + len - 1], j * c->alpha, len));
  VEIL_TRY(bconv_init(c, &c->moddown, c->nq, c->np));
  return rescale_tables(c);
}

veil_status veil_rlwe_ctx_init(veil_rlwe_ctx *c, const veil_rlwe_params *p) {
  *c = (veil_rlwe_ctx){0};
  VEIL_TRY(check_params(p));
  c->logn = p->logn;
  c->n = (size_t)1 << p->logn;
  c->nq = p->nq;
  c->np = p->np;
  c->alpha = (p->nq + p->dnum - 1) / p->dnum;
  c->dnum = (p->nq + c->alpha - 1) / c->alpha; /* e.g. nq 5, dnum 4 -> alpha 2, 3 digits */
  c->hamming_weight = p->hamming_weight;
  memcpy(c->fingerprint, p->fingerprint, VEIL_RLWE_FP_BYTES);
  veil_status st = build(c, p);
  if (st != VEIL_OK)
    veil_rlwe_ctx_free(c);
  return st;
}

void veil_rlwe_ctx_free(veil_rlwe_ctx *c) {
  if (!c)
    return;
  for (int i = 0; c->modup && i < c->dnum * c->alpha; i++)
    veil_bconv_free(&c->modup[i].bc);
  veil_bconv_free(&c->moddown.bc);
  veil_free(c->modup);
  veil_free(c->tab);
  veil_free(c->mod);
  veil_free(c->brv);
  veil_free(c->ql_inv);
  veil_free(c->ql_inv_sh);
  veil_free(c->p_mod_q);
  veil_free(c->p_mod_q_sh);
  veil_free(c->p_inv_q);
  veil_free(c->p_inv_q_sh);
  veil_ring_free(&c->rq);
  veil_ring_free(&c->rp);
  *c = (veil_rlwe_ctx){0};
}

uint64_t veil_rlwe_galois_elt(const veil_rlwe_ctx *c, int step) { return veil_galois_elt(c->logn, step); }

veil_status veil_rlwe_galois_perm(const veil_rlwe_ctx *c, uint64_t g, uint32_t *perm) {
  if (!(g & 1) || g >= 2 * c->n)
    return veil_fail(VEIL_ERR_INVALID_ARG, "Galois element %llu is not odd in [1, 2N)", (unsigned long long)g);
  return veil_automorph_index(c->logn, g, perm);
}
