/*
 * Hybrid key switching (Han-Ki): decompose d into digits of alpha primes, ModUp each digit to
 * Q_l ∪ P by fast basis conversion, take the inner product with the key's (b_j, a_j), then ModDown
 * by P. The work is organised per output limb t so each key word is read once and the ModUp limbs
 * stay in per-thread scratch. The hot loops are kernel-table calls (backend.h): bconv for ModUp and
 * ModDown, dot2 for the inner product (both lazily accumulated, reduced once per word; AVX-512 IFMA
 * or DQ), permute for automorphisms. Rotations apply the automorphism to the extended digits (one
 * vectorized permutation per digit limb), so plain and hoisted rotations give identical words.
 */
#include <omp.h>
#include <string.h>

#include "rlwe-impl.h"

/* QP-list index of limb t in the level-l layout (Q limbs 0..l, then the P limbs). */
static inline int qp_index(const veil_rlwe_ctx *c, int level, int t) {
  return t <= level ? t : c->nq + t - level - 1;
}

/* out = sum_i y_i hat[i] mod m over nsrc consecutive limbs y_i = y + i n (the kernel table's bconv). */
static void bconv_limb(const veil_rlwe_ctx *c, uint64_t *out, const uint64_t *y, int nsrc, const uint64_t *hat,
                       const veil_modulus *m) {
  const uint64_t *src[VEIL_RLWE_MAX_PRIMES];
  for (int i = 0; i < nsrc; i++)
    src[i] = y + (size_t)i * c->n;
  c->rq.k->bconv(out, src, hat, nsrc, c->n, m);
}

/* The level-l digit layout: digit j covers [j alpha, min((j+1) alpha, l+1)). */
static inline const veil_rlwe_bconv *digit_tab(const veil_rlwe_ctx *c, int level, int j) {
  int lo = j * c->alpha, hi = lo + c->alpha < level + 1 ? lo + c->alpha : level + 1;
  return &c->modup[j * c->alpha + (hi - lo) - 1];
}

/* coef = INTT(d) * (D_j / q_i)^-1 per limb: the scaled inputs of every digit's ModUp. */
static void decompose_prepare(veil_rlwe_ks *ks, const uint64_t *d, int level) {
  const veil_rlwe_ctx *c = ks->ctx;
  size_t n = c->n;
#pragma omp parallel for num_threads(ks->nthreads) if (ks->ctx->n >= VEIL__PAR_MIN_N) schedule(static)
  for (int i = 0; i <= level; i++) {
    const veil_rlwe_bconv *b = digit_tab(c, level, i / c->alpha);
    int r = i - b->src0;
    uint64_t *x = ks->coef + (size_t)i * n;
    memcpy(x, d + (size_t)i * n, n * sizeof(uint64_t));
    c->rq.k->ntt_inv(c->tab[i], x);
    c->rq.k->mul_scalar(x, x, b->bc.hat_inv[r], b->bc.hat_inv_sh[r], n, &c->mod[i]);
  }
}

/* src = digit j of d mod the prime of limb t, in NTT form (tmp is scratch for converted limbs). */
static const uint64_t *modup_limb(veil_rlwe_ks *ks, const uint64_t *d, int level, int j, int t,
                                  uint64_t *tmp) {
  const veil_rlwe_ctx *c = ks->ctx;
  const veil_rlwe_bconv *b = digit_tab(c, level, j);
  if (t <= level && t >= b->src0 && t < b->src0 + b->nsrc)
    return d + (size_t)t * c->n;
  int mi = qp_index(c, level, t);
  bconv_limb(c, tmp, ks->coef + (size_t)b->src0 * c->n, b->nsrc, b->bc.hat_mod + (size_t)mi * b->nsrc, &c->mod[mi]);
  c->rq.k->ntt_fwd(c->tab[mi], tmp);
  return tmp;
}

/* phi(src) into dst (an NTT-domain automorphism: a permutation of the slots); returns dst. */
static const uint64_t *permute_limb(const veil_rlwe_ctx *c, uint64_t *dst, const uint64_t *src,
                                    const uint32_t *perm) {
  c->rq.k->permute(dst, src, perm, c->n);
  return dst;
}

/* acc0/acc1 limb t = sum_j src_j * (b_j, a_j) limb (the kernel table's dot2). */
static void inner_limb(veil_rlwe_ks *ks, int level, int t, const uint64_t *const *src, int beta,
                       const veil_rlwe_swk *key) {
  const veil_rlwe_ctx *c = ks->ctx;
  size_t n = c->n, off = (size_t)qp_index(c, level, t) * n;
  uint64_t *o0 = ks->acc + (size_t)t * n, *o1 = ks->acc + (size_t)(c->nq + c->np + t) * n;
  const uint64_t *kb[VEIL_RLWE_MAX_PRIMES], *ka[VEIL_RLWE_MAX_PRIMES];
  for (int j = 0; j < beta; j++) {
    kb[j] = key->b[j].c + off;
    ka[j] = key->a[j].c + off;
  }
  c->rq.k->dot2(o0, o1, src, kb, ka, beta, NULL, n, &c->mod[qp_index(c, level, t)]);
}

/* ModDown of one accumulated polynomial (QP_l layout at acc) into out over Q_l. */
static void moddown(veil_rlwe_ks *ks, uint64_t *acc, int level, uint64_t *out, bool add) {
  const veil_rlwe_ctx *c = ks->ctx;
  const veil_rlwe_bconv *b = &c->moddown;
  size_t n = c->n;
  uint64_t *pl = acc + (size_t)(level + 1) * n;
#pragma omp parallel num_threads(ks->nthreads) if (ks->ctx->n >= VEIL__PAR_MIN_N)
  {
#pragma omp for schedule(static)
    for (int i = 0; i < c->np; i++) {
      uint64_t *x = pl + (size_t)i * n;
      c->rq.k->ntt_inv(c->tab[c->nq + i], x);
      c->rq.k->mul_scalar(x, x, b->bc.hat_inv[i], b->bc.hat_inv_sh[i], n, &c->mod[c->nq + i]);
    }
    uint64_t *tmp = ks->tmp + (size_t)omp_get_thread_num() * (2 * c->dnum + 1) * n;
#pragma omp for schedule(static)
    for (int t = 0; t <= level; t++) {
      const veil_modulus *m = &c->mod[t];
      bconv_limb(c, tmp, pl, c->np, b->bc.hat_mod + (size_t)t * c->np, m);
      c->rq.k->ntt_fwd(c->tab[t], tmp);
      uint64_t *o = out + (size_t)t * n;
      c->rq.k->sub(tmp, acc + (size_t)t * n, tmp, n, m); /* (acc - ModUp(acc_P)) P^-1 */
      (add ? c->rq.k->fma_scalar : c->rq.k->mul_scalar)(o, tmp, c->p_inv_q[t], c->p_inv_q_sh[t], n, m);
    }
  }
}

static void moddown_pair(veil_rlwe_ks *ks, int level, uint64_t *out0, uint64_t *out1,
                         veil_rlwe_ks_mode mode) {
  const veil_rlwe_ctx *c = ks->ctx;
  moddown(ks, ks->acc, level, out0, mode & 1);
  moddown(ks, ks->acc + (size_t)(c->nq + c->np) * c->n, level, out1, (mode >> 1) & 1);
}

void veil_rlwe_keyswitch(veil_rlwe_ks *ks, const uint64_t *d, int level, const veil_rlwe_swk *key,
                         bool apply_perm, uint64_t *out0, uint64_t *out1, veil_rlwe_ks_mode mode) {
  const veil_rlwe_ctx *c = ks->ctx;
  int beta = veil_rlwe_ctx_digits(c, level), limbs = level + 1 + c->np;
  decompose_prepare(ks, d, level);
#pragma omp parallel num_threads(ks->nthreads) if (ks->ctx->n >= VEIL__PAR_MIN_N)
  {
    uint64_t *tmp = ks->tmp + (size_t)omp_get_thread_num() * (2 * c->dnum + 1) * c->n;
    const uint64_t *src[VEIL_RLWE_MAX_PRIMES];
#pragma omp for schedule(static)
    for (int t = 0; t < limbs; t++) {
      for (int j = 0; j < beta; j++) {
        src[j] = modup_limb(ks, d, level, j, t, tmp + (size_t)j * c->n);
        if (apply_perm) /* phi of the extended digit, as hoisting does: both paths agree bit for bit */
          src[j] = permute_limb(c, tmp + (size_t)(c->dnum + j) * c->n, src[j], key->perm);
      }
      inner_limb(ks, level, t, src, beta, key);
    }
  }
  moddown_pair(ks, level, out0, out1, mode);
}

veil_status veil_rlwe_hoist(veil_rlwe_ks *ks, const uint64_t *d, int level) {
  const veil_rlwe_ctx *c = ks->ctx;
  size_t n = c->n, stride = (size_t)(c->nq + c->np) * n;
  if (!ks->hoist && !(ks->hoist = veil_malloc((size_t)c->dnum * stride * sizeof(uint64_t))))
    return veil_fail(VEIL_ERR_NOMEM, "hoisted decomposition (%d x %d limbs)", c->dnum, c->nq + c->np);
  int beta = veil_rlwe_ctx_digits(c, level), limbs = level + 1 + c->np;
  decompose_prepare(ks, d, level);
#pragma omp parallel for num_threads(ks->nthreads) if (ks->ctx->n >= VEIL__PAR_MIN_N) schedule(static)
  for (int t = 0; t < limbs; t++)
    for (int j = 0; j < beta; j++) {
      uint64_t *slot = ks->hoist + j * stride + (size_t)t * n;
      const uint64_t *s = modup_limb(ks, d, level, j, t, slot);
      if (s != slot)
        memcpy(slot, s, n * sizeof(uint64_t));
    }
  ks->hoist_level = level;
  return VEIL_OK;
}

void veil_rlwe_keyswitch_hoisted(veil_rlwe_ks *ks, const veil_rlwe_swk *key, uint64_t *out0,
                                 uint64_t *out1, veil_rlwe_ks_mode mode) {
  const veil_rlwe_ctx *c = ks->ctx;
  int level = ks->hoist_level;
  VEIL_ASSERT(level >= 0);
  int beta = veil_rlwe_ctx_digits(c, level), limbs = level + 1 + c->np;
  size_t stride = (size_t)(c->nq + c->np) * c->n;
#pragma omp parallel num_threads(ks->nthreads) if (ks->ctx->n >= VEIL__PAR_MIN_N)
  {
    uint64_t *tmp = ks->tmp + (size_t)omp_get_thread_num() * (2 * c->dnum + 1) * c->n;
#pragma omp for schedule(static)
    for (int t = 0; t < limbs; t++) { /* one digit limb permuted at a time: its reads stay in cache */
      const uint64_t *src[VEIL_RLWE_MAX_PRIMES];
      for (int j = 0; j < beta; j++)
        src[j] = permute_limb(c, tmp + (size_t)j * c->n, ks->hoist + j * stride + (size_t)t * c->n, key->perm);
      inner_limb(ks, level, t, src, beta, key);
    }
  }
  moddown_pair(ks, level, out0, out1, mode);
}

veil_status veil_rlwe_ks_init(veil_rlwe_ks *ks, const veil_rlwe_ctx *c) {
  *ks = (veil_rlwe_ks){.ctx = c, .nthreads = veil_threads(), .hoist_level = -1};
  size_t n = c->n, qp = (size_t)(c->nq + c->np);
  ks->coef = veil_malloc((size_t)c->nq * n * sizeof(uint64_t));
  ks->acc = veil_malloc(2 * qp * n * sizeof(uint64_t));
  ks->tmp = veil_malloc((size_t)ks->nthreads * (size_t)(2 * c->dnum + 1) * n * sizeof(uint64_t));
  if (!ks->coef || !ks->acc || !ks->tmp) {
    veil_rlwe_ks_free(ks);
    return veil_fail(VEIL_ERR_NOMEM, "key-switching scratch");
  }
  return VEIL_OK;
}

void veil_rlwe_ks_free(veil_rlwe_ks *ks) {
  if (!ks)
    return;
  veil_free(ks->coef);
  veil_free(ks->acc);
  veil_free(ks->tmp);
  veil_free(ks->hoist);
  *ks = (veil_rlwe_ks){0};
}
