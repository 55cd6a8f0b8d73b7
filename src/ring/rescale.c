/*
 * Rescaling by the last prime: x -> round(x / q_l). With v = (x + h) mod q_l, h = floor(q_l / 2),
 * x + h - v is divisible by q_l, so limb i of the result is (a_i + h - v) * q_l^-1 mod q_i.
 */
#include <omp.h>
#include <string.h>

#include "ring/ring-impl.h"

/* Per-limb constants: h mod q_i, q_l^-1 mod q_i with its Shoup factor, Shoup factor of 1 (to reduce). */
typedef struct rescale_consts {
  uint64_t h_i, inv, inv_sh, one_sh;
  bool reduce; /* q_l > q_i: residues mod q_l need reducing mod q_i */
} rescale_consts;

static rescale_consts consts_for(const veil_ring *r, int i, uint64_t ql) {
  const veil_modulus *m = &r->mods[i];
  rescale_consts c = {.h_i = veil_mod_reduce64(ql >> 1, m), .inv = veil_mod_inv(veil_mod_reduce64(ql, m), m)};
  c.inv_sh = veil_shoup_prep(c.inv, m->q);
  c.one_sh = veil_shoup_prep(1, m->q);
  c.reduce = ql > m->q;
  return c;
}

/* v mod q_i for v in [0, q_l). */
static inline uint64_t lift(uint64_t v, const rescale_consts *c, uint64_t q) {
  return c->reduce ? veil_mod_mul_shoup(v, 1, c->one_sh, q) : v;
}

/* Coefficient form: every limb is a pure element-wise update from the last limb. */
static void rescale_coeff(const veil_ring *r, veil_poly *p, int l) {
  size_t n = r->n;
  uint64_t ql = r->mods[l].q, h = ql >> 1;
  const uint64_t *last = veil_poly_limb(p, l);
#pragma omp parallel for if ((size_t)l * n >= VEIL__PAR_WORDS) num_threads(veil_threads())
  for (int i = 0; i < l; i++) {
    const veil_modulus *m = &r->mods[i];
    rescale_consts c = consts_for(r, i, ql);
    uint64_t *a = veil_poly_limb(p, i), q = m->q;
    for (size_t j = 0; j < n; j++) {
      uint64_t v = last[j] + h;
      v = lift(v >= ql ? v - ql : v, &c, q);
      a[j] = veil_mod_mul_shoup(a[j] + c.h_i + q - v, c.inv, c.inv_sh, q);
    }
  }
}

/* NTT form: v in coefficient form once, then per limb the NTT of (v - h) mod q_i. */
static void rescale_ntt_limb(const veil_ring *r, veil_poly *p, int i, const uint64_t *v, uint64_t ql,
                             uint64_t *t) {
  const veil_modulus *m = &r->mods[i];
  rescale_consts c = consts_for(r, i, ql);
  uint64_t q = m->q, neg_h = veil_mod_neg(c.h_i, q), *a = veil_poly_limb(p, i);
  size_t n = r->n;
  for (size_t j = 0; j < n; j++)
    t[j] = veil_mod_add(lift(v[j], &c, q), neg_h, q);
  r->k->ntt_fwd(&r->ntt[i], t);
  for (size_t j = 0; j < n; j++)
    a[j] = veil_mod_mul_shoup(a[j] + q - t[j], c.inv, c.inv_sh, q);
}

static veil_status rescale_ntt(const veil_ring *r, veil_poly *p, int l) {
  size_t n = r->n;
  int threads = (size_t)l * n >= VEIL__PAR_WORDS ? veil__min_int(veil_threads(), l) : 1;
  uint64_t *scratch = veil_malloc((size_t)(threads + 1) * n * sizeof(uint64_t));
  if (!scratch)
    return veil_fail(VEIL_ERR_NOMEM, "rescale: scratch of %d x %zu words", threads + 1, n);
  uint64_t ql = r->mods[l].q, h = ql >> 1, *v = scratch;
  memcpy(v, veil_poly_limb(p, l), n * sizeof *v);
  r->k->ntt_inv(&r->ntt[l], v);
  for (size_t j = 0; j < n; j++)
    v[j] = veil_mod_add(v[j], h, ql);
#pragma omp parallel num_threads(threads)
  {
    uint64_t *t = scratch + (size_t)(omp_get_thread_num() + 1) * n;
#pragma omp for schedule(static)
    for (int i = 0; i < l; i++)
      rescale_ntt_limb(r, p, i, v, ql, t);
  }
  veil_free(scratch);
  return VEIL_OK;
}

veil_status veil_poly_rescale(const veil_ring *r, veil_poly *p) {
  VEIL_TRY(veil__poly_check(r, p, "rescale"));
  int l = p->nlimbs - 1;
  if (l < 1)
    return veil_fail(VEIL_ERR_INVALID_ARG, "rescale: polynomial has %d limb, needs at least 2", p->nlimbs);
  if (p->is_ntt)
    VEIL_TRY(rescale_ntt(r, p, l));
  else
    rescale_coeff(r, p, l);
  p->nlimbs = l;
  if (p->cap < l + 1)
    p->cap = l + 1;
  return VEIL_OK;
}
