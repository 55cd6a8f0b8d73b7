/* Public-key and seeded symmetric encryption, decryption. */
#include <string.h>

#include "rlwe-impl.h"

/* r = x * y + e + m limb-wise over the first nl limbs (m may be NULL). */
static void mul_add2(const veil_rlwe_ctx *c, uint64_t *r, const uint64_t *x, const uint64_t *y,
                     const uint64_t *e, const uint64_t *m, int nl) {
  VEIL__OMP_LIMBS
  for (int i = 0; i < nl; i++) {
    const veil_modulus *md = &c->mod[i];
    size_t off = (size_t)i * c->n;
    for (size_t k = 0; k < c->n; k++) {
      uint64_t v = veil_mod_add(veil_mod_mul(x[off + k], y[off + k], md), e[off + k], md->q);
      r[off + k] = m ? veil_mod_add(v, m[off + k], md->q) : v;
    }
  }
}

veil_status veil_rlwe_encrypt_pk(const veil_rlwe_ctx *c, const veil_rlwe_pk *pk, const veil_rlwe_pt *pt,
                                 veil_rlwe_ct *ct) {
  int nl = pt->level + 1;
  VEIL_TRY(veil_rlwe_ct_reshape(c, ct, 2, pt->level));
  size_t words = (size_t)nl * c->n;
  uint64_t *buf = veil_malloc(3 * words * sizeof(uint64_t));
  if (!buf)
    return veil_fail(VEIL_ERR_NOMEM, "encryption buffer");
  uint64_t *u = buf, *e0 = buf + words, *e1 = buf + 2 * words;
  veil_status st = veil__sample_small_ntt(c, u, nl, VEIL__SMALL_TERNARY);
  if (st == VEIL_OK)
    st = veil__sample_small_ntt(c, e0, nl, VEIL__SMALL_GAUSS);
  if (st == VEIL_OK)
    st = veil__sample_small_ntt(c, e1, nl, VEIL__SMALL_GAUSS);
  if (st == VEIL_OK) {
    mul_add2(c, ct->c[0].c, pk->b.c, u, e0, pt->m.c, nl);
    mul_add2(c, ct->c[1].c, pk->a.c, u, e1, NULL, nl);
    ct->scale = pt->scale;
  }
  veil_free_secret(buf, 3 * words * sizeof(uint64_t));
  return st;
}

veil_status veil_rlwe_encrypt_sk(const veil_rlwe_ctx *c, const veil_rlwe_sk *sk, const veil_rlwe_pt *pt,
                                 veil_rlwe_ct *ct) {
  int nl = pt->level + 1;
  VEIL_TRY(veil_rlwe_ct_reshape(c, ct, 2, pt->level));
  uint64_t *c0 = ct->c[0].c, *c1 = ct->c[1].c;
  VEIL_TRY(veil__sample_small_ntt(c, c0, nl, VEIL__SMALL_GAUSS));
  veil_random_bytes(ct->seed, sizeof ct->seed);
  veil__expand_uniform(c, ct->seed, 0, c1, nl);
  VEIL__OMP_LIMBS
  for (int i = 0; i < nl; i++) {
    const veil_modulus *md = &c->mod[i];
    size_t off = (size_t)i * c->n;
    for (size_t k = 0; k < c->n; k++) {
      uint64_t v = veil_mod_sub(c0[off + k], veil_mod_mul(c1[off + k], sk->s.c[off + k], md), md->q);
      c0[off + k] = veil_mod_add(v, pt->m.c[off + k], md->q);
    }
  }
  ct->scale = pt->scale;
  ct->seeded = true;
  return VEIL_OK;
}

veil_status veil_rlwe_decrypt(const veil_rlwe_ctx *c, const veil_rlwe_sk *sk, const veil_rlwe_ct *ct,
                              veil_rlwe_pt *pt) {
  if (!pt->m.c || pt->m.nlimbs < ct->level + 1) {
    veil_rlwe_pt_free(pt);
    VEIL_TRY(veil_rlwe_pt_init(c, pt, ct->level));
  }
  pt->level = ct->level;
  pt->m.nlimbs = ct->level + 1;
  pt->scale = ct->scale;
  const uint64_t *s = sk->s.c;
  VEIL__OMP_LIMBS
  for (int i = 0; i <= ct->level; i++) {
    const veil_modulus *md = &c->mod[i];
    size_t off = (size_t)i * c->n;
    uint64_t *m = pt->m.c + off;
    for (size_t k = 0; k < c->n; k++) {
      uint64_t v = ct->c[ct->size - 1].c[off + k];
      for (int j = ct->size - 2; j >= 0; j--) /* Horner: c0 + s (c1 + s c2) */
        v = veil_mod_add(veil_mod_mul(v, s[off + k], md), ct->c[j].c[off + k], md->q);
      m[k] = v;
    }
  }
  return VEIL_OK;
}
