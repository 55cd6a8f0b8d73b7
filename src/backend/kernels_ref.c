/* Reference kernels: written for clarity, the ground truth every optimized path is tested against. */
#include "backend-impl.h"

void veil__ntt_fwd_ref(const veil_ntt_tables *t, uint64_t *a) {
  const veil_modulus *m = &t->mod;
  size_t n = t->n, len = n;
  for (size_t groups = 1; groups < n; groups <<= 1) {
    len >>= 1;
    for (size_t i = 0; i < groups; i++) {
      uint64_t w = t->fwd[groups + i];
      uint64_t *x = a + 2 * i * len, *y = x + len;
      for (size_t j = 0; j < len; j++) {
        uint64_t u = x[j], v = veil_mod_mul(y[j], w, m);
        x[j] = veil_mod_add(u, v, m->q);
        y[j] = veil_mod_sub(u, v, m->q);
      }
    }
  }
}

void veil__ntt_inv_ref(const veil_ntt_tables *t, uint64_t *a) {
  const veil_modulus *m = &t->mod;
  size_t n = t->n, len = 1;
  for (size_t groups = n >> 1; groups >= 1; groups >>= 1) {
    for (size_t i = 0; i < groups; i++) {
      uint64_t w = t->inv[groups + i];
      uint64_t *x = a + 2 * i * len, *y = x + len;
      for (size_t j = 0; j < len; j++) {
        uint64_t u = x[j], v = y[j];
        x[j] = veil_mod_add(u, v, m->q);
        y[j] = veil_mod_mul(veil_mod_sub(u, v, m->q), w, m);
      }
    }
    len <<= 1;
  }
  uint64_t n_inv = veil_mod_inv(n % m->q, m);
  for (size_t j = 0; j < n; j++)
    a[j] = veil_mod_mul(a[j], n_inv, m);
}

void veil__add_ref(uint64_t *r, const uint64_t *a, const uint64_t *b, size_t n, const veil_modulus *m) {
  for (size_t i = 0; i < n; i++)
    r[i] = veil_mod_add(a[i], b[i], m->q);
}

void veil__sub_ref(uint64_t *r, const uint64_t *a, const uint64_t *b, size_t n, const veil_modulus *m) {
  for (size_t i = 0; i < n; i++)
    r[i] = veil_mod_sub(a[i], b[i], m->q);
}

void veil__neg_ref(uint64_t *r, const uint64_t *a, size_t n, const veil_modulus *m) {
  for (size_t i = 0; i < n; i++)
    r[i] = veil_mod_neg(a[i], m->q);
}

static void mul_ref(uint64_t *r, const uint64_t *a, const uint64_t *b, size_t n, const veil_modulus *m) {
  for (size_t i = 0; i < n; i++)
    r[i] = veil_mod_mul(a[i], b[i], m);
}

static void fma_ref(uint64_t *r, const uint64_t *a, const uint64_t *b, size_t n, const veil_modulus *m) {
  for (size_t i = 0; i < n; i++)
    r[i] = veil_mod_add(r[i], veil_mod_mul(a[i], b[i], m), m->q);
}

static void mul_scalar_ref(uint64_t *r, const uint64_t *a, uint64_t w, uint64_t wp, size_t n,
                           const veil_modulus *m) {
  (void)wp;
  for (size_t i = 0; i < n; i++)
    r[i] = veil_mod_mul(a[i], w, m);
}

static void fma_scalar_ref(uint64_t *r, const uint64_t *a, uint64_t w, uint64_t wp, size_t n,
                           const veil_modulus *m) {
  (void)wp;
  for (size_t i = 0; i < n; i++)
    r[i] = veil_mod_add(r[i], veil_mod_mul(a[i], w, m), m->q);
}

void veil__bconv_ref(uint64_t *r, const uint64_t *const *x, const uint64_t *w, int cnt, size_t n,
                     const veil_modulus *m) {
  for (size_t c = 0; c < n; c++) {
    uint64_t s = 0;
    for (int i = 0; i < cnt; i++)
      s = veil_mod_add(s, veil_mod_reduce128((veil_u128)x[i][c] * w[i], m), m->q);
    r[c] = s;
  }
}

void veil__dot2_ref(uint64_t *r0, uint64_t *r1, const uint64_t *const *x, const uint64_t *const *a,
                    const uint64_t *const *b, int cnt, const uint32_t *perm, size_t n, const veil_modulus *m) {
  for (size_t c = 0; c < n; c++) {
    uint64_t s0 = 0, s1 = 0;
    size_t p = perm ? perm[c] : c;
    for (int i = 0; i < cnt; i++) {
      s0 = veil_mod_add(s0, veil_mod_mul(x[i][p], a[i][c], m), m->q);
      s1 = veil_mod_add(s1, veil_mod_mul(x[i][p], b[i][c], m), m->q);
    }
    r0[c] = s0;
    r1[c] = s1;
  }
}

void veil__permute_ref(uint64_t *r, const uint64_t *a, const uint32_t *perm, size_t n) {
  for (size_t c = 0; c < n; c++)
    r[c] = a[perm[c]];
}

const veil_kernels veil__kernels_ref = {
    .name = "ref",
    .ntt_fwd = veil__ntt_fwd_ref,
    .ntt_inv = veil__ntt_inv_ref,
    .add = veil__add_ref,
    .sub = veil__sub_ref,
    .neg = veil__neg_ref,
    .mul = mul_ref,
    .fma = fma_ref,
    .mul_scalar = mul_scalar_ref,
    .fma_scalar = fma_scalar_ref,
    .bconv = veil__bconv_ref,
    .dot2 = veil__dot2_ref,
    .permute = veil__permute_ref,
};
