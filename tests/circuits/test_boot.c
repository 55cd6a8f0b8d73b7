/* Bootstrapping pieces at insecure logN 10 against float64 references: the O(n^2) special DFT,
 * CoeffToSlot / SlotToCoeff (full and packed sparse slots), EvalMod on known inputs, ModRaise
 * against exact CRT, and bad input. The full pipeline is in test_boot_full.c. */
#include <gmp.h>

#include "boot_test_util.h"
#include "../../src/circuits/boot-impl.h"

static double urand(void) { return 2.0 * (double)vt_rand64() / 18446744073709551616.0 - 1.0; }

static void lit_for(veil_boot_lit *l, int log_slots, int levels) {
  veil_boot_lit_default(l, log_slots);
  l->cts_levels = l->stc_levels = levels;
}

/* The reference DFT itself: inverse(forward(u)) = u. */
static void test_dft_ref(void) {
  size_t n = 16;
  double complex u[16], z[16], v[16];
  for (size_t i = 0; i < n; i++)
    u[i] = urand() + I * urand();
  bt_dft_ref(u, z, n, false);
  bt_dft_ref(z, v, n, true);
  for (size_t i = 0; i < n; i++)
    VT_CHECK(cabs(u[i] - v[i]) < 1e-12);
}

/* Max |got - ref| / max |ref| over the n values. */
static double rel_err(const double complex *got, const double complex *ref, size_t n) {
  double e = 0, m = 0;
  for (size_t i = 0; i < n; i++) {
    e = fmax(e, cabs(got[i] - ref[i]));
    m = fmax(m, cabs(ref[i]));
  }
  return e / m;
}

/* CtS against u = F^-1 z in bit-reversed order (scaled by 1 / (sub K)), then StC back to z times
 * 2^ratio / (2 pi sub K). */
static void check_dft(int log_slots, int levels) {
  veil_boot_lit l;
  lit_for(&l, log_slots, levels);
  bt_fix f;
  VT_OK(bt_fix_init(&f, 10, 32, 1, &l));
  size_t n = f.n, slots = f.ctx.rlwe.n / 2;
  double sub = (double)slots / (double)n, k = l.k;
  double complex *z = malloc(n * sizeof *z), *u = malloc(n * sizeof *u), *ref = malloc(slots * sizeof *ref);
  for (size_t i = 0; i < n; i++)
    z[i] = urand() + I * urand();
  bt_dft_ref(z, u, n, true);
  veil_ckks_ct in = {0}, re = {0}, im = {0}, out = {0};
  VT_OK(bt_enc(&f, z, f.bt.top, (double)f.ctx.rlwe.mod[0].q, &in));
  VT_OK(veil_boot_coeff_to_slot(&f.bt, &f.ev, &in, &re, &im));
  VT_CHECK(re.level == f.bt.mod_level && fabs(re.scale / f.bt.mod_scale - 1) < 1e-12);
  double complex *got = bt_dec(&f, &re), *goti = f.bt.packed ? NULL : bt_dec(&f, &im);
  VT_REQUIRE(got && (f.bt.packed || goti));
  for (size_t t = 0; t < slots; t++) { /* expected real parts, packed: Im in [n, 2n) */
    size_t p = f.bt.packed ? t % (2 * n) : t % n;
    ref[t] = (p < n ? creal(u[bt_brv(p, n)]) : cimag(u[bt_brv(p - n, n)])) / (sub * k);
  }
  double e = rel_err(got, ref, slots);
  VT_CHECK_MSG(e < 1e-8, "CtS (log_slots %d, %d levels): relative error %g", log_slots, levels, e);
  if (!f.bt.packed) {
    for (size_t t = 0; t < slots; t++)
      ref[t] = cimag(u[bt_brv(t % n, n)]) / (sub * k);
    e = rel_err(goti, ref, slots);
    VT_CHECK_MSG(e < 1e-9, "CtS imaginary parts: relative error %g", e);
  }
  int stc_in = f.bt.out_level + f.bt.nstc;
  VT_OK(veil_ckks_drop_levels(&f.ev, &re, re.level - stc_in));
  if (!f.bt.packed)
    VT_OK(veil_ckks_drop_levels(&f.ev, &im, im.level - stc_in));
  VT_OK(veil_boot_slot_to_coeff(&f.bt, &f.ev, &re, f.bt.packed ? NULL : &im, &out));
  VT_CHECK(out.level == f.bt.out_level && fabs(out.scale / (re.scale * f.bt.out_scale / f.bt.sin_scale) - 1) < 1e-9);
  free(got);
  got = bt_dec(&f, &out);
  VT_REQUIRE(got);
  double c = ldexp(1.0, l.log_msg_ratio) / (2 * M_PI * sub * k);
  for (size_t t = 0; t < slots; t++)
    ref[t] = c * z[t % n];
  e = rel_err(got, ref, slots);
  VT_CHECK_MSG(e < 1e-8, "StC(CtS) (log_slots %d): relative error %g", log_slots, e);
  free(got);
  free(goti);
  free(z);
  free(u);
  free(ref);
  veil_rlwe_ct_free(&in);
  veil_rlwe_ct_free(&re);
  veil_rlwe_ct_free(&im);
  veil_rlwe_ct_free(&out);
  bt_fix_free(&f);
}

static void test_dft_full(void) { check_dft(9, 3); }
static void test_dft_full_one_level(void) { check_dft(9, 1); }
static void test_dft_packed(void) { check_dft(4, 2); }
static void test_dft_packed_small(void) { check_dft(1, 1); }

/* EvalMod on t = I + eps with integer I in (-K, K) against float64: the public EvalMod (exp = false:
 * sin(2 pi t), r = 2, degree 55) or its complex core (exp = true: exp(2 pi i t) from one plan of
 * cos + i sin and r = 3 complex squarings, degree 63: real and imaginary parts). */
static void check_eval_mod(bool exp) {
  veil_boot_lit l;
  lit_for(&l, 9, 1);
  if (exp) {
    l.double_angle = 3;
    l.cos_degree = 63;
  }
  bt_fix f;
  VT_OK(bt_fix_init(&f, 10, 32, 1, &l));
  size_t slots = f.ctx.rlwe.n / 2;
  double complex *x = malloc(slots * sizeof *x), *ref = malloc(slots * sizeof *ref);
  for (size_t i = 0; i < slots; i++) {
    double t = (double)((int)(vt_rand64() % (2 * (uint64_t)l.k - 1)) - (l.k - 1)) + (exp ? 0.3 : 0.01) * urand();
    x[i] = t / l.k;
    ref[i] = exp ? cexp(2 * M_PI * I * t) : sin(2 * M_PI * t);
  }
  veil_ckks_ct in = {0}, out = {0};
  VT_OK(bt_enc(&f, x, f.bt.mod_level, f.bt.mod_scale, &in));
  if (exp)
    VT_OK(veil__boot_eval_exp(&f.bt, &f.ev, &in, f.bt.sin_scale, &out));
  else
    VT_OK(veil_boot_eval_mod(&f.bt, &f.ev, &in, &out));
  VT_CHECK(out.level == f.bt.out_level + f.bt.nstc);
  VT_CHECK(fabs(out.scale / f.bt.sin_scale - 1) < 1e-12);
  double complex *got = bt_dec(&f, &out);
  VT_REQUIRE(got);
  double e = 0;
  for (size_t i = 0; i < slots; i++)
    e = fmax(e, cabs(got[i] - ref[i]));
  VT_CHECK_MSG(e < 1e-7, "EvalMod (exp %d) max error %g (interpolation error %g)", exp, e, f.bt.cos_err);
  VT_CHECK(f.bt.cos_err < 1e-12);
  free(got);
  free(x);
  free(ref);
  veil_rlwe_ct_free(&in);
  veil_rlwe_ct_free(&out);
  bt_fix_free(&f);
}

static void test_eval_mod(void) { check_eval_mod(false); }
static void test_eval_exp(void) { check_eval_mod(true); }

/* Exact coefficients of decrypt(ct) over its limbs. */
static void dec_coeffs(bt_fix *f, const veil_ckks_ct *ct, mpz_t *out) {
  veil_ckks_pt pt = {0};
  VT_OK(veil_rlwe_decrypt(&f->ctx.rlwe, &f->sk, ct, &pt));
  VT_OK(veil_poly_intt(&f->ctx.rlwe.rq, &pt.m));
  VT_OK(veil_poly_to_mpz(&f->ctx.rlwe.rq, &pt.m, ct->level + 1, out));
  veil_rlwe_pt_free(&pt);
}

/* decrypt(ModRaise(ct)) = decrypt(ct) + q_0 I exactly, |I| < K. */
static void test_mod_raise(void) {
  veil_boot_lit l;
  lit_for(&l, 9, 2);
  bt_fix f;
  VT_OK(bt_fix_init(&f, 10, 32, 1, &l));
  size_t n = f.ctx.rlwe.n;
  double complex *z = malloc(f.n * sizeof *z);
  for (size_t i = 0; i < f.n; i++)
    z[i] = urand() + I * urand();
  veil_ckks_ct in = {0}, out = {0};
  VT_OK(bt_enc(&f, z, 0, ldexp(1, 40), &in));
  VT_OK(veil_boot_mod_raise(&f.bt, &f.ev, &in, &out));
  VT_CHECK(out.level == f.bt.top && out.scale == (double)f.ctx.rlwe.mod[0].q);
  mpz_t *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b), d, r;
  mpz_inits(d, r, NULL);
  for (size_t i = 0; i < n; i++)
    mpz_init(a[i]), mpz_init(b[i]);
  dec_coeffs(&f, &in, a);
  dec_coeffs(&f, &out, b);
  long worst = 0;
  bool exact = true;
  for (size_t i = 0; i < n; i++) {
    mpz_sub(d, b[i], a[i]);
    mpz_tdiv_qr_ui(d, r, d, f.ctx.rlwe.mod[0].q);
    exact = exact && mpz_sgn(r) == 0;
    long v = labs(mpz_get_si(d));
    worst = v > worst ? v : worst;
  }
  VT_CHECK(exact);
  VT_CHECK_MSG(worst < l.k, "|I| up to %ld (K = %d)", worst, l.k);
  for (size_t i = 0; i < n; i++)
    mpz_clear(a[i]), mpz_clear(b[i]);
  mpz_clears(d, r, NULL);
  free(a);
  free(b);
  free(z);
  veil_rlwe_ct_free(&in);
  veil_rlwe_ct_free(&out);
  bt_fix_free(&f);
}

static void test_bad_input(void) {
  veil_boot_lit l;
  lit_for(&l, 9, 2);
  bt_fix f;
  VT_OK(bt_fix_init(&f, 10, 32, 1, &l));
  veil_boot bt;
  veil_boot_lit bad = l;
  bad.log_slots = 10;
  VT_CHECK(veil_boot_init(&bt, &f.ctx, &bad) == VEIL_ERR_INVALID_ARG);
  bad = l;
  bad.cts_levels = 0;
  VT_CHECK(veil_boot_init(&bt, &f.ctx, &bad) == VEIL_ERR_INVALID_ARG);
  bad = l;
  bad.cos_degree = 1;
  VT_CHECK(veil_boot_init(&bt, &f.ctx, &bad) == VEIL_ERR_INVALID_ARG);
  bad = l;
  bad.double_angle = 9;
  VT_CHECK(veil_boot_init(&bt, &f.ctx, &bad) == VEIL_ERR_INVALID_ARG);
  bad = l;
  bad.cos_degree = 1000; /* depth 10: more levels than the chain has */
  VT_CHECK(veil_boot_init(&bt, &f.ctx, &bad) == VEIL_ERR_PRECISION);
  double complex z[512] = {0};
  veil_ckks_ct ct = {0}, out = {0};
  VT_OK(bt_enc(&f, z, 2, ldexp(1, 40), &ct));
  VT_CHECK(veil_boot_mod_raise(&f.bt, &f.ev, &ct, &out) == VEIL_ERR_INVALID_ARG); /* not level 0 */
  VT_CHECK(veil_boot_eval_mod(&f.bt, &f.ev, &ct, &out) == VEIL_ERR_MISMATCH);
  VT_CHECK(veil_boot_run(&f.bt, &f.ev, &ct, &ct) == VEIL_ERR_INVALID_ARG); /* aliasing */
  veil_ckks_ct big = {0};
  VT_OK(bt_enc(&f, z, 0, ldexp(1, 59), &big)); /* scale too large for the message ratio */
  VT_CHECK(veil_boot_run(&f.bt, &f.ev, &big, &out) == VEIL_ERR_INVALID_ARG);
  veil_ckks_eval nokeys; /* no Galois keys */
  VT_OK(veil_ckks_eval_init(&nokeys, &f.ctx, &f.rlk, NULL));
  VT_CHECK(veil_boot_run(&f.bt, &nokeys, &ct, &out) == VEIL_ERR_NOT_FOUND);
  veil_ckks_eval_free(&nokeys);
  veil_rlwe_ct_free(&ct);
  veil_rlwe_ct_free(&big);
  veil_rlwe_ct_free(&out);
  veil_boot_free(NULL);
  bt_fix_free(&f);
}

int main(void) {
  VT_RUN(test_dft_ref);
  VT_RUN(test_dft_full);
  VT_RUN(test_dft_full_one_level);
  VT_RUN(test_dft_packed);
  VT_RUN(test_dft_packed_small);
  VT_RUN(test_eval_mod);
  VT_RUN(test_eval_exp);
  VT_RUN(test_mod_raise);
  VT_RUN(test_bad_input);
  VT_DONE();
}
