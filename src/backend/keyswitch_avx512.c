/* AVX-512 basis-conversion and key-switching inner-product kernels (the bconv and dot2 entries of
 * the "avx512" and "avx512dq" tables), eight coefficients per vector, products accumulated lazily and
 * reduced once per output word (or once per FOLD terms).
 *
 *  - IFMA (q < 2^50): a term x w is added as lo52(x w) to `lo` and hi52(x w) to `hi`, so a sum is
 *    S = lo + 2^52 hi. bconv inputs may reach 2^61: x = xl + 2^52 xh with xl < 2^52, xh < 2^9 and
 *    x w = xl w + xh (2^52 w mod q) (mod q). The sum is reduced as lo' + 2^52 hl + 2^104 hh, three
 *    lazy Shoup products with the constants 1, 2^52, 2^104 mod q.
 *  - DQ (q < 2^61): full 128-bit products (vpmullq and an exact high word from 32x32 products) added
 *    with carry into a 128-bit (lo, hi); reduced as 2^63 h + l with two 64-bit lazy Shoup products.
 * Bounds: FOLD terms keep lo < 2^59 and hi < 2^57 (IFMA), hi < 2^62 (DQ).
 *
 * permute: an NTT-domain automorphism (slots in bit-reversed order) maps the aligned block of 8 slots
 * whose natural indices share their low logN - 3 bits onto another such block, so eight outputs are
 * one cache-line load and one lane permutation; blocks without that shape are copied word by word. */
#include "avx512-impl.h"

#define FOLD52 64
#define FOLD64 16

/* Constants reducing a lazy sum modulo q: Shoup pairs of 1 and 2^52, 2^104 (IFMA) or 2^63 (DQ). */
typedef struct vred {
  vmod c;
  __m512i q4, mask63, one;
  vtw w1, r1, r2;
} vred;

static vtw vtw_const(uint64_t w, uint64_t q, int ifma) {
  uint64_t wp = (uint64_t)(((veil_u128)w << 64) / q);
  if (ifma)
    wp >>= 12; /* floor(w 2^52 / q) */
  return (vtw){_mm512_set1_epi64((long long)w), _mm512_set1_epi64((long long)wp),
               _mm512_set1_epi64((long long)(wp >> 32))};
}

static uint64_t pow2_mod(int e, uint64_t q) { return (uint64_t)(((veil_u128)1 << e) % q); }

static vred vred_make(uint64_t q, int ifma) {
  vred r = {.c = vmod_make(q)};
  r.q4 = _mm512_set1_epi64((long long)(4 * q));
  r.mask63 = _mm512_set1_epi64((long long)(~0ull >> 1));
  r.one = _mm512_set1_epi64(1);
  r.w1 = vtw_const(1, q, ifma);
  r.r1 = vtw_const(pow2_mod(ifma ? 52 : 63, q), q, ifma);
  r.r2 = vtw_const(pow2_mod(104, q), q, ifma);
  return r;
}

/* lo + 2^52 hi mod q in [0, q), for lo, hi < 2^63. */
VA __m512i reduce52(__m512i lo, __m512i hi, const vred *r) {
  const vmod *c = &r->c;
  hi = _mm512_add_epi64(hi, _mm512_srli_epi64(lo, 52));
  lo = _mm512_and_si512(lo, c->mask52);
  __m512i hl = _mm512_and_si512(hi, c->mask52), hh = _mm512_srli_epi64(hi, 52);
  __m512i s = _mm512_add_epi64(shoup(lo, r->w1, c, 1),
                               _mm512_add_epi64(shoup(hl, r->r1, c, 1), shoup(hh, r->r2, c, 1)));
  return csub(csub(csub(s, r->q4), c->q2), c->q); /* s < 6q */
}

/* lo + 2^64 hi mod q in [0, q), for hi < 2^62. */
VA __m512i reduce64(__m512i lo, __m512i hi, const vred *r) {
  const vmod *c = &r->c;
  __m512i h = _mm512_or_si512(_mm512_slli_epi64(hi, 1), _mm512_srli_epi64(lo, 63));
  __m512i s = _mm512_add_epi64(shoup(_mm512_and_si512(lo, r->mask63), r->w1, c, 0), shoup(h, r->r1, c, 0));
  return csub(csub(s, c->q2), c->q);
}

/* (lo, hi) += x w as a 128-bit sum. */
VA void mac64(__m512i *lo, __m512i *hi, __m512i x, __m512i w, __m512i one) {
  __m512i pl = _mm512_mullo_epi64(x, w), s = _mm512_add_epi64(*lo, pl);
  __mmask8 carry = _mm512_cmplt_epu64_mask(s, pl);
  __m512i h = _mm512_add_epi64(*hi, mulhi_exact(x, w));
  *hi = _mm512_mask_add_epi64(h, carry, h, one);
  *lo = s;
}

VA __m512i bcast(uint64_t w) { return _mm512_set1_epi64((long long)w); }

/* One chunk of at most FOLD52 sources, IFMA; the running sum (in [0, q)) is in r when !first. */
VA void bconv_chunk52(uint64_t *r, const uint64_t *const *x, const uint64_t *w, int cnt, size_t n,
                      const vred *rd, const veil_modulus *m, bool first) {
  uint64_t w2[FOLD52];
  uint64_t r52 = pow2_mod(52, m->q);
  for (int i = 0; i < cnt; i++)
    w2[i] = veil_mod_mul(w[i], r52, m);
  const __m512i z = rd->c.zero, mask = rd->c.mask52;
  for (size_t c = 0; c < n; c += 8) {
    __mmask8 k = lanes(n - c);
    __m512i la = first ? z : LDM(k, r + c), ha = z, lb = z, hb = z;
    for (int i = 0; i < cnt; i++) {
      __m512i v = LDM(k, x[i] + c), wv = bcast(w[i]), w2v = bcast(w2[i]);
      __m512i xl = _mm512_and_si512(v, mask), xh = _mm512_srli_epi64(v, 52);
      la = _mm512_madd52lo_epu64(la, xl, wv);
      ha = _mm512_madd52hi_epu64(ha, xl, wv);
      lb = _mm512_madd52lo_epu64(lb, xh, w2v);
      hb = _mm512_madd52hi_epu64(hb, xh, w2v);
    }
    STM(r + c, k, reduce52(_mm512_add_epi64(la, lb), _mm512_add_epi64(ha, hb), rd));
  }
}

/* One chunk of at most FOLD64 sources, DQ. */
VA void bconv_chunk64(uint64_t *r, const uint64_t *const *x, const uint64_t *w, int cnt, size_t n,
                      const vred *rd, bool first) {
  for (size_t c = 0; c < n; c += 8) {
    __mmask8 k = lanes(n - c);
    __m512i lo = first ? rd->c.zero : LDM(k, r + c), hi = rd->c.zero;
    for (int i = 0; i < cnt; i++)
      mac64(&lo, &hi, LDM(k, x[i] + c), bcast(w[i]), rd->one);
    STM(r + c, k, reduce64(lo, hi, rd));
  }
}

static void bconv_ifma(uint64_t *r, const uint64_t *const *x, const uint64_t *w, int cnt, size_t n,
                       const veil_modulus *m) {
  vred rd = vred_make(m->q, 1);
  for (int i0 = 0; i0 < cnt; i0 += FOLD52)
    bconv_chunk52(r, x + i0, w + i0, cnt - i0 < FOLD52 ? cnt - i0 : FOLD52, n, &rd, m, i0 == 0);
}

static void bconv_dq(uint64_t *r, const uint64_t *const *x, const uint64_t *w, int cnt, size_t n,
                     const veil_modulus *m) {
  vred rd = vred_make(m->q, 0);
  for (int i0 = 0; i0 < cnt; i0 += FOLD64)
    bconv_chunk64(r, x + i0, w + i0, cnt - i0 < FOLD64 ? cnt - i0 : FOLD64, n, &rd, i0 == 0);
}

/* x[p(c)] for the eight coefficients at c (idx holds perm[c..c+7] when permuted). */
VA __m512i load_x(const uint64_t *x, bool permuted, __m256i idx, size_t c, __mmask8 k) {
  if (!permuted)
    return LDM(k, x + c);
  return _mm512_mask_i32gather_epi64(_mm512_setzero_si512(), k, idx, (const void *)x, 8);
}

VA void dot2_chunk(uint64_t *r0, uint64_t *r1, const uint64_t *const *x, const uint64_t *const *a,
                   const uint64_t *const *b, int cnt, const uint32_t *perm, size_t n, const vred *rd,
                   int ifma, bool first) {
  const __m512i z = rd->c.zero;
  for (size_t c = 0; c < n; c += 8) {
    __mmask8 k = lanes(n - c);
    __m256i idx = perm ? _mm256_maskz_loadu_epi32(k, perm + c) : _mm256_setzero_si256();
    __m512i l0 = first ? z : LDM(k, r0 + c), l1 = first ? z : LDM(k, r1 + c), h0 = z, h1 = z;
    for (int i = 0; i < cnt; i++) {
      __m512i v = load_x(x[i], perm != NULL, idx, c, k), av = LDM(k, a[i] + c), bv = LDM(k, b[i] + c);
      if (ifma) {
        l0 = _mm512_madd52lo_epu64(l0, v, av);
        h0 = _mm512_madd52hi_epu64(h0, v, av);
        l1 = _mm512_madd52lo_epu64(l1, v, bv);
        h1 = _mm512_madd52hi_epu64(h1, v, bv);
      } else {
        mac64(&l0, &h0, v, av, rd->one);
        mac64(&l1, &h1, v, bv, rd->one);
      }
    }
    STM(r0 + c, k, ifma ? reduce52(l0, h0, rd) : reduce64(l0, h0, rd));
    STM(r1 + c, k, ifma ? reduce52(l1, h1, rd) : reduce64(l1, h1, rd));
  }
}

VA void dot2_impl(uint64_t *r0, uint64_t *r1, const uint64_t *const *x, const uint64_t *const *a,
                  const uint64_t *const *b, int cnt, const uint32_t *perm, size_t n, const veil_modulus *m,
                  int ifma) {
  vred rd = vred_make(m->q, ifma);
  int fold = ifma ? FOLD52 : FOLD64;
  for (int i0 = 0; i0 < cnt; i0 += fold)
    dot2_chunk(r0, r1, x + i0, a + i0, b + i0, cnt - i0 < fold ? cnt - i0 : fold, perm, n, &rd, ifma,
               i0 == 0);
}

static void dot2_ifma(uint64_t *r0, uint64_t *r1, const uint64_t *const *x, const uint64_t *const *a,
                      const uint64_t *const *b, int cnt, const uint32_t *perm, size_t n, const veil_modulus *m) {
  dot2_impl(r0, r1, x, a, b, cnt, perm, n, m, 1);
}

void veil__dot2_avx512dq(uint64_t *r0, uint64_t *r1, const uint64_t *const *x, const uint64_t *const *a,
                         const uint64_t *const *b, int cnt, const uint32_t *perm, size_t n,
                         const veil_modulus *m) {
  dot2_impl(r0, r1, x, a, b, cnt, perm, n, m, 0);
}

void veil__bconv_avx512dq(uint64_t *r, const uint64_t *const *x, const uint64_t *w, int cnt, size_t n,
                          const veil_modulus *m) {
  bconv_dq(r, x, w, cnt, n, m);
}

void veil__bconv_avx512(uint64_t *r, const uint64_t *const *x, const uint64_t *w, int cnt, size_t n,
                        const veil_modulus *m) {
  (m->q < VEIL__IFMA_MAX_Q ? bconv_ifma : bconv_dq)(r, x, w, cnt, n, m);
}

void veil__dot2_avx512(uint64_t *r0, uint64_t *r1, const uint64_t *const *x, const uint64_t *const *a,
                       const uint64_t *const *b, int cnt, const uint32_t *perm, size_t n, const veil_modulus *m) {
  if (m->q < VEIL__IFMA_MAX_Q)
    dot2_ifma(r0, r1, x, a, b, cnt, perm, n, m);
  else
    veil__dot2_avx512dq(r0, r1, x, a, b, cnt, perm, n, m);
}

#define PERM_AHEAD 16 /* blocks of 8 prefetched ahead */

void veil__permute_avx512(uint64_t *r, const uint64_t *a, const uint32_t *perm, size_t n) {
  const __m512i seven = _mm512_set1_epi64(7);
  size_t c = 0;
  for (; c + 8 <= n; c += 8) {
    if (c + 8 * PERM_AHEAD < n) /* the source lines are scattered: hardware prefetch cannot guess them */
      _mm_prefetch((const char *)(a + perm[c + 8 * PERM_AHEAD]), _MM_HINT_T0);
    __m512i idx = _mm512_cvtepu32_epi64(_mm256_loadu_si256((const __m256i *)(perm + c)));
    __m512i blk = _mm512_andnot_si512(seven, idx), base = _mm512_set1_epi64((long long)(perm[c] & ~7u));
    if (_mm512_cmpneq_epu64_mask(blk, base)) { /* not one aligned source block */
      veil__permute_ref(r + c, a, perm + c, 8);
      continue;
    }
    ST(r + c, _mm512_permutexvar_epi64(_mm512_and_si512(idx, seven), LD(a + (perm[c] & ~7u))));
  }
  veil__permute_ref(r + c, a, perm + c, n - c);
}
