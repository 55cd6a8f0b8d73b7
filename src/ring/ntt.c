#include "veil/ring.h"

static veil_status alloc_tables(veil_ntt_tables *t) {
  size_t bytes = t->n * sizeof(uint64_t);
  t->fwd = veil_malloc(bytes);
  t->fwd_sh = veil_malloc(bytes);
  t->inv = veil_malloc(bytes);
  t->inv_sh = veil_malloc(bytes);
  if (!t->fwd || !t->fwd_sh || !t->inv || !t->inv_sh)
    return veil_fail(VEIL_ERR_NOMEM, "NTT tables for N=%zu", t->n);
  return VEIL_OK;
}

veil_status veil_ntt_tables_init(veil_ntt_tables *t, uint64_t q, int logn) {
  *t = (veil_ntt_tables){0};
  if (logn < 1 || logn > 17)
    return veil_fail(VEIL_ERR_INVALID_ARG, "logn %d outside [1, 17]", logn);
  if (q >= (1ull << VEIL_MAX_PRIME_BITS))
    return veil_fail(VEIL_ERR_INVALID_ARG, "modulus %llu exceeds %d bits", (unsigned long long)q,
                     VEIL_MAX_PRIME_BITS);
  t->logn = logn;
  t->n = (size_t)1 << logn;
  veil_modulus_init(&t->mod, q);
  veil_status st = veil_primitive_root_2n(q, logn, &t->psi);
  if (st == VEIL_OK)
    st = alloc_tables(t);
  if (st != VEIL_OK) {
    veil_ntt_tables_free(t);
    return st;
  }
  const veil_modulus *m = &t->mod;
  uint64_t psi_inv = veil_mod_inv(t->psi, m), pw = 1, pw_inv = 1;
  t->fwd[0] = t->inv[0] = 1;
  for (size_t i = 0; i < t->n; i++) {
    size_t k = veil_bitrev(i, logn);
    t->fwd[k] = pw;
    t->inv[k] = pw_inv;
    pw = veil_mod_mul(pw, t->psi, m);
    pw_inv = veil_mod_mul(pw_inv, psi_inv, m);
  }
  for (size_t i = 0; i < t->n; i++) {
    t->fwd_sh[i] = veil_shoup_prep(t->fwd[i], q);
    t->inv_sh[i] = veil_shoup_prep(t->inv[i], q);
  }
  t->n_inv = veil_mod_inv(t->n % q, m);
  t->n_inv_sh = veil_shoup_prep(t->n_inv, q);
  st = veil_backend_ntt_prepare(t);
  if (st != VEIL_OK)
    veil_ntt_tables_free(t);
  return st;
}

void veil_ntt_tables_free(veil_ntt_tables *t) {
  if (!t)
    return;
  veil_free(t->fwd);
  veil_free(t->fwd_sh);
  veil_free(t->inv);
  veil_free(t->inv_sh);
  if (t->accel && t->accel_free)
    t->accel_free(t->accel);
  *t = (veil_ntt_tables){0};
}

void veil_ntt_fwd(const veil_ntt_tables *t, uint64_t *a) { veil_kernels_best()->ntt_fwd(t, a); }

void veil_ntt_inv(const veil_ntt_tables *t, uint64_t *a) { veil_kernels_best()->ntt_inv(t, a); }
