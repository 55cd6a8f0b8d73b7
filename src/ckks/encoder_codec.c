/* CKKS encode/decode between slot vectors and RNS polynomials, and scalar encoding. */
#include <gmp.h>
#include <math.h>
#include <string.h>

#include "ckks/encoder-impl.h"
#include "veil/ckks_encoder.h"

/* ---- exact rounding of doubles into residues ---------------------------------------------- */

static veil_status check_limbs(const veil_ring *r, int nlimbs) {
  if (nlimbs < 1 || nlimbs > r->nmods)
    return veil_fail(VEIL_ERR_INVALID_ARG, "%d limbs requested from a ring of %d primes", nlimbs,
                     r->nmods);
  return VEIL_OK;
}

/* log2 of the product of the first nlimbs primes. */
static double log2_q(const veil_ring *r, int nlimbs) {
  double log_q = 0;
  for (int i = 0; i < nlimbs; i++)
    log_q += log2((double)r->mods[i].q);
  return log_q;
}

/* Rejects a rounded coefficient that does not fit in (-Q/2, Q/2), log_q = log2 Q over nlimbs
 * primes (compared in floating point: log2 |x| < log2 Q - 1). */
static veil_status check_fits(double x, double log_q, int nlimbs) {
  if (!isfinite(x))
    return veil_fail(VEIL_ERR_INVALID_ARG, "non-finite value to encode");
  if (x != 0 && log2(fabs(x)) >= log_q - 1)
    return veil_fail(VEIL_ERR_PRECISION,
                     "encoded coefficient 2^%.1f does not fit modulus Q = 2^%.1f (%d limbs)",
                     log2(fabs(x)), log_q, nlimbs);
  return VEIL_OK;
}

/* x (an integer-valued double) mod q, exactly: |x| = mant * 2^e with a 53-bit integer mant. */
static uint64_t residue(double x, const veil_modulus *m) {
  double a = fabs(x);
  uint64_t r;
  if (a < 0x1p63) {
    r = veil_mod_reduce64((uint64_t)a, m);
  } else {
    int e;
    double f = frexp(a, &e); /* a = f * 2^e, f in [0.5, 1) */
    uint64_t mant = (uint64_t)ldexp(f, 53);
    r = veil_mod_mul(veil_mod_reduce64(mant, m), veil_mod_pow(2, (uint64_t)(e - 53), m), m);
  }
  return x < 0 ? veil_mod_neg(r, m->q) : r;
}

veil_status veil_ckks_encode_scalar(double value, double scale, const veil_ring *r, int nlimbs,
                                    uint64_t *out) {
  VEIL_TRY(check_limbs(r, nlimbs));
  if (!(scale > 0) || !isfinite(scale))
    return veil_fail(VEIL_ERR_INVALID_ARG, "scale %g must be positive and finite", scale);
  double x = round(value * scale);
  VEIL_TRY(check_fits(x, log2_q(r, nlimbs), nlimbs));
  for (int i = 0; i < nlimbs; i++)
    out[i] = residue(x, &r->mods[i]);
  return VEIL_OK;
}

veil_status veil_ckks_encode_scalar_complex(double complex value, double scale, const veil_ring *r,
                                            int nlimbs, uint64_t *re, uint64_t *im) {
  VEIL_TRY(veil_ckks_encode_scalar(creal(value), scale, r, nlimbs, re));
  return veil_ckks_encode_scalar(cimag(value), scale, r, nlimbs, im);
}

/* ---- encode -------------------------------------------------------------------------------- */

static veil_status check_poly(const veil_ring *r, const veil_poly *p) {
  if (!p || !p->c || p->n != r->n)
    return veil_fail(VEIL_ERR_INVALID_ARG, "plaintext polynomial not initialized over this ring");
  return check_limbs(r, p->nlimbs);
}

/* Writes round(c) into coefficient k of every limb (after the range check against log_q). */
static veil_status put_coeff(const veil_ring *r, veil_poly *out, size_t k, double c, double log_q) {
  double x = round(c);
  VEIL_TRY(check_fits(x, log_q, out->nlimbs));
  for (int i = 0; i < out->nlimbs; i++)
    veil_poly_limb(out, i)[k] = residue(x, &r->mods[i]);
  return VEIL_OK;
}

/* u_k = c_(k g) + i c_((k + n) g): the slot values after the inverse special FFT, scaled. */
static veil_status place(const veil_ring *r, const double complex *u, size_t slots, double scale,
                         veil_poly *out) {
  size_t gap = r->n / (2 * slots);
  memset(out->c, 0, (size_t)out->nlimbs * out->n * sizeof *out->c);
  out->is_ntt = false;
  double log_q = log2_q(r, out->nlimbs);
  for (size_t k = 0; k < slots; k++) {
    VEIL_TRY(put_coeff(r, out, k * gap, creal(u[k]) * scale, log_q));
    VEIL_TRY(put_coeff(r, out, (k + slots) * gap, cimag(u[k]) * scale, log_q));
  }
  return VEIL_OK;
}

static void to_ntt(const veil_ring *r, veil_poly *p) {
  for (int i = 0; i < p->nlimbs; i++)
    veil_ntt_fwd(&r->ntt[i], veil_poly_limb(p, i));
  p->is_ntt = true;
}

veil_status veil_ckks_encode(const veil_ckks_encoder *enc, const veil_ring *r,
                             const double complex *vals, size_t nvals, size_t slots, double scale,
                             bool ntt, veil_poly *out) {
  VEIL_TRY(veil__ckks_check_slots(enc, r, slots, scale));
  VEIL_TRY(check_poly(r, out));
  if (nvals > slots || (nvals && !vals))
    return veil_fail(VEIL_ERR_INVALID_ARG, "%zu values for %zu slots", nvals, slots);
  double complex *u = veil_calloc(slots, sizeof *u);
  if (!u)
    return veil_fail(VEIL_ERR_NOMEM, "encoder scratch of %zu slots", slots);
  veil_status st = VEIL_OK;
  for (size_t i = 0; i < nvals && !st; i++) {
    if (!isfinite(creal(vals[i])) || !isfinite(cimag(vals[i])))
      st = veil_fail(VEIL_ERR_INVALID_ARG, "value %zu to encode is not finite", i);
    u[i] = vals[i];
  }
  if (!st) {
    veil_ckks_fft_special_inv(enc, u, slots);
    st = place(r, u, slots, scale, out);
  }
  veil_free(u);
  if (!st && ntt)
    to_ntt(r, out);
  return st;
}

veil_status veil_ckks_encode_real(const veil_ckks_encoder *enc, const veil_ring *r,
                                  const double *vals, size_t nvals, size_t slots, double scale,
                                  bool ntt, veil_poly *out) {
  if (nvals > slots || (nvals && !vals))
    return veil_fail(VEIL_ERR_INVALID_ARG, "%zu values for %zu slots", nvals, slots);
  double complex *z = veil_malloc((nvals ? nvals : 1) * sizeof *z);
  if (!z)
    return veil_fail(VEIL_ERR_NOMEM, "encoder scratch of %zu values", nvals);
  for (size_t i = 0; i < nvals; i++)
    z[i] = vals[i];
  veil_status st = veil_ckks_encode(enc, r, z, nvals, slots, scale, ntt, out);
  veil_free(z);
  return st;
}

/* ---- decode -------------------------------------------------------------------------------- */

/* CRT constants for the first nlimbs primes: Q, Q/2 and e_i = (Q/q_i) * ((Q/q_i)^-1 mod q_i). */
typedef struct crt {
  int nlimbs;
  mpz_t q, half, acc, *e;
} crt;

static veil_status crt_init(crt *c, const veil_ring *r, int nlimbs) {
  c->nlimbs = nlimbs;
  c->e = veil_calloc((size_t)nlimbs, sizeof *c->e);
  if (!c->e)
    return veil_fail(VEIL_ERR_NOMEM, "CRT constants for %d limbs", nlimbs);
  mpz_inits(c->q, c->half, c->acc, NULL);
  mpz_set_ui(c->q, 1);
  for (int i = 0; i < nlimbs; i++)
    mpz_mul_ui(c->q, c->q, r->mods[i].q);
  mpz_fdiv_q_2exp(c->half, c->q, 1);
  for (int i = 0; i < nlimbs; i++) {
    const veil_modulus *m = &r->mods[i];
    mpz_init(c->e[i]);
    mpz_divexact_ui(c->e[i], c->q, m->q);
    uint64_t hat = mpz_fdiv_ui(c->e[i], m->q);
    mpz_mul_ui(c->e[i], c->e[i], veil_mod_inv(hat, m));
  }
  return VEIL_OK;
}

static void crt_free(crt *c) {
  for (int i = 0; c->e && i < c->nlimbs; i++)
    mpz_clear(c->e[i]);
  veil_free(c->e);
  mpz_clears(c->q, c->half, c->acc, NULL);
}

/* The centred value of coefficient k divided by scale. */
static double crt_coeff(crt *c, const uint64_t *limbs, size_t n, size_t k, double scale) {
  mpz_set_ui(c->acc, 0);
  for (int i = 0; i < c->nlimbs; i++)
    mpz_addmul_ui(c->acc, c->e[i], limbs[(size_t)i * n + k]);
  mpz_mod(c->acc, c->acc, c->q);
  if (mpz_cmp(c->acc, c->half) > 0)
    mpz_sub(c->acc, c->acc, c->q);
  long e;
  double d = mpz_get_d_2exp(&e, c->acc);
  return ldexp(d / scale, (int)e);
}

/* Coefficient-form limbs of pt: pt itself, or an inverse-NTT copy in *tmp. */
static veil_status coeff_form(const veil_ring *r, const veil_poly *pt, uint64_t **tmp,
                              const uint64_t **limbs) {
  *tmp = NULL;
  *limbs = pt->c;
  if (!pt->is_ntt)
    return VEIL_OK;
  size_t words = (size_t)pt->nlimbs * pt->n;
  *tmp = veil_malloc(words * sizeof **tmp);
  if (!*tmp)
    return veil_fail(VEIL_ERR_NOMEM, "decode scratch of %zu words", words);
  memcpy(*tmp, pt->c, words * sizeof **tmp);
  for (int i = 0; i < pt->nlimbs; i++)
    veil_ntt_inv(&r->ntt[i], *tmp + (size_t)i * pt->n);
  *limbs = *tmp;
  return VEIL_OK;
}

veil_status veil_ckks_decode(const veil_ckks_encoder *enc, const veil_ring *r, const veil_poly *pt,
                             double scale, size_t slots, double complex *out) {
  VEIL_TRY(veil__ckks_check_slots(enc, r, slots, scale));
  VEIL_TRY(check_poly(r, pt));
  uint64_t *tmp;
  const uint64_t *limbs;
  VEIL_TRY(coeff_form(r, pt, &tmp, &limbs));
  crt c;
  veil_status st = crt_init(&c, r, pt->nlimbs);
  if (st) {
    veil_free(tmp);
    return st;
  }
  size_t gap = r->n / (2 * slots);
  for (size_t k = 0; k < slots; k++) {
    double re = crt_coeff(&c, limbs, pt->n, k * gap, scale);
    double im = crt_coeff(&c, limbs, pt->n, (k + slots) * gap, scale);
    out[k] = re + im * I;
  }
  crt_free(&c);
  veil_free(tmp);
  veil_ckks_fft_special(enc, out, slots);
  return VEIL_OK;
}

veil_status veil_ckks_decode_real(const veil_ckks_encoder *enc, const veil_ring *r,
                                  const veil_poly *pt, double scale, size_t slots, double *out) {
  VEIL_TRY(veil__ckks_check_slots(enc, r, slots, scale));
  double complex *z = veil_malloc(slots * sizeof *z);
  if (!z)
    return veil_fail(VEIL_ERR_NOMEM, "decode scratch of %zu slots", slots);
  veil_status st = veil_ckks_decode(enc, r, pt, scale, slots, z);
  for (size_t i = 0; !st && i < slots; i++)
    out[i] = creal(z[i]);
  veil_free(z);
  return st;
}
