/* RNS polynomial arithmetic against direct per-coefficient formulas and schoolbook products. */
#include "rns_test_util.h"
#include "vtest.h"

static const int mixed_bits[] = {61, 30, 50, 45, 55};

static uint64_t ref_mulmod(uint64_t a, uint64_t b, uint64_t q) { return (uint64_t)((veil_u128)a * b % q); }

static uint64_t ref_i64_mod(int64_t v, uint64_t q) {
  __int128 r = (__int128)v % (__int128)q;
  return (uint64_t)(r < 0 ? r + q : r);
}

/* Element-wise ops, every kernel table, limb counts taken as the minimum of the inputs. */
static void check_elementwise(const veil_ring *r) {
  veil_poly a, b, o, acc;
  VT_OK(veil_poly_init(&a, r, 5));
  VT_OK(veil_poly_init(&b, r, 4));
  VT_OK(veil_poly_init(&o, r, 5));
  VT_OK(veil_poly_init(&acc, r, 5));
  vt_poly_random(r, &a);
  vt_poly_random(r, &b);
  vt_poly_random(r, &acc);
  uint64_t *acc0 = veil_malloc(5 * r->n * 8);
  memcpy(acc0, acc.c, 5 * r->n * 8);
  a.is_ntt = b.is_ntt = acc.is_ntt = true;
  uint64_t s[5];
  for (int i = 0; i < 5; i++)
    s[i] = vt_rand_below(r->mods[i].q);
  int64_t si = -(int64_t)(vt_rand64() >> 1);
  for (int op = 0; op < 7; op++) {
    veil_status st = op == 0   ? veil_poly_add(r, &o, &a, &b)
                     : op == 1 ? veil_poly_sub(r, &o, &a, &b)
                     : op == 2 ? veil_poly_mul(r, &o, &a, &b)
                     : op == 3 ? veil_poly_neg(r, &o, &a)
                     : op == 4 ? veil_poly_mul_scalars(r, &o, &a, s)
                     : op == 5 ? veil_poly_mul_i64(r, &o, &a, si)
                               : veil_poly_fma(r, &acc, &a, &b);
    VT_REQUIRE(st == VEIL_OK);
    veil_poly *res = op == 6 ? &acc : &o;
    int L = (op == 3 || op == 4 || op == 5) ? 5 : 4;
    VT_CHECK_EQ_U64(res->nlimbs, L);
    VT_CHECK(res->is_ntt);
    int bad = 0;
    for (int i = 0; i < L; i++) {
      uint64_t q = r->mods[i].q;
      for (size_t j = 0; j < r->n; j++) {
        uint64_t x = veil_poly_limb(&a, i)[j], y = i < 4 ? veil_poly_limb(&b, i)[j] : 0, want;
        switch (op) {
        case 0:
          want = (x + y) % q;
          break;
        case 1:
          want = (x + q - y) % q;
          break;
        case 2:
          want = ref_mulmod(x, y, q);
          break;
        case 3:
          want = (q - x) % q;
          break;
        case 4:
          want = ref_mulmod(x, s[i], q);
          break;
        case 5:
          want = ref_mulmod(x, ref_i64_mod(si, q), q);
          break;
        default:
          want = (acc0[i * r->n + j] + ref_mulmod(x, y, q)) % q;
        }
        bad += veil_poly_limb(res, i)[j] != want;
      }
    }
    VT_CHECK_MSG(bad == 0, "op %d kernels %s: %d wrong", op, r->k->name, bad);
  }
  veil_free(acc0);
  veil_poly_free(&a);
  veil_poly_free(&b);
  veil_poly_free(&o);
  veil_poly_free(&acc);
}

static void test_elementwise_all_kernels(void) {
  const veil_kernels *ks[8];
  int nk = veil_kernels_all(ks, 8);
  int logns[] = {3, 13}; /* 5 limbs at 2^13 take the parallel path */
  for (int t = 0; t < 2; t++) {
    veil_ring r;
    VT_OK(vt_ring_mixed(&r, logns[t], mixed_bits, 5));
    for (int k = 0; k < nk; k++) {
      r.k = ks[k];
      check_elementwise(&r);
    }
    veil_ring_free(&r);
  }
}

static void test_fma_scalars(void) {
  veil_ring r;
  VT_OK(vt_ring_mixed(&r, 6, mixed_bits, 3));
  veil_poly a, acc;
  VT_OK(veil_poly_init(&a, &r, 3));
  VT_OK(veil_poly_init(&acc, &r, 2));
  vt_poly_random(&r, &a);
  vt_poly_random(&r, &acc);
  uint64_t before[2 * 64], s[3];
  memcpy(before, acc.c, sizeof before);
  for (int i = 0; i < 3; i++)
    s[i] = vt_rand_below(r.mods[i].q);
  VT_OK(veil_poly_fma_scalars(&r, &acc, &a, s));
  VT_CHECK_EQ_U64(acc.nlimbs, 2);
  for (int i = 0; i < 2; i++)
    for (size_t j = 0; j < r.n; j++) {
      uint64_t q = r.mods[i].q;
      VT_CHECK_EQ_U64(veil_poly_limb(&acc, i)[j],
                      (before[i * 64 + j] + ref_mulmod(veil_poly_limb(&a, i)[j], s[i], q)) % q);
    }
  veil_poly_free(&a);
  veil_poly_free(&acc);
  veil_ring_free(&r);
}

/* ntt -> mul -> intt over all limbs equals the schoolbook negacyclic product per limb. */
static void test_mul_matches_schoolbook(void) {
  veil_ring r;
  VT_OK(vt_ring_mixed(&r, 7, mixed_bits, 5));
  veil_poly a, b, c;
  VT_OK(veil_poly_init(&a, &r, 5));
  VT_OK(veil_poly_init(&b, &r, 5));
  VT_OK(veil_poly_init(&c, &r, 5));
  vt_poly_random(&r, &a);
  vt_poly_random(&r, &b);
  uint64_t ref[5][128];
  for (int i = 0; i < 5; i++)
    vt_negacyclic_schoolbook(ref[i], veil_poly_limb(&a, i), veil_poly_limb(&b, i), r.n, r.mods[i].q);
  VT_OK(veil_poly_ntt(&r, &a));
  VT_OK(veil_poly_ntt(&r, &b));
  VT_OK(veil_poly_mul(&r, &c, &a, &b));
  VT_OK(veil_poly_intt(&r, &c));
  VT_CHECK(!c.is_ntt);
  for (int i = 0; i < 5; i++)
    VT_CHECK_MSG(memcmp(veil_poly_limb(&c, i), ref[i], r.n * 8) == 0, "limb %d", i);
  veil_poly_free(&a);
  veil_poly_free(&b);
  veil_poly_free(&c);
  veil_ring_free(&r);
}

static void test_set_copy_resize(void) {
  veil_ring r;
  VT_OK(vt_ring_mixed(&r, 5, mixed_bits, 4));
  veil_poly p, q2;
  VT_OK(veil_poly_init(&p, &r, 4));
  VT_OK(veil_poly_init(&q2, &r, 4));
  int64_t c64[32];
  int8_t c8[32];
  for (int j = 0; j < 32; j++) {
    c64[j] = (int64_t)vt_rand64();
    c8[j] = (int8_t)vt_rand64();
  }
  c64[0] = INT64_MIN;
  c64[1] = INT64_MAX;
  c64[2] = -1;
  c8[0] = -128;
  VT_OK(veil_poly_set_i64(&r, &p, c64));
  VT_CHECK(!p.is_ntt);
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 32; j++)
      VT_CHECK_EQ_U64(veil_poly_limb(&p, i)[j], ref_i64_mod(c64[j], r.mods[i].q));
  VT_OK(veil_poly_copy(&r, &q2, &p));
  VT_CHECK(memcmp(q2.c, p.c, 4 * 32 * 8) == 0);
  VT_OK(veil_poly_set_i8(&r, &p, c8));
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 32; j++)
      VT_CHECK_EQ_U64(veil_poly_limb(&p, i)[j], ref_i64_mod(c8[j], r.mods[i].q));
  VT_OK(veil_poly_drop_limbs(&q2, 2));
  VT_CHECK_EQ_U64(q2.nlimbs, 2);
  VT_CHECK_EQ_U64(q2.cap, 4);
  VT_OK(veil_poly_resize(&q2, 3));
  for (int j = 0; j < 32; j++)
    VT_CHECK_EQ_U64(veil_poly_limb(&q2, 2)[j], 0);
  VT_CHECK(veil_poly_resize(&q2, 5) == VEIL_ERR_INVALID_ARG);
  VT_CHECK(veil_poly_drop_limbs(&q2, 4) == VEIL_ERR_INVALID_ARG);
  veil_poly_zero(&p);
  for (int j = 0; j < 4 * 32; j++)
    VT_CHECK_EQ_U64(p.c[j], 0);
  veil_poly_free(&p);
  veil_poly_free(&q2);
  veil_poly_free(NULL);
  veil_ring_free(&r);
}

static void test_bad_input_is_reported(void) {
  veil_ring r, r2;
  VT_OK(vt_ring_mixed(&r, 4, mixed_bits, 3));
  VT_OK(vt_ring_mixed(&r2, 5, mixed_bits, 3));
  veil_poly a, b, small, other;
  VT_OK(veil_poly_init(&a, &r, 3));
  VT_OK(veil_poly_init(&b, &r, 3));
  VT_OK(veil_poly_init(&small, &r, 1));
  VT_OK(veil_poly_init(&other, &r2, 3));
  VT_CHECK(veil_poly_mul(&r, &a, &a, &b) == VEIL_ERR_MISMATCH); /* coefficient form */
  VT_CHECK(veil_poly_intt(&r, &a) == VEIL_ERR_MISMATCH);
  VT_OK(veil_poly_ntt(&r, &a));
  VT_CHECK(veil_poly_ntt(&r, &a) == VEIL_ERR_MISMATCH);
  VT_CHECK(veil_poly_add(&r, &b, &a, &b) == VEIL_ERR_MISMATCH);         /* mixed forms */
  VT_CHECK(veil_poly_add(&r, &small, &b, &b) == VEIL_ERR_INVALID_ARG);  /* output too small */
  VT_CHECK(veil_poly_add(&r, &b, &other, &other) == VEIL_ERR_MISMATCH); /* other ring */
  VT_CHECK(veil_poly_fma(&r, &a, &a, &a) == VEIL_ERR_INVALID_ARG);      /* accumulator aliases */
  uint64_t s[3] = {r.mods[0].q, 1, 1};
  VT_CHECK(veil_poly_mul_scalars(&r, &b, &b, s) == VEIL_ERR_INVALID_ARG);
  VT_CHECK(veil_poly_automorph(&r, &b, &a, 4) == VEIL_ERR_INVALID_ARG);
  VT_CHECK(veil_poly_automorph(&r, &a, &a, 3) == VEIL_ERR_INVALID_ARG);
  VT_CHECK(veil_poly_rescale(&r, &small) == VEIL_ERR_INVALID_ARG);
  mpz_t z[16];
  for (int j = 0; j < 16; j++)
    mpz_init(z[j]);
  VT_CHECK(veil_poly_to_mpz(&r, &a, 3, z) == VEIL_ERR_MISMATCH);
  VT_CHECK(veil_poly_to_mpz(&r, &b, 4, z) == VEIL_ERR_INVALID_ARG);
  for (int j = 0; j < 16; j++)
    mpz_clear(z[j]);
  VT_CHECK(strlen(veil_error_detail()) > 0);
  veil_poly_free(&a);
  veil_poly_free(&b);
  veil_poly_free(&small);
  veil_poly_free(&other);
  veil_ring_free(&r);
  veil_ring_free(&r2);
}

int main(void) {
  VT_RUN(test_elementwise_all_kernels);
  VT_RUN(test_fma_scalars);
  VT_RUN(test_mul_matches_schoolbook);
  VT_RUN(test_set_copy_resize);
  VT_RUN(test_bad_input_is_reported);
  VT_DONE();
}
