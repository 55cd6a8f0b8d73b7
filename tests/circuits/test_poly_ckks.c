/* Polynomial evaluation and composite ReLU on CKKS ciphertexts (insecure logN 10 test ring):
 * decrypted results against float64 evaluation, depth consumed == ceil(log2(d + 1)), output
 * scale == target exactly. */
#include "ckks/eval_test_util.h"
#include "veil/poly.h"

/* Encrypts real values x (all slots) at the top level and scale @p scale. */
static veil_status enc_real(vt_fix *f, const double *x, double scale, veil_ckks_ct *ct) {
  veil_ckks_pt pt;
  VEIL_TRY(veil_ckks_pt_encode_real(&f->ctx, x, f->slots, f->ctx.rlwe.nq - 1, scale, &pt));
  veil_status st = veil_rlwe_encrypt_sk(&f->ctx.rlwe, &f->sk, &pt, ct);
  veil_rlwe_pt_free(&pt);
  return st;
}

static void test_poly_degrees(void) {
  vt_fix f;
  VT_OK(vt_fix_init(&f, 10, 8, 1, 8, NULL, 0));
  veil_poly_ops ops;
  veil_poly_ops_ckks(&ops, &f.ev);
  int degs[] = {1, 3, 8, 15, 27, 40, 63};
  double *x = malloc(f.slots * sizeof *x);
  double complex *ref = malloc(f.slots * sizeof *ref);
  for (int di = 0; di < 7; di++) {
    int d = degs[di];
    veil_cheb p;
    VT_OK(veil_cheb_init(&p, -1, 1, d));
    double mass = 0;
    for (int k = 0; k <= d; k++)
      mass += fabs(p.c[k] = sin(3.0 * k + 1) / (1 + k));
    for (size_t i = 0; i < f.slots; i++) {
      x[i] = 2.0 * (double)vt_rand64() / 18446744073709551616.0 - 1.0;
      ref[i] = veil_cheb_eval(&p, x[i]);
    }
    veil_poly_plan plan;
    VT_OK(veil_poly_plan_init(&plan, &p));
    veil_ckks_ct in = {0}, out = {0};
    VT_OK(enc_real(&f, x, f.ctx.scale, &in));
    double target = f.ctx.scale * 0.75;
    VT_OK(veil_poly_eval(&plan, &ops, &in, target, &out));
    VT_CHECK_MSG(out.level == in.level - veil_approx_poly_depth(d), "degree %d: level %d", d, out.level);
    VT_CHECK_MSG(out.scale == target, "degree %d", d);
    double err = vt_err(&f, &out, ref);
    /* CKKS noise at logN 10, scale 2^40: about 2^-30 per operation, times the coefficient mass */
    VT_CHECK_MSG(err < 1e-6 * mass, "degree %d: error %g (mass %g)", d, err, mass);
    veil_rlwe_ct_free(&in);
    veil_rlwe_ct_free(&out);
    veil_poly_plan_free(&plan);
    veil_cheb_free(&p);
  }
  free(x);
  free(ref);
  vt_fix_free(&f);
}

static void test_relu_encrypted(void) {
  int deg[] = {7, 15};
  veil_approx_opts o = {.eps = 0.05};
  veil_approx ap;
  VT_OK(veil_approx_build(&ap, VEIL_APPROX_RELU, -1, 1, deg, 2, &o));
  veil_approx_plan plan;
  VT_OK(veil_approx_plan_init(&plan, &ap));
  VT_CHECK(plan.depth == 3 + 4 + 1);
  vt_fix f;
  VT_OK(vt_fix_init(&f, 10, 9, 1, 9, NULL, 0));
  veil_poly_ops ops;
  veil_poly_ops_ckks(&ops, &f.ev);
  double *x = malloc(f.slots * sizeof *x);
  double complex *ref = malloc(f.slots * sizeof *ref);
  double approx_err = 0;
  for (size_t i = 0; i < f.slots; i++) {
    x[i] = 2.0 * (double)vt_rand64() / 18446744073709551616.0 - 1.0;
    ref[i] = veil_approx_eval(&ap, x[i]);
    approx_err = fmax(approx_err, fabs(creal(ref[i]) - (x[i] > 0 ? x[i] : 0)));
  }
  veil_ckks_ct in = {0}, out = {0};
  VT_OK(enc_real(&f, x, f.ctx.scale, &in));
  VT_OK(veil_approx_plan_eval(&plan, &ops, &in, f.ctx.scale, &out));
  VT_CHECK(out.level == in.level - 8 && out.scale == f.ctx.scale);
  /* against the float64 composite, then against the exact relu */
  double err = vt_err(&f, &out, ref);
  VT_CHECK_MSG(err < 1e-6, "encrypted vs float64 composite: %g", err);
  for (size_t i = 0; i < f.slots; i++)
    ref[i] = x[i] > 0 ? x[i] : 0;
  VT_CHECK(vt_err(&f, &out, ref) <= approx_err + 1e-6);
  veil_rlwe_ct_free(&in);
  veil_rlwe_ct_free(&out);
  free(x);
  free(ref);
  vt_fix_free(&f);
  veil_approx_plan_free(&plan);
  veil_approx_free(&ap);
}

int main(void) {
  VT_RUN(test_poly_degrees);
  VT_RUN(test_relu_encrypted);
  VT_DONE();
}
