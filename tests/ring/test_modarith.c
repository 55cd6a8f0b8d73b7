#include "ring_test_util.h"
#include "veil/modarith.h"
#include "veil/util.h"
#include "vtest.h"

static const uint64_t moduli[] = {3, 17, 12289, 0xffffffffull - 4, (1ull << 49) - 1, (1ull << 52) - 3,
                                  (1ull << 59) + 1, (1ull << 61) - 1};

static void test_barrett_matches_division(void) {
  for (size_t k = 0; k < sizeof moduli / sizeof *moduli; k++) {
    veil_modulus m;
    veil_modulus_init(&m, moduli[k]);
    uint64_t q = moduli[k];
    for (int i = 0; i < 20000; i++) {
      uint64_t a = vt_rand_below(q), b = vt_rand_below(q);
      VT_CHECK_EQ_U64(veil_mod_mul(a, b, &m), (uint64_t)((veil_u128)a * b % q));
      uint64_t x = vt_rand64();
      VT_CHECK_EQ_U64(veil_mod_reduce64(x, &m), x % q);
      veil_u128 y = ((veil_u128)vt_rand_below(q) << 64) | vt_rand64(); /* < 2^64 q */
      VT_CHECK_EQ_U64(veil_mod_reduce128(y, &m), (uint64_t)(y % q));
    }
    /* Edges: largest operands. */
    VT_CHECK_EQ_U64(veil_mod_mul(q - 1, q - 1, &m), (uint64_t)((veil_u128)(q - 1) * (q - 1) % q));
  }
}

static void test_shoup(void) {
  for (size_t k = 0; k < sizeof moduli / sizeof *moduli; k++) {
    uint64_t q = moduli[k];
    for (int i = 0; i < 20000; i++) {
      uint64_t w = vt_rand_below(q), wp = veil_shoup_prep(w, q), a = vt_rand64();
      uint64_t expect = (uint64_t)((veil_u128)a * w % q);
      uint64_t lazy = veil_mod_mul_shoup_lazy(a, w, wp, q);
      VT_CHECK(lazy < 2 * q && lazy % q == expect);
      VT_CHECK_EQ_U64(veil_mod_mul_shoup(a, w, wp, q), expect);
    }
  }
}

static void test_add_sub_neg_inv(void) {
  veil_modulus m;
  uint64_t q = (1ull << 61) - 1;
  veil_modulus_init(&m, q);
  for (int i = 0; i < 10000; i++) {
    uint64_t a = vt_rand_below(q), b = vt_rand_below(q);
    VT_CHECK_EQ_U64(veil_mod_add(a, b, q), (uint64_t)(((veil_u128)a + b) % q));
    VT_CHECK_EQ_U64(veil_mod_sub(a, b, q), (uint64_t)(((veil_u128)a + q - b) % q));
    VT_CHECK_EQ_U64(veil_mod_add(veil_mod_neg(a, q), a, q), 0);
    if (a)
      VT_CHECK_EQ_U64(veil_mod_mul(veil_mod_inv(a, &m), a, &m), 1);
  }
  VT_CHECK_EQ_U64(veil_mod_pow(3, 0, &m), 1);
  VT_CHECK_EQ_U64(veil_bitrev(1, 4), 8);
  VT_CHECK_EQ_U64(veil_bitrev(6, 3), 3);
}

int main(void) {
  VT_RUN(test_barrett_matches_division);
  VT_RUN(test_shoup);
  VT_RUN(test_add_sub_neg_inv);
  VT_DONE();
}
