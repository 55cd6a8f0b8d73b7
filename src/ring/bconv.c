/*
 * Fast basis conversion (Han-Ki 2020, Halevi-Polyakov-Shoup 2019): per coefficient,
 * y_j = [x_j * (B/b_j)^-1]_{b_j}, then out_i = sum_j y_j * [(B/b_j)]_{c_i} mod c_i. Both steps are
 * kernel-table calls (mul_scalar, bconv: lazily accumulated, reduced once per output word).
 * Coefficients are processed in blocks so the y values of a block stay in cache for all targets.
 */
#include <string.h>

#include "ring/ring-impl.h"

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
  bc->k = veil_kernels_best();
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

/* Words of scaled inputs kept per block (64 KiB): the block's y values stay in L1/L2 for all targets. */
#define BCONV_BLOCK_WORDS 8192

/* One block of len coefficients at c0: y_j = [x_j (B/b_j)^-1]_{b_j}, then each target limb as one
 * kernel sum over the nfrom scaled limbs. */
static void bconv_block(const veil_bconv *bc, const uint64_t *const *in, uint64_t *const *out, size_t c0,
                        size_t len, size_t blk) {
  uint64_t y[BCONV_BLOCK_WORDS];
  const uint64_t *yp[VEIL_BCONV_MAX_FROM];
  for (int j = 0; j < bc->nfrom; j++) {
    uint64_t *yj = y + (size_t)j * blk;
    bc->k->mul_scalar(yj, in[j] + c0, bc->hat_inv[j], bc->hat_inv_sh[j], len, &bc->from[j]);
    yp[j] = yj;
  }
  for (int i = 0; i < bc->nto; i++)
    bc->k->bconv(out[i] + c0, yp, bc->hat_mod + (size_t)i * bc->nfrom, bc->nfrom, len, &bc->to[i]);
}

void veil_bconv_apply_limbs(const veil_bconv *bc, const uint64_t *const *in, uint64_t *const *out, size_t n) {
  size_t blk = (BCONV_BLOCK_WORDS / (size_t)bc->nfrom) & ~(size_t)7; /* nfrom <= 64: blk >= 128 */
  size_t nblocks = (n + blk - 1) / blk;
  size_t work = n * (size_t)(bc->nfrom + bc->nto);
#pragma omp parallel for if (work >= VEIL__PAR_WORDS) num_threads(veil_threads()) schedule(static)
  for (size_t b = 0; b < nblocks; b++) {
    size_t c0 = b * blk, len = n - c0 < blk ? n - c0 : blk;
    bconv_block(bc, in, out, c0, len, blk);
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
