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

veil__he_mac_fn veil__he_mac_best(void) {
  const char *env = getenv("VEIL_FORCE_REF");
  if (env && env[0] == '1') return veil__he_mac_ref;
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")) return veil__he_mac_avx512;
#endif
  return veil__he_mac_ref;
}
