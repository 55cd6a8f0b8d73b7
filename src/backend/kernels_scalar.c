/* Optimized scalar kernels ("scalar"): Harvey's lazy NTT butterflies with Shoup twiddles read from
 * the merged tables (w next to its Shoup factor), Barrett/Shoup element-wise products.
 *
 * Ranges (q < 2^61, so 4q < 2^63 never overflows):
 *  forward (Cooley-Tukey): butterfly inputs x, y in [0, 4q); x is first reduced to [0, 2q), t = y w
 *    lazily in [0, 2q), outputs x + t and x - t + 2q in [0, 4q). A final pass maps [0, 4q) to [0, q).
 *  inverse (Gentleman-Sande): inputs in [0, 2q); x + y reduced to [0, 2q), (x - y + 2q) w lazily in
 *    [0, 2q). The last stage multiplies both outputs by n^-1 (folded into its twiddle) and reduces
 *    them to [0, q). */
#include "backend-impl.h"

/* One forward stage: m groups of 2 len elements, twiddles tw[2 (m + i)], tw[2 (m + i) + 1]. */
static void fwd_stage(uint64_t *a, const uint64_t *tw, size_t m, size_t len, uint64_t q) {
  uint64_t q2 = 2 * q;
  for (size_t i = 0; i < m; i++) {
    uint64_t w = tw[2 * (m + i)], wp = tw[2 * (m + i) + 1];
    uint64_t *x = a + 2 * i * len, *y = x + len;
    for (size_t j = 0; j < len; j++) {
      uint64_t u = veil__csub(x[j], q2), v = veil__shoup_lazy(y[j], w, wp, q);
      x[j] = u + v;
      y[j] = u - v + q2;
    }
  }
}

void veil__ntt_fwd_scalar(const veil_ntt_tables *t, uint64_t *a) {
  const veil__ntt_accel *x = t->accel;
  if (!x) {
    veil__ntt_fwd_ref(t, a);
    return;
  }
  uint64_t q = t->mod.q;
  for (size_t m = 1, len = t->n >> 1; m < t->n; m <<= 1, len >>= 1)
    fwd_stage(a, x->fwd64, m, len, q);
  for (size_t j = 0; j < t->n; j++)
    a[j] = veil__csub(veil__csub(a[j], 2 * q), q);
}

/* One inverse stage: m groups of 2 len elements. */
static void inv_stage(uint64_t *a, const uint64_t *tw, size_t m, size_t len, uint64_t q) {
  uint64_t q2 = 2 * q;
  for (size_t i = 0; i < m; i++) {
    uint64_t w = tw[2 * (m + i)], wp = tw[2 * (m + i) + 1];
    uint64_t *x = a + 2 * i * len, *y = x + len;
    for (size_t j = 0; j < len; j++) {
      uint64_t u = x[j], v = y[j];
      x[j] = veil__csub(u + v, q2);
      y[j] = veil__shoup_lazy(u - v + q2, w, wp, q);
    }
  }
}

void veil__ntt_inv_scalar(const veil_ntt_tables *t, uint64_t *a) {
  const veil__ntt_accel *x = t->accel;
  if (!x) {
    veil__ntt_inv_ref(t, a);
    return;
  }
  uint64_t q = t->mod.q, q2 = 2 * q;
  size_t half = t->n >> 1;
  for (size_t m = half, len = 1; m > 1; m >>= 1, len <<= 1)
    inv_stage(a, x->inv64, m, len, q);
  uint64_t *y = a + half;
  for (size_t j = 0; j < half; j++) {
    uint64_t u = a[j], v = y[j];
    a[j] = veil__csub(veil__shoup_lazy(u + v, x->ninv, x->ninv_sh64, q), q);
    y[j] = veil__csub(veil__shoup_lazy(u - v + q2, x->w1ninv, x->w1ninv_sh64, q), q);
  }
}

static void mul_scalar_k(uint64_t *r, const uint64_t *a, const uint64_t *b, size_t n,
                         const veil_modulus *m) {
  uint64_t mu = veil__barrett_mu(m);
  for (size_t i = 0; i < n; i++)
    r[i] = veil__barrett_mul(a[i], b[i], mu, m);
}

static void fma_scalar_k(uint64_t *r, const uint64_t *a, const uint64_t *b, size_t n,
                         const veil_modulus *m) {
  uint64_t mu = veil__barrett_mu(m);
  for (size_t i = 0; i < n; i++)
    r[i] = veil__csub(r[i] + veil__barrett_mul(a[i], b[i], mu, m), m->q);
}

static void mul_w_scalar_k(uint64_t *r, const uint64_t *a, uint64_t w, uint64_t wp, size_t n,
                           const veil_modulus *m) {
  for (size_t i = 0; i < n; i++)
    r[i] = veil__csub(veil__shoup_lazy(a[i], w, wp, m->q), m->q);
}

static void fma_w_scalar_k(uint64_t *r, const uint64_t *a, uint64_t w, uint64_t wp, size_t n,
                           const veil_modulus *m) {
  uint64_t q = m->q;
  for (size_t i = 0; i < n; i++)
    r[i] = veil__csub(veil__csub(r[i] + veil__shoup_lazy(a[i], w, wp, q), q), q);
}

/* Sums of up to FOLD products below 2^122 stay below 2^127; x mod q for such a 128-bit x. */
#define FOLD 32
static inline uint64_t reduce_any128(veil_u128 x, const veil_modulus *m) {
  uint64_t hi = veil_mod_reduce64((uint64_t)(x >> 64), m);
  return veil_mod_reduce128(((veil_u128)hi << 64) | (uint64_t)x, m);
}

/* Coefficient-outer with 128-bit register accumulators, reduced once per FOLD terms. */
void veil__bconv_scalar(uint64_t *r, const uint64_t *const *x, const uint64_t *w, int cnt, size_t n,
                        const veil_modulus *m) {
  for (size_t c = 0; c < n; c++) {
    uint64_t s = 0;
    for (int i0 = 0; i0 < cnt; i0 += FOLD) {
      veil_u128 acc = s;
      for (int i = i0; i < cnt && i < i0 + FOLD; i++)
        acc += (veil_u128)x[i][c] * w[i];
      s = reduce_any128(acc, m);
    }
    r[c] = s;
  }
}

void veil__dot2_scalar(uint64_t *r0, uint64_t *r1, const uint64_t *const *x, const uint64_t *const *a,
                       const uint64_t *const *b, int cnt, const uint32_t *perm, size_t n,
                       const veil_modulus *m) {
  for (size_t c = 0; c < n; c++) {
    size_t p = perm ? perm[c] : c;
    uint64_t s0 = 0, s1 = 0;
    for (int i0 = 0; i0 < cnt; i0 += FOLD) {
      veil_u128 acc0 = s0, acc1 = s1;
      for (int i = i0; i < cnt && i < i0 + FOLD; i++) {
        acc0 += (veil_u128)x[i][p] * a[i][c];
        acc1 += (veil_u128)x[i][p] * b[i][c];
      }
      s0 = reduce_any128(acc0, m);
      s1 = reduce_any128(acc1, m);
    }
    r0[c] = s0;
    r1[c] = s1;
  }
}

const veil_kernels veil__kernels_scalar = {
    .name = "scalar",
    .ntt_fwd = veil__ntt_fwd_scalar,
    .ntt_inv = veil__ntt_inv_scalar,
    .add = veil__add_ref,
    .sub = veil__sub_ref,
    .neg = veil__neg_ref,
    .mul = mul_scalar_k,
    .fma = fma_scalar_k,
    .mul_scalar = mul_w_scalar_k,
    .fma_scalar = fma_w_scalar_k,
    .bconv = veil__bconv_scalar,
    .dot2 = veil__dot2_scalar,
    .permute = veil__permute_ref,
};
