/* AVX-512 kernel tables: "avx512" (IFMA for primes q < 2^50, 64-bit DQ lanes above) and "avx512dq"
 * (64-bit lanes for every prime, for CPUs without IFMA). Only called after a run-time CPU check
 * (dispatch.c); this file alone is compiled with AVX-512 flags.
 *
 * NTT ranges are those of kernels_scalar.c (Harvey): forward butterflies take and give [0, 4q),
 * inverse butterflies [0, 2q); both paths' lazy Shoup product returns [0, 2q).
 *  - IFMA (q < 2^50, so 4q < 2^52): Shoup factor w' = floor(w 2^52 / q); qhat = hi52(y w'),
 *    r = (y w - qhat q) mod 2^52, exact because r < 2q < 2^52.
 *  - DQ (q < 2^61, so 4q < 2^63): w' = floor(w 2^64 / q); qhat = hi64(y w') from three 32x32
 *    products, dropping the low cross terms, so it underestimates by at most 2: r in [0, 4q),
 *    one conditional subtraction of 2q restores [0, 2q).
 * Memory passes: stages are fused two at a time (radix 4) while the stride is >= 16, and the last
 * four stages (strides 8, 4, 2, 1) run in registers on 16-word blocks (four blocks interleaved),
 * moving between stride layouts with one two-source permute per vector. Twiddles come from
 * t->fwd / t->inv with the Shoup factors t->fwd_sh / t->inv_sh (DQ) or the 52-bit ones in
 * t->accel (IFMA); the small-stride layouts are chosen so that each twiddle vector is a 128/256/512-
 * bit load (broadcast), never a shuffle.
 */
#include "avx512-impl.h"

/* Twiddle source: w values and their Shoup factors (52-bit for IFMA, 64-bit for DQ). */
typedef struct vsrc {
  const uint64_t *w, *s;
} vsrc;

VA vtw tw_make(__m512i w, __m512i wp) { return (vtw){w, wp, _mm512_srli_epi64(wp, 32)}; }

/* Twiddle k in every lane. */
VA vtw tw_bcast(vsrc t, size_t k) {
  return tw_make(_mm512_set1_epi64((long long)t.w[k]), _mm512_set1_epi64((long long)t.s[k]));
}

/* Lane j uses twiddle k + (j mod 2): the stride-4 layout. */
VA vtw tw_stride4(vsrc t, size_t k) {
  return tw_make(_mm512_broadcast_i64x2(_mm_loadu_si128((const __m128i *)(t.w + k))),
                 _mm512_broadcast_i64x2(_mm_loadu_si128((const __m128i *)(t.s + k))));
}

/* Lane j uses twiddle k + (j mod 4): the stride-2 layout. */
VA vtw tw_stride2(vsrc t, size_t k) {
  return tw_make(_mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(t.w + k))),
                 _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(t.s + k))));
}

/* Lane j uses twiddle k + j: the stride-1 layout. */
VA vtw tw_stride1(vsrc t, size_t k) {
  return tw_make(_mm512_loadu_si512(t.w + k), _mm512_loadu_si512(t.s + k));
}

VA void fwd_bfly(__m512i *x, __m512i *y, vtw t, const vmod *c, int ifma) {
  __m512i u = csub(*x, c->q2), v = shoup(*y, t, c, ifma);
  *x = _mm512_add_epi64(u, v);
  *y = _mm512_add_epi64(_mm512_sub_epi64(u, v), c->q2);
}

VA void inv_bfly(__m512i *x, __m512i *y, vtw t, const vmod *c, int ifma) {
  __m512i u = *x, v = *y;
  *x = csub(_mm512_add_epi64(u, v), c->q2);
  *y = shoup(_mm512_add_epi64(_mm512_sub_epi64(u, v), c->q2), t, c, ifma);
}

/* The inverse's last stage with n^-1 folded in (tn = n^-1, tw = w_1 n^-1); outputs in [0, q). */
VA void inv_bfly_last(__m512i *x, __m512i *y, vtw tn, vtw tw, const vmod *c, int ifma) {
  __m512i u = *x, v = *y;
  *x = csub(shoup(_mm512_add_epi64(u, v), tn, c, ifma), c->q);
  *y = csub(shoup(_mm512_add_epi64(_mm512_sub_epi64(u, v), c->q2), tw, c, ifma), c->q);
}


#define IDX(a, b, c_, d, e, f, g, h) _mm512_set_epi64(h, g, f, e, d, c_, b, a)

/* ---- forward ------------------------------------------------------------------------------- */

/* Stage (m groups, stride len) alone. */
VA void fwd_radix2(uint64_t *a, vsrc tab, size_t m, size_t len, const vmod *c, int ifma) {
  for (size_t i = 0; i < m; i++) {
    vtw t = tw_bcast(tab, m + i);
    uint64_t *p = a + 2 * i * len;
    for (size_t j = 0; j < len; j += 8) {
      __m512i x = LD(p + j), y = LD(p + len + j);
      fwd_bfly(&x, &y, t, c, ifma);
      ST(p + j, x);
      ST(p + len + j, y);
    }
  }
}

/* Stages (m, len) and (2m, len / 2) in one pass; len >= 16. */
VA void fwd_radix4(uint64_t *a, vsrc tab, size_t m, size_t len, const vmod *c, int ifma) {
  size_t h = len / 2;
  for (size_t i = 0; i < m; i++) {
    vtw ta = tw_bcast(tab, m + i), tb0 = tw_bcast(tab, 2 * m + 2 * i), tb1 = tw_bcast(tab, 2 * m + 2 * i + 1);
    uint64_t *p = a + 2 * i * len;
    for (size_t j = 0; j < h; j += 8) {
      __m512i x0 = LD(p + j), x1 = LD(p + h + j), x2 = LD(p + len + j), x3 = LD(p + len + h + j);
      fwd_bfly(&x0, &x2, ta, c, ifma);
      fwd_bfly(&x1, &x3, ta, c, ifma);
      fwd_bfly(&x0, &x1, tb0, c, ifma);
      fwd_bfly(&x2, &x3, tb1, c, ifma);
      ST(p + j, x0);
      ST(p + h + j, x1);
      ST(p + len + j, x2);
      ST(p + len + h + j, x3);
    }
  }
}

/* Lane layouts of a 16-word block (x, y) in the last four stages: at stride t, lane j of x holds
 * the word paired with lane j of y, and lane j uses the twiddle of group (j mod 16 / 2t) of the
 * block. Moving from one stride to the next (forward) is the same interleave for every step, and
 * the inverse steps are its inverse (even/odd split); checked by the bit-exactness tests. */
#define PERM(x, y, i) _mm512_permutex2var_epi64(x, i, y)
#define ZIP_LO IDX(0, 8, 1, 9, 2, 10, 3, 11)
#define ZIP_HI IDX(4, 12, 5, 13, 6, 14, 7, 15)
#define EVEN IDX(0, 2, 4, 6, 8, 10, 12, 14)
#define ODD IDX(1, 3, 5, 7, 9, 11, 13, 15)
/* Blocks processed together in the register passes: independent chains for the out-of-order core. */
#define LAST_K 4

VA void zip(__m512i *x, __m512i *y, __m512i lo, __m512i hi) {
  __m512i u = PERM(*x, *y, lo);
  *y = PERM(*x, *y, hi);
  *x = u;
}

typedef vtw (*tw_loader)(vsrc t, size_t k);

/* One in-register stage on K blocks from block b: moves to the stage's lane layout (permutes lo, hi)
 * and applies the butterflies with twiddles ld(tab, base + per (b + k)). */
VA void reg_stage(__m512i *x, __m512i *y, int K, __m512i lo, __m512i hi, tw_loader ld, vsrc tab,
                  size_t base, size_t per, size_t b, const vmod *c, int ifma, int fwd) {
  for (int k = 0; k < K; k++) {
    zip(&x[k], &y[k], lo, hi);
    vtw t = ld(tab, base + per * (b + k));
    fwd ? fwd_bfly(&x[k], &y[k], t, c, ifma) : inv_bfly(&x[k], &y[k], t, c, ifma);
  }
}

/* Strides 8, 4, 2, 1 on K consecutive 16-word blocks from block b, then the final reduction. */
VA void fwd_last4_k(uint64_t *a, vsrc tab, size_t n, size_t b, const vmod *c, int ifma, int K) {
  const __m512i lo = ZIP_LO, hi = ZIP_HI;
  __m512i x[LAST_K], y[LAST_K];
  uint64_t *p = a + 16 * b;
  for (int k = 0; k < K; k++) {
    x[k] = LD(p + 16 * k), y[k] = LD(p + 16 * k + 8);
    fwd_bfly(&x[k], &y[k], tw_bcast(tab, n / 16 + b + k), c, ifma);
  }
  reg_stage(x, y, K, lo, hi, tw_stride4, tab, n / 8, 2, b, c, ifma, 1);
  reg_stage(x, y, K, lo, hi, tw_stride2, tab, n / 4, 4, b, c, ifma, 1);
  reg_stage(x, y, K, lo, hi, tw_stride1, tab, n / 2, 8, b, c, ifma, 1);
  for (int k = 0; k < K; k++) {
    __m512i u = csub(csub(x[k], c->q2), c->q), v = csub(csub(y[k], c->q2), c->q);
    zip(&u, &v, lo, hi);
    ST(p + 16 * k, u);
    ST(p + 16 * k + 8, v);
  }
}

/* The n^-1 twiddles of the last stage. */
VA void last_tw(const veil__ntt_accel *ax, int ifma, vtw *tn, vtw *tw) {
  uint64_t k = ifma ? ax->ninv_sh52 : ax->ninv_sh64, kw = ifma ? ax->w1ninv_sh52 : ax->w1ninv_sh64;
  *tn = (vtw){_mm512_set1_epi64((long long)ax->ninv), _mm512_set1_epi64((long long)k),
              _mm512_set1_epi64((long long)(k >> 32))};
  *tw = (vtw){_mm512_set1_epi64((long long)ax->w1ninv), _mm512_set1_epi64((long long)kw),
              _mm512_set1_epi64((long long)(kw >> 32))};
}

/* Strides 1, 2, 4, 8 on K consecutive 16-word blocks from block b; the stride-8 stage is the
 * last one (n^-1 folded) when n = 16. */
VA void inv_first4_k(uint64_t *a, const veil__ntt_accel *ax, vsrc tab, size_t n, size_t b,
                     const vmod *c, int ifma, int K) {
  const __m512i ev = EVEN, od = ODD;
  __m512i x[LAST_K], y[LAST_K];
  uint64_t *p = a + 16 * b;
  for (int k = 0; k < K; k++)
    x[k] = LD(p + 16 * k), y[k] = LD(p + 16 * k + 8);
  reg_stage(x, y, K, ev, od, tw_stride1, tab, n / 2, 8, b, c, ifma, 0);
  reg_stage(x, y, K, ev, od, tw_stride2, tab, n / 4, 4, b, c, ifma, 0);
  reg_stage(x, y, K, ev, od, tw_stride4, tab, n / 8, 2, b, c, ifma, 0);
  vtw tn, tw;
  last_tw(ax, ifma, &tn, &tw);
  for (int k = 0; k < K; k++) {
    zip(&x[k], &y[k], ev, od);
    if (n == 16)
      inv_bfly_last(&x[k], &y[k], tn, tw, c, ifma);
    else
      inv_bfly(&x[k], &y[k], tw_bcast(tab, n / 16 + b + k), c, ifma);
    ST(p + 16 * k, x[k]);
    ST(p + 16 * k + 8, y[k]);
  }
}

/* One register pass over all blocks: the forward's last four stages or the inverse's first four. */
VA void blocks_pass(uint64_t *a, const veil__ntt_accel *ax, vsrc tab, size_t n, const vmod *c,
                    int ifma, int fwd) {
  if (n < 16 * LAST_K) {
    for (size_t b = 0; b < n / 16; b++)
      fwd ? fwd_last4_k(a, tab, n, b, c, ifma, 1) : inv_first4_k(a, ax, tab, n, b, c, ifma, 1);
    return;
  }
  for (size_t b = 0; b < n / 16; b += LAST_K)
    fwd ? fwd_last4_k(a, tab, n, b, c, ifma, LAST_K) : inv_first4_k(a, ax, tab, n, b, c, ifma, LAST_K);
}

/* Stage (m groups, stride len) alone; the last stage (m = 1) folds n^-1. */
VA void inv_radix2(uint64_t *a, const veil__ntt_accel *ax, vsrc tab, size_t m, size_t len,
                   const vmod *c, int ifma) {
  vtw tn, tw;
  last_tw(ax, ifma, &tn, &tw);
  for (size_t i = 0; i < m; i++) {
    vtw t = tw_bcast(tab, m + i);
    uint64_t *p = a + 2 * i * len;
    for (size_t j = 0; j < len; j += 8) {
      __m512i x = LD(p + j), y = LD(p + len + j);
      if (m == 1)
        inv_bfly_last(&x, &y, tn, tw, c, ifma);
      else
        inv_bfly(&x, &y, t, c, ifma);
      ST(p + j, x);
      ST(p + len + j, y);
    }
  }
}

/* Stages (m, len) and (m / 2, 2 len) in one pass; m >= 2. The second is the last when m = 2. */
VA void inv_radix4(uint64_t *a, const veil__ntt_accel *ax, vsrc tab, size_t m, size_t len,
                   const vmod *c, int ifma) {
  vtw tn, tw;
  last_tw(ax, ifma, &tn, &tw);
  for (size_t i = 0; i < m / 2; i++) {
    vtw ta0 = tw_bcast(tab, m + 2 * i), ta1 = tw_bcast(tab, m + 2 * i + 1), tb = tw_bcast(tab, m / 2 + i);
    uint64_t *p = a + 4 * i * len;
    for (size_t j = 0; j < len; j += 8) {
      __m512i x0 = LD(p + j), x1 = LD(p + len + j), x2 = LD(p + 2 * len + j), x3 = LD(p + 3 * len + j);
      inv_bfly(&x0, &x1, ta0, c, ifma);
      inv_bfly(&x2, &x3, ta1, c, ifma);
      if (m == 2) {
        inv_bfly_last(&x0, &x2, tn, tw, c, ifma);
        inv_bfly_last(&x1, &x3, tn, tw, c, ifma);
      } else {
        inv_bfly(&x0, &x2, tb, c, ifma);
        inv_bfly(&x1, &x3, tb, c, ifma);
      }
      ST(p + j, x0);
      ST(p + len + j, x1);
      ST(p + 2 * len + j, x2);
      ST(p + 3 * len + j, x3);
    }
  }
}

VA void fwd_impl(const veil_ntt_tables *t, uint64_t *a, int ifma) {
  const veil__ntt_accel *x = t->accel;
  vsrc tab = {t->fwd, ifma ? x->fwd_sh52 : t->fwd_sh};
  vmod c = vmod_make(t->mod.q);
  size_t n = t->n, m = 1, len = n / 2;
  if ((t->logn - 4) & 1) {
    fwd_radix2(a, tab, m, len, &c, ifma);
    m <<= 1, len >>= 1;
  }
  for (; len >= 16; m <<= 2, len >>= 2)
    fwd_radix4(a, tab, m, len, &c, ifma);
  blocks_pass(a, x, tab, n, &c, ifma, 1);
}

VA void inv_impl(const veil_ntt_tables *t, uint64_t *a, int ifma) {
  const veil__ntt_accel *x = t->accel;
  vsrc tab = {t->inv, ifma ? x->inv_sh52 : t->inv_sh};
  vmod c = vmod_make(t->mod.q);
  size_t n = t->n, m = n / 32, len = 16;
  blocks_pass(a, x, tab, n, &c, ifma, 0);
  if ((t->logn - 4) & 1) {
    inv_radix2(a, x, tab, m, len, &c, ifma);
    m >>= 1, len <<= 1;
  }
  for (; m >= 2; m >>= 2, len <<= 2)
    inv_radix4(a, x, tab, m, len, &c, ifma);
}

/* ---- entry points -------------------------------------------------------------------------- */

static bool use_ifma(const veil_ntt_tables *t) {
  return ((const veil__ntt_accel *)t->accel)->fwd_sh52 != NULL;
}

static void ntt_fwd_ifma(const veil_ntt_tables *t, uint64_t *a) { fwd_impl(t, a, 1); }
static void ntt_fwd_dq(const veil_ntt_tables *t, uint64_t *a) { fwd_impl(t, a, 0); }
static void ntt_inv_ifma(const veil_ntt_tables *t, uint64_t *a) { inv_impl(t, a, 1); }
static void ntt_inv_dq(const veil_ntt_tables *t, uint64_t *a) { inv_impl(t, a, 0); }

/* Small sizes and tables without extras go to the scalar kernels; IFMA where the prime allows. */
static void ntt_run(const veil_ntt_tables *t, uint64_t *a, bool fwd, bool allow_ifma) {
  if (t->n < 16 || !t->accel)
    (fwd ? veil__ntt_fwd_scalar : veil__ntt_inv_scalar)(t, a);
  else if (allow_ifma && use_ifma(t))
    (fwd ? ntt_fwd_ifma : ntt_inv_ifma)(t, a);
  else
    (fwd ? ntt_fwd_dq : ntt_inv_dq)(t, a);
}

static void ntt_fwd_avx512(const veil_ntt_tables *t, uint64_t *a) { ntt_run(t, a, true, true); }
static void ntt_inv_avx512(const veil_ntt_tables *t, uint64_t *a) { ntt_run(t, a, false, true); }
static void ntt_fwd_avx512dq(const veil_ntt_tables *t, uint64_t *a) { ntt_run(t, a, true, false); }
static void ntt_inv_avx512dq(const veil_ntt_tables *t, uint64_t *a) { ntt_run(t, a, false, false); }

/* ---- element-wise -------------------------------------------------------------------------- */


static void add_k(uint64_t *r, const uint64_t *a, const uint64_t *b, size_t n, const veil_modulus *m) {
  __m512i q = _mm512_set1_epi64((long long)m->q);
  for (size_t i = 0; i < n; i += 8) {
    __mmask8 k = lanes(n - i);
    STM(r + i, k, csub(_mm512_add_epi64(LDM(k, a + i), LDM(k, b + i)), q));
  }
}

static void sub_k(uint64_t *r, const uint64_t *a, const uint64_t *b, size_t n, const veil_modulus *m) {
  __m512i q = _mm512_set1_epi64((long long)m->q);
  for (size_t i = 0; i < n; i += 8) {
    __mmask8 k = lanes(n - i);
    __m512i d = _mm512_sub_epi64(LDM(k, a + i), LDM(k, b + i));
    STM(r + i, k, _mm512_min_epu64(d, _mm512_add_epi64(d, q)));
  }
}

static void neg_k(uint64_t *r, const uint64_t *a, size_t n, const veil_modulus *m) {
  __m512i q = _mm512_set1_epi64((long long)m->q);
  for (size_t i = 0; i < n; i += 8) {
    __mmask8 k = lanes(n - i);
    STM(r + i, k, csub(_mm512_sub_epi64(q, LDM(k, a + i)), q));
  }
}

/* Barrett constants for a b mod q (see veil__barrett_mul): IFMA mu = floor(2^(51 + L) / q) < 2^52
 * with c = floor(ab / 2^(L-1)) < 2^51; DQ mu = floor(2^(63 + L) / q). */
typedef struct vbar {
  vmod c;
  __m512i mu;
  __m128i sh_hi, sh_lo; /* c = (P_hi << sh_hi) | (P_lo >> sh_lo) */
} vbar;

VA vbar vbar_make(const veil_modulus *m, int ifma) {
  veil_u128 r = ((veil_u128)m->r_hi << 64) | m->r_lo;
  int L = m->bits;
  uint64_t mu = ifma ? (uint64_t)(r >> (77 - L)) : veil__barrett_mu(m);
  return (vbar){vmod_make(m->q), _mm512_set1_epi64((long long)mu),
                _mm_cvtsi32_si128(ifma ? 53 - L : 65 - L), _mm_cvtsi32_si128(L - 1)};
}

/* a b mod q in [0, q) for a, b in [0, q). IFMA: remainder in [0, 3q). DQ: the product's high
 * word is exact, the quotient estimate hi64(c mu) approximate (2 more), remainder in [0, 5q). */
VA __m512i barrett(__m512i a, __m512i b, const vbar *v, int ifma) {
  const vmod *c = &v->c;
  if (ifma) {
    __m512i lo = _mm512_madd52lo_epu64(c->zero, a, b), hi = _mm512_madd52hi_epu64(c->zero, a, b);
    __m512i s = _mm512_or_si512(_mm512_sll_epi64(hi, v->sh_hi), _mm512_srl_epi64(lo, v->sh_lo));
    __m512i qh = _mm512_madd52hi_epu64(c->zero, s, v->mu);
    __m512i r = _mm512_and_si512(_mm512_madd52lo_epu64(lo, qh, c->negq), c->mask52);
    return csub(csub(r, c->q), c->q);
  }
  __m512i lo = _mm512_mullo_epi64(a, b), hi = mulhi_exact(a, b);
  __m512i s = _mm512_or_si512(_mm512_sll_epi64(hi, v->sh_hi), _mm512_srl_epi64(lo, v->sh_lo));
  __m512i qh = mulhi_approx(s, v->mu, _mm512_srli_epi64(v->mu, 32));
  __m512i r = _mm512_sub_epi64(lo, _mm512_mullo_epi64(qh, c->q));
  return csub(csub(csub(r, c->q2), c->q), c->q);
}

VA void mul_impl(uint64_t *r, const uint64_t *a, const uint64_t *b, size_t n, const veil_modulus *m,
                 int ifma, int acc) {
  vbar v = vbar_make(m, ifma);
  for (size_t i = 0; i < n; i += 8) {
    __mmask8 k = lanes(n - i);
    __m512i p = barrett(LDM(k, a + i), LDM(k, b + i), &v, ifma);
    if (acc)
      p = csub(_mm512_add_epi64(p, LDM(k, r + i)), v.c.q);
    STM(r + i, k, p);
  }
}

/* a w mod q in [0, q) for a scalar w with 64-bit Shoup factor wp (IFMA uses wp >> 12). */
VA void mul_w_impl(uint64_t *r, const uint64_t *a, uint64_t w, uint64_t wp, size_t n,
                   const veil_modulus *m, int ifma, int acc) {
  vmod c = vmod_make(m->q);
  uint64_t f = ifma ? wp >> 12 : wp;
  vtw t = {_mm512_set1_epi64((long long)w), _mm512_set1_epi64((long long)f),
           _mm512_set1_epi64((long long)(f >> 32))};
  for (size_t i = 0; i < n; i += 8) {
    __mmask8 k = lanes(n - i);
    __m512i p = csub(shoup(LDM(k, a + i), t, &c, ifma), c.q);
    if (acc)
      p = csub(_mm512_add_epi64(p, LDM(k, r + i)), c.q);
    STM(r + i, k, p);
  }
}

static bool ifma_q(const veil_modulus *m) { return m->q < VEIL__IFMA_MAX_Q; }

/* The avx512 table picks IFMA per prime; the avx512dq table always uses 64-bit lanes. */
#define EW_PAIR(name, params, args, impl, extra)                                   \
  static void name##_avx512 params {                                               \
    if (ifma_q(m))                                                                 \
      impl(args, 1, extra);                                                        \
    else                                                                           \
      impl(args, 0, extra);                                                        \
  }                                                                                \
  static void name##_avx512dq params { impl(args, 0, extra); }

#define VV_PARAMS (uint64_t * r, const uint64_t *a, const uint64_t *b, size_t n, const veil_modulus *m)
#define VS_PARAMS (uint64_t * r, const uint64_t *a, uint64_t w, uint64_t wp, size_t n, const veil_modulus *m)
#define VV_ARGS r, a, b, n, m
#define VS_ARGS r, a, w, wp, n, m

EW_PAIR(mul, VV_PARAMS, VV_ARGS, mul_impl, 0)
EW_PAIR(fma, VV_PARAMS, VV_ARGS, mul_impl, 1)
EW_PAIR(mul_w, VS_PARAMS, VS_ARGS, mul_w_impl, 0)
EW_PAIR(fma_w, VS_PARAMS, VS_ARGS, mul_w_impl, 1)

const veil_kernels veil__kernels_avx512 = {
    .name = "avx512",
    .ntt_fwd = ntt_fwd_avx512,
    .ntt_inv = ntt_inv_avx512,
    .add = add_k,
    .sub = sub_k,
    .neg = neg_k,
    .mul = mul_avx512,
    .fma = fma_avx512,
    .mul_scalar = mul_w_avx512,
    .fma_scalar = fma_w_avx512,
    .bconv = veil__bconv_avx512,
    .dot2 = veil__dot2_avx512,
    .permute = veil__permute_avx512,
};

const veil_kernels veil__kernels_avx512dq = {
    .name = "avx512dq",
    .ntt_fwd = ntt_fwd_avx512dq,
    .ntt_inv = ntt_inv_avx512dq,
    .add = add_k,
    .sub = sub_k,
    .neg = neg_k,
    .mul = mul_avx512dq,
    .fma = fma_avx512dq,
    .mul_scalar = mul_w_avx512dq,
    .fma_scalar = fma_w_avx512dq,
    .bconv = veil__bconv_avx512dq,
    .dot2 = veil__dot2_avx512dq,
    .permute = veil__permute_avx512,
};
