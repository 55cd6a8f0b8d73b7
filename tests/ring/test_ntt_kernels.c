/* Element-wise kernels of every table against 128-bit integer arithmetic (independent of modarith). */
#include "ring_test_util.h"
#include "veil/ring.h"
#include "vtest.h"

enum { LEN = 77 }; /* not a multiple of 8: exercises vector tails */

static void fill(uint64_t *a, uint64_t q, int pattern) {
  for (size_t i = 0; i < LEN; i++) {
    uint64_t r = vt_rand_below(q);
    a[i] = pattern == 0 ? r : (i % 4 == 0 ? 0 : i % 4 == 1 ? q - 1 : i % 4 == 2 ? 1 : r);
  }
}

static uint64_t mulq(uint64_t a, uint64_t b, uint64_t q) { return (uint64_t)((veil_u128)a * b % q); }

/* Checks one table's seven element-wise kernels for prime q on inputs a, b and scalar w. */
static void check_elementwise(const veil_kernels *k, const veil_modulus *m, const uint64_t *a,
                              const uint64_t *b, uint64_t w) {
  uint64_t q = m->q, wp = veil_shoup_prep(w, q), r[LEN], acc[LEN];
  int bad[7] = {0};
  k->add(r, a, b, LEN, m);
  for (int i = 0; i < LEN; i++)
    bad[0] += r[i] != (uint64_t)(((veil_u128)a[i] + b[i]) % q);
  k->sub(r, a, b, LEN, m);
  for (int i = 0; i < LEN; i++)
    bad[1] += r[i] != (uint64_t)(((veil_u128)a[i] + q - b[i]) % q);
  k->neg(r, a, LEN, m);
  for (int i = 0; i < LEN; i++)
    bad[2] += r[i] != (q - a[i]) % q;
  k->mul(r, a, b, LEN, m);
  for (int i = 0; i < LEN; i++)
    bad[3] += r[i] != mulq(a[i], b[i], q);
  memcpy(acc, b, sizeof acc);
  k->fma(acc, a, b, LEN, m);
  for (int i = 0; i < LEN; i++)
    bad[4] += acc[i] != (b[i] + mulq(a[i], b[i], q)) % q;
  k->mul_scalar(r, a, w, wp, LEN, m);
  for (int i = 0; i < LEN; i++)
    bad[5] += r[i] != mulq(a[i], w, q);
  memcpy(acc, b, sizeof acc);
  k->fma_scalar(acc, a, w, wp, LEN, m);
  for (int i = 0; i < LEN; i++)
    bad[6] += acc[i] != (b[i] + mulq(a[i], w, q)) % q;
  static const char *names[7] = {"add", "sub", "neg", "mul", "fma", "mul_scalar", "fma_scalar"};
  for (int j = 0; j < 7; j++)
    VT_CHECK_MSG(bad[j] == 0, "%s %s q=%llu: %d wrong", k->name, names[j], (unsigned long long)q, bad[j]);
}

static void test_elementwise_all_tables(void) {
  const int bits[] = {20, 30, 40, 48, 49, 50, 51, 52, 56, 60, 61};
  const veil_kernels *ks[8];
  int nk = veil_kernels_all(ks, 8);
  for (size_t b = 0; b < sizeof bits / sizeof *bits; b++) {
    uint64_t q;
    VT_OK(veil_primes_ntt(4, bits[b], 1, NULL, 0, &q));
    veil_modulus m;
    veil_modulus_init(&m, q);
    uint64_t x[LEN], y[LEN];
    for (int pattern = 0; pattern < 2; pattern++) {
      fill(x, q, pattern);
      fill(y, q, pattern ^ 1);
      const uint64_t ws[3] = {0, q - 1, vt_rand_below(q)};
      for (int k = 0; k < nk; k++)
        for (int wi = 0; wi < 3; wi++)
          check_elementwise(ks[k], &m, x, y, ws[wi]);
    }
  }
}

/* r may alias a or b for add, sub and mul. */
static void test_elementwise_aliasing(void) {
  uint64_t q;
  VT_OK(veil_primes_ntt(4, 45, 1, NULL, 0, &q));
  veil_modulus m;
  veil_modulus_init(&m, q);
  const veil_kernels *ks[8];
  int nk = veil_kernels_all(ks, 8);
  for (int k = 0; k < nk; k++) {
    uint64_t x[LEN], y[LEN], want[LEN];
    fill(x, q, 0);
    fill(y, q, 0);
    for (int i = 0; i < LEN; i++)
      want[i] = mulq(x[i], y[i], q);
    ks[k]->mul(x, x, y, LEN, &m);
    VT_CHECK_MSG(memcmp(x, want, sizeof want) == 0, "%s mul in place", ks[k]->name);
    for (int i = 0; i < LEN; i++)
      want[i] = (x[i] + y[i]) % q;
    ks[k]->add(y, x, y, LEN, &m);
    VT_CHECK_MSG(memcmp(y, want, sizeof want) == 0, "%s add in place", ks[k]->name);
  }
}

/* Tables without backend extras (t->accel NULL) still compute correctly (reference fallback). */
static void test_ntt_without_accel(void) {
  uint64_t q;
  VT_OK(veil_primes_ntt(6, 49, 1, NULL, 0, &q));
  veil_ntt_tables t;
  VT_OK(veil_ntt_tables_init(&t, q, 6));
  void *saved = t.accel;
  uint64_t a[64], ref[64], x[64];
  for (int i = 0; i < 64; i++)
    a[i] = vt_rand_below(q);
  memcpy(ref, a, sizeof a);
  veil_kernels_ref()->ntt_fwd(&t, ref);
  const veil_kernels *ks[8];
  int nk = veil_kernels_all(ks, 8);
  t.accel = NULL;
  for (int k = 0; k < nk; k++) {
    memcpy(x, a, sizeof a);
    ks[k]->ntt_fwd(&t, x);
    VT_CHECK_MSG(memcmp(x, ref, sizeof x) == 0, "%s fwd without accel", ks[k]->name);
    ks[k]->ntt_inv(&t, x);
    VT_CHECK_MSG(memcmp(x, a, sizeof x) == 0, "%s inv without accel", ks[k]->name);
  }
  t.accel = saved;
  veil_ntt_tables_free(&t);
}

/* The tables this CPU can run are listed, ref first, and each can be found by name. */
static void test_kernels_listing(void) {
  const veil_kernels *ks[8];
  int nk = veil_kernels_all(ks, 8);
  VT_REQUIRE(nk >= 2);
  VT_CHECK(ks[0] == veil_kernels_ref());
  VT_CHECK(!strcmp(ks[1]->name, "scalar"));
  for (int k = 0; k < nk; k++)
    VT_CHECK(veil_kernels_find(ks[k]->name) == ks[k]);
  VT_CHECK(veil_kernels_find("nope") == NULL);
  printf("  kernel tables:");
  for (int k = 0; k < nk; k++)
    printf(" %s", ks[k]->name);
  printf("\n");
}

int main(void) {
  VT_RUN(test_elementwise_all_tables);
  VT_RUN(test_elementwise_aliasing);
  VT_RUN(test_ntt_without_accel);
  VT_RUN(test_kernels_listing);
  VT_DONE();
}
