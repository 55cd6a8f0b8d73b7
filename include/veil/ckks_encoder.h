/**
 * @file ckks_encoder.h
 * @brief CKKS encoding: the canonical embedding of Z[X]/(X^N + 1) evaluated at the roots
 *        zeta^(5^j) (zeta = exp(i pi / N)), computed with an O(N log N) special FFT.
 *
 * Slot j of a polynomial m is m(zeta^(5^j mod 2N)), j < N/2 (the other roots are the conjugates).
 * The automorphism X -> X^(5^k) therefore rotates the slots by k. A vector of @c slots = n values
 * (any power of two 1..N/2) lives in the subring of X^g, g = N/(2n): its polynomial has non-zero
 * coefficients only at multiples of g, the full slot vector is the n values repeated N/(2n) times,
 * and rotations by k act cyclically on the n values.
 *
 * Coefficient rounding: scale * value is formed in double precision and rounded to the nearest
 * integer; the integer is reduced modulo each q_i exactly from its double representation
 * (mantissa * 2^exponent), so any finite coefficient with |c| < Q_level / 2 is supported, including
 * far beyond 2^63 (a double carries 53 significant bits: coefficients above 2^53 are exact multiples
 * of their ulp, i.e. relative precision 2^-53). Larger coefficients fail with VEIL_ERR_PRECISION.
 * Decoding reconstructs each coefficient exactly with CRT over GMP, centres it in (-Q/2, Q/2] and
 * divides by the scale.
 *
 * Scalars: a real constant c multiplies a ciphertext limb-wise by round(c * scale) mod q_i
 * (veil_ckks_encode_scalar()), in either coefficient or NTT form, with no FFT or NTT. A complex
 * constant a + b i is the polynomial a + b X^(N/2) (X^(N/2) sits at i in every slot, since
 * 5^j = 1 mod 4): the evaluator computes ct * A + (ct * X^(N/2)) * B, where A, B are the limb-wise
 * scalars of a and b and ct * X^(N/2) is a negacyclic shift by N/2 in coefficient form (or a
 * multiplication by the NTT of the monomial in NTT form); see veil_ckks_encode_scalar_complex().
 *
 * Thread safety: an encoder is immutable after init; any number of threads may encode/decode with
 * one encoder at once (scratch is allocated per call).
 *
 * @code
 *   veil_ckks_encoder enc; veil_ckks_encoder_init(&enc, ring.logn);
 *   veil_poly pt; veil_poly_init(&pt, &ring, level + 1);
 *   veil_ckks_encode_real(&enc, &ring, x, nx, slots, scale, true, &pt);   // NTT form
 *   veil_ckks_decode_real(&enc, &ring, &pt, scale, slots, y);
 * @endcode
 */
#ifndef VEIL_CKKS_ENCODER_H
#define VEIL_CKKS_ENCODER_H

#include <complex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "veil/ring.h"
#include "veil/util.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Precomputed roots of unity and the rotation group for one ring degree. */
typedef struct veil_ckks_encoder {
  int logn;
  size_t n;               /**< N */
  size_t m;               /**< 2N */
  size_t max_slots;       /**< N / 2 */
  uint64_t *rot_group;    /**< 5^j mod 2N for j < N/2 */
  double complex *roots;  /**< zeta^k = exp(2 pi i k / 2N) for k = 0..2N */
} veil_ckks_encoder;

/**
 * Precomputes tables for N = 2^logn.
 * @param logn 1..17
 * @return VEIL_OK, VEIL_ERR_INVALID_ARG (logn), VEIL_ERR_NOMEM.
 */
VEIL_WUR veil_status veil_ckks_encoder_init(veil_ckks_encoder *enc, int logn);
/** Frees the tables; NULL or a zeroed encoder is a no-op. */
void veil_ckks_encoder_free(veil_ckks_encoder *enc);

/**
 * Encodes @p nvals complex values (zero-padded to @p slots) at @p scale into @p out, whose
 * @c nlimbs (level + 1) and ring @p r fix the moduli (depth-aware encoding: choose nlimbs and scale
 * for the level where the plaintext is used).
 * @param slots    power of two in [1, N/2]; nvals <= slots
 * @param scale    > 0 (typically 2^log_scale, or the ciphertext's current scale)
 * @param ntt      true: leave @p out in NTT form (via the ring's NTT); false: coefficient form
 * @param[out] out an initialized poly over @p r (r->logn == enc->logn); overwritten
 * @return VEIL_OK; VEIL_ERR_INVALID_ARG (slots, nvals, scale, non-finite value, ring degree);
 *         VEIL_ERR_PRECISION when a scaled coefficient reaches Q_level / 2; VEIL_ERR_NOMEM.
 */
VEIL_WUR veil_status veil_ckks_encode(const veil_ckks_encoder *enc, const veil_ring *r,
                                      const double complex *vals, size_t nvals, size_t slots,
                                      double scale, bool ntt, veil_poly *out);
/** As veil_ckks_encode() for real values. */
VEIL_WUR veil_status veil_ckks_encode_real(const veil_ckks_encoder *enc, const veil_ring *r,
                                           const double *vals, size_t nvals, size_t slots,
                                           double scale, bool ntt, veil_poly *out);

/**
 * Decodes @p slots values from @p pt (coefficient or NTT form; not modified) at @p scale.
 * Exact CRT over pt->nlimbs primes, centred, divided by @p scale, then the special FFT.
 * @param[out] out @p slots values
 * @return VEIL_OK; VEIL_ERR_INVALID_ARG (slots, scale, ring degree); VEIL_ERR_NOMEM.
 */
VEIL_WUR veil_status veil_ckks_decode(const veil_ckks_encoder *enc, const veil_ring *r,
                                      const veil_poly *pt, double scale, size_t slots,
                                      double complex *out);
/** As veil_ckks_decode(), keeping the real parts. */
VEIL_WUR veil_status veil_ckks_decode_real(const veil_ckks_encoder *enc, const veil_ring *r,
                                           const veil_poly *pt, double scale, size_t slots,
                                           double *out);

/**
 * round(value * scale) mod q_i for the first @p nlimbs primes of @p r, exact for any finite
 * |value * scale| < Q_nlimbs / 2.
 * @param[out] out nlimbs residues in [0, q_i)
 * @return VEIL_OK; VEIL_ERR_INVALID_ARG (nlimbs, scale, non-finite); VEIL_ERR_PRECISION (too large).
 */
VEIL_WUR veil_status veil_ckks_encode_scalar(double value, double scale, const veil_ring *r,
                                             int nlimbs, uint64_t *out);

/**
 * A complex constant a + b i in monomial form a + b X^(N/2): @p re gets round(a * scale) mod q_i
 * and @p im gets round(b * scale) mod q_i (see the file comment for how the evaluator applies them).
 */
VEIL_WUR veil_status veil_ckks_encode_scalar_complex(double complex value, double scale,
                                                     const veil_ring *r, int nlimbs, uint64_t *re,
                                                     uint64_t *im);

/* ---- the transforms themselves (exposed for tests and for homomorphic DFT planning) ---------- */

/**
 * In place, @p slots (power of two, 1..N/2) values: u -> z with z_j = sum_k u_k w^(5^j k),
 * w = exp(2 pi i / (4 slots)). This is decoding without the real/imaginary packing.
 */
void veil_ckks_fft_special(const veil_ckks_encoder *enc, double complex *vals, size_t slots);
/** The exact inverse of veil_ckks_fft_special() (includes the 1/slots factor). */
void veil_ckks_fft_special_inv(const veil_ckks_encoder *enc, double complex *vals, size_t slots);

#ifdef __cplusplus
}
#endif
#endif
