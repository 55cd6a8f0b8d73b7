/** @file he-impl.h @brief Internals of the batch-packing HE compiler and executor. */
#ifndef VEIL_HE_IMPL_H
#define VEIL_HE_IMPL_H

#include "veil/he.h"

void veil__he_lin_free(veil_he_lin *l);
VEIL_WUR veil_status veil__he_lin_alloc(veil_he_lin *l, int64_t nin, int64_t nout, int64_t nnz);
VEIL_WUR veil_status veil__he_value_add(veil_he_plan *p, int64_t count, int *id);
/** Inserts a copy of @p s at position @p at (taking ownership of its arrays). */
VEIL_WUR veil_status veil__he_step_insert(veil_he_plan *p, int at, const veil_he_step *s);
/** Folds sqrt|c2| of every POLY into the LINEAR step before it (an identity step if none). */
VEIL_WUR veil_status veil__he_fold_poly(veil_he_plan *p);
/** Structural schedule: inserts NORM steps, sets depths, sizes, relin/rescale counts, plan depth. */
VEIL_WUR veil_status veil__he_schedule(veil_he_plan *p, const veil_he_opts *o);
/** Client-aided mode: inserts identity LINEAR steps (see veil_he_plan_compile) and numbers the rounds. */
VEIL_WUR veil_status veil__he_aided_prepare(veil_he_plan *p);
/** Inserts at @p at a diagonal LINEAR step out = f * in + b (every element); returns the new value. */
VEIL_WUR veil_status veil__he_diag_const(veil_he_plan *p, int at, int in, double f, double b, int node, int *out);
/** Uses of value @p v (step inputs, and the plan output). */
int veil__he_value_uses(const veil_he_plan *p, int v);
/**
 * One output of an activation on one image: RELU / CLIP of x[j]; MAXPOOL: max of x[win[0..group-1]].
 */
static inline double veil__he_act_apply(veil_he_act act, const double clip[2], const double *x, const int32_t *win,
                                        int group, int64_t j) {
  if (act == VEIL_HE_ACT_MAXPOOL) {
    double m = x[win[0]];
    for (int k = 1; k < group; k++) m = x[win[k]] > m ? x[win[k]] : m;
    return m;
  }
  if (act == VEIL_HE_ACT_CLIP) return x[j] < clip[0] ? clip[0] : x[j] > clip[1] ? clip[1] : x[j];
  return x[j] > 0 ? x[j] : 0;
}
/** Index of the last step reading value @p v, or -1. */
int veil__he_last_use(const veil_he_plan *p, int v);

/** Step-by-step execution of a plan's server steps (client-aided sessions). */
typedef struct veil__he_exec veil__he_exec;
VEIL_WUR veil_status veil__he_exec_init(const veil_he_plan *p, const veil_he_server *sv, veil__he_exec **out);
void veil__he_exec_free(veil__he_exec *x);
/**
 * Runs step @p i (LINEAR, ADD or NORM) and frees its inputs after their last use. A LINEAR step uses
 * @p wi / @p b / @p chunk when @p wi is not NULL (masks folded into the weights), else the plan's.
 */
VEIL_WUR veil_status veil__he_exec_step(veil__he_exec *x, int i, const int32_t *wi, const double *b, int chunk);
/** Takes value @p v's ciphertexts out of the run (NULL if not live). */
veil_rlwe_ct *veil__he_exec_take(veil__he_exec *x, int v);
/** Gives value @p v the ciphertext array @p cts (count of the value; ownership passes). */
void veil__he_exec_set(veil__he_exec *x, int v, veil_rlwe_ct *cts);
/** veil_he_encrypt of @p nin values per image (any count). */
VEIL_WUR veil_status veil__he_encrypt_count(const veil_he_plan *p, const veil_he_client *cl, const double *x, int64_t n,
                                            int64_t nin, veil_he_tensor *out);
/** veil_he_decrypt of any tensor into @p y (t->n_images * t->count values, image-major). */
VEIL_WUR veil_status veil__he_decrypt_count(const veil_he_plan *p, const veil_he_client *cl, const veil_he_tensor *t, double *y);
/** Index of the step producing value @p v, or -1 (the input). */
int veil__he_producer(const veil_he_plan *p, int v);

/**
 * The multiply-accumulate kernel on one block of @p len coefficients of one limb (modulus q < 2^31):
 * for each output j < nout: out[j][k] = (bias[j] + sum_t w[t] * x[col[t] * len + k]) mod q over
 * t in [row[j], row[j+1]), with x values in [0, q), |w| < 2^31, reducing every @p chunk products.
 * @p bias may be NULL. Results in [0, q).
 */
typedef void (*veil__he_mac_fn)(const int64_t *row, const int32_t *col, const int32_t *w, int64_t nout,
                                const uint64_t *x, size_t len, uint64_t q, int chunk, const uint64_t *bias,
                                uint64_t *const *out);
void veil__he_mac_ref(const int64_t *row, const int32_t *col, const int32_t *w, int64_t nout, const uint64_t *x,
                      size_t len, uint64_t q, int chunk, const uint64_t *bias, uint64_t *const *out);
void veil__he_mac_avx512(const int64_t *row, const int32_t *col, const int32_t *w, int64_t nout,
                         const uint64_t *x, size_t len, uint64_t q, int chunk, const uint64_t *bias,
                         uint64_t *const *out);
/** a mod q for any int64 a and q < 2^31 (quotient estimated in double with error below 1, then fixed). */
static inline uint64_t veil__he_reduce_i64(int64_t a, uint64_t q, double qinv) {
  int64_t t = (int64_t)((double)a * qinv);
  int64_t r = a - t * (int64_t)q, qs = (int64_t)q;
  r += r < 0 ? qs : 0;
  r += r < 0 ? qs : 0;
  r -= r >= qs ? qs : 0;
  r -= r >= qs ? qs : 0;
  return (uint64_t)r;
}

/** The best kernel for this CPU (the reference one when VEIL_FORCE_REF=1). */
veil__he_mac_fn veil__he_mac_best(void);

/**
 * Component @p c (0, 1, 2) of s x^2 + c1 x + c0 for a size-2 ciphertext x = (a, b) in NTT form, on @p len
 * coefficients of one limb (q < 2^31): c = 0: s a^2 + c1 a + c0; 1: 2 s a b + c1 b; 2: s b^2, s = -1
 * when @p neg else 1. c1, c0 in [0, q); results in [0, q).
 */
typedef void (*veil__he_poly_fn)(const uint64_t *a, const uint64_t *b, int c, bool neg, uint64_t c1, uint64_t c0,
                                 uint64_t q, size_t len, uint64_t *dst);
void veil__he_poly_ref(const uint64_t *a, const uint64_t *b, int c, bool neg, uint64_t c1, uint64_t c0, uint64_t q,
                       size_t len, uint64_t *dst);
void veil__he_poly_avx512(const uint64_t *a, const uint64_t *b, int c, bool neg, uint64_t c1, uint64_t c0, uint64_t q,
                          size_t len, uint64_t *dst);
veil__he_poly_fn veil__he_poly_best(void);
/** Coefficients per block of the kernel (multiple of 32). */
#define VEIL_HE_MAC_BLOCK_MAX 1024

#endif
