/**
 * @file backend.h
 * @brief Kernel tables (layer backend in ../shared/DESIGN.md): the ring's hot loops behind one
 *        table of function pointers, filled with the clear `_ref` kernels and then overridden by the
 *        best the CPU supports. VEIL_FORCE_REF=1 in the environment keeps the reference table.
 *
 * Every kernel works on one RNS limb: n words modulo one prime. Unless stated otherwise inputs and
 * outputs are in [0, q).
 */
#ifndef VEIL_BACKEND_H
#define VEIL_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "veil/modarith.h"
#include "veil/util.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Precomputed tables for the negacyclic NTT modulo one prime q = 1 mod 2n.
 *
 * Convention (Longa-Naehrig / SEAL): forward is Cooley-Tukey with twiddles psi^bitrev(k), taking
 * coefficients in natural order to evaluations in bit-reversed order: out[i] = a(psi^(2 brv(i) + 1)),
 * brv = bit reversal on log2(n) bits. Inverse is Gentleman-Sande and includes the 1/n factor.
 */
typedef struct veil_ntt_tables {
  veil_modulus mod;
  int logn;
  size_t n;
  uint64_t psi;            /**< the primitive 2n-th root used (the smallest one) */
  uint64_t *fwd, *fwd_sh;  /**< fwd[k] = psi^brv(k), and its Shoup factor; k in [1, n) */
  uint64_t *inv, *inv_sh;  /**< inv[k] = psi^-brv(k), and its Shoup factor */
  uint64_t n_inv, n_inv_sh;
  void *accel;             /**< extra tables owned by the optimized backends (NULL if none) */
  void (*accel_free)(void *accel);
} veil_ntt_tables;

/** One table of ring kernels. */
typedef struct veil_kernels {
  const char *name; /**< "ref", "scalar", "avx512" */
  /** In-place forward NTT: input in [0, q), output in [0, q). */
  void (*ntt_fwd)(const veil_ntt_tables *t, uint64_t *a);
  /** In-place inverse NTT (with 1/n): input in [0, q), output in [0, q). */
  void (*ntt_inv)(const veil_ntt_tables *t, uint64_t *a);
  /** r = a + b mod q. r may alias a or b. */
  void (*add)(uint64_t *r, const uint64_t *a, const uint64_t *b, size_t n, const veil_modulus *m);
  /** r = a - b mod q. r may alias a or b. */
  void (*sub)(uint64_t *r, const uint64_t *a, const uint64_t *b, size_t n, const veil_modulus *m);
  /** r = -a mod q. */
  void (*neg)(uint64_t *r, const uint64_t *a, size_t n, const veil_modulus *m);
  /** r = a * b mod q (element-wise). r may alias a or b. */
  void (*mul)(uint64_t *r, const uint64_t *a, const uint64_t *b, size_t n, const veil_modulus *m);
  /** r = r + a * b mod q (element-wise). */
  void (*fma)(uint64_t *r, const uint64_t *a, const uint64_t *b, size_t n, const veil_modulus *m);
  /** r = a * w mod q for a scalar w in [0, q) with Shoup factor wp. */
  void (*mul_scalar)(uint64_t *r, const uint64_t *a, uint64_t w, uint64_t wp, size_t n,
                     const veil_modulus *m);
  /** r = r + a * w mod q for a scalar w in [0, q) with Shoup factor wp. */
  void (*fma_scalar)(uint64_t *r, const uint64_t *a, uint64_t w, uint64_t wp, size_t n,
                     const veil_modulus *m);
  /**
   * Basis-conversion sum: r[c] = sum_{i < cnt} x[i][c] w[i] mod q for c in [0, n). Inputs x[i][c] are
   * any values < 2^61 (residues of other primes), weights w[i] in [0, q), cnt >= 1; output in [0, q).
   * r must not alias any x[i].
   */
  void (*bconv)(uint64_t *r, const uint64_t *const *x, const uint64_t *w, int cnt, size_t n,
                const veil_modulus *m);
  /**
   * Key-switching inner product: r0[c] = sum_i x[i][p(c)] a[i][c], r1[c] = sum_i x[i][p(c)] b[i][c]
   * mod q, with p(c) = perm[c] (a permutation of [0, n)) or c when perm is NULL. All inputs in [0, q),
   * cnt >= 1; outputs in [0, q). Outputs must not alias inputs.
   */
  void (*dot2)(uint64_t *r0, uint64_t *r1, const uint64_t *const *x, const uint64_t *const *a,
               const uint64_t *const *b, int cnt, const uint32_t *perm, size_t n, const veil_modulus *m);
  /**
   * r[c] = a[perm[c]] for c in [0, n), perm a permutation of [0, n); r must not alias a. Fastest when
   * perm maps each aligned block of 8 into one aligned block of 8, as every NTT-domain automorphism
   * index does (veil_automorph_index); any permutation is correct.
   */
  void (*permute)(uint64_t *r, const uint64_t *a, const uint32_t *perm, size_t n);
} veil_kernels;

/** The kernel table chosen for this CPU (reference if VEIL_FORCE_REF=1). Thread-safe. */
const veil_kernels *veil_kernels_best(void);
/** The reference kernels (clear scalar code; the ground truth in tests). */
const veil_kernels *veil_kernels_ref(void);
/**
 * All tables available on this CPU, for tests and benchmarks: "ref" first, then "scalar", then
 * "avx512dq" (AVX-512 F+DQ, 64-bit lanes for every prime) and "avx512" (adds IFMA for primes
 * q < 2^50) when the CPU has them. Writes at most @p max pointers; returns the count written.
 */
int veil_kernels_all(const veil_kernels **out, int max);
/** The table named @p name ("ref", "scalar", "avx512dq", "avx512") if this CPU runs it, else NULL. */
const veil_kernels *veil_kernels_find(const char *name);

/**
 * Builds the extra tables the optimized kernels use (t->accel, freed through t->accel_free): merged
 * twiddle tables (w and its Shoup factor side by side), and 52-bit Shoup factors for the IFMA path
 * when q < 2^50 and the CPU has AVX-512 IFMA. Called by veil_ntt_tables_init once t->mod, t->n,
 * t->fwd*, t->inv*, t->n_inv* are filled. Kernels given tables without t->accel use the reference.
 * Errors: VEIL_ERR_NOMEM.
 */
VEIL_WUR veil_status veil_backend_ntt_prepare(veil_ntt_tables *t);

#ifdef __cplusplus
}
#endif
#endif
