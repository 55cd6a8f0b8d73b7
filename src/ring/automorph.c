/* Automorphisms X -> X^k of Z_Q[X]/(X^N + 1) for odd k, in both domains. */
#include "ring/ring-impl.h"

uint64_t veil_galois_elt(int logn, int64_t steps) {
  uint64_t two_n = (uint64_t)2 << logn, mask = two_n - 1;
  /* 5 has order N/2 modulo 2N: reduce the exponent into [0, N/2). */
  uint64_t order = two_n >> 2, e = (uint64_t)(((steps % (int64_t)order) + (int64_t)order) % (int64_t)order);
  uint64_t r = 1, b = 5;
  for (; e; e >>= 1, b = (b * b) & mask)
    if (e & 1)
      r = (r * b) & mask;
  return r;
}

static veil_status check_k(int logn, uint64_t k) {
  if (logn < 1 || logn > 17)
    return veil_fail(VEIL_ERR_INVALID_ARG, "automorphism: logn %d outside [1, 17]", logn);
  if (!(k & 1))
    return veil_fail(VEIL_ERR_INVALID_ARG, "automorphism X -> X^%llu: k must be odd", (unsigned long long)k);
  return VEIL_OK;
}

/*
 * NTT slot i holds a(psi^(2 brv(i) + 1)). b(X) = a(X^k) there equals a(psi^(k (2 brv(i) + 1))); the
 * exponent e = k (2 brv(i) + 1) mod 2N is odd, which is slot brv((e - 1) / 2) of a.
 */
veil_status veil_automorph_index(int logn, uint64_t k, uint32_t *idx) {
  VEIL_TRY(check_k(logn, k));
  uint64_t n = (uint64_t)1 << logn, mask = 2 * n - 1;
  k &= mask;
  for (uint64_t i = 0; i < n; i++) {
    uint64_t e = (k * (2 * veil_bitrev(i, logn) + 1)) & mask;
    idx[i] = (uint32_t)veil_bitrev((e - 1) >> 1, logn);
  }
  return VEIL_OK;
}

static veil_status automorph_prepare(const veil_ring *r, veil_poly *out, const veil_poly *a,
                                     const char *what) {
  VEIL_TRY(veil__poly_check(r, a, what));
  if (out && out->c == a->c)
    return veil_fail(VEIL_ERR_INVALID_ARG, "%s: output aliases the input", what);
  VEIL_TRY(veil__poly_out(r, out, a->nlimbs, what));
  out->is_ntt = a->is_ntt;
  return VEIL_OK;
}

/* Coefficient j moves to X^(jk mod 2N), negated when the exponent wraps past N (X^N = -1). */
static void automorph_coeff_limb(uint64_t *out, const uint64_t *a, uint64_t k, size_t n, uint64_t q) {
  uint64_t mask = 2 * (uint64_t)n - 1;
  for (size_t j = 0; j < n; j++) {
    uint64_t e = ((uint64_t)j * k) & mask;
    if (e < n)
      out[e] = a[j];
    else
      out[e - n] = veil_mod_neg(a[j], q);
  }
}

static void automorph_ntt_limbs(const veil_ring *r, veil_poly *out, const veil_poly *a, const uint32_t *idx) {
  size_t n = r->n;
#pragma omp parallel for if ((size_t)a->nlimbs * n >= VEIL__PAR_WORDS) num_threads(veil_threads())
  for (int i = 0; i < a->nlimbs; i++) {
    uint64_t *d = veil_poly_limb(out, i);
    const uint64_t *s = veil_poly_limb(a, i);
    for (size_t j = 0; j < n; j++)
      d[j] = s[idx[j]];
  }
}

veil_status veil_poly_automorph_ntt(const veil_ring *r, veil_poly *out, const veil_poly *a,
                                    const uint32_t *idx) {
  VEIL_TRY(veil__poly_check(r, a, "automorph_ntt"));
  if (!a->is_ntt)
    return veil_fail(VEIL_ERR_MISMATCH, "automorph_ntt: input must be in NTT form");
  VEIL_TRY(automorph_prepare(r, out, a, "automorph_ntt"));
  automorph_ntt_limbs(r, out, a, idx);
  return VEIL_OK;
}

veil_status veil_poly_automorph(const veil_ring *r, veil_poly *out, const veil_poly *a, uint64_t k) {
  VEIL_TRY(check_k(r->logn, k));
  VEIL_TRY(automorph_prepare(r, out, a, "automorph"));
  k &= 2 * (uint64_t)r->n - 1;
  if (a->is_ntt) {
    uint32_t *idx = veil_malloc(r->n * sizeof *idx);
    if (!idx)
      return veil_fail(VEIL_ERR_NOMEM, "automorph: permutation of %zu entries", r->n);
    veil_status st = veil_automorph_index(r->logn, k, idx);
    if (st == VEIL_OK)
      automorph_ntt_limbs(r, out, a, idx);
    veil_free(idx);
    return st;
  }
#pragma omp parallel for if ((size_t)a->nlimbs * r->n >= VEIL__PAR_WORDS) num_threads(veil_threads())
  for (int i = 0; i < a->nlimbs; i++)
    automorph_coeff_limb(veil_poly_limb(out, i), veil_poly_limb(a, i), k, r->n, r->mods[i].q);
  return VEIL_OK;
}
