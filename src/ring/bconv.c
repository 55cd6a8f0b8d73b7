/*
 * Fast basis conversion (Han-Ki 2020, Halevi-Polyakov-Shoup 2019): per coefficient,
 * y_j = [x_j * (B/b_j)^-1]_{b_j}, then out_i = sum_j y_j * [(B/b_j)]_{c_i} mod c_i. The sum is
 * accumulated in 128 bits without reduction (nfrom <= 64 terms below 2^122 each) and reduced once.
 * Coefficients are processed in blocks so the y values of a block stay in L1 for all targets.
 */
#include <string.h>

#include "ring/ring-impl.h"

#define BCONV_BLOCK 64

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

/* x mod q for any 128-bit x: fold the high word first so Barrett's x < 2^64 q precondition holds. */
static inline uint64_t reduce_u128(veil_u128 x, const veil_modulus *m) {
  uint64_t hi = veil_mod_reduce64((uint64_t)(x >> 64), m);
  return veil_mod_reduce128(((veil_u128)hi << 64) | (uint64_t)x, m);
}

static void bconv_block(const veil_bconv *bc, const uint64_t *const *in, uint64_t *const *out, size_t c0,
                        size_t len) {
  uint64_t y[VEIL_BCONV_MAX_FROM][BCONV_BLOCK];
  veil_u128 acc[BCONV_BLOCK];
  int nfrom = bc->nfrom;
  for (int j = 0; j < nfrom; j++) {
    const uint64_t *x = in[j] + c0, w = bc->hat_inv[j], wp = bc->hat_inv_sh[j], q = bc->from[j].q;
    for (size_t c = 0; c < len; c++)
      y[j][c] = veil_mod_mul_shoup(x[c], w, wp, q);
  }
  for (int i = 0; i < bc->nto; i++) {
    const uint64_t *hm = bc->hat_mod + (size_t)i * nfrom;
    for (size_t c = 0; c < len; c++)
      acc[c] = (veil_u128)y[0][c] * hm[0];
    for (int j = 1; j < nfrom; j++) {
      uint64_t w = hm[j];
      for (size_t c = 0; c < len; c++)
        acc[c] += (veil_u128)y[j][c] * w;
    }
    uint64_t *o = out[i] + c0;
    for (size_t c = 0; c < len; c++)
      o[c] = reduce_u128(acc[c], &bc->to[i]);
  }
}

void veil_bconv_apply_limbs(const veil_bconv *bc, const uint64_t *const *in, uint64_t *const *out, size_t n) {
  size_t nblocks = (n + BCONV_BLOCK - 1) / BCONV_BLOCK;
  size_t work = n * (size_t)(bc->nfrom + bc->nto);
#pragma omp parallel for if (work >= VEIL__PAR_WORDS) num_threads(veil_threads()) schedule(static)
  for (size_t b = 0; b < nblocks; b++) {
    size_t c0 = b * BCONV_BLOCK, len = n - c0 < BCONV_BLOCK ? n - c0 : BCONV_BLOCK;
    bconv_block(bc, in, out, c0, len);
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
