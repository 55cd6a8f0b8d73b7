/**
 * @file lintrans.h
 * @brief Plaintext matrix times encrypted vector: the diagonal method (Halevi-Shoup 2014) with
 *        baby-step giant-step and hoisted baby rotations (Halevi-Shoup 2018).
 *
 * A vector of n entries (n a power of two dividing the slot count N/2) is held tiled: slot t
 * holds v[t mod n]. Then M v = sum_k d_k * rot(v, k) with d_k[i] = M[i][(i + k) mod n], and with
 * k = n1 j + i: M v = sum_j rot(sum_i rot(d_{n1 j + i}, -n1 j) * rot(v, i), n1 j). The n1 baby
 * rotations of v share one decomposition (hoisting); each giant sum is rotated once. Diagonals are
 * encoded once, at the level where they are used and at scale q_level, so the result (one
 * rescale) has exactly the input's scale. Zero diagonals are skipped and
 * veil_lintrans_rotations() lists exactly the rotation steps the evaluation uses, so key
 * generation makes only those keys.
 *
 * @code
 *   veil_lintrans lt;  veil_lintrans_init(&lt, &ctx, M, 64, ct.level, 0);
 *   int steps[64], ns; veil_lintrans_rotations(&lt, steps, &ns);       // -> veil_rlwe_gks_gen
 *   veil_lintrans_eval(&lt, &ev, &ct, &out);                           // out.level = ct.level - 1
 * @endcode
 */
#ifndef VEIL_LINTRANS_H
#define VEIL_LINTRANS_H

#include "veil/ckks.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An encoded n x n matrix. */
typedef struct veil_lintrans {
  int n;             /**< dimension (power of two dividing N/2) */
  int n1;            /**< baby steps; giant steps are multiples of n1 */
  int level;         /**< level of the input ciphertexts (diagonals encoded there) */
  int ndiag;         /**< nonzero diagonals */
  int *diag;         /**< their indices k in 0..n-1, ascending */
  veil_ckks_pt *pt;  /**< pt[d]: rot(d_k, -n1 floor(k / n1)) tiled, at @c level, scale q_level */
} veil_lintrans;

/**
 * Encodes the row-major n x n matrix @p m for inputs at @p level.
 * @param n1 baby steps (a power of two <= n), or 0 for about sqrt(n)
 * Errors: INVALID_ARG (n not a power of two dividing N/2, level out of range 1..nq-1, bad n1),
 * NOMEM, PRECISION (entries too large to encode).
 */
VEIL_WUR veil_status veil_lintrans_init(veil_lintrans *lt, const veil_ckks_ctx *ctx, const double *m, int n,
                                        int level, int n1);
void veil_lintrans_free(veil_lintrans *lt);

/**
 * The rotation steps the evaluation uses (baby steps 1..n1-1 and giant steps n1 j that occur),
 * ascending, into @p steps (room for n entries); @p count gets how many.
 */
void veil_lintrans_rotations(const veil_lintrans *lt, int *steps, int *count);

/**
 * out = M * in (tiled vectors). @p in must be at the plaintexts' level; out is one level lower at
 * exactly in's scale. @p out must not alias @p in. Errors: MISMATCH (level), NOT_FOUND (a missing
 * Galois key), NOMEM.
 */
VEIL_WUR veil_status veil_lintrans_eval(const veil_lintrans *lt, veil_ckks_eval *ev, const veil_ckks_ct *in,
                                        veil_ckks_ct *out);

#ifdef __cplusplus
}
#endif
#endif
