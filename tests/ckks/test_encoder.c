/* CKKS encoder against independent references: direct O(N^2) evaluation of the polynomial at
 * zeta^(5^j) (long double), exact big-integer residues (GMP), schoolbook negacyclic products and an
 * explicit automorphism X -> X^5. */
#include <gmp.h>
#include <string.h>

#include "veil/ckks_encoder.h"
#include "vtest.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd64(void) {
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
/* Uniform in [-1, 1). */
static double rnd_unit(void) { return (double)(rnd64() >> 11) * 0x1p-52 - 1.0; }

static const long double PI_L = 3.14159265358979323846264338327950288L;

static void random_vec(double complex *v, size_t n) {
  for (size_t i = 0; i < n; i++)
    v[i] = rnd_unit() + rnd_unit() * I;
}

static double max_err(const double complex *a, const double complex *b, size_t n) {
  double e = 0;
  for (size_t i = 0; i < n; i++)
    e = fmax(e, cabs(a[i] - b[i]));
  return e;
}

/* A ring of `count` NTT primes of `bits` bits for N = 2^logn. */
static veil_status make_ring(veil_ring *r, int logn, int bits, int count) {
  uint64_t q[8];
  VEIL_TRY(veil_primes_ntt(logn, bits, count, NULL, 0, q));
  return veil_ring_init(r, logn, q, count);
}

/* A ring and an encoder of the same degree. */
typedef struct fixture {
  veil_ring r;
  veil_ckks_encoder enc;
} fixture;

static veil_status fixture_init(fixture *f, int logn, int bits, int count) {
  memset(f, 0, sizeof *f);
  VEIL_TRY(make_ring(&f->r, logn, bits, count));
  return veil_ckks_encoder_init(&f->enc, logn);
}

static void fixture_free(fixture *f) {
  veil_ckks_encoder_free(&f->enc);
  veil_ring_free(&f->r);
}

/* The special FFT equals sum_k u_k w^(5^j k), w = exp(2 pi i / 4n), evaluated directly. */
static void test_fft_vs_direct(void) {
  for (int logn = 1; logn <= 8; logn++) {
    veil_ckks_encoder enc;
    VT_OK(veil_ckks_encoder_init(&enc, logn));
    for (size_t n = 1; n <= enc.max_slots; n <<= 1) {
      double complex u[128], z[128], ref[128];
      random_vec(u, n);
      memcpy(z, u, n * sizeof *u);
      veil_ckks_fft_special(&enc, z, n);
      uint64_t g = 1;
      for (size_t j = 0; j < n; j++, g = g * 5 % (4 * n)) {
        long double re = 0, im = 0;
        for (size_t k = 0; k < n; k++) {
          long double t = 2 * PI_L * (long double)((g * k) % (4 * n)) / (long double)(4 * n);
          re += creal(u[k]) * cosl(t) - cimag(u[k]) * sinl(t);
          im += creal(u[k]) * sinl(t) + cimag(u[k]) * cosl(t);
        }
        ref[j] = (double)re + (double)im * I;
      }
      VT_CHECK_MSG(max_err(z, ref, n) < 1e-13 * (double)n, "logn %d n %zu err %g", logn, n,
                   max_err(z, ref, n));
      veil_ckks_fft_special_inv(&enc, z, n);
      VT_CHECK_MSG(max_err(z, u, n) < 1e-14 * (double)n, "inverse logn %d n %zu", logn, n);
    }
    veil_ckks_encoder_free(&enc);
  }
}

/* Centred integer coefficient k of a one-limb coefficient-form poly. */
static long double centred(const veil_ring *r, const veil_poly *p, size_t k) {
  uint64_t q = r->mods[0].q, c = p->c[k];
  return c > q / 2 ? -(long double)(q - c) : (long double)c;
}

/* Encoding is the inverse canonical embedding: m(zeta^(5^j)) / scale = z[j mod slots] for every
 * j < N/2, with m evaluated directly (O(N^2), long double); also covers sparse replication. */
static void test_embedding_direct(void) {
  const int logn = 7;
  fixture f;
  VT_OK(fixture_init(&f, logn, 55, 1));
  const veil_ring *r = &f.r;
  const veil_ckks_encoder *enc = &f.enc;
  const double scale = 0x1p40;
  size_t n = r->n, m = 2 * n;
  for (size_t slots = 1; slots <= n / 2; slots <<= 1) {
    double complex z[64];
    random_vec(z, slots);
    veil_poly pt;
    VT_OK(veil_poly_init(&pt, r, 1));
    VT_OK(veil_ckks_encode(enc, r, z, slots, slots, scale, false, &pt));
    size_t gap = n / (2 * slots);
    for (size_t k = 0; k < n; k++)
      if (k % gap)
        VT_CHECK(pt.c[k] == 0);
    double err = 0;
    uint64_t g = 1;
    for (size_t j = 0; j < n / 2; j++, g = g * 5 % m) {
      long double re = 0, im = 0;
      for (size_t k = 0; k < n; k++) {
        long double c = centred(r, &pt, k), t = 2 * PI_L * (long double)((g * k) % m) / m;
        re += c * cosl(t);
        im += c * sinl(t);
      }
      err = fmax(err, cabs(((double)re + (double)im * I) / scale - z[j % slots]));
    }
    /* Rounding each of N coefficients by <= 1/2 moves a slot by <= N / (2 scale). */
    VT_CHECK_MSG(err <= (double)n / (2 * scale) + 1e-12, "slots %zu err %g", slots, err);
    veil_poly_free(&pt);
  }
  fixture_free(&f);
}

/* encode -> decode at every level, several scales, coefficient and NTT form. */
static void test_round_trip(void) {
  const int logn = 10;
  fixture f;
  VT_OK(fixture_init(&f, logn, 50, 4));
  const veil_ring *r = &f.r;
  const veil_ckks_encoder *enc = &f.enc;
  const double scales[3] = {0x1p25, 0x1p40, 0x1p80};
  double complex z[512], back[512];
  for (int si = 0; si < 3; si++) {
    for (int nl = 1; nl <= 4; nl++) {
      if (log2(scales[si]) + 2 >= 50.0 * nl - 1)
        continue; /* does not fit this level */
      for (size_t slots = 2; slots <= 512; slots *= 16) {
        random_vec(z, slots);
        veil_poly a, b;
        VT_OK(veil_poly_init(&a, r, nl));
        VT_OK(veil_poly_init(&b, r, nl));
        VT_OK(veil_ckks_encode(enc, r, z, slots, slots, scales[si], false, &a));
        VT_OK(veil_ckks_encode(enc, r, z, slots, slots, scales[si], true, &b));
        VT_CHECK(!a.is_ntt && b.is_ntt);
        VT_OK(veil_ckks_decode(enc, r, &b, scales[si], slots, back));
        /* Bound: N / (2 scale) from rounding plus float64 FFT error (~1e-12 here). */
        double bound = (double)r->n / (2 * scales[si]) + 1e-12;
        VT_CHECK_MSG(max_err(back, z, slots) <= bound, "scale 2^%g limbs %d slots %zu err %g",
                     log2(scales[si]), nl, slots, max_err(back, z, slots));
        for (int i = 0; i < nl; i++) /* NTT form is the NTT of the coefficient form */
          veil_ntt_inv(&r->ntt[i], veil_poly_limb(&b, i));
        VT_CHECK(memcmp(a.c, b.c, (size_t)nl * r->n * sizeof *a.c) == 0);
        veil_poly_free(&a);
        veil_poly_free(&b);
      }
    }
  }
  fixture_free(&f);
}

/* Sparse slots: decoding all N/2 slots shows the vector repeated; X -> X^5 rotates it by one. */
static void test_sparse_rotation(void) {
  const int logn = 10;
  fixture f;
  VT_OK(fixture_init(&f, logn, 55, 1));
  const veil_ring *r = &f.r;
  const veil_ckks_encoder *enc = &f.enc;
  const double scale = 0x1p40;
  const size_t slots = 8, n = r->n;
  double complex z[8], full[512], rot[8];
  random_vec(z, slots);
  veil_poly pt, pr;
  VT_OK(veil_poly_init(&pt, r, 1));
  VT_OK(veil_poly_init(&pr, r, 1));
  VT_OK(veil_ckks_encode(enc, r, z, slots, slots, scale, false, &pt));
  VT_OK(veil_ckks_decode(enc, r, &pt, scale, n / 2, full));
  double err = 0;
  for (size_t j = 0; j < n / 2; j++)
    err = fmax(err, cabs(full[j] - z[j % slots]));
  VT_CHECK_MSG(err < 1e-9, "replication err %g", err);
  /* Automorphism X -> X^5: coefficient k moves to 5k mod 2N, negated when it wraps past N. */
  uint64_t q = r->mods[0].q;
  for (size_t k = 0; k < n; k++) {
    size_t d = (5 * k) % (2 * n);
    uint64_t c = pt.c[k];
    pr.c[d % n] = d >= n ? (c ? q - c : 0) : c;
  }
  VT_OK(veil_ckks_decode(enc, r, &pr, scale, slots, rot));
  err = 0;
  for (size_t j = 0; j < slots; j++)
    err = fmax(err, cabs(rot[j] - z[(j + 1) % slots]));
  VT_CHECK_MSG(err < 1e-9, "rotation err %g", err);
  veil_poly_free(&pt);
  veil_poly_free(&pr);
  fixture_free(&f);
}

/* Schoolbook negacyclic product, limb by limb. */
static void negacyclic_mul(const veil_ring *r, const veil_poly *a, const veil_poly *b, veil_poly *c) {
  size_t n = r->n;
  for (int i = 0; i < a->nlimbs; i++) {
    const veil_modulus *m = &r->mods[i];
    const uint64_t *x = veil_poly_limb(a, i), *y = veil_poly_limb(b, i);
    uint64_t *z = veil_poly_limb(c, i);
    memset(z, 0, n * sizeof *z);
    for (size_t s = 0; s < n; s++)
      for (size_t t = 0; t < n; t++) {
        uint64_t p = veil_mod_mul(x[s], y[t], m);
        size_t k = s + t;
        z[k % n] = k < n ? veil_mod_add(z[k], p, m->q) : veil_mod_sub(z[k - n], p, m->q);
      }
  }
}

/* The embedding is a ring homomorphism: decode(a * b) at scale^2 is the slot-wise product. */
static void test_product_homomorphism(void) {
  const int logn = 8;
  fixture f;
  VT_OK(fixture_init(&f, logn, 50, 2));
  const veil_ring *r = &f.r;
  const veil_ckks_encoder *enc = &f.enc;
  const double scale = 0x1p30;
  const size_t slots = 128;
  double complex x[128], y[128], got[128], want[128];
  random_vec(x, slots);
  random_vec(y, slots);
  veil_poly a, b, c;
  VT_OK(veil_poly_init(&a, r, 2));
  VT_OK(veil_poly_init(&b, r, 2));
  VT_OK(veil_poly_init(&c, r, 2));
  VT_OK(veil_ckks_encode(enc, r, x, slots, slots, scale, false, &a));
  VT_OK(veil_ckks_encode(enc, r, y, slots, slots, scale, false, &b));
  negacyclic_mul(r, &a, &b, &c);
  VT_OK(veil_ckks_decode(enc, r, &c, scale * scale, slots, got));
  for (size_t i = 0; i < slots; i++)
    want[i] = x[i] * y[i];
  /* |x|, |y| <= sqrt 2; each factor carries <= N/(2 scale) of rounding error. */
  double bound = 2 * 1.5 * (double)r->n / (2 * scale) + 1e-12;
  VT_CHECK_MSG(max_err(got, want, slots) <= bound, "err %g bound %g", max_err(got, want, slots),
               bound);
  veil_poly_free(&a);
  veil_poly_free(&b);
  veil_poly_free(&c);
  fixture_free(&f);
}

/* round(v * scale) mod q_i against GMP (mpz_set_d is exact on an integer-valued double). */
static void test_scalar_exact(void) {
  veil_ring r;
  VT_OK(make_ring(&r, 10, 60, 4));
  const double vals[] = {0.0, 3.7, -2.25e5, 1e30, -1e30, 0.5, -0.5, 123456789.123, -7e-3};
  const double scales[] = {0x1p40, 0x1p60, 1e3};
  mpz_t z;
  mpz_init(z);
  for (size_t vi = 0; vi < sizeof vals / sizeof *vals; vi++) {
    for (size_t si = 0; si < 3; si++) {
      uint64_t out[4];
      VT_OK(veil_ckks_encode_scalar(vals[vi], scales[si], &r, 4, out));
      mpz_set_d(z, round(vals[vi] * scales[si]));
      for (int i = 0; i < 4; i++)
        VT_CHECK_EQ_U64(out[i], mpz_fdiv_ui(z, r.mods[i].q));
    }
  }
  mpz_clear(z);
  uint64_t out[4];
  VT_CHECK(veil_ckks_encode_scalar(1e30, 0x1p40, &r, 2, out) == VEIL_ERR_PRECISION);
  VT_CHECK(veil_ckks_encode_scalar(NAN, 0x1p40, &r, 2, out) == VEIL_ERR_INVALID_ARG);
  VT_CHECK(veil_ckks_encode_scalar(1.0, 0.0, &r, 2, out) == VEIL_ERR_INVALID_ARG);
  VT_CHECK(veil_ckks_encode_scalar(1.0, 1.0, &r, 5, out) == VEIL_ERR_INVALID_ARG);
  veil_ring_free(&r);
}

/* A complex constant a + b i is a + b X^(N/2): decoding that polynomial gives c in every slot. */
static void test_scalar_complex(void) {
  fixture f;
  VT_OK(fixture_init(&f, 10, 50, 2));
  const veil_ring *r = &f.r;
  const veil_ckks_encoder *enc = &f.enc;
  const double scale = 0x1p40;
  const double complex c = -1.25 + 0.375 * I;
  uint64_t re[2], im[2];
  VT_OK(veil_ckks_encode_scalar_complex(c, scale, r, 2, re, im));
  veil_poly pt;
  VT_OK(veil_poly_init(&pt, r, 2));
  for (int i = 0; i < 2; i++) {
    veil_poly_limb(&pt, i)[0] = re[i];
    veil_poly_limb(&pt, i)[r->n / 2] = im[i];
  }
  double complex out[512];
  VT_OK(veil_ckks_decode(enc, r, &pt, scale, r->n / 2, out));
  double err = 0;
  for (size_t j = 0; j < r->n / 2; j++)
    err = fmax(err, cabs(out[j] - c));
  VT_CHECK_MSG(err < 1e-9, "err %g", err);
  veil_poly_free(&pt);
  fixture_free(&f);
}

static void test_bad_input(void) {
  veil_ring r, r2;
  VT_OK(make_ring(&r, 10, 50, 2));
  VT_OK(make_ring(&r2, 11, 50, 1));
  veil_ckks_encoder enc;
  VT_OK(veil_ckks_encoder_init(&enc, 10));
  veil_ckks_encoder bad;
  VT_CHECK(veil_ckks_encoder_init(&bad, 18) == VEIL_ERR_INVALID_ARG);
  veil_ckks_encoder_free(&bad);
  veil_ckks_encoder_free(NULL);
  veil_poly pt;
  VT_OK(veil_poly_init(&pt, &r, 1));
  double complex z[512] = {0};
  double x[4] = {1, 2, 3, 4};
  VT_CHECK(veil_ckks_encode(&enc, &r, z, 3, 3, 0x1p30, false, &pt) == VEIL_ERR_INVALID_ARG);
  VT_CHECK(veil_ckks_encode(&enc, &r, z, 1, 1024, 0x1p30, false, &pt) == VEIL_ERR_INVALID_ARG);
  VT_CHECK(veil_ckks_encode(&enc, &r, z, 8, 4, 0x1p30, false, &pt) == VEIL_ERR_INVALID_ARG);
  VT_CHECK(veil_ckks_encode(&enc, &r, z, 4, 4, -1.0, false, &pt) == VEIL_ERR_INVALID_ARG);
  VT_CHECK(veil_ckks_encode(&enc, &r2, z, 4, 4, 0x1p30, false, &pt) == VEIL_ERR_INVALID_ARG);
  VT_CHECK(strstr(veil_error_detail(), "ring degree"));
  z[1] = INFINITY;
  VT_CHECK(veil_ckks_encode(&enc, &r, z, 4, 4, 0x1p30, false, &pt) == VEIL_ERR_INVALID_ARG);
  /* 4 * 2^48 does not fit one 50-bit prime (|c| must stay below q/2). */
  VT_CHECK(veil_ckks_encode_real(&enc, &r, x, 4, 4, 0x1p48, false, &pt) == VEIL_ERR_PRECISION);
  VT_CHECK(veil_ckks_decode(&enc, &r, &pt, 0x1p30, 3, z) == VEIL_ERR_INVALID_ARG);
  /* Real wrappers round-trip. */
  double y[4];
  VT_OK(veil_ckks_encode_real(&enc, &r, x, 4, 4, 0x1p30, true, &pt));
  VT_OK(veil_ckks_decode_real(&enc, &r, &pt, 0x1p30, 4, y));
  for (int i = 0; i < 4; i++)
    VT_CHECK_NEAR(y[i], x[i], 1e-6);
  veil_poly_free(&pt);
  veil_ckks_encoder_free(&enc);
  veil_ring_free(&r);
  veil_ring_free(&r2);
}

int main(void) {
  VT_RUN(test_fft_vs_direct);
  VT_RUN(test_embedding_direct);
  VT_RUN(test_round_trip);
  VT_RUN(test_sparse_rotation);
  VT_RUN(test_product_homomorphism);
  VT_RUN(test_scalar_exact);
  VT_RUN(test_scalar_complex);
  VT_RUN(test_bad_input);
  VT_DONE();
}
