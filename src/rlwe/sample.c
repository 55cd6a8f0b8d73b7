/* Sampling of key and encryption material into NTT form (on the ring layer's seeded ChaCha20). */
#include <string.h>

#include "rlwe-impl.h"

#define RLWE_SIGMA 3.2

void veil__expand_uniform(const veil_rlwe_ctx *c, const uint8_t seed[32], int comp, uint64_t *out,
                          int nlimbs) {
  VEIL__OMP_LIMBS
  for (int i = 0; i < nlimbs; i++) {
    veil_prng g;
    veil_prng_init(&g, seed, veil__dom_uniform(comp, i));
    uint64_t q = c->mod[i].q, *o = out + (size_t)i * c->n;
    for (size_t k = 0; k < c->n; k++)
      o[k] = veil_prng_below(&g, q);
    veil_prng_free(&g);
  }
}

void veil__small_to_ntt(const veil_rlwe_ctx *c, const int64_t *v, uint64_t *out, int nlimbs) {
  VEIL__OMP_LIMBS
  for (int i = 0; i < nlimbs; i++) {
    uint64_t q = c->mod[i].q, *o = out + (size_t)i * c->n;
    for (size_t k = 0; k < c->n; k++)
      o[k] = v[k] < 0 ? q - (uint64_t)(-v[k]) : (uint64_t)v[k];
    c->rq.k->ntt_fwd(c->tab[i], o);
  }
}

static veil_status sample_small(const veil_rlwe_ctx *c, veil_prng *g, int64_t *v, veil__small kind) {
  if (kind == VEIL__SMALL_GAUSS)
    return veil_sample_gaussian(g, v, c->n, RLWE_SIGMA);
  int8_t *t = veil_malloc(c->n);
  if (!t)
    return veil_fail(VEIL_ERR_NOMEM, "sampling buffer");
  veil_status st = VEIL_OK;
  if (kind == VEIL__SMALL_SECRET && c->hamming_weight > 0)
    st = veil_sample_ternary_hw(g, t, c->n, (size_t)c->hamming_weight);
  else
    veil_sample_ternary(g, t, c->n);
  for (size_t k = 0; k < c->n; k++)
    v[k] = t[k];
  veil_free_secret(t, c->n);
  return st;
}

veil_status veil__sample_small_ntt(const veil_rlwe_ctx *c, uint64_t *out, int nlimbs, veil__small kind) {
  int64_t *v = veil_malloc(c->n * sizeof(int64_t));
  if (!v)
    return veil_fail(VEIL_ERR_NOMEM, "sampling buffer");
  veil_prng g;
  veil_prng_init_random(&g, NULL);
  veil_status st = sample_small(c, &g, v, kind);
  if (st == VEIL_OK)
    veil__small_to_ntt(c, v, out, nlimbs);
  veil_prng_free(&g);
  veil_free_secret(v, c->n * sizeof(int64_t));
  return st;
}

veil_status veil__poly_alloc(const veil_rlwe_ctx *c, veil_poly *p, int nlimbs) {
  *p = (veil_poly){0};
  p->c = veil_calloc((size_t)nlimbs * c->n, sizeof(uint64_t));
  if (!p->c)
    return veil_fail(VEIL_ERR_NOMEM, "polynomial of %d x %zu words", nlimbs, c->n);
  p->nlimbs = nlimbs;
  p->n = c->n;
  p->is_ntt = true;
  return VEIL_OK;
}
