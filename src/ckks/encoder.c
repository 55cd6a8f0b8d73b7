/* CKKS encoder: tables and the special FFT (canonical embedding over the rotation group 5^j). */
#include "veil/ckks_encoder.h"

#include <math.h>
#include <string.h>

#include "ckks/encoder-impl.h"

veil_status veil_ckks_encoder_init(veil_ckks_encoder *enc, int logn) {
  memset(enc, 0, sizeof *enc);
  if (logn < 1 || logn > 17)
    return veil_fail(VEIL_ERR_INVALID_ARG, "encoder logn %d outside [1, 17]", logn);
  enc->logn = logn;
  enc->n = (size_t)1 << logn;
  enc->m = 2 * enc->n;
  enc->max_slots = enc->n / 2;
  enc->rot_group = veil_malloc((enc->max_slots ? enc->max_slots : 1) * sizeof *enc->rot_group);
  enc->roots = veil_malloc((enc->m + 1) * sizeof *enc->roots);
  if (!enc->rot_group || !enc->roots) {
    veil_ckks_encoder_free(enc);
    return veil_fail(VEIL_ERR_NOMEM, "encoder tables for N=2^%d", logn);
  }
  uint64_t g = 1;
  for (size_t j = 0; j < enc->max_slots; j++, g = g * 5 % enc->m)
    enc->rot_group[j] = g;
  /* zeta^k from the first octant by symmetry, so zeta^k and zeta^(m-k) are exact conjugates. */
  for (size_t k = 0; k <= enc->m; k++) {
    long double t = 2.0L * 3.14159265358979323846264338327950288L * (long double)k / (long double)enc->m;
    enc->roots[k] = (double)cosl(t) + (double)sinl(t) * I;
  }
  for (size_t k = 1; k < enc->m / 2; k++)
    enc->roots[enc->m - k] = conj(enc->roots[k]);
  return VEIL_OK;
}

void veil_ckks_encoder_free(veil_ckks_encoder *enc) {
  if (!enc)
    return;
  veil_free(enc->rot_group);
  veil_free(enc->roots);
  memset(enc, 0, sizeof *enc);
}

static void bit_reverse(double complex *v, size_t n) {
  for (size_t i = 1, j = 0; i < n; i++) {
    size_t bit = n >> 1;
    for (; j & bit; bit >>= 1)
      j ^= bit;
    j ^= bit;
    if (i < j) {
      double complex t = v[i];
      v[i] = v[j];
      v[j] = t;
    }
  }
}

/* Twiddle for butterfly j in a block of length len: w_len^(5^j mod 4 len), w_len = exp(2 pi i /
 * (4 len)) = zeta^(m / (4 len)); 4 len divides m = 2N, both powers of two. Inverse: conjugate. */
static inline size_t twiddle_index(const veil_ckks_encoder *enc, size_t j, size_t len) {
  size_t lenq = len << 2;
  return (size_t)(enc->rot_group[j] & (lenq - 1)) * (enc->m >> (__builtin_ctzll(lenq)));
}

/* Evaluation of sum_k u_k w^(5^j k) at j < n by decimation in time: with E, O the even and odd
 * halves, z_j = E_j + w^(5^j) O_j and z_(j + n/2) = E_j - w^(5^j) O_j, because 5^(n/2) = 2n + 1
 * mod 4n. Inputs are bit-reversed first. */
void veil_ckks_fft_special(const veil_ckks_encoder *enc, double complex *v, size_t n) {
  bit_reverse(v, n);
  for (size_t len = 2; len <= n; len <<= 1) {
    size_t h = len >> 1;
    for (size_t i = 0; i < n; i += len) {
      for (size_t j = 0; j < h; j++) {
        double complex a = v[i + j], b = v[i + j + h] * enc->roots[twiddle_index(enc, j, len)];
        v[i + j] = a + b;
        v[i + j + h] = a - b;
      }
    }
  }
}

void veil_ckks_fft_special_inv(const veil_ckks_encoder *enc, double complex *v, size_t n) {
  for (size_t len = n; len >= 2; len >>= 1) {
    size_t h = len >> 1;
    for (size_t i = 0; i < n; i += len) {
      for (size_t j = 0; j < h; j++) {
        double complex a = v[i + j], b = v[i + j + h];
        v[i + j] = a + b;
        v[i + j + h] = (a - b) * enc->roots[enc->m - twiddle_index(enc, j, len)];
      }
    }
  }
  bit_reverse(v, n);
  double inv = 1.0 / (double)n;
  for (size_t i = 0; i < n; i++)
    v[i] *= inv;
}

veil_status veil__ckks_check_slots(const veil_ckks_encoder *enc, const veil_ring *r, size_t slots,
                                   double scale) {
  if (r->logn != enc->logn)
    return veil_fail(VEIL_ERR_INVALID_ARG, "ring degree 2^%d differs from the encoder's 2^%d",
                     r->logn, enc->logn);
  if (slots < 1 || slots > enc->max_slots || (slots & (slots - 1)))
    return veil_fail(VEIL_ERR_INVALID_ARG, "slots %zu not a power of two in [1, N/2 = %zu]", slots,
                     enc->max_slots);
  if (!(scale > 0) || !isfinite(scale))
    return veil_fail(VEIL_ERR_INVALID_ARG, "scale %g must be positive and finite", scale);
  return VEIL_OK;
}
