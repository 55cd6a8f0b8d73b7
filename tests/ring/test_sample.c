/* Seeded generator and samplers: determinism, agreement with libsodium ChaCha20, statistics, bounds. */
#include <sodium.h>

#include "rns_test_util.h"
#include "vtest.h"

static const uint8_t seed_a[VEIL_SEED_BYTES] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                                12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                                23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

/* The stream is ChaCha20(key = seed, nonce = little-endian stream number), independent of chunking. */
static void test_prng_is_chacha20_stream(void) {
  enum { LEN = 3000 };
  uint8_t want[LEN], got[LEN], nonce[8] = {0x39, 0x30, 0, 0, 0, 0, 0, 0}; /* 12345 */
  VT_OK(veil_crypto_init());
  crypto_stream_chacha20(want, LEN, nonce, seed_a);
  veil_prng g;
  veil_prng_init(&g, seed_a, 12345);
  size_t chunks[] = {1, 7, 64, 500, 511, 513, 1404};
  size_t off = 0;
  for (size_t c = 0; c < sizeof chunks / sizeof *chunks; c++) {
    veil_prng_bytes(&g, got + off, chunks[c]);
    off += chunks[c];
  }
  VT_REQUIRE(off == LEN);
  VT_CHECK(memcmp(want, got, LEN) == 0);
  veil_prng_free(&g);
  uint8_t zero[sizeof g] = {0};
  VT_CHECK(memcmp(&g, zero, sizeof g) == 0); /* key and buffer wiped */
}

static void test_seeds_and_streams_differ(void) {
  uint8_t seed_b[VEIL_SEED_BYTES];
  memcpy(seed_b, seed_a, sizeof seed_b);
  seed_b[31] ^= 1;
  veil_prng g1, g2, g3;
  veil_prng_init(&g1, seed_a, 0);
  veil_prng_init(&g2, seed_b, 0);
  veil_prng_init(&g3, seed_a, 1);
  uint64_t x1 = veil_prng_u64(&g1), x2 = veil_prng_u64(&g2), x3 = veil_prng_u64(&g3);
  VT_CHECK(x1 != x2 && x1 != x3 && x2 != x3);
  uint8_t s1[VEIL_SEED_BYTES], s2[VEIL_SEED_BYTES];
  veil_prng_init_random(&g1, s1);
  veil_prng_init_random(&g2, s2);
  VT_CHECK(memcmp(s1, s2, sizeof s1) != 0);
  veil_prng_init(&g3, s1, 0); /* a random generator is reproducible from the seed it reports */
  VT_CHECK_EQ_U64(veil_prng_u64(&g1), veil_prng_u64(&g3));
  veil_prng_free(&g1);
  veil_prng_free(&g2);
  veil_prng_free(&g3);
}

/* Uniform polynomials: bit-identical from the seed, below q, chi-square over 16 buckets per limb. */
static void test_uniform(void) {
  const int bits[] = {61, 36, 50};
  veil_ring r;
  VT_OK(vt_ring_mixed(&r, 12, bits, 3));
  veil_poly a, b;
  VT_OK(veil_poly_init(&a, &r, 3));
  VT_OK(veil_poly_init(&b, &r, 3));
  veil_prng g;
  veil_prng_init(&g, seed_a, 7);
  VT_OK(veil_sample_uniform(&g, &r, &a));
  veil_prng_init(&g, seed_a, 7);
  VT_OK(veil_sample_uniform(&g, &r, &b));
  VT_CHECK(a.is_ntt);
  VT_CHECK(memcmp(a.c, b.c, 3 * r.n * 8) == 0);
  for (int i = 0; i < 3; i++) {
    double cnt[16] = {0};
    uint64_t q = r.mods[i].q;
    int over = 0;
    for (size_t j = 0; j < r.n; j++) {
      uint64_t v = veil_poly_limb(&a, i)[j];
      over += v >= q;
      cnt[(size_t)((veil_u128)v * 16 / q)]++;
    }
    double chi2 = 0, e = (double)r.n / 16;
    for (int k = 0; k < 16; k++)
      chi2 += (cnt[k] - e) * (cnt[k] - e) / e;
    VT_CHECK(over == 0);
    VT_CHECK_MSG(chi2 < 37.7, "limb %d chi2 %.1f (15 dof, p = 0.001)", i, chi2);
  }
  uint64_t hits[5] = {0};
  for (int t = 0; t < 5000; t++)
    hits[veil_prng_below(&g, 5)]++;
  for (int k = 0; k < 5; k++)
    VT_CHECK_NEAR((double)hits[k], 1000, 5 * sqrt(800));
  veil_prng_free(&g);
  veil_poly_free(&a);
  veil_poly_free(&b);
  veil_ring_free(&r);
}

static void test_ternary(void) {
  enum { N = 30000 };
  static int8_t t[N];
  veil_prng g;
  veil_prng_init(&g, seed_a, 2);
  veil_sample_ternary(&g, t, N);
  int cnt[3] = {0}, bad = 0;
  for (int j = 0; j < N; j++) {
    bad += t[j] < -1 || t[j] > 1;
    if (t[j] >= -1 && t[j] <= 1)
      cnt[t[j] + 1]++;
  }
  VT_CHECK(bad == 0);
  for (int k = 0; k < 3; k++) /* binomial sd = sqrt(N * 1/3 * 2/3) ~ 82 */
    VT_CHECK_NEAR(cnt[k], N / 3.0, 5 * 82);
  veil_prng_free(&g);
}

static void test_ternary_fixed_weight(void) {
  enum { N = 256, H = 64, TRIALS = 400 };
  int8_t t[N];
  int pos_count[N] = {0}, plus = 0, bad = 0;
  veil_prng g;
  veil_prng_init(&g, seed_a, 3);
  for (int trial = 0; trial < TRIALS; trial++) {
    VT_OK(veil_sample_ternary_hw(&g, t, N, H));
    int w = 0;
    for (int j = 0; j < N; j++) {
      bad += t[j] < -1 || t[j] > 1;
      w += t[j] != 0;
      pos_count[j] += t[j] != 0;
      plus += t[j] == 1;
    }
    bad += w != H;
  }
  VT_CHECK(bad == 0);
  /* each position is nonzero with probability H/N = 1/4: mean 100, sd ~ 8.7 */
  int lo = TRIALS, hi = 0;
  for (int j = 0; j < N; j++) {
    lo = pos_count[j] < lo ? pos_count[j] : lo;
    hi = pos_count[j] > hi ? pos_count[j] : hi;
  }
  VT_CHECK_MSG(lo >= 100 - 45 && hi <= 100 + 45, "position counts in [%d, %d]", lo, hi);
  VT_CHECK_NEAR(plus, TRIALS * H / 2.0, 5 * sqrt(TRIALS * H / 4.0));
  VT_OK(veil_sample_ternary_hw(&g, t, N, N));
  for (int j = 0; j < N; j++)
    VT_CHECK(t[j] == 1 || t[j] == -1);
  VT_OK(veil_sample_ternary_hw(&g, t, N, 0));
  for (int j = 0; j < N; j++)
    VT_CHECK(t[j] == 0);
  VT_CHECK(veil_sample_ternary_hw(&g, t, N, N + 1) == VEIL_ERR_INVALID_ARG);
  veil_prng_free(&g);
}

/* Mean, variance and P(e = 0) against the truncated discrete Gaussian computed in double; tail bound. */
static void check_gaussian(double sigma) {
  enum { N = 100000 };
  static int64_t e[N];
  veil_prng g;
  veil_prng_init(&g, seed_a, 4);
  VT_OK(veil_sample_gaussian(&g, e, N, sigma));
  int bound = (int)floor(6 * sigma);
  double s = 0, var_ref = 0;
  for (int k = -bound; k <= bound; k++)
    s += exp(-k * k / (2 * sigma * sigma));
  for (int k = -bound; k <= bound; k++)
    var_ref += k * (double)k * exp(-k * k / (2 * sigma * sigma)) / s;
  double p0 = 1 / s, mean = 0, var = 0, zeros = 0;
  int64_t maxabs = 0;
  for (int j = 0; j < N; j++) {
    mean += (double)e[j];
    var += (double)e[j] * (double)e[j];
    zeros += e[j] == 0;
    maxabs = llabs(e[j]) > maxabs ? llabs(e[j]) : maxabs;
  }
  mean /= N;
  var /= N;
  VT_CHECK(maxabs <= bound);
  VT_CHECK_NEAR(mean, 0, 5 * sigma / sqrt(N));
  VT_CHECK_NEAR(var, var_ref, 5 * var_ref * sqrt(2.0 / N));
  VT_CHECK_NEAR(zeros / N, p0, 5 * sqrt(p0 / N));
  veil_prng_free(&g);
}

static void test_gaussian(void) {
  check_gaussian(3.2);
  check_gaussian(0.8);
  check_gaussian(20.0);
  veil_prng g;
  veil_prng_init(&g, seed_a, 5);
  int64_t e[4];
  VT_CHECK(veil_sample_gaussian(&g, e, 4, 0) == VEIL_ERR_INVALID_ARG);
  VT_CHECK(veil_sample_gaussian(&g, e, 4, 65) == VEIL_ERR_INVALID_ARG);
  VT_CHECK(veil_sample_gaussian(&g, e, 4, NAN) == VEIL_ERR_INVALID_ARG);
  veil_prng_free(&g);
}

int main(void) {
  VT_RUN(test_prng_is_chacha20_stream);
  VT_RUN(test_seeds_and_streams_differ);
  VT_RUN(test_uniform);
  VT_RUN(test_ternary);
  VT_RUN(test_ternary_fixed_weight);
  VT_RUN(test_gaussian);
  VT_DONE();
}
