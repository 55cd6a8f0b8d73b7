/* Shared helpers for rlwe tests: small insecure contexts and exact integer references. */
#ifndef VEIL_RLWE_TEST_UTIL_H
#define VEIL_RLWE_TEST_UTIL_H

#include "ring/ring_test_util.h"
#include "veil/rlwe.h"
#include "vtest.h"

/* A context with nq primes of qbits and np primes of pbits at logn (insecure test sizes). */
static inline veil_status vt_rlwe_ctx(veil_rlwe_ctx *c, int logn, int nq, int qbits, int np, int pbits,
                                      int dnum, int h) {
  uint64_t q[32], p[8];
  VEIL_TRY(veil_primes_ntt(logn, qbits, nq, NULL, 0, q));
  VEIL_TRY(veil_primes_ntt(logn, pbits, np, q, nq, p));
  veil_rlwe_params par = {.logn = logn, .nq = nq, .q = q, .np = np, .p = p, .dnum = dnum,
                          .hamming_weight = h};
  par.fingerprint[0] = (uint8_t)logn;
  par.fingerprint[1] = (uint8_t)dnum;
  return veil_rlwe_ctx_init(c, &par);
}

/* Writes integer polynomial v (length n) times 1 into pt limbs, NTT form. */
static inline void vt_pt_set_int(const veil_rlwe_ctx *c, veil_rlwe_pt *pt, const int64_t *v) {
  for (int i = 0; i <= pt->level; i++) {
    uint64_t q = c->mod[i].q, *m = pt->m.c + (size_t)i * c->n;
    for (size_t k = 0; k < c->n; k++) {
      int64_t r = v[k] % (int64_t)q;
      m[k] = (uint64_t)(r < 0 ? r + (int64_t)q : r);
    }
    veil_ntt_fwd(c->tab[i], m);
  }
}

/* Largest |dec - expected| (centered per limb) over all limbs of an NTT-form plaintext, where the
 * expected integer polynomial is given as exact residues: exp(i, k) via callback-free 128-bit values. */
static inline uint64_t vt_pt_max_err(const veil_rlwe_ctx *c, const veil_rlwe_pt *pt, const __int128 *exp) {
  uint64_t worst = 0;
  uint64_t *tmp = malloc(c->n * sizeof(uint64_t));
  for (int i = 0; i <= pt->level; i++) {
    uint64_t q = c->mod[i].q;
    memcpy(tmp, pt->m.c + (size_t)i * c->n, c->n * sizeof(uint64_t));
    veil_ntt_inv(c->tab[i], tmp);
    for (size_t k = 0; k < c->n; k++) {
      __int128 e = exp[k] % (__int128)q;
      uint64_t ev = (uint64_t)(e < 0 ? e + q : e);
      uint64_t d = tmp[k] >= ev ? tmp[k] - ev : tmp[k] + q - ev;
      uint64_t dist = d > q / 2 ? q - d : d;
      if (dist > worst)
        worst = dist;
    }
  }
  free(tmp);
  return worst;
}

/* Random integer polynomial with coefficients in [-bound, bound]. */
static inline void vt_rand_int_poly(int64_t *v, size_t n, int64_t bound) {
  for (size_t k = 0; k < n; k++)
    v[k] = (int64_t)vt_rand_below((uint64_t)(2 * bound + 1)) - bound;
}

/* out[i] = in[perm[i]]. */
static inline void vt_permute(uint64_t *out, const uint64_t *in, const uint32_t *perm, size_t n) {
  for (size_t i = 0; i < n; i++)
    out[i] = in[perm[i]];
}

#endif
