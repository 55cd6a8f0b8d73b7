/* Automorphisms X -> X^k: coefficient domain against the definition, NTT domain against NTT(coefficient). */
#include "rns_test_util.h"
#include "vtest.h"

static const int bits[] = {50, 61, 40};

/* Definition: a(X^k) = sum_j a_j X^(jk), reducing X^e with X^N = -1 one wrap at a time. */
static void ref_automorph(uint64_t *out, const uint64_t *a, uint64_t k, size_t n, uint64_t q) {
  for (size_t j = 0; j < n; j++) {
    uint64_t e = j * k;
    int negate = 0;
    while (e >= n) {
      e -= n;
      negate ^= 1;
    }
    out[e] = negate ? (q - a[j]) % q : a[j];
  }
}

static void test_coeff_matches_definition(void) {
  for (int logn = 1; logn <= 6; logn++) {
    veil_ring r;
    VT_OK(vt_ring_mixed(&r, logn, bits, 3));
    veil_poly a, o;
    VT_OK(veil_poly_init(&a, &r, 3));
    VT_OK(veil_poly_init(&o, &r, 3));
    vt_poly_random(&r, &a);
    uint64_t ref[64];
    for (uint64_t k = 1; k < 2 * r.n; k += 2) {
      VT_OK(veil_poly_automorph(&r, &o, &a, k + 4 * r.n)); /* k is taken mod 2N */
      VT_CHECK(!o.is_ntt);
      for (int i = 0; i < 3; i++) {
        ref_automorph(ref, veil_poly_limb(&a, i), k, r.n, r.mods[i].q);
        VT_CHECK_MSG(memcmp(ref, veil_poly_limb(&o, i), r.n * 8) == 0, "logn %d k %llu limb %d", logn,
                     (unsigned long long)k, i);
      }
    }
    veil_poly_free(&a);
    veil_poly_free(&o);
    veil_ring_free(&r);
  }
}

/* For every odd k: automorph_ntt(NTT(a)) == NTT(automorph(a)), via the table and via poly_automorph. */
static void test_ntt_matches_coeff(void) {
  int logns[] = {1, 2, 5, 8};
  for (int t = 0; t < 4; t++) {
    veil_ring r;
    VT_OK(vt_ring_mixed(&r, logns[t], bits, 3));
    size_t n = r.n;
    veil_poly a, an, o, on, on2;
    VT_OK(veil_poly_init(&a, &r, 3));
    VT_OK(veil_poly_init(&an, &r, 3));
    VT_OK(veil_poly_init(&o, &r, 3));
    VT_OK(veil_poly_init(&on, &r, 3));
    VT_OK(veil_poly_init(&on2, &r, 3));
    vt_poly_random(&r, &a);
    VT_OK(veil_poly_copy(&r, &an, &a));
    VT_OK(veil_poly_ntt(&r, &an));
    uint32_t *idx = veil_malloc(n * sizeof *idx);
    int bad = 0;
    for (uint64_t k = 1; k < 2 * n; k += 2) {
      VT_OK(veil_automorph_index(r.logn, k, idx));
      VT_OK(veil_poly_automorph(&r, &o, &a, k));
      VT_OK(veil_poly_ntt(&r, &o));
      VT_OK(veil_poly_automorph_ntt(&r, &on, &an, idx));
      VT_OK(veil_poly_automorph(&r, &on2, &an, k));
      VT_CHECK(on.is_ntt && on2.is_ntt);
      bad += memcmp(o.c, on.c, 3 * n * 8) != 0;
      bad += memcmp(o.c, on2.c, 3 * n * 8) != 0;
    }
    VT_CHECK_MSG(bad == 0, "logn %d: %d mismatches", r.logn, bad);
    veil_free(idx);
    veil_poly_free(&a);
    veil_poly_free(&an);
    veil_poly_free(&o);
    veil_poly_free(&on);
    veil_poly_free(&on2);
    veil_ring_free(&r);
  }
}

static void test_index_rejects_even_k(void) {
  uint32_t idx[8];
  VT_CHECK(veil_automorph_index(3, 2, idx) == VEIL_ERR_INVALID_ARG);
  VT_CHECK(veil_automorph_index(0, 3, idx) == VEIL_ERR_INVALID_ARG);
  VT_OK(veil_automorph_index(3, 1, idx));
  for (uint32_t i = 0; i < 8; i++)
    VT_CHECK_EQ_U64(idx[i], i);
}

/* 5^s mod 2N by repeated multiplication; negative steps invert. */
static void test_galois_elt(void) {
  for (int logn = 2; logn <= 12; logn++) {
    uint64_t m = (uint64_t)2 << logn, p = 1;
    for (int s = 0; s < 40; s++) {
      VT_CHECK_EQ_U64(veil_galois_elt(logn, s), p);
      VT_CHECK_EQ_U64(veil_galois_elt(logn, -s) * p % m, 1);
      p = p * 5 % m;
    }
  }
}

int main(void) {
  VT_RUN(test_coeff_matches_definition);
  VT_RUN(test_ntt_matches_coeff);
  VT_RUN(test_index_rejects_even_k);
  VT_RUN(test_galois_elt);
  VT_DONE();
}
