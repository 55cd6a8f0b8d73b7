/* Internal to the backend layer: the kernel tables each implementation provides, the extra NTT
 * tables they share (veil__ntt_accel, built by veil_backend_ntt_prepare) and scalar helpers. */
#ifndef VEIL_BACKEND_IMPL_H
#define VEIL_BACKEND_IMPL_H

#include <stdbool.h>

#include "veil/backend.h"

extern const veil_kernels veil__kernels_ref;
extern const veil_kernels veil__kernels_scalar;
extern const veil_kernels veil__kernels_avx512dq;
extern const veil_kernels veil__kernels_avx512;

void veil__ntt_fwd_ref(const veil_ntt_tables *t, uint64_t *a);
void veil__ntt_inv_ref(const veil_ntt_tables *t, uint64_t *a);
void veil__add_ref(uint64_t *r, const uint64_t *a, const uint64_t *b, size_t n, const veil_modulus *m);
void veil__sub_ref(uint64_t *r, const uint64_t *a, const uint64_t *b, size_t n, const veil_modulus *m);
void veil__neg_ref(uint64_t *r, const uint64_t *a, size_t n, const veil_modulus *m);
void veil__ntt_fwd_scalar(const veil_ntt_tables *t, uint64_t *a);
void veil__ntt_inv_scalar(const veil_ntt_tables *t, uint64_t *a);

/* Basis-conversion and key-switching inner-product kernels (see veil_kernels.bconv / .dot2). */
#define VEIL__BCONV_PARAMS \
  (uint64_t * r, const uint64_t *const *x, const uint64_t *w, int cnt, size_t n, const veil_modulus *m)
#define VEIL__DOT2_PARAMS                                                                              \
  (uint64_t * r0, uint64_t * r1, const uint64_t *const *x, const uint64_t *const *a,                 \
   const uint64_t *const *b, int cnt, const uint32_t *perm, size_t n, const veil_modulus *m)
void veil__bconv_ref VEIL__BCONV_PARAMS;
void veil__bconv_scalar VEIL__BCONV_PARAMS;
void veil__bconv_avx512 VEIL__BCONV_PARAMS;
void veil__bconv_avx512dq VEIL__BCONV_PARAMS;
void veil__dot2_ref VEIL__DOT2_PARAMS;
void veil__dot2_scalar VEIL__DOT2_PARAMS;
void veil__dot2_avx512 VEIL__DOT2_PARAMS;
void veil__dot2_avx512dq VEIL__DOT2_PARAMS;
void veil__permute_ref(uint64_t *r, const uint64_t *a, const uint32_t *perm, size_t n);
void veil__permute_avx512(uint64_t *r, const uint64_t *a, const uint32_t *perm, size_t n);

/** CPU features (cpuid through __builtin_cpu_supports), decided once. */
bool veil__cpu_has_avx512(void); /**< AVX-512 F + DQ */
bool veil__cpu_has_ifma(void);   /**< AVX-512 F + DQ + IFMA */
/** True when VEIL_FORCE_REF is set to something other than "" or "0". */
bool veil__force_ref(const char *env_value);

/** Primes below this use the 52-bit IFMA path: lazy values < 4q must fit in 52 bits. */
#define VEIL__IFMA_MAX_Q (1ull << 50)

/**
 * Extra NTT tables. Merged tables (scalar kernels) hold, for k in [0, n), the twiddle w_k at [2k] and its Shoup
 * factor at [2k + 1] (64-bit: floor(w 2^64 / q); 52-bit: floor(w 2^52 / q)), so one cache line
 * serves both. fwd: w_k = psi^brv(k); inv: w_k = psi^-brv(k). The inverse's last stage folds 1/n:
 * its outputs are (x + y) n^-1 and (x - y) w_1 n^-1 (constants below).
 */
typedef struct veil__ntt_accel {
  uint64_t *fwd64, *inv64; /**< merged, 64-bit Shoup factors (2n words each) */
  uint64_t *fwd_sh52, *inv_sh52; /**< fwd_sh, inv_sh >> 12 (IFMA); NULL unless q < 2^50 and IFMA */
  uint64_t ninv, ninv_sh64, ninv_sh52;       /**< n^-1 mod q and its Shoup factors */
  uint64_t w1ninv, w1ninv_sh64, w1ninv_sh52; /**< inv[1] n^-1 mod q and its Shoup factors */
} veil__ntt_accel;

/* Harvey's lazy Shoup product: any y < 2^64, w in [0, q), wp = floor(w 2^64 / q): [0, 2q). */
static inline uint64_t veil__shoup_lazy(uint64_t y, uint64_t w, uint64_t wp, uint64_t q) {
  return y * w - (uint64_t)(((veil_u128)y * wp) >> 64) * q;
}

/* x - q if x >= q, else x; branch-free (the comparison is data-dependent and unpredictable). */
static inline uint64_t veil__csub(uint64_t x, uint64_t q) {
  return x - (q & (0 - (uint64_t)(x >= q)));
}

/**
 * Barrett constant for products of two residues: mu = floor(2^(63 + L) / q) with L = bits of q,
 * so mu < 2^64. Derived from floor(2^128 / q) in the modulus.
 */
static inline uint64_t veil__barrett_mu(const veil_modulus *m) {
  veil_u128 r = ((veil_u128)m->r_hi << 64) | m->r_lo;
  return (uint64_t)(r >> (65 - m->bits));
}

/* a b mod q for a, b in [0, q): c = floor(ab / 2^(L-1)) < 2^(L+1), qhat = floor(c mu / 2^64)
 * underestimates floor(ab / q) by at most 2, so the remainder is in [0, 3q): two corrections. */
static inline uint64_t veil__barrett_mul(uint64_t a, uint64_t b, uint64_t mu, const veil_modulus *m) {
  veil_u128 p = (veil_u128)a * b;
  uint64_t c = (uint64_t)(p >> (m->bits - 1));
  uint64_t qhat = (uint64_t)(((veil_u128)c * mu) >> 64);
  uint64_t r = (uint64_t)p - qhat * m->q;
  return veil__csub(veil__csub(r, m->q), m->q);
}

#endif
