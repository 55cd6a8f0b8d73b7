/* veil_backend_ntt_prepare: the merged twiddle tables and IFMA factors the optimized kernels use. */
#include "backend-impl.h"

static void accel_free(void *p) {
  veil__ntt_accel *x = p;
  if (!x)
    return;
  veil_free(x->fwd64); /* one block holds all tables */
  veil_free(x);
}

/* Interleaves w[k] with its Shoup factor (64-bit sh[k], or sh[k] >> 12 = floor(w 2^52 / q)). */
static void merge(uint64_t *dst, const uint64_t *w, const uint64_t *sh, size_t n, int shift) {
  for (size_t k = 0; k < n; k++) {
    dst[2 * k] = w[k];
    dst[2 * k + 1] = sh[k] >> shift;
  }
}

veil_status veil_backend_ntt_prepare(veil_ntt_tables *t) {
  size_t n = t->n;
  uint64_t q = t->mod.q;
  bool ifma = q < VEIL__IFMA_MAX_Q && veil__cpu_has_ifma();
  veil__ntt_accel *x = veil_calloc(1, sizeof *x);
  uint64_t *blk = veil_malloc((ifma ? 8 : 4) * n * sizeof(uint64_t));
  if (!x || !blk) {
    veil_free(x);
    veil_free(blk);
    return veil_fail(VEIL_ERR_NOMEM, "merged NTT tables for N=%zu", n);
  }
  x->fwd64 = blk;
  x->inv64 = blk + 2 * n;
  merge(x->fwd64, t->fwd, t->fwd_sh, n, 0);
  merge(x->inv64, t->inv, t->inv_sh, n, 0);
  if (ifma) {
    x->fwd52 = blk + 4 * n;
    x->inv52 = blk + 6 * n;
    merge(x->fwd52, t->fwd, t->fwd_sh, n, 12);
    merge(x->inv52, t->inv, t->inv_sh, n, 12);
  }
  x->ninv = t->n_inv;
  x->ninv_sh64 = t->n_inv_sh;
  x->ninv_sh52 = t->n_inv_sh >> 12;
  x->w1ninv = veil_mod_mul(t->inv[1 % n], t->n_inv, &t->mod);
  x->w1ninv_sh64 = veil_shoup_prep(x->w1ninv, q);
  x->w1ninv_sh52 = x->w1ninv_sh64 >> 12;
  if (t->accel && t->accel_free)
    t->accel_free(t->accel);
  t->accel = x;
  t->accel_free = accel_free;
  return VEIL_OK;
}
