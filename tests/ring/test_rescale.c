/* Rescaling and CRT reconstruction against exact GMP arithmetic. */
#include "rns_test_util.h"
#include "vtest.h"

/* Residues of n big integers into the first p->nlimbs limbs, computed with GMP (independent of crt.c). */
static void residues(const veil_ring *r, veil_poly *p, mpz_t *x) {
  for (int i = 0; i < p->nlimbs; i++)
    for (size_t j = 0; j < r->n; j++)
      veil_poly_limb(p, i)[j] = mpz_fdiv_ui(x[j], r->mods[i].q);
  p->is_ntt = false;
}

static mpz_t *mpz_array(size_t n) {
  mpz_t *v = veil_malloc(n * sizeof *v);
  for (size_t j = 0; j < n; j++)
    mpz_init(v[j]);
  return v;
}

static void mpz_array_free(mpz_t *v, size_t n) {
  for (size_t j = 0; j < n; j++)
    mpz_clear(v[j]);
  veil_free(v);
}

/* result mod q_i == floor((x + floor(q_l/2)) / q_l) mod q_i for x in [0, Q). */
static void check_rescale(const int *bits, int count, int logn, bool ntt) {
  veil_ring r;
  VT_OK(vt_ring_mixed(&r, logn, bits, count));
  size_t n = r.n;
  mpz_t Q, want, *x = mpz_array(n);
  mpz_inits(Q, want, NULL);
  VT_OK(veil_ring_modulus_mpz(&r, count, Q));
  for (size_t j = 0; j < n; j++)
    vt_mpz_random(x[j], Q);
  mpz_set(x[0], Q); /* edge values: Q - 1, 0, and near multiples of q_l with +-h */
  mpz_sub_ui(x[0], x[0], 1);
  mpz_set_ui(x[1], 0);
  mpz_set_ui(x[2], r.mods[count - 1].q / 2);
  mpz_set_ui(x[3], r.mods[count - 1].q / 2 + 1);
  veil_poly p;
  VT_OK(veil_poly_init(&p, &r, count));
  residues(&r, &p, x);
  if (ntt)
    VT_OK(veil_poly_ntt(&r, &p));
  VT_OK(veil_poly_rescale(&r, &p));
  VT_CHECK_EQ_U64(p.nlimbs, count - 1);
  VT_CHECK(p.is_ntt == ntt);
  if (ntt)
    VT_OK(veil_poly_intt(&r, &p));
  uint64_t ql = r.mods[count - 1].q;
  int bad = 0;
  for (size_t j = 0; j < n; j++) {
    mpz_add_ui(want, x[j], ql / 2);
    mpz_fdiv_q_ui(want, want, ql);
    for (int i = 0; i < count - 1; i++)
      bad += veil_poly_limb(&p, i)[j] != mpz_fdiv_ui(want, r.mods[i].q);
  }
  VT_CHECK_MSG(bad == 0, "%d wrong (logn %d, %d limbs, ntt %d)", bad, logn, count, ntt);
  veil_poly_free(&p);
  mpz_array_free(x, n);
  mpz_clears(Q, want, NULL);
  veil_ring_free(&r);
}

static void test_rescale_exact(void) {
  const int up[] = {40, 45, 50, 61};                       /* last prime larger than the others */
  const int down[] = {61, 55, 50, 30};                     /* last prime smaller */
  const int many[] = {50, 50, 50, 50, 50, 50, 50, 50, 60}; /* parallel path at N = 2^12 */
  for (int ntt = 0; ntt < 2; ntt++) {
    check_rescale(up, 4, 5, ntt);
    check_rescale(down, 4, 6, ntt);
    check_rescale(up, 2, 3, ntt);
    check_rescale(many, 9, 12, ntt);
  }
}

/* Rescaling twice in a row divides by q_l q_(l-1) (with rounding each time); check the first drop chain. */
static void test_rescale_chain_levels(void) {
  const int bits[] = {55, 40, 40, 40};
  veil_ring r;
  VT_OK(vt_ring_mixed(&r, 4, bits, 4));
  veil_poly p;
  VT_OK(veil_poly_init(&p, &r, 4));
  int64_t c[16];
  for (int j = 0; j < 16; j++)
    c[j] = (int64_t)(vt_rand64() >> 3) * ((j & 1) ? -1 : 1);
  VT_OK(veil_poly_set_i64(&r, &p, c));
  VT_OK(veil_poly_ntt(&r, &p));
  for (int l = 3; l >= 1; l--)
    VT_OK(veil_poly_rescale(&r, &p));
  VT_CHECK_EQ_U64(p.nlimbs, 1);
  VT_CHECK(veil_poly_rescale(&r, &p) == VEIL_ERR_INVALID_ARG);
  VT_OK(veil_poly_intt(&r, &p));
  /* |c| < 2^61, divided by > 2^117: every coefficient rounds to 0. */
  for (int j = 0; j < 16; j++)
    VT_CHECK_EQ_U64(veil_poly_limb(&p, 0)[j], 0);
  veil_poly_free(&p);
  veil_ring_free(&r);
}

/* Random integers in (-Q/2, Q/2] -> RNS -> back, for every prefix of the basis. */
static void test_crt_roundtrip(void) {
  const int bits[] = {61, 61, 50, 45, 61, 30, 58};
  veil_ring r;
  VT_OK(vt_ring_mixed(&r, 10, bits, 7));
  size_t n = r.n;
  mpz_t Q, half, *x = mpz_array(n), *y = mpz_array(n), *w = mpz_array(n);
  mpz_inits(Q, half, NULL);
  veil_poly p;
  VT_OK(veil_poly_init(&p, &r, 7));
  for (int L = 1; L <= 7; L++) {
    VT_OK(veil_ring_modulus_mpz(&r, L, Q));
    mpz_fdiv_q_2exp(half, Q, 1);
    for (size_t j = 0; j < n; j++) {
      vt_mpz_random(x[j], Q);
      mpz_sub(x[j], x[j], half); /* [-(Q-1)/2, (Q-1)/2] */
    }
    mpz_set(x[0], half);
    mpz_neg(x[1], half);
    VT_OK(veil_poly_resize(&p, L));
    VT_OK(veil_poly_from_mpz(&r, &p, x));
    for (int i = 0; i < L; i++) /* from_mpz against GMP residues */
      VT_CHECK_EQ_U64(veil_poly_limb(&p, i)[5], mpz_fdiv_ui(x[5], r.mods[i].q));
    VT_OK(veil_poly_to_mpz(&r, &p, L, y));
    int bad = 0;
    for (size_t j = 0; j < n; j++)
      bad += mpz_cmp(x[j], y[j]) != 0;
    VT_CHECK_MSG(bad == 0, "L=%d: %d differ", L, bad);
    if (L > 1) { /* a prefix reconstructs x mod Q' centred */
      mpz_t Qs, hs;
      mpz_inits(Qs, hs, NULL);
      VT_OK(veil_ring_modulus_mpz(&r, L - 1, Qs));
      mpz_fdiv_q_2exp(hs, Qs, 1);
      VT_OK(veil_poly_to_mpz(&r, &p, L - 1, w));
      for (size_t j = 0; j < n; j += 37) {
        mpz_mod(y[j], x[j], Qs);
        if (mpz_cmp(y[j], hs) > 0)
          mpz_sub(y[j], y[j], Qs);
        VT_CHECK(mpz_cmp(y[j], w[j]) == 0);
      }
      mpz_clears(Qs, hs, NULL);
    }
  }
  VT_CHECK(veil_ring_modulus_mpz(&r, 8, Q) == VEIL_ERR_INVALID_ARG);
  veil_poly_free(&p);
  mpz_array_free(x, n);
  mpz_array_free(y, n);
  mpz_array_free(w, n);
  mpz_clears(Q, half, NULL);
  veil_ring_free(&r);
}

int main(void) {
  veil_threads_set(3); /* parallel paths with more than one scratch buffer, whatever the machine */
  VT_RUN(test_rescale_exact);
  VT_RUN(test_rescale_chain_levels);
  VT_RUN(test_crt_roundtrip);
  VT_DONE();
}
