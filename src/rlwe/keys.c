/* Key generation: secret, public, relinearization and Galois keys. */
#include <string.h>

#include "rlwe-impl.h"

static int qp(const veil_rlwe_ctx *c) { return c->nq + c->np; }

veil_status veil_rlwe_sk_gen(const veil_rlwe_ctx *c, veil_rlwe_sk *sk) {
  VEIL_TRY(veil__poly_alloc(c, &sk->s, qp(c)));
  veil_status st = veil__sample_small_ntt(c, sk->s.c, qp(c), VEIL__SMALL_SECRET);
  if (st != VEIL_OK)
    veil_rlwe_sk_free(sk);
  return st;
}

void veil_rlwe_sk_free(veil_rlwe_sk *sk) {
  if (!sk)
    return;
  if (sk->s.c)
    veil_free_secret(sk->s.c, (size_t)sk->s.nlimbs * sk->s.n * sizeof(uint64_t));
  *sk = (veil_rlwe_sk){0};
}

/* b = -a s + e over the first nlimbs QP primes (b holds e on entry). */
static void rlwe_b(const veil_rlwe_ctx *c, uint64_t *b, const uint64_t *a, const uint64_t *s, int nlimbs) {
  VEIL__OMP_LIMBS
  for (int i = 0; i < nlimbs; i++) {
    const veil_modulus *m = &c->mod[i];
    size_t off = (size_t)i * c->n;
    uint64_t *bi = b + off;
    const uint64_t *ai = a + off, *si = s + off;
    for (size_t k = 0; k < c->n; k++)
      bi[k] = veil_mod_sub(bi[k], veil_mod_mul(ai[k], si[k], m), m->q);
  }
}

veil_status veil_rlwe_pk_gen(const veil_rlwe_ctx *c, const veil_rlwe_sk *sk, veil_rlwe_pk *pk) {
  *pk = (veil_rlwe_pk){0};
  veil_status st = veil__poly_alloc(c, &pk->a, c->nq);
  if (st == VEIL_OK)
    st = veil__poly_alloc(c, &pk->b, c->nq);
  if (st == VEIL_OK)
    st = veil__sample_small_ntt(c, pk->b.c, c->nq, VEIL__SMALL_GAUSS);
  if (st != VEIL_OK) {
    veil_rlwe_pk_free(pk);
    return st;
  }
  veil_random_bytes(pk->seed, sizeof pk->seed);
  veil__expand_uniform(c, pk->seed, 0, pk->a.c, c->nq);
  rlwe_b(c, pk->b.c, pk->a.c, sk->s.c, c->nq);
  return VEIL_OK;
}

void veil_rlwe_pk_free(veil_rlwe_pk *pk) {
  if (!pk)
    return;
  veil_poly_free(&pk->a);
  veil_poly_free(&pk->b);
  *pk = (veil_rlwe_pk){0};
}

void veil_rlwe_swk_free(veil_rlwe_swk *k) {
  if (!k)
    return;
  for (int j = 0; j < k->dnum; j++) {
    if (k->a)
      veil_poly_free(&k->a[j]);
    if (k->b)
      veil_poly_free(&k->b[j]);
  }
  veil_free(k->a);
  veil_free(k->b);
  veil_free(k->perm);
  *k = (veil_rlwe_swk){0};
}

/* Allocates the dnum components and expands a_j from k->seed. */
veil_status veil__swk_alloc(const veil_rlwe_ctx *c, veil_rlwe_swk *k) {
  k->dnum = c->dnum;
  k->a = veil_calloc((size_t)c->dnum, sizeof *k->a);
  k->b = veil_calloc((size_t)c->dnum, sizeof *k->b);
  if (!k->a || !k->b)
    return veil_fail(VEIL_ERR_NOMEM, "key-switching key");
  for (int j = 0; j < c->dnum; j++) {
    VEIL_TRY(veil__poly_alloc(c, &k->a[j], qp(c)));
    VEIL_TRY(veil__poly_alloc(c, &k->b[j], qp(c)));
    veil__expand_uniform(c, k->seed, j, k->a[j].c, qp(c));
  }
  return VEIL_OK;
}

/* Fills b_j = -a_j s + e_j + [i in digit j] (P mod q_i) s2, s2 over Q in NTT form. */
static veil_status swk_fill(const veil_rlwe_ctx *c, const veil_rlwe_sk *sk, const uint64_t *s2,
                            veil_rlwe_swk *k) {
  veil_random_bytes(k->seed, sizeof k->seed);
  VEIL_TRY(veil__swk_alloc(c, k));
  for (int j = 0; j < c->dnum; j++) {
    VEIL_TRY(veil__sample_small_ntt(c, k->b[j].c, qp(c), VEIL__SMALL_GAUSS));
    rlwe_b(c, k->b[j].c, k->a[j].c, sk->s.c, qp(c));
    int lo = j * c->alpha, hi = lo + c->alpha < c->nq ? lo + c->alpha : c->nq;
    for (int i = lo; i < hi; i++) {
      uint64_t *bi = k->b[j].c + (size_t)i * c->n;
      const uint64_t *si = s2 + (size_t)i * c->n;
      c->rq.k->fma_scalar(bi, si, c->p_mod_q[i], c->p_mod_q_sh[i], c->n, &c->mod[i]);
    }
  }
  return VEIL_OK;
}

veil_status veil_rlwe_relin_key_gen(const veil_rlwe_ctx *c, const veil_rlwe_sk *sk, veil_rlwe_swk *rlk) {
  *rlk = (veil_rlwe_swk){0};
  size_t words = (size_t)c->nq * c->n;
  uint64_t *s2 = veil_malloc(words * sizeof(uint64_t));
  if (!s2)
    return veil_fail(VEIL_ERR_NOMEM, "relinearization key");
  for (int i = 0; i < c->nq; i++) {
    size_t off = (size_t)i * c->n;
    c->rq.k->mul(s2 + off, sk->s.c + off, sk->s.c + off, c->n, &c->mod[i]);
  }
  veil_status st = swk_fill(c, sk, s2, rlk);
  veil_free_secret(s2, words * sizeof(uint64_t));
  if (st != VEIL_OK)
    veil_rlwe_swk_free(rlk);
  return st;
}

veil_status veil__swk_set_galois(const veil_rlwe_ctx *c, veil_rlwe_swk *k, uint64_t g) {
  k->galois = g;
  k->perm = veil_malloc(c->n * sizeof(uint32_t));
  if (!k->perm)
    return veil_fail(VEIL_ERR_NOMEM, "Galois permutation");
  return veil_rlwe_galois_perm(c, g, k->perm);
}

veil_status veil_rlwe_galois_key_gen(const veil_rlwe_ctx *c, const veil_rlwe_sk *sk, uint64_t g,
                                     veil_rlwe_swk *gk) {
  *gk = (veil_rlwe_swk){0};
  size_t words = (size_t)c->nq * c->n;
  uint64_t *s2 = NULL;
  veil_status st = veil__swk_set_galois(c, gk, g);
  if (st == VEIL_OK && !(s2 = veil_malloc(words * sizeof(uint64_t))))
    st = veil_fail(VEIL_ERR_NOMEM, "Galois key");
  if (st == VEIL_OK) {
    for (int i = 0; i < c->nq; i++)
      veil__permute(s2 + (size_t)i * c->n, sk->s.c + (size_t)i * c->n, gk->perm, c->n);
    st = swk_fill(c, sk, s2, gk);
  }
  if (s2)
    veil_free_secret(s2, words * sizeof(uint64_t));
  if (st != VEIL_OK)
    veil_rlwe_swk_free(gk);
  return st;
}

const veil_rlwe_swk *veil_rlwe_gks_find(const veil_rlwe_gks *g, uint64_t galois) {
  for (int i = 0; g && i < g->count; i++)
    if (g->keys[i].galois == galois)
      return &g->keys[i];
  return NULL;
}

veil_status veil_rlwe_gks_gen(const veil_rlwe_ctx *c, const veil_rlwe_sk *sk, const int *steps, int nsteps,
                              bool conj, veil_rlwe_gks *gks) {
  *gks = (veil_rlwe_gks){0};
  if (nsteps < 0 || (nsteps && !steps))
    return veil_fail(VEIL_ERR_INVALID_ARG, "Galois keys: %d steps", nsteps);
  gks->keys = veil_calloc((size_t)nsteps + 1, sizeof *gks->keys);
  if (!gks->keys)
    return veil_fail(VEIL_ERR_NOMEM, "Galois key set");
  for (int i = 0; i <= nsteps; i++) {
    if (i == nsteps && !conj)
      break;
    uint64_t g = i < nsteps ? veil_rlwe_galois_elt(c, steps[i]) : veil_rlwe_galois_conj(c);
    if (g == 1 || veil_rlwe_gks_find(gks, g))
      continue;
    veil_status st = veil_rlwe_galois_key_gen(c, sk, g, &gks->keys[gks->count]);
    if (st != VEIL_OK) {
      veil_rlwe_gks_free(gks);
      return st;
    }
    gks->count++;
  }
  return VEIL_OK;
}

void veil_rlwe_gks_free(veil_rlwe_gks *g) {
  if (!g)
    return;
  for (int i = 0; g->keys && i < g->count; i++)
    veil_rlwe_swk_free(&g->keys[i]);
  veil_free(g->keys);
  *g = (veil_rlwe_gks){0};
}
