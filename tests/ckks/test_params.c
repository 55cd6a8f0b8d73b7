/* CKKS parameters: validation, prime choice (checked with GMP's primality test), security
 * refusals, the test-only switch, automatic selection and the fingerprint. */
#include <gmp.h>
#include <string.h>

#include "veil/ckks_params.h"
#include "vtest.h"

/* An independent primality check (GMP's BPSW + Miller-Rabin). */
static int gmp_prime(uint64_t q) {
  mpz_t z;
  mpz_init(z);
  mpz_import(z, 1, 1, sizeof q, 0, 0, &q);
  int r = mpz_probab_prime_p(z, 30);
  mpz_clear(z);
  return r > 0;
}

static int bits_of(uint64_t q) { return 64 - __builtin_clzll(q); }

/* N = 2^13, q = [45, 40, 40, 40], p = [45], scale 2^40: log2(QP) ~ 210 <= 218 (128-bit). */
static veil_ckks_params_lit small_lit(void) {
  veil_ckks_params_lit l;
  memset(&l, 0, sizeof l);
  l.logn = 13;
  l.nq = 4;
  l.q_bits[0] = 45;
  l.q_bits[1] = l.q_bits[2] = l.q_bits[3] = 40;
  l.np = 1;
  l.p_bits[0] = 45;
  l.log_scale = 40;
  return l;
}

static void test_security_table(void) {
  /* ../shared/DESIGN.md section 5 and the HE Standard 256-bit column. */
  VT_CHECK(veil_ckks_security_bound(128, 10) == 27);
  VT_CHECK(veil_ckks_security_bound(128, 16) == 1747);
  VT_CHECK(veil_ckks_security_bound(128, 17) == 3523);
  VT_CHECK(veil_ckks_security_bound(192, 14) == 305);
  VT_CHECK(veil_ckks_security_bound(192, 17) == 2411);
  VT_CHECK(veil_ckks_security_bound(256, 15) == 476);
  VT_CHECK(veil_ckks_security_bound(256, 17) == 1904);
  VT_CHECK(veil_ckks_security_bound(100, 14) == 0);
  VT_CHECK(veil_ckks_security_bound(128, 9) == 0);
  for (int logn = 10; logn <= 17; logn++) {
    VT_CHECK(veil_ckks_security_bound(256, logn) < veil_ckks_security_bound(192, logn));
    VT_CHECK(veil_ckks_security_bound(192, logn) < veil_ckks_security_bound(128, logn));
  }
}

/* No prime among lo + k * step strictly between lo and hi (lo = 1 mod step), by GMP. */
static int none_between(uint64_t lo, uint64_t hi, uint64_t step) {
  for (uint64_t c = lo + step; c < hi; c += step) {
    if (gmp_prime(c))
      return 0;
  }
  return 1;
}

static void test_resolve_primes(void) {
  veil_ckks_params_lit l = small_lit();
  veil_ckks_params p;
  VT_OK(veil_ckks_params_resolve(&l, &p));
  VT_CHECK(p.n == 8192 && p.max_slots == 4096 && p.nq == 4 && p.np == 1);
  VT_CHECK(p.dnum == 4 && p.alpha == 1); /* ceil(nq / np) */
  VT_CHECK(!p.insecure && p.security == 128 && p.security_bits_met == 128);
  uint64_t step = 2ull << 13, all[5] = {p.q[0], p.q[1], p.q[2], p.q[3], p.p[0]};
  for (int i = 0; i < 5; i++) {
    VT_CHECK(gmp_prime(all[i]));
    VT_CHECK(all[i] % step == 1);
    for (int j = 0; j < i; j++)
      VT_CHECK(all[i] != all[j]);
  }
  /* q_0 and p_0: largest NTT-friendly primes below 2^45, in that order. */
  VT_CHECK(bits_of(p.q[0]) == 45 && bits_of(p.p[0]) == 45 && p.p[0] < p.q[0]);
  VT_CHECK(none_between(p.q[0], 1ull << 45, step));
  VT_CHECK(none_between(p.p[0], p.q[0], step));
  /* Scale primes alternate: q_3 the first above 2^40, q_2 the first below, q_1 the second above. */
  uint64_t s = 1ull << 40;
  VT_CHECK(p.q[3] > s && p.q[2] < s && p.q[1] > p.q[3]);
  VT_CHECK(none_between(s + 1 - step, p.q[3], step));
  VT_CHECK(none_between(p.q[2], s, step));
  VT_CHECK(none_between(p.q[3], p.q[1], step));
  /* log2(QP) from an exact GMP product. */
  mpz_t qp;
  mpz_init_set_ui(qp, 1);
  for (int i = 0; i < 5; i++)
    mpz_mul_ui(qp, qp, all[i]);
  long e;
  double d = mpz_get_d_2exp(&e, qp);
  VT_CHECK_NEAR(p.log_qp, (double)e + log2(d), 1e-9);
  mpz_clear(qp);
  VT_CHECK(p.log_qp <= 218);
}

static void test_insecure_refused(void) {
  veil_ckks_params_lit l;
  memset(&l, 0, sizeof l);
  l.logn = 16;
  l.nq = 29;
  for (int i = 0; i < 29; i++)
    l.q_bits[i] = 60;
  l.np = 1;
  l.p_bits[0] = 60;
  l.log_scale = 50;
  veil_ckks_params p;
  VT_CHECK(veil_ckks_params_resolve(&l, &p) == VEIL_ERR_INSECURE);
  const char *d = veil_error_detail();
  VT_CHECK_MSG(strstr(d, "log2(QP) = 1800.0 exceeds 1747, the 128-bit bound for N=2^16"), "%s", d);
  /* The test switch accepts it and marks it. */
  l.insecure_test_only = true;
  VT_OK(veil_ckks_params_resolve(&l, &p));
  VT_CHECK(p.insecure && p.security_bits_met == 0);
  char buf[512];
  VT_CHECK(strstr(veil_ckks_params_describe(&p, buf, sizeof buf), "INSECURE (test only)"));
  /* 192-bit request on a set that meets only 128. */
  veil_ckks_params_lit s = small_lit();
  s.security = 192;
  VT_CHECK(veil_ckks_params_resolve(&s, &p) == VEIL_ERR_INSECURE);
  VT_CHECK(strstr(veil_error_detail(), "192-bit bound for N=2^13"));
  s.security = 0;
  VT_OK(veil_ckks_params_resolve(&s, &p));
  VT_CHECK(!strstr(veil_ckks_params_describe(&p, buf, sizeof buf), "INSECURE"));
  VT_CHECK(strstr(buf, "security=128-bit"));
}

static void test_sparse_secret(void) {
  veil_ckks_params_lit l = small_lit();
  veil_ckks_params p;
  l.secret = VEIL_SECRET_SPARSE;
  l.hamming_weight = 192;
  VT_CHECK(veil_ckks_params_resolve(&l, &p) == VEIL_ERR_INSECURE);
  VT_CHECK(strstr(veil_error_detail(), "sparse"));
  l.insecure_test_only = true;
  VT_OK(veil_ckks_params_resolve(&l, &p));
  VT_CHECK(p.insecure && p.h == 192 && p.secret == VEIL_SECRET_SPARSE);
  l.hamming_weight = 0;
  VT_CHECK(veil_ckks_params_resolve(&l, &p) == VEIL_ERR_INVALID_ARG);
  VT_CHECK(strstr(veil_error_detail(), "hamming_weight"));
}

/* Each bad literal fails with VEIL_ERR_INVALID_ARG and a detail naming the field. */
static void expect_invalid(veil_ckks_params_lit l, const char *word) {
  veil_ckks_params p;
  VT_CHECK(veil_ckks_params_resolve(&l, &p) == VEIL_ERR_INVALID_ARG);
  VT_CHECK_MSG(strstr(veil_error_detail(), word), "'%s' not in '%s'", word, veil_error_detail());
}

/* The field of a literal a bad case changes. */
static int *lit_field(veil_ckks_params_lit *l, int what) {
  int *fields[] = {&l->logn,       &l->nq,        &l->np,       &l->q_bits[2], &l->p_bits[0],
                   &l->q_bits[0],  &l->log_scale, &l->dnum,     &l->security,  &l->hamming_weight};
  return fields[what];
}

static void test_invalid_literals(void) {
  static const struct {
    int what, value;
    const char *word;
  } cases[] = {{0, 9, "logn"},      {0, 18, "logn"},         {1, 0, "nq"},
               {1, 65, "nq"},       {2, 0, "np"},            {3, 61, "q_bits[2]"},
               {4, 19, "p_bits[0]"}, {5, 40, "q_0"},          {6, 10, "log_scale"},
               {7, 2, "dnum"} /* digits of 2 primes, 1 special prime */, {7, 5, "dnum"},
               {8, 100, "security"}, {9, 64, "hamming_weight"}};
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    veil_ckks_params_lit l = small_lit();
    *lit_field(&l, cases[i].what) = cases[i].value;
    expect_invalid(l, cases[i].word);
  }
  veil_ckks_params p;
  VT_CHECK(veil_ckks_params_resolve(NULL, &p) == VEIL_ERR_INVALID_ARG);
}

/* Smallest log2(QP) any chain for this request could have at a given N: Q + one special prime. */
static int min_nominal(const veil_ckks_params_lit *l) {
  int s = l->p_bits[0];
  for (int i = 0; i < l->nq; i++)
    s += l->q_bits[i];
  return s;
}

static void test_select(void) {
  veil_ckks_params_lit l;
  VT_OK(veil_ckks_params_select(5, 40, 20, 4096, 128, &l));
  VT_CHECK(l.nq == 6 && l.q_bits[0] == 60 && l.log_scale == 40);
  for (int i = 1; i < 6; i++)
    VT_CHECK(l.q_bits[i] == 40);
  VT_CHECK((1 << l.logn) >= 2 * 4096);
  veil_ckks_params p;
  VT_OK(veil_ckks_params_resolve(&l, &p));
  VT_CHECK(p.log_qp <= veil_ckks_security_bound(128, p.logn));
  /* One degree lower cannot hold even Q plus a single special prime. */
  VT_CHECK(min_nominal(&l) > veil_ckks_security_bound(128, p.logn - 1) + 1);
  veil_ckks_params_lit lower = l;
  lower.logn--;
  VT_CHECK(veil_ckks_params_resolve(&lower, &p) == VEIL_ERR_INSECURE);
  /* Fewest digits: one digit fewer would need more special primes than fit. */
  if (l.dnum > 1) {
    veil_ckks_params_lit fewer = l;
    fewer.dnum = l.dnum - 1;
    fewer.np = (l.nq + fewer.dnum - 1) / fewer.dnum;
    for (int i = 0; i < fewer.np; i++)
      fewer.p_bits[i] = l.p_bits[0];
    VT_CHECK(veil_ckks_params_resolve(&fewer, &p) == VEIL_ERR_INSECURE);
  }
  /* Slots force N: 1 slot at depth 1 gives the smallest N that fits; 2^15 slots give N >= 2^16. */
  VT_OK(veil_ckks_params_select(1, 30, 10, 1 << 15, 128, &l));
  VT_CHECK(l.logn == 16);
  /* Depth 0: q_0 of 25 bits + one 25-bit special prime = 50 > 27 (N=2^10), <= 54 (N=2^11). */
  VT_OK(veil_ckks_params_select(0, 20, 5, 1, 128, &l));
  VT_CHECK(l.logn == 11 && l.nq == 1 && l.np == 1 && l.p_bits[0] == 25);
  VT_OK(veil_ckks_params_resolve(&l, &p));
  /* 192-bit needs a bigger ring than 128-bit for the same chain. */
  veil_ckks_params_lit a, b;
  /* 15 x 40 + 60 + 60 = 720: fits 881 (128-bit, N=2^15), not 611 (192-bit, N=2^15). */
  VT_OK(veil_ckks_params_select(15, 40, 20, 1, 128, &a));
  VT_OK(veil_ckks_params_select(15, 40, 20, 1, 192, &b));
  VT_CHECK(a.logn == 15 && b.logn == 16);
  /* Impossible and malformed requests. */
  VT_CHECK(veil_ckks_params_select(63, 55, 5, 1, 128, &l) == VEIL_ERR_INSECURE);
  VT_CHECK(strstr(veil_error_detail(), "3523"));
  VT_CHECK(veil_ckks_params_select(64, 40, 20, 1, 128, &l) == VEIL_ERR_INVALID_ARG);
  VT_CHECK(veil_ckks_params_select(3, 10, 20, 1, 128, &l) == VEIL_ERR_INVALID_ARG);
  VT_CHECK(veil_ckks_params_select(3, 40, 20, 1 << 17, 128, &l) == VEIL_ERR_INVALID_ARG);
  VT_CHECK(veil_ckks_params_select(3, 40, 20, 1, 100, &l) == VEIL_ERR_INVALID_ARG);
}

static void check_fp_differs(const veil_ckks_params *base, veil_ckks_params m, const char *what) {
  uint8_t fp[VEIL_CKKS_FINGERPRINT_BYTES];
  veil_ckks_params_fingerprint(&m, fp);
  VT_CHECK_MSG(memcmp(fp, base->fingerprint, sizeof fp) != 0, "changing %s", what);
}

static void test_fingerprint(void) {
  veil_ckks_params_lit l = small_lit();
  veil_ckks_params p, p2;
  VT_OK(veil_ckks_params_resolve(&l, &p));
  VT_OK(veil_ckks_params_resolve(&l, &p2));
  VT_CHECK(memcmp(p.fingerprint, p2.fingerprint, sizeof p.fingerprint) == 0);
  uint8_t fp[VEIL_CKKS_FINGERPRINT_BYTES];
  veil_ckks_params_fingerprint(&p, fp);
  VT_CHECK(memcmp(fp, p.fingerprint, sizeof fp) == 0);
  veil_ckks_params m;
  m = p, m.logn++;
  check_fp_differs(&p, m, "logn");
  m = p, m.q[2] += 2ull << 13;
  check_fp_differs(&p, m, "q[2]");
  m = p, m.p[0] -= 2ull << 13;
  check_fp_differs(&p, m, "p[0]");
  m = p, m.nq--;
  check_fp_differs(&p, m, "nq");
  m = p, m.dnum = 2;
  check_fp_differs(&p, m, "dnum");
  m = p, m.log_scale = 41;
  check_fp_differs(&p, m, "log_scale");
  m = p, m.secret = VEIL_SECRET_SPARSE, m.h = 64;
  check_fp_differs(&p, m, "secret");
  m = p, m.security = 192;
  check_fp_differs(&p, m, "security");
  m = p, m.insecure = true;
  check_fp_differs(&p, m, "insecure");
}

static void test_key_sizes_and_rings(void) {
  veil_ckks_params_lit l = small_lit();
  veil_ckks_params p;
  VT_OK(veil_ckks_params_resolve(&l, &p));
  veil_ckks_key_sizes k;
  veil_ckks_params_key_sizes(&p, &k);
  uint64_t limb = 8192 * 8;
  VT_CHECK_EQ_U64(k.pk, 2 * 4 * limb);
  VT_CHECK_EQ_U64(k.pk_seeded, 4 * limb + 32);
  VT_CHECK_EQ_U64(k.rlk, 4 /* dnum */ * 2 * 5 * limb);
  VT_CHECK_EQ_U64(k.rlk_seeded, 4 * 5 * limb + 32);
  VT_CHECK_EQ_U64(k.galois, k.rlk);
  veil_ring rq, rp;
  VT_OK(veil_ckks_params_ring_q(&p, &rq));
  VT_CHECK(rq.nmods == 4 && rq.mods[3].q == p.q[3]);
  VT_OK(veil_ckks_params_ring_p(&p, &rp));
  VT_CHECK(rp.nmods == 1 && rp.mods[0].q == p.p[0]);
  veil_ring_free(&rq);
  veil_ring_free(&rp);
}

int main(void) {
  VT_RUN(test_security_table);
  VT_RUN(test_resolve_primes);
  VT_RUN(test_insecure_refused);
  VT_RUN(test_sparse_secret);
  VT_RUN(test_invalid_literals);
  VT_RUN(test_select);
  VT_RUN(test_fingerprint);
  VT_RUN(test_key_sizes_and_rings);
  VT_DONE();
}
