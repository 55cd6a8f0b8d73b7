/* Exact CRT reconstruction with GMP: x = sum_i [a_i * (Q/q_i)^-1]_{q_i} * (Q/q_i) mod Q, centred. */
#include "ring/ring-impl.h"

veil_status veil_ring_modulus_mpz(const veil_ring *r, int nlimbs, mpz_t Q) {
  if (nlimbs < 1 || nlimbs > r->nmods)
    return veil_fail(VEIL_ERR_INVALID_ARG, "modulus of %d limbs in a ring of %d primes", nlimbs, r->nmods);
  mpz_set_ui(Q, 1);
  for (int i = 0; i < nlimbs; i++)
    mpz_mul_ui(Q, Q, r->mods[i].q);
  return VEIL_OK;
}

/* CRT constants for the first L primes: hat[i] = Q/q_i and hat_inv[i] = (Q/q_i)^-1 mod q_i. */
typedef struct crt_basis {
  int L;
  mpz_t Q, half;
  mpz_t *hat;
  uint64_t *hat_inv;
} crt_basis;

static void crt_free(crt_basis *b) {
  for (int i = 0; b->hat && i < b->L; i++)
    mpz_clear(b->hat[i]);
  veil_free(b->hat);
  veil_free(b->hat_inv);
  mpz_clears(b->Q, b->half, NULL);
}

static veil_status crt_init(crt_basis *b, const veil_ring *r, int L) {
  mpz_inits(b->Q, b->half, NULL);
  b->L = L;
  b->hat = veil_calloc((size_t)L, sizeof *b->hat);
  b->hat_inv = veil_calloc((size_t)L, sizeof *b->hat_inv);
  if (!b->hat || !b->hat_inv) {
    b->L = 0;
    crt_free(b);
    return veil_fail(VEIL_ERR_NOMEM, "CRT constants for %d primes", L);
  }
  veil_status st = veil_ring_modulus_mpz(r, L, b->Q);
  mpz_fdiv_q_2exp(b->half, b->Q, 1);
  for (int i = 0; i < L; i++) {
    mpz_init(b->hat[i]);
    mpz_divexact_ui(b->hat[i], b->Q, r->mods[i].q);
    uint64_t h = mpz_fdiv_ui(b->hat[i], r->mods[i].q);
    b->hat_inv[i] = veil_mod_inv(h, &r->mods[i]);
  }
  if (st != VEIL_OK)
    crt_free(b);
  return st;
}

veil_status veil_poly_to_mpz(const veil_ring *r, const veil_poly *p, int nlimbs, mpz_t *out) {
  VEIL_TRY(veil__poly_check(r, p, "to_mpz"));
  if (p->is_ntt)
    return veil_fail(VEIL_ERR_MISMATCH, "to_mpz: polynomial must be in coefficient form");
  if (nlimbs < 1 || nlimbs > p->nlimbs)
    return veil_fail(VEIL_ERR_INVALID_ARG, "to_mpz: %d limbs of a polynomial with %d", nlimbs, p->nlimbs);
  crt_basis b;
  VEIL_TRY(crt_init(&b, r, nlimbs));
  long n = (long)r->n;
#pragma omp parallel if ((size_t)nlimbs * r->n >= VEIL__PAR_WORDS) num_threads(veil_threads())
  {
    mpz_t acc;
    mpz_init(acc);
#pragma omp for schedule(static)
    for (long j = 0; j < n; j++) {
      mpz_set_ui(acc, 0);
      for (int i = 0; i < nlimbs; i++) {
        uint64_t y = veil_mod_mul(veil_poly_limb(p, i)[j], b.hat_inv[i], &r->mods[i]);
        mpz_addmul_ui(acc, b.hat[i], y);
      }
      mpz_mod(out[j], acc, b.Q);
      if (mpz_cmp(out[j], b.half) > 0)
        mpz_sub(out[j], out[j], b.Q);
    }
    mpz_clear(acc);
  }
  crt_free(&b);
  return VEIL_OK;
}

veil_status veil_poly_from_mpz(const veil_ring *r, veil_poly *p, const mpz_t *in) {
  VEIL_TRY(veil__poly_check(r, p, "from_mpz"));
  size_t n = r->n;
#pragma omp parallel for if ((size_t)p->nlimbs * n >= VEIL__PAR_WORDS) num_threads(veil_threads())
  for (int i = 0; i < p->nlimbs; i++) {
    uint64_t *d = veil_poly_limb(p, i);
    for (size_t j = 0; j < n; j++)
      d[j] = mpz_fdiv_ui(in[j], r->mods[i].q);
  }
  p->is_ntt = false;
  return VEIL_OK;
}
