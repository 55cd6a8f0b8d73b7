/** @file he_mac_avx512.c @brief AVX-512 (F + DQ) multiply-accumulate kernel; bit-exact with the reference. */
#include "nn/he/he-impl.h"

#if defined(__x86_64__)
#include <immintrin.h>

/* a mod q per lane (see reduce_i64 in he_mac.c). */
static inline __m512i reduce_v(__m512i a, __m512i qv, __m512d qinv) {
  __m512i t = _mm512_cvttpd_epi64(_mm512_mul_pd(_mm512_cvtepi64_pd(a), qinv));
  __m512i r = _mm512_sub_epi64(a, _mm512_mullo_epi64(t, qv)), z = _mm512_setzero_si512();
  r = _mm512_mask_add_epi64(r, _mm512_cmplt_epi64_mask(r, z), r, qv);
  r = _mm512_mask_add_epi64(r, _mm512_cmplt_epi64_mask(r, z), r, qv);
  r = _mm512_mask_sub_epi64(r, _mm512_cmpge_epi64_mask(r, qv), r, qv);
  return _mm512_mask_sub_epi64(r, _mm512_cmpge_epi64_mask(r, qv), r, qv);
}

static inline __m512i addmod_v(__m512i a, __m512i b, __m512i qv) {
  __m512i s = _mm512_add_epi64(a, b);
  return _mm512_mask_sub_epi64(s, _mm512_cmpge_epu64_mask(s, qv), s, qv);
}

/* One output row on 32 coefficients starting at k. */
static void row32(const int64_t *row, const int32_t *col, const int32_t *w, int64_t j, const uint64_t *x, size_t len,
                  size_t k, __m512i qv, __m512d qinv, int chunk, uint64_t b, uint64_t *o) {
  __m512i t0 = _mm512_set1_epi64((int64_t)b), t1 = t0, t2 = t0, t3 = t0;
  for (int64_t s0 = row[j]; s0 < row[j + 1]; s0 += chunk) {
    int64_t s1 = s0 + chunk < row[j + 1] ? s0 + chunk : row[j + 1];
    __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
    for (int64_t t = s0; t < s1; t++) {
      const uint64_t *xp = x + (size_t)col[t] * len + k;
      __m512i wv = _mm512_set1_epi64((int64_t)w[t]);
      a0 = _mm512_add_epi64(a0, _mm512_mul_epi32(_mm512_loadu_si512(xp), wv));
      a1 = _mm512_add_epi64(a1, _mm512_mul_epi32(_mm512_loadu_si512(xp + 8), wv));
      a2 = _mm512_add_epi64(a2, _mm512_mul_epi32(_mm512_loadu_si512(xp + 16), wv));
      a3 = _mm512_add_epi64(a3, _mm512_mul_epi32(_mm512_loadu_si512(xp + 24), wv));
    }
    t0 = addmod_v(t0, reduce_v(a0, qv, qinv), qv);
    t1 = addmod_v(t1, reduce_v(a1, qv, qinv), qv);
    t2 = addmod_v(t2, reduce_v(a2, qv, qinv), qv);
    t3 = addmod_v(t3, reduce_v(a3, qv, qinv), qv);
  }
  _mm512_storeu_si512(o + k, t0);
  _mm512_storeu_si512(o + k + 8, t1);
  _mm512_storeu_si512(o + k + 16, t2);
  _mm512_storeu_si512(o + k + 24, t3);
}

void veil__he_mac_avx512(const int64_t *row, const int32_t *col, const int32_t *w, int64_t nout, const uint64_t *x,
                         size_t len, uint64_t q, int chunk, const uint64_t *bias, uint64_t *const *out) {
  if (len % 32) {
    veil__he_mac_ref(row, col, w, nout, x, len, q, chunk, bias, out);
    return;
  }
  const __m512i qv = _mm512_set1_epi64((int64_t)q);
  const __m512d qinv = _mm512_set1_pd(1.0 / (double)q);
  for (int64_t j = 0; j < nout; j++)
    for (size_t k = 0; k < len; k += 32) row32(row, col, w, j, x, len, k, qv, qinv, chunk, bias ? bias[j] : 0, out[j]);
}
static inline __m512i mulmod_v(__m512i a, __m512i b, __m512i qv, __m512d qinv) {
  return reduce_v(_mm512_mul_epu32(a, b), qv, qinv);
}

void veil__he_poly_avx512(const uint64_t *a, const uint64_t *b, int c, bool neg, uint64_t c1, uint64_t c0, uint64_t q,
                          size_t len, uint64_t *dst) {
  if (len % 8) {
    veil__he_poly_ref(a, b, c, neg, c1, c0, q, len, dst);
    return;
  }
  const __m512i qv = _mm512_set1_epi64((int64_t)q), c1v = _mm512_set1_epi64((int64_t)c1), c0v = _mm512_set1_epi64(c == 0 ? (int64_t)c0 : 0);
  const __m512d qinv = _mm512_set1_pd(1.0 / (double)q);
  for (size_t k = 0; k < len; k += 8) {
    __m512i x = _mm512_loadu_si512(a + k), y = _mm512_loadu_si512(b + k), v;
    v = c == 0 ? mulmod_v(x, x, qv, qinv) : c == 1 ? mulmod_v(_mm512_add_epi64(x, x), y, qv, qinv) : mulmod_v(y, y, qv, qinv);
    if (neg) v = _mm512_maskz_sub_epi64(_mm512_test_epi64_mask(v, v), qv, v);
    if (c < 2) {
      v = addmod_v(v, mulmod_v(c == 0 ? x : y, c1v, qv, qinv), qv);
      v = addmod_v(v, c0v, qv);
    }
    _mm512_storeu_si512(dst + k, v);
  }
}
#else
void veil__he_poly_avx512(const uint64_t *a, const uint64_t *b, int c, bool neg, uint64_t c1, uint64_t c0, uint64_t q,
                          size_t len, uint64_t *dst) {
  veil__he_poly_ref(a, b, c, neg, c1, c0, q, len, dst);
}

void veil__he_mac_avx512(const int64_t *row, const int32_t *col, const int32_t *w, int64_t nout, const uint64_t *x,
                         size_t len, uint64_t q, int chunk, const uint64_t *bias, uint64_t *const *out) {
  veil__he_mac_ref(row, col, w, nout, x, len, q, chunk, bias, out);
}
#endif
