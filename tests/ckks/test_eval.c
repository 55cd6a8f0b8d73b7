/* CKKS evaluator ops against float64 references (logN 11, scale 2^40, insecure test sizes).
 * Bounds: fresh encryption/addition 2^-25; products after rescale 2^-20 (the fresh error ~2^-30 times
 * values <= 2 plus rounding); rotations add key-switching noise ~2^-30. */
#include "eval_test_util.h"

#define SLOTS_MAX 1024
#define TOL_FRESH 3e-8 /* ~2^-25 */
#define TOL_MUL 1e-6   /* ~2^-20 */

static int steps[] = {1, 2, 3, 4, 8, 16, 32, 64, 128, 256, 512, -1, -7, 100};

static void test_add_sub_neg_const(void) {
  vt_fix f;
  VT_OK(vt_fix_init(&f, 11, 4, 2, 2, NULL, 0));
  static double complex a[SLOTS_MAX], b[SLOTS_MAX], r[SLOTS_MAX];
  vt_rand_vals(a, f.slots);
  vt_rand_vals(b, f.slots);
  veil_ckks_ct ca = {0}, cb = {0}, o = {0};
  VT_OK(vt_enc(&f, a, &ca));
  VT_OK(vt_enc(&f, b, &cb));
  VT_CHECK_MSG(vt_err(&f, &ca, a) < TOL_FRESH, "encrypt/decrypt %g", vt_err(&f, &ca, a));
  VT_OK(veil_ckks_add(&f.ev, &o, &ca, &cb));
  for (size_t i = 0; i < f.slots; i++)
    r[i] = a[i] + b[i];
  VT_CHECK(vt_err(&f, &o, r) < TOL_FRESH);
  VT_OK(veil_ckks_sub(&f.ev, &o, &ca, &cb));
  for (size_t i = 0; i < f.slots; i++)
    r[i] = a[i] - b[i];
  VT_CHECK(vt_err(&f, &o, r) < TOL_FRESH);
  VT_OK(veil_ckks_neg(&f.ev, &o, &o));
  for (size_t i = 0; i < f.slots; i++)
    r[i] = b[i] - a[i];
  VT_CHECK(vt_err(&f, &o, r) < TOL_FRESH);
  double complex k = 0.75 - 0.3 * I;
  VT_OK(veil_ckks_add_const(&f.ev, &o, &ca, k));
  for (size_t i = 0; i < f.slots; i++)
    r[i] = a[i] + k;
  VT_CHECK(vt_err(&f, &o, r) < TOL_FRESH);
  veil_ckks_pt pt;
  VT_OK(veil_ckks_pt_encode(&f.ctx, b, f.slots, ca.level, ca.scale, &pt));
  VT_OK(veil_ckks_add_pt(&f.ev, &o, &ca, &pt));
  for (size_t i = 0; i < f.slots; i++)
    r[i] = a[i] + b[i];
  VT_CHECK(vt_err(&f, &o, r) < TOL_FRESH);
  VT_OK(veil_ckks_sub_pt(&f.ev, &o, &o, &pt));
  VT_CHECK(vt_err(&f, &o, a) < TOL_FRESH);
  veil_rlwe_pt_free(&pt);
  veil_rlwe_ct_free(&ca);
  veil_rlwe_ct_free(&cb);
  veil_rlwe_ct_free(&o);
  vt_fix_free(&f);
}

/* mul_relin + rescale for dnum 1..4: precision and exact scale tracking. */
static void test_mul_rescale_dnum(void) {
  for (int dnum = 1; dnum <= 4; dnum++) {
    vt_fix f;
    int np = dnum == 1 ? 4 : 2; /* P must cover one digit of alpha primes */
    VT_OK(vt_fix_init(&f, 11, 4, np, dnum, NULL, 0));
    static double complex a[SLOTS_MAX], b[SLOTS_MAX], r[SLOTS_MAX];
    vt_rand_vals(a, f.slots);
    vt_rand_vals(b, f.slots);
    veil_ckks_ct ca = {0}, cb = {0}, o = {0};
    VT_OK(vt_enc(&f, a, &ca));
    VT_OK(vt_enc(&f, b, &cb));
    VT_OK(veil_ckks_mul(&f.ev, &o, &ca, &cb));
    double s2 = ca.scale * cb.scale, ql = (double)f.ctx.rlwe.mod[o.level].q;
    VT_OK(veil_ckks_rescale(&f.ev, &o));
    VT_CHECK(o.scale == s2 / ql && o.level == ca.level - 1);
    for (size_t i = 0; i < f.slots; i++)
      r[i] = a[i] * b[i];
    double e = vt_err(&f, &o, r);
    VT_CHECK_MSG(e < TOL_MUL, "dnum %d: mul+rescale error %g", dnum, e);
    /* three components, decrypt directly, then relinearize in place */
    VT_OK(veil_ckks_mul_norelin(&f.ev, &o, &ca, &cb));
    VT_CHECK(o.size == 3);
    for (size_t i = 0; i < f.slots; i++)
      r[i] = a[i] * b[i];
    VT_OK(veil_ckks_rescale(&f.ev, &o));
    VT_CHECK(vt_err(&f, &o, r) < TOL_MUL);
    VT_OK(veil_ckks_relin(&f.ev, &o));
    VT_CHECK(o.size == 2 && vt_err(&f, &o, r) < TOL_MUL);
    /* square in place, twice (depth 2) */
    VT_OK(veil_ckks_mul(&f.ev, &ca, &ca, &ca));
    VT_OK(veil_ckks_rescale(&f.ev, &ca));
    VT_OK(veil_ckks_mul(&f.ev, &ca, &ca, &ca));
    VT_OK(veil_ckks_rescale(&f.ev, &ca));
    for (size_t i = 0; i < f.slots; i++)
      r[i] = a[i] * a[i] * a[i] * a[i];
    e = vt_err(&f, &ca, r);
    VT_CHECK_MSG(e < 1e-5, "dnum %d: a^4 error %g", dnum, e);
    veil_rlwe_ct_free(&ca);
    veil_rlwe_ct_free(&cb);
    veil_rlwe_ct_free(&o);
    vt_fix_free(&f);
  }
}

static void test_mul_pt_const_i_monomial(void) {
  vt_fix f;
  VT_OK(vt_fix_init(&f, 11, 4, 2, 2, NULL, 0));
  static double complex a[SLOTS_MAX], b[SLOTS_MAX], r[SLOTS_MAX];
  vt_rand_vals(a, f.slots);
  vt_rand_vals(b, f.slots);
  veil_ckks_ct ca = {0}, o = {0};
  VT_OK(vt_enc(&f, a, &ca));
  veil_ckks_pt pt;
  VT_OK(veil_ckks_pt_encode(&f.ctx, b, f.slots, ca.level, f.ctx.scale, &pt));
  VT_OK(veil_ckks_mul_pt(&f.ev, &o, &ca, &pt));
  VT_OK(veil_ckks_rescale(&f.ev, &o));
  for (size_t i = 0; i < f.slots; i++)
    r[i] = a[i] * b[i];
  VT_CHECK(vt_err(&f, &o, r) < TOL_MUL);
  double complex consts[] = {0.5, -1.25, 0.3 + 0.7 * I, -2.0 * I};
  for (int t = 0; t < 4; t++) {
    VT_OK(veil_ckks_mul_const(&f.ev, &o, &ca, consts[t], 0));
    VT_CHECK(o.scale == ca.scale * (double)f.ctx.rlwe.mod[ca.level].q);
    VT_OK(veil_ckks_rescale(&f.ev, &o));
    VT_CHECK(fabs(o.scale - ca.scale) <= ldexp(ca.scale, -40)); /* constant at q_l: scale restored */
    for (size_t i = 0; i < f.slots; i++)
      r[i] = a[i] * consts[t];
    double e = vt_err(&f, &o, r);
    VT_CHECK_MSG(e < TOL_MUL, "const %d: %g", t, e);
  }
  VT_OK(veil_ckks_mul_i(&f.ev, &o, &ca));
  for (size_t i = 0; i < f.slots; i++)
    r[i] = a[i] * I;
  VT_CHECK(vt_err(&f, &o, r) < TOL_FRESH);
  /* X^k multiplies slot j by zeta^(k 5^j), zeta = exp(i pi / N) */
  int64_t ks[] = {1, 7, (int64_t)f.ctx.rlwe.n / 2, -3, 3 * (int64_t)f.ctx.rlwe.n + 5};
  for (int t = 0; t < 5; t++) {
    VT_OK(veil_ckks_mul_monomial(&f.ev, &o, &ca, ks[t]));
    uint64_t m2 = 2 * f.ctx.rlwe.n, g = 1;
    for (size_t i = 0; i < f.slots; i++, g = g * 5 % m2) {
      int64_t e = (int64_t)(((__int128)ks[t] * g) % (__int128)m2);
      r[i] = a[i] * cexp(I * M_PI * (double)e / (double)f.ctx.rlwe.n);
    }
    VT_CHECK_MSG(vt_err(&f, &o, r) < TOL_FRESH, "monomial X^%lld", (long long)ks[t]);
  }
  veil_rlwe_pt_free(&pt);
  veil_rlwe_ct_free(&ca);
  veil_rlwe_ct_free(&o);
  vt_fix_free(&f);
}

/* Lazy rescaling: sum of ct_i * c_i and ct_i * pt_i at one scale, one rescale at the end. */
static void test_lazy_rescale(void) {
  vt_fix f;
  VT_OK(vt_fix_init(&f, 11, 4, 2, 2, NULL, 0));
  static double complex v[4][SLOTS_MAX], w[SLOTS_MAX], r[SLOTS_MAX];
  veil_ckks_ct ct[4] = {{0}}, acc = {0};
  double cs[4] = {0.25, -0.5, 1.5, 0.125};
  vt_rand_vals(w, f.slots);
  memset(r, 0, sizeof r);
  for (int t = 0; t < 4; t++) {
    vt_rand_vals(v[t], f.slots);
    VT_OK(vt_enc(&f, v[t], &ct[t]));
  }
  veil_ckks_pt pt;
  double qs = (double)f.ctx.rlwe.mod[ct[0].level].q;
  VT_OK(veil_ckks_pt_encode(&f.ctx, w, f.slots, ct[0].level, qs, &pt));
  for (int t = 0; t < 4; t++) {
    VT_OK(veil_ckks_mul_const_acc(&f.ev, &acc, &ct[t], cs[t], 0));
    VT_OK(veil_ckks_mul_pt_acc(&f.ev, &acc, &ct[t], &pt));
    for (size_t i = 0; i < f.slots; i++)
      r[i] += v[t][i] * (cs[t] + w[i]);
  }
  VT_OK(veil_ckks_rescale(&f.ev, &acc));
  double e = vt_err(&f, &acc, r);
  VT_CHECK_MSG(e < 4 * TOL_MUL, "lazy rescale error %g", e);
  VT_CHECK(fabs(acc.scale - ct[0].scale) <= ldexp(ct[0].scale, -40));
  /* an accumulator at another scale is refused */
  VT_CHECK(veil_ckks_mul_const_acc(&f.ev, &acc, &ct[0], 1.0, 0) == VEIL_ERR_MISMATCH);
  veil_rlwe_pt_free(&pt);
  for (int t = 0; t < 4; t++)
    veil_rlwe_ct_free(&ct[t]);
  veil_rlwe_ct_free(&acc);
  vt_fix_free(&f);
}

static void test_mismatch_and_align(void) {
  vt_fix f;
  VT_OK(vt_fix_init(&f, 11, 4, 2, 2, NULL, 0));
  static double complex a[SLOTS_MAX], b[SLOTS_MAX], r[SLOTS_MAX];
  vt_rand_vals(a, f.slots);
  vt_rand_vals(b, f.slots);
  veil_ckks_ct ca = {0}, cb = {0}, sq = {0}, o = {0};
  VT_OK(vt_enc(&f, a, &ca));
  VT_OK(vt_enc(&f, b, &cb));
  VT_OK(veil_ckks_mul(&f.ev, &sq, &ca, &ca)); /* scale 2^80, same level */
  VT_CHECK(veil_ckks_add(&f.ev, &o, &cb, &sq) == VEIL_ERR_MISMATCH);
  VT_CHECK_MSG(strcmp(veil_error_detail(), "scale mismatch: 2^40.0 vs 2^80.0 in add") == 0, "%s",
               veil_error_detail());
  VT_OK(veil_ckks_rescale(&f.ev, &sq));
  VT_CHECK(veil_ckks_add(&f.ev, &o, &cb, &sq) == VEIL_ERR_MISMATCH);
  VT_CHECK(strstr(veil_error_detail(), "level mismatch: 3 vs 2 in add") != NULL);
  /* explicit alignment: cb drops to level 2 and is brought to sq's scale */
  VT_OK(veil_ckks_align(&f.ev, &cb, &sq));
  VT_OK(veil_ckks_add(&f.ev, &o, &cb, &sq));
  for (size_t i = 0; i < f.slots; i++)
    r[i] = b[i] + a[i] * a[i];
  double e = vt_err(&f, &o, r);
  VT_CHECK_MSG(e < TOL_MUL, "aligned add error %g", e);
  VT_CHECK(veil_ckks_rescale(&f.ev, &(veil_ckks_ct){0}) == VEIL_ERR_INVALID_ARG);
  veil_rlwe_ct_free(&ca);
  veil_rlwe_ct_free(&cb);
  veil_rlwe_ct_free(&sq);
  veil_rlwe_ct_free(&o);
  vt_fix_free(&f);
}

static void rotate_ref(double complex *r, const double complex *a, size_t slots, int k) {
  for (size_t i = 0; i < slots; i++)
    r[i] = a[((int64_t)i + k % (int64_t)slots + (int64_t)slots) % (int64_t)slots];
}

static void test_rotations_conj_hoisted(void) {
  vt_fix f;
  int ns = (int)(sizeof steps / sizeof steps[0]);
  VT_OK(vt_fix_init(&f, 11, 4, 2, 2, steps, ns));
  static double complex a[SLOTS_MAX], r[SLOTS_MAX];
  vt_rand_vals(a, f.slots);
  veil_ckks_ct ca = {0}, o = {0}, h[16] = {{0}};
  VT_OK(vt_enc(&f, a, &ca));
  VT_OK(veil_ckks_mul_const(&f.ev, &ca, &ca, 1.0, 0)); /* exercise a lower level */
  VT_OK(veil_ckks_rescale(&f.ev, &ca));
  VT_OK(veil_ckks_rotate_hoisted(&f.ev, &ca, steps, ns, h));
  for (int t = 0; t < ns; t++) {
    VT_OK(veil_ckks_rotate(&f.ev, &o, &ca, steps[t]));
    rotate_ref(r, a, f.slots, steps[t]);
    double e = vt_err(&f, &o, r);
    VT_CHECK_MSG(e < TOL_FRESH * 4, "rotate %d: %g", steps[t], e);
    VT_CHECK_MSG(vt_err(&f, &h[t], r) < TOL_FRESH * 4, "hoisted %d", steps[t]);
    size_t words = (size_t)(o.level + 1) * f.ctx.rlwe.n * sizeof(uint64_t);
    VT_CHECK(memcmp(o.c[0].c, h[t].c[0].c, words) == 0 && memcmp(o.c[1].c, h[t].c[1].c, words) == 0);
  }
  VT_OK(veil_ckks_conjugate(&f.ev, &o, &ca));
  for (size_t i = 0; i < f.slots; i++)
    r[i] = conj(a[i]);
  VT_CHECK(vt_err(&f, &o, r) < TOL_FRESH * 4);
  /* in place rotation, then a missing key */
  VT_OK(veil_ckks_rotate(&f.ev, &o, &o, 1));
  static double complex rc[SLOTS_MAX];
  memcpy(rc, r, sizeof rc);
  rotate_ref(r, rc, f.slots, 1);
  VT_CHECK(vt_err(&f, &o, r) < TOL_FRESH * 8);
  VT_CHECK(veil_ckks_rotate(&f.ev, &o, &ca, 5) == VEIL_ERR_NOT_FOUND);
  /* rotate-and-sum over 64 slots */
  VT_OK(veil_ckks_rotate_sum(&f.ev, &ca, 64));
  for (size_t i = 0; i < f.slots; i++) {
    r[i] = 0;
    for (size_t j = 0; j < 64; j++)
      r[i] += a[(i + j) % f.slots];
  }
  double e = vt_err(&f, &ca, r);
  VT_CHECK_MSG(e < 64 * TOL_FRESH, "rotate_sum %g", e);
  for (int t = 0; t < 16; t++)
    veil_rlwe_ct_free(&h[t]);
  veil_rlwe_ct_free(&ca);
  veil_rlwe_ct_free(&o);
  vt_fix_free(&f);
}

/* Every rotation step of a logN 10 ring (512 slots), dnum 2. */
static void test_every_rotation(void) {
  static int all[511];
  for (int i = 0; i < 511; i++)
    all[i] = i + 1;
  vt_fix f;
  VT_OK(vt_fix_init(&f, 10, 2, 1, 2, all, 511));
  static double complex a[512], r[512];
  vt_rand_vals(a, f.slots);
  veil_ckks_ct ca = {0}, o = {0};
  VT_OK(vt_enc(&f, a, &ca));
  double worst = 0;
  for (int k = 1; k < 512; k++) {
    VT_OK(veil_ckks_rotate(&f.ev, &o, &ca, k));
    rotate_ref(r, a, f.slots, k);
    worst = fmax(worst, vt_err(&f, &o, r));
  }
  VT_CHECK_MSG(worst < TOL_FRESH * 4, "worst rotation error %g", worst);
  veil_rlwe_ct_free(&ca);
  veil_rlwe_ct_free(&o);
  vt_fix_free(&f);
}

/* logN 12 takes the OpenMP limb-parallel paths (N >= 4096): mul, rescale and rotation there. */
static void test_parallel_paths(void) {
  int one = 1;
  vt_fix f;
  VT_OK(vt_fix_init(&f, 12, 3, 2, 2, &one, 1));
  static double complex a[2048], b[2048], r[2048];
  vt_rand_vals(a, f.slots);
  vt_rand_vals(b, f.slots);
  veil_ckks_ct ca = {0}, cb = {0}, o = {0};
  VT_OK(vt_enc(&f, a, &ca));
  VT_OK(vt_enc(&f, b, &cb));
  VT_OK(veil_ckks_mul(&f.ev, &o, &ca, &cb));
  VT_OK(veil_ckks_rescale(&f.ev, &o));
  VT_OK(veil_ckks_rotate(&f.ev, &o, &o, 1));
  for (size_t i = 0; i < f.slots; i++)
    r[i] = a[(i + 1) % f.slots] * b[(i + 1) % f.slots];
  double e = vt_err(&f, &o, r);
  VT_CHECK_MSG(e < TOL_MUL, "logN 12 mul+rescale+rotate error %g", e);
  veil_rlwe_ct_free(&ca);
  veil_rlwe_ct_free(&cb);
  veil_rlwe_ct_free(&o);
  vt_fix_free(&f);
}

int main(void) {
  VT_RUN(test_add_sub_neg_const);
  VT_RUN(test_mul_rescale_dnum);
  VT_RUN(test_mul_pt_const_i_monomial);
  VT_RUN(test_lazy_rescale);
  VT_RUN(test_mismatch_and_align);
  VT_RUN(test_rotations_conj_hoisted);
  VT_RUN(test_every_rotation);
  VT_RUN(test_parallel_paths);
  VT_DONE();
}
