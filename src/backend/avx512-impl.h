/* Internal to the backend layer's *_avx512.c files (compiled with AVX-512 flags): vector modular
 * helpers shared by the NTT/element-wise kernels and the basis-conversion/key-switching kernels. */
#ifndef VEIL_AVX512_IMPL_H
#define VEIL_AVX512_IMPL_H

#include <immintrin.h>

#include "backend-impl.h"

#define VA static inline __attribute__((always_inline))

typedef struct vmod {
  __m512i q, q2, negq, mask52, zero;
} vmod;

typedef struct vtw {
  __m512i w, wp, wph; /* wph = wp >> 32, used by the DQ path only */
} vtw;

VA vmod vmod_make(uint64_t q) {
  return (vmod){_mm512_set1_epi64((long long)q), _mm512_set1_epi64((long long)(2 * q)),
                _mm512_set1_epi64((long long)((1ull << 52) - q)),
                _mm512_set1_epi64((long long)((1ull << 52) - 1)), _mm512_setzero_si512()};
}

/* x - q where x >= q, else x (for x < q the subtraction wraps above x). */
VA __m512i csub(__m512i x, __m512i q) { return _mm512_min_epu64(x, _mm512_sub_epi64(x, q)); }

/* hi64(a b) - e with e in [0, 2]: the low 32x32 product and the carries of the middle terms are
 * dropped. bh = b >> 32. */
VA __m512i mulhi_approx(__m512i a, __m512i b, __m512i bh) {
  __m512i ah = _mm512_srli_epi64(a, 32);
  __m512i hh = _mm512_mul_epu32(ah, bh);
  __m512i lh = _mm512_srli_epi64(_mm512_mul_epu32(a, bh), 32);
  __m512i hl = _mm512_srli_epi64(_mm512_mul_epu32(ah, b), 32);
  return _mm512_add_epi64(hh, _mm512_add_epi64(lh, hl));
}

/* hi64(a b) exactly. */
VA __m512i mulhi_exact(__m512i a, __m512i b) {
  const __m512i lo32 = _mm512_set1_epi64(0xffffffffll);
  __m512i ah = _mm512_srli_epi64(a, 32), bh = _mm512_srli_epi64(b, 32);
  __m512i ll = _mm512_mul_epu32(a, b), lh = _mm512_mul_epu32(a, bh);
  __m512i hl = _mm512_mul_epu32(ah, b), hh = _mm512_mul_epu32(ah, bh);
  __m512i mid = _mm512_add_epi64(_mm512_srli_epi64(ll, 32),
                                 _mm512_add_epi64(_mm512_and_si512(lh, lo32), _mm512_and_si512(hl, lo32)));
  __m512i hi = _mm512_add_epi64(hh, _mm512_add_epi64(_mm512_srli_epi64(lh, 32), _mm512_srli_epi64(hl, 32)));
  return _mm512_add_epi64(hi, _mm512_srli_epi64(mid, 32));
}

/* y w mod q lazily in [0, 2q): y < 2^52 (IFMA) or y < 2^63 (DQ). */
VA __m512i shoup(__m512i y, vtw t, const vmod *c, int ifma) {
  if (ifma) {
    __m512i qh = _mm512_madd52hi_epu64(c->zero, y, t.wp);
    __m512i r = _mm512_madd52lo_epu64(c->zero, y, t.w);
    return _mm512_and_si512(_mm512_madd52lo_epu64(r, qh, c->negq), c->mask52);
  }
  __m512i qh = mulhi_approx(y, t.wp, t.wph);
  __m512i r = _mm512_sub_epi64(_mm512_mullo_epi64(y, t.w), _mm512_mullo_epi64(qh, c->q));
  return csub(r, c->q2);
}

#define LD(p) _mm512_loadu_si512((const void *)(p))
#define ST(p, v) _mm512_storeu_si512((void *)(p), v)

VA __mmask8 lanes(size_t left) { return left >= 8 ? 0xff : (__mmask8)((1u << left) - 1); }
#define LDM(k, p) _mm512_maskz_loadu_epi64(k, p)
#define STM(p, k, v) _mm512_mask_storeu_epi64(p, k, v)

#endif
