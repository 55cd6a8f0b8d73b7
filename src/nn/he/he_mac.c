/** @file he_mac.c @brief Ciphertext x integer-scalar multiply-accumulate: reference kernel and dispatch. */
#include <stdlib.h>
#include <string.h>

#include "nn/he/he-impl.h"

void veil__he_mac_ref(const int64_t *row, const int32_t *col, const int32_t *w, int64_t nout, const uint64_t *x,
                      size_t len, uint64_t q, int chunk, const uint64_t *bias, uint64_t *const *out) {
  int64_t acc[VEIL_HE_MAC_BLOCK_MAX];
  uint64_t tot[VEIL_HE_MAC_BLOCK_MAX];
  const double qinv = 1.0 / (double)q;
  VEIL_ASSERT(len <= VEIL_HE_MAC_BLOCK_MAX && chunk >= 1);
  for (int64_t j = 0; j < nout; j++) {
    uint64_t b = bias ? bias[j] : 0;
    for (size_t k = 0; k < len; k++) tot[k] = b;
    for (int64_t t0 = row[j]; t0 < row[j + 1]; t0 += chunk) {
      int64_t t1 = t0 + chunk < row[j + 1] ? t0 + chunk : row[j + 1];
      memset(acc, 0, len * sizeof *acc);
      for (int64_t t = t0; t < t1; t++) {
        const uint64_t *xt = x + (size_t)col[t] * len;
        const int64_t wt = w[t];
        for (size_t k = 0; k < len; k++) acc[k] += (int64_t)xt[k] * wt;
      }
      for (size_t k = 0; k < len; k++) {
        uint64_t s = tot[k] + veil__he_reduce_i64(acc[k], q, qinv);
        tot[k] = s >= q ? s - q : s;
      }
    }
    memcpy(out[j], tot, len * sizeof *tot);
  }
}

static inline uint64_t mulmod31(uint64_t a, uint64_t b, uint64_t q, double qinv) {
  return veil__he_reduce_i64((int64_t)(a * b), q, qinv);
}

void veil__he_poly_ref(const uint64_t *a, const uint64_t *b, int c, bool neg, uint64_t c1, uint64_t c0, uint64_t q,
                       size_t len, uint64_t *dst) {
  const double qinv = 1.0 / (double)q;
  for (size_t k = 0; k < len; k++) {
    uint64_t v = c == 0 ? mulmod31(a[k], a[k], q, qinv) : c == 1 ? mulmod31(2 * a[k], b[k], q, qinv) : mulmod31(b[k], b[k], q, qinv);
    v = neg && v ? q - v : v;
    if (c < 2) v += mulmod31(c == 0 ? a[k] : b[k], c1, q, qinv) + (c == 0 ? c0 : 0);
    v = v >= q ? v - q : v;
    dst[k] = v >= q ? v - q : v;
  }
}

/* AVX-512 F + DQ on x86-64, unless VEIL_FORCE_REF=1. */
static bool use_avx512(void) {
  const char *env = getenv("VEIL_FORCE_REF");
  if (env && env[0] == '1') return false;
#if defined(__x86_64__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
#else
  return false;
#endif
}

veil__he_mac_fn veil__he_mac_best(void) { return use_avx512() ? veil__he_mac_avx512 : veil__he_mac_ref; }
veil__he_poly_fn veil__he_poly_best(void) { return use_avx512() ? veil__he_poly_avx512 : veil__he_poly_ref; }
