/* rlwe layer: encryption, key switching (relinearization and Galois, dnum 1..4, all levels),
 * hoisting, against exact integer references computed without the code under test. */
#include "rlwe_test_util.h"

#define DELTA (1ll << 20)

/* Exact negacyclic product of integer polynomials (schoolbook, 128-bit). */
static void negacyclic_int(__int128 *r, const int64_t *a, const int64_t *b, size_t n) {
  for (size_t k = 0; k < n; k++)
    r[k] = 0;
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < n; j++) {
      __int128 p = (__int128)a[i] * b[j];
      if (i + j < n)
        r[i + j] += p;
      else
        r[i + j - n] -= p;
    }
}

/* Coefficient-domain automorphism X -> X^g (the independent reference for Galois keys). */
static void automorph_int(__int128 *r, const int64_t *a, size_t n, uint64_t g) {
  for (size_t i = 0; i < n; i++) {
    uint64_t e = (uint64_t)i * g % (2 * n);
    if (e < n)
      r[e] = a[i];
    else
      r[e - n] = -(__int128)a[i];
  }
}

static void test_encrypt_decrypt(void) {
  veil_rlwe_ctx c;
  VT_OK(vt_rlwe_ctx(&c, 10, 3, 45, 1, 50, 1, 0));
  veil_rlwe_sk sk;
  veil_rlwe_pk pk;
  VT_OK(veil_rlwe_sk_gen(&c, &sk));
  VT_OK(veil_rlwe_pk_gen(&c, &sk, &pk));
  int64_t m[1024];
  __int128 exp[1024];
  vt_rand_int_poly(m, c.n, 1000);
  for (size_t k = 0; k < c.n; k++)
    exp[k] = m[k];
  for (int level = 0; level < 3; level++) {
    veil_rlwe_pt pt, out = {0};
    veil_rlwe_ct ct = {0};
    VT_OK(veil_rlwe_pt_init(&c, &pt, level));
    vt_pt_set_int(&c, &pt, m);
    VT_OK(veil_rlwe_encrypt_sk(&c, &sk, &pt, &ct));
    VT_CHECK(ct.seeded);
    VT_OK(veil_rlwe_decrypt(&c, &sk, &ct, &out));
    VT_CHECK_MSG(vt_pt_max_err(&c, &out, exp) < 60, "sk encryption noise at level %d", level);
    VT_OK(veil_rlwe_encrypt_pk(&c, &pk, &pt, &ct));
    VT_CHECK(!ct.seeded);
    VT_OK(veil_rlwe_decrypt(&c, &sk, &ct, &out));
    /* e0 + e1 s + e u: |.| <= 41 + 2 * 41 * N in the worst case; typically a few hundred */
    VT_CHECK_MSG(vt_pt_max_err(&c, &out, exp) < 4000, "pk encryption noise at level %d", level);
    veil_rlwe_pt_free(&pt);
    veil_rlwe_pt_free(&out);
    veil_rlwe_ct_free(&ct);
  }
  veil_rlwe_pk_free(&pk);
  veil_rlwe_sk_free(&sk);
  veil_rlwe_ctx_free(&c);
}

static void test_fixed_weight_secret(void) {
  veil_rlwe_ctx c;
  VT_OK(vt_rlwe_ctx(&c, 10, 2, 40, 1, 40, 1, 64));
  veil_rlwe_sk sk;
  VT_OK(veil_rlwe_sk_gen(&c, &sk));
  uint64_t s[1024];
  memcpy(s, sk.s.c, sizeof s);
  veil_ntt_inv(c.tab[0], s);
  int nz = 0, bad = 0;
  for (size_t k = 0; k < c.n; k++) {
    nz += s[k] != 0;
    bad += s[k] != 0 && s[k] != 1 && s[k] != c.mod[0].q - 1;
  }
  VT_CHECK_EQ_U64(nz, 64);
  VT_CHECK_EQ_U64(bad, 0);
  veil_rlwe_sk_free(&sk);
  veil_rlwe_ctx_free(&c);
}

/* Encrypts m1, m2 (times DELTA), tensors, relinearizes at every level, compares with the exact product. */
static void relin_case(int nq, int np, int dnum) {
  veil_rlwe_ctx c;
  VT_OK(vt_rlwe_ctx(&c, 10, nq, 50, np, 55, dnum, 0));
  veil_rlwe_sk sk;
  veil_rlwe_swk rlk;
  veil_rlwe_ks ks;
  VT_OK(veil_rlwe_sk_gen(&c, &sk));
  VT_OK(veil_rlwe_relin_key_gen(&c, &sk, &rlk));
  VT_OK(veil_rlwe_ks_init(&ks, &c));
  static int64_t a[1024], b[1024];
  static __int128 exp[1024];
  vt_rand_int_poly(a, c.n, 8);
  vt_rand_int_poly(b, c.n, 8);
  negacyclic_int(exp, a, b, c.n);
  for (size_t k = 0; k < c.n; k++) {
    a[k] *= DELTA;
    b[k] *= DELTA;
    exp[k] *= (__int128)DELTA * DELTA;
  }
  for (int level = 1; level < nq; level++) {
    veil_rlwe_pt pa, pb, out = {0};
    veil_rlwe_ct ca = {0}, cb = {0}, r = {0};
    VT_OK(veil_rlwe_pt_init(&c, &pa, level));
    VT_OK(veil_rlwe_pt_init(&c, &pb, level));
    vt_pt_set_int(&c, &pa, a);
    vt_pt_set_int(&c, &pb, b);
    VT_OK(veil_rlwe_encrypt_sk(&c, &sk, &pa, &ca));
    VT_OK(veil_rlwe_encrypt_sk(&c, &sk, &pb, &cb));
    VT_OK(veil_rlwe_ct_init(&c, &r, 3, level));
    for (int i = 0; i <= level; i++) { /* tensor: (a0 b0, a0 b1 + a1 b0, a1 b1) */
      size_t off = (size_t)i * c.n;
      const veil_modulus *m = &c.mod[i];
      for (size_t k = 0; k < c.n; k++) {
        uint64_t a0 = ca.c[0].c[off + k], a1 = ca.c[1].c[off + k], b0 = cb.c[0].c[off + k], b1 = cb.c[1].c[off + k];
        r.c[0].c[off + k] = veil_mod_mul(a0, b0, m);
        r.c[1].c[off + k] = veil_mod_add(veil_mod_mul(a0, b1, m), veil_mod_mul(a1, b0, m), m->q);
        r.c[2].c[off + k] = veil_mod_mul(a1, b1, m);
      }
    }
    VT_OK(veil_rlwe_decrypt(&c, &sk, &r, &out)); /* 3-component decryption */
    uint64_t e3 = vt_pt_max_err(&c, &out, exp);
    veil_rlwe_keyswitch(&ks, r.c[2].c, level, &rlk, false, r.c[0].c, r.c[1].c, VEIL_KS_ADD);
    r.size = 2;
    VT_OK(veil_rlwe_decrypt(&c, &sk, &r, &out));
    uint64_t e2 = vt_pt_max_err(&c, &out, exp);
    /* fresh noise ~ DELTA * 8 * 41 * N ~ 2^39; key switching adds far less than that */
    VT_CHECK_MSG(e3 < (1ull << 40) && e2 < (1ull << 40) && e2 < 2 * e3 + (1ull << 20),
                 "relin nq %d np %d dnum %d level %d: errors %llu (3 comps) %llu (relin)", nq, np, dnum,
                 level, (unsigned long long)e3, (unsigned long long)e2);
    veil_rlwe_pt_free(&pa);
    veil_rlwe_pt_free(&pb);
    veil_rlwe_pt_free(&out);
    veil_rlwe_ct_free(&ca);
    veil_rlwe_ct_free(&cb);
    veil_rlwe_ct_free(&r);
  }
  veil_rlwe_ks_free(&ks);
  veil_rlwe_swk_free(&rlk);
  veil_rlwe_sk_free(&sk);
  veil_rlwe_ctx_free(&c);
}

static void test_relin_dnum(void) {
  relin_case(3, 4, 1);
  relin_case(4, 2, 2);
  relin_case(5, 2, 3);
  relin_case(4, 1, 4);
  relin_case(6, 2, 4);
}

/* Galois key switching (plain and hoisted) against the coefficient-domain automorphism. */
static void test_galois(void) {
  veil_rlwe_ctx c;
  VT_OK(vt_rlwe_ctx(&c, 10, 4, 50, 2, 55, 2, 0));
  veil_rlwe_sk sk;
  veil_rlwe_gks gks;
  veil_rlwe_ks ks;
  int steps[] = {1, 2, 5, -1, 100};
  VT_OK(veil_rlwe_sk_gen(&c, &sk));
  VT_OK(veil_rlwe_gks_gen(&c, &sk, steps, 5, true, &gks));
  VT_CHECK_EQ_U64(gks.count, 6);
  VT_OK(veil_rlwe_ks_init(&ks, &c));
  static int64_t m[1024];
  static __int128 exp[1024];
  vt_rand_int_poly(m, c.n, 1 << 20);
  int level = 2;
  veil_rlwe_pt pt, out = {0};
  veil_rlwe_ct ct = {0}, r = {0}, h = {0};
  VT_OK(veil_rlwe_pt_init(&c, &pt, level));
  vt_pt_set_int(&c, &pt, m);
  VT_OK(veil_rlwe_encrypt_sk(&c, &sk, &pt, &ct));
  VT_OK(veil_rlwe_ct_init(&c, &r, 2, level));
  VT_OK(veil_rlwe_ct_init(&c, &h, 2, level));
  VT_OK(veil_rlwe_hoist(&ks, ct.c[1].c, level));
  for (int i = 0; i < gks.count; i++) {
    const veil_rlwe_swk *k = &gks.keys[i];
    for (int l = 0; l <= level; l++) {
      size_t off = (size_t)l * c.n;
      vt_permute(r.c[0].c + off, ct.c[0].c + off, k->perm, c.n);
    }
    memcpy(h.c[0].c, r.c[0].c, (size_t)(level + 1) * c.n * sizeof(uint64_t));
    veil_rlwe_keyswitch(&ks, ct.c[1].c, level, k, true, r.c[0].c, r.c[1].c, VEIL_KS_ADD0);
    veil_rlwe_keyswitch_hoisted(&ks, k, h.c[0].c, h.c[1].c, VEIL_KS_ADD0);
    VT_OK(veil_rlwe_decrypt(&c, &sk, &r, &out));
    automorph_int(exp, m, c.n, k->galois);
    uint64_t err = vt_pt_max_err(&c, &out, exp);
    VT_CHECK_MSG(err < 4000, "galois %llu: error %llu", (unsigned long long)k->galois, (unsigned long long)err);
    VT_CHECK(memcmp(h.c[0].c, r.c[0].c, (size_t)(level + 1) * c.n * 8) == 0);
    VT_CHECK(memcmp(h.c[1].c, r.c[1].c, (size_t)(level + 1) * c.n * 8) == 0);
  }
  veil_rlwe_pt_free(&pt);
  veil_rlwe_pt_free(&out);
  veil_rlwe_ct_free(&ct);
  veil_rlwe_ct_free(&r);
  veil_rlwe_ct_free(&h);
  veil_rlwe_ks_free(&ks);
  veil_rlwe_gks_free(&gks);
  veil_rlwe_sk_free(&sk);
  veil_rlwe_ctx_free(&c);
}

static void test_bad_params(void) {
  veil_rlwe_ctx c;
  VT_CHECK(vt_rlwe_ctx(&c, 10, 3, 40, 1, 40, 0, 0) == VEIL_ERR_INVALID_ARG);
  VT_CHECK(vt_rlwe_ctx(&c, 10, 3, 40, 1, 40, 4, 0) == VEIL_ERR_INVALID_ARG);
  VT_CHECK(vt_rlwe_ctx(&c, 10, 3, 40, 1, 40, 1, 5000) == VEIL_ERR_INVALID_ARG);
  VT_CHECK(strstr(veil_error_detail(), "Hamming") != NULL);
}

int main(void) {
  VT_RUN(test_encrypt_decrypt);
  VT_RUN(test_fixed_weight_secret);
  VT_RUN(test_relin_dnum);
  VT_RUN(test_galois);
  VT_RUN(test_bad_params);
  VT_DONE();
}
