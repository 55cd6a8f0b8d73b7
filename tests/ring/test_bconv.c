/* Fast basis conversion against exact big-integer arithmetic: out_i = (x + e B) mod c_i, 0 <= e < nfrom. */
#include "rns_test_util.h"
#include "vtest.h"

static void moduli(veil_modulus *m, const uint64_t *q, int count) {
  for (int i = 0; i < count; i++)
    veil_modulus_init(&m[i], q[i]);
}

/* Expected e for one coefficient: (sum_j [x_j (B/b_j)^-1]_{b_j} (B/b_j) - x) / B, all in GMP. */
static void expected_e(mpz_t e, const mpz_t x, const mpz_t B, const veil_modulus *from, int nfrom) {
  mpz_t hat, inv, bj, sum, y;
  mpz_inits(hat, inv, bj, sum, y, NULL);
  for (int j = 0; j < nfrom; j++) {
    mpz_set_ui(bj, from[j].q);
    mpz_divexact(hat, B, bj);
    mpz_invert(inv, hat, bj);
    mpz_mod(y, x, bj);
    mpz_mul(y, y, inv);
    mpz_mod(y, y, bj);
    mpz_addmul(sum, y, hat);
  }
  mpz_sub(sum, sum, x);
  mpz_divexact(e, sum, B);
  mpz_clears(hat, inv, bj, sum, y, NULL);
}

static void run_bconv(const veil_bconv *bc, const uint64_t *in, uint64_t *out, size_t n, bool use_limbs) {
  int nfrom = bc->nfrom, nto = bc->nto;
  if (!use_limbs) {
    veil_bconv_apply(bc, in, out, n);
    return;
  }
  const uint64_t *ip[VEIL_BCONV_MAX_FROM]; /* reversed limb order through pointers: limbs need not be contiguous */
  uint64_t *op[64];
  for (int j = 0; j < nfrom; j++)
    ip[j] = in + (size_t)j * n;
  for (int i = 0; i < nto; i++)
    op[i] = out + (size_t)(nto - 1 - i) * n;
  veil_bconv_apply_limbs(bc, ip, op, n);
}

/* Checks the conversion with every kernel table against GMP. */
static void check_bconv(const uint64_t *fq, int nfrom, const uint64_t *tq, int nto, size_t n,
                        bool use_limbs) {
  veil_modulus from[VEIL_BCONV_MAX_FROM], to[64];
  moduli(from, fq, nfrom);
  moduli(to, tq, nto);
  veil_bconv bc;
  VT_OK(veil_bconv_init(&bc, from, nfrom, to, nto));
  mpz_t B, e, *x = veil_malloc(n * sizeof *x);
  mpz_inits(B, e, NULL);
  mpz_set_ui(B, 1);
  for (int j = 0; j < nfrom; j++)
    mpz_mul_ui(B, B, fq[j]);
  uint64_t *in = veil_malloc((size_t)nfrom * n * 8), *out = veil_malloc(8 * (size_t)nto * n * 8);
  for (size_t c = 0; c < n; c++) {
    mpz_init(x[c]);
    vt_mpz_random(x[c], B);
    if (c == 0)
      mpz_sub_ui(x[c], B, 1);
    if (c == 1)
      mpz_set_ui(x[c], 0);
    for (int j = 0; j < nfrom; j++)
      in[(size_t)j * n + c] = mpz_fdiv_ui(x[c], fq[j]);
  }
  const veil_kernels *tabs[8];
  int ntab = veil_kernels_all(tabs, 8);
  for (int t = 0; t < ntab; t++) { /* every kernel table: outputs side by side in out */
    bc.k = tabs[t];
    run_bconv(&bc, in, out + (size_t)t * nto * n, n, use_limbs);
  }
  int bad = 0;
  for (size_t c = 0; c < n; c++) {
    expected_e(e, x[c], B, from, nfrom);
    bad += mpz_sgn(e) < 0 || mpz_cmp_ui(e, (unsigned long)nfrom) >= 0;
    mpz_addmul(x[c], e, B);
    for (int t = 0; t < ntab; t++)
      for (int i = 0; i < nto; i++) {
        uint64_t got = out[((size_t)t * nto + (size_t)(use_limbs ? nto - 1 - i : i)) * n + c];
        bad += got != mpz_fdiv_ui(x[c], tq[i]);
      }
    mpz_clear(x[c]);
  }
  VT_CHECK_MSG(bad == 0, "%d -> %d primes, n %zu, %d tables: %d wrong", nfrom, nto, n, ntab, bad);
  veil_free(x);
  veil_free(in);
  veil_free(out);
  mpz_clears(B, e, NULL);
  veil_bconv_free(&bc);
}

static void test_bconv_exact(void) {
  uint64_t q[128];
  /* 61-bit primes (largest lazy sums), 64 -> 3 at the accumulation bound */
  VT_OK(veil_primes_ntt(10, 61, 67, NULL, 0, q));
  check_bconv(q, 64, q + 64, 3, 70, false);
  check_bconv(q, 1, q + 1, 4, 64, false);
  check_bconv(q, 3, q + 3, 5, 129, true);
  /* mixed sizes, target overlapping the source and smaller than it */
  uint64_t a[6], b[8];
  VT_OK(veil_primes_ntt(10, 50, 3, NULL, 0, a));
  VT_OK(veil_primes_ntt(10, 30, 3, NULL, 0, a + 3));
  VT_OK(veil_primes_ntt(10, 61, 4, NULL, 0, b));
  VT_OK(veil_primes_ntt(10, 20, 2, NULL, 0, b + 4));
  b[6] = a[0];
  b[7] = a[4];
  check_bconv(a, 6, b, 8, 1000, false);
  check_bconv(b, 8, a, 6, 4096, true); /* parallel path */
}

static void test_bconv_rejects_bad_bases(void) {
  uint64_t q[3];
  VT_OK(veil_primes_ntt(4, 40, 3, NULL, 0, q));
  veil_modulus m[3], dup[2];
  moduli(m, q, 3);
  dup[0] = dup[1] = m[0];
  veil_bconv bc;
  VT_CHECK(veil_bconv_init(&bc, m, 0, m, 1) == VEIL_ERR_INVALID_ARG);
  VT_CHECK(veil_bconv_init(&bc, m, VEIL_BCONV_MAX_FROM + 1, m, 1) == VEIL_ERR_INVALID_ARG);
  VT_CHECK(veil_bconv_init(&bc, m, 1, m, 0) == VEIL_ERR_INVALID_ARG);
  VT_CHECK(veil_bconv_init(&bc, dup, 2, m, 1) == VEIL_ERR_INVALID_ARG);
  veil_bconv_free(&bc);
  veil_bconv_free(NULL);
  double us = 0;
  VT_CHECK(veil_bconv_bench(0, 1, 1, 1, &us) == VEIL_ERR_INVALID_ARG);
  VT_OK(veil_bconv_bench(6, 2, 3, 2, &us));
  VT_CHECK(us > 0);
}

int main(void) {
  VT_RUN(test_bconv_exact);
  VT_RUN(test_bconv_rejects_bad_bases);
  VT_DONE();
}
