/*
 * Fast basis conversion (Han-Ki 2020, Halevi-Polyakov-Shoup 2019): per coefficient,
 * y_j = [x_j * (B/b_j)^-1]_{b_j}, then out_i = sum_j y_j * [(B/b_j)]_{c_i} mod c_i. The sum is
 * accumulated in 128 bits without reduction (nfrom <= 64 terms below 2^122 each) and reduced once.
 * Coefficients are processed in blocks so the y values of a block stay in L1 for all targets.
 */
#include <string.h>

#include "ring/ring-impl.h"

#define BCONV_BLOCK 64

/* Per-target reduction constants: 2^64 mod c_i and Shoup factors of it and of 1. */
typedef struct bconv_target {
  uint64_t q, r64, r64_sh, one_sh;
} bconv_target;

void veil_bconv_free(veil_bconv *bc) {
  if (!bc)
    return;
  veil_free(bc->from);
  veil_free(bc->to);
  veil_free(bc->hat_inv);
  veil_free(bc->hat_inv_sh);
  veil_free(bc->hat_mod);
  *bc = (veil_bconv){0};
}

static veil_status check_bases(const veil_modulus *from, int nfrom, const veil_modulus *to, int nto) {
  if (nfrom < 1 || nfrom > VEIL_BCONV_MAX_FROM)
    return veil_fail(VEIL_ERR_INVALID_ARG, "bconv: %d source primes (1..%d)", nfrom, VEIL_BCONV_MAX_FROM);
  if (nto < 1 || nto > VEIL_BCONV_MAX_TO)
    return veil_fail(VEIL_ERR_INVALID_ARG, "bconv: %d target primes (1..%d)", nto, VEIL_BCONV_MAX_TO);
  for (int j = 0; j < nfrom; j++) {
    if (from[j].q < 3 || from[j].q >> VEIL_MAX_PRIME_BITS)
      return veil_fail(VEIL_ERR_INVALID_ARG, "bconv: source prime %d out of range", j);
    for (int k = 0; k < j; k++)
      if (from[k].q == from[j].q)
        return veil_fail(VEIL_ERR_INVALID_ARG, "bconv: source prime %llu appears twice",
                         (unsigned long long)from[j].q);
  }
  for (int i = 0; i < nto; i++)
    if (to[i].q < 3 || to[i].q >> VEIL_MAX_PRIME_BITS)
      return veil_fail(VEIL_ERR_INVALID_ARG, "bconv: target prime %d out of range", i);
  return VEIL_OK;
}

/* prod_{k != j} b_k mod m. */
static uint64_t hat_mod_of(const veil_modulus *from, int nfrom, int j, const veil_modulus *m) {
  uint64_t p = 1 % m->q;
  for (int k = 0; k < nfrom; k++)
    if (k != j)
      p = veil_mod_mul(p, veil_mod_reduce64(from[k].q, m), m);
  return p;
}

veil_status veil_bconv_init(veil_bconv *bc, const veil_modulus *from, int nfrom, const veil_modulus *to,
                            int nto) {
  *bc = (veil_bconv){0};
  VEIL_TRY(check_bases(from, nfrom, to, nto));
  bc->nfrom = nfrom;
  bc->nto = nto;
  bc->from = veil_malloc((size_t)nfrom * sizeof *from);
  bc->to = veil_malloc((size_t)nto * sizeof *to);
  bc->hat_inv = veil_malloc((size_t)nfrom * sizeof(uint64_t));
  bc->hat_inv_sh = veil_malloc((size_t)nfrom * sizeof(uint64_t));
  bc->hat_mod = veil_malloc((size_t)nfrom * (size_t)nto * sizeof(uint64_t));
  if (!bc->from || !bc->to || !bc->hat_inv || !bc->hat_inv_sh || !bc->hat_mod) {
    veil_bconv_free(bc);
    return veil_fail(VEIL_ERR_NOMEM, "bconv tables %d -> %d primes", nfrom, nto);
  }
  memcpy(bc->from, from, (size_t)nfrom * sizeof *from);
  memcpy(bc->to, to, (size_t)nto * sizeof *to);
  for (int j = 0; j < nfrom; j++) {
    bc->hat_inv[j] = veil_mod_inv(hat_mod_of(from, nfrom, j, &from[j]), &from[j]);
    bc->hat_inv_sh[j] = veil_shoup_prep(bc->hat_inv[j], from[j].q);
  }
  for (int i = 0; i < nto; i++)
    for (int j = 0; j < nfrom; j++)
      bc->hat_mod[(size_t)i * nfrom + j] = hat_mod_of(from, nfrom, j, &to[i]);
  return VEIL_OK;
}

/*
 * x mod q for any 128-bit x = hi 2^64 + lo, as hi (2^64 mod q) + lo with two lazy Shoup products:
 * 6 word multiplications instead of two Barrett reductions.
 */
static inline uint64_t reduce_u128(veil_u128 x, const bconv_target *t) {
  uint64_t q = t->q;
  uint64_t r = veil_mod_mul_shoup_lazy((uint64_t)(x >> 64), t->r64, t->r64_sh, q) +
               veil_mod_mul_shoup_lazy((uint64_t)x, 1, t->one_sh, q); /* < 4q < 2^63 */
  r = r >= 2 * q ? r - 2 * q : r;
  return r >= q ? r - q : r;
}

/* y[j][c] = [x_j[c0 + c] (B/b_j)^-1]_{b_j} for the coefficients of one block. */
static void bconv_scale_block(const veil_bconv *bc, const uint64_t *const *in, size_t c0, size_t len,
                              uint64_t (*y)[BCONV_BLOCK]) {
  for (int j = 0; j < bc->nfrom; j++) {
    const uint64_t *x = in[j] + c0, w = bc->hat_inv[j], wp = bc->hat_inv_sh[j], q = bc->from[j].q;
    for (size_t c = 0; c < len; c++)
      y[j][c] = veil_mod_mul_shoup(x[c], w, wp, q);
  }
}

/* One block: for each target, accumulate the nfrom products per coefficient in 128 bits (independent
 * chains across coefficients keep the multiplier busy), then reduce once. */
static void bconv_block(const veil_bconv *bc, const bconv_target *tg, const uint64_t *const *in,
                        uint64_t *const *out, size_t c0, size_t len) {
  uint64_t y[VEIL_BCONV_MAX_FROM][BCONV_BLOCK];
  veil_u128 acc[BCONV_BLOCK];
  int nfrom = bc->nfrom;
  bconv_scale_block(bc, in, c0, len, y);
  for (int i = 0; i < bc->nto; i++) {
    const uint64_t *hm = bc->hat_mod + (size_t)i * nfrom;
    for (size_t c = 0; c < len; c++)
      acc[c] = (veil_u128)y[0][c] * hm[0];
    int j = 1;                      /* nfrom <= 64 products below 2^122: no overflow */
    for (; j + 3 < nfrom; j += 4) { /* four sources per pass: a quarter of the acc traffic */
      uint64_t w0 = hm[j], w1 = hm[j + 1], w2 = hm[j + 2], w3 = hm[j + 3];
      for (size_t c = 0; c < len; c++)
        acc[c] += (veil_u128)y[j][c] * w0 + (veil_u128)y[j + 1][c] * w1 + (veil_u128)y[j + 2][c] * w2 +
                  (veil_u128)y[j + 3][c] * w3;
    }
    for (; j < nfrom; j++) {
      uint64_t w = hm[j];
      for (size_t c = 0; c < len; c++)
        acc[c] += (veil_u128)y[j][c] * w;
    }
    uint64_t *o = out[i] + c0;
    for (size_t c = 0; c < len; c++)
      o[c] = reduce_u128(acc[c], &tg[i]);
  }
}

void veil_bconv_apply_limbs(const veil_bconv *bc, const uint64_t *const *in, uint64_t *const *out, size_t n) {
  bconv_target tg[VEIL_BCONV_MAX_TO];
  for (int i = 0; i < bc->nto; i++) {
    uint64_t q = bc->to[i].q, r64 = (uint64_t)(((veil_u128)1 << 64) % q);
    tg[i] = (bconv_target){q, r64, veil_shoup_prep(r64, q), veil_shoup_prep(1, q)};
  }
  size_t nblocks = (n + BCONV_BLOCK - 1) / BCONV_BLOCK;
  size_t work = n * (size_t)(bc->nfrom + bc->nto);
#pragma omp parallel for if (work >= VEIL__PAR_WORDS) num_threads(veil_threads()) schedule(static)
  for (size_t b = 0; b < nblocks; b++) {
    size_t c0 = b * BCONV_BLOCK, len = n - c0 < BCONV_BLOCK ? n - c0 : BCONV_BLOCK;
    bconv_block(bc, tg, in, out, c0, len);
  }
}

void veil_bconv_apply(const veil_bconv *bc, const uint64_t *in, uint64_t *out, size_t n) {
  const uint64_t *inp[VEIL_BCONV_MAX_FROM];
  uint64_t *outp[VEIL_BCONV_MAX_TO];
  for (int j = 0; j < bc->nfrom; j++)
    inp[j] = in + (size_t)j * n;
  for (int i = 0; i < bc->nto; i++)
    outp[i] = out + (size_t)i * n;
  veil_bconv_apply_limbs(bc, inp, outp, n);
}
