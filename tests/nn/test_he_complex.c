/* Complex packing (two images per slot, real and imaginary parts; nGraph-HE2) on an activation-free
 * model: the plan must choose it, and an encrypted run over more images than slots must match the
 * float64 executor image by image. */
#include <math.h>
#include <string.h>

#include "nn/he/he-impl.h"
#include "nntest.h"
#include "veil/model.h"
#include "vtest.h"

/* conv 3x3 stride 2 -> dense 4 -> dense 3: linear only (LoLa-Small shape in miniature). */
static veil_status linear_net(veil_graph *g) {
  veil_model m;
  float cw[2 * 9], cb[2], d1[4 * 18], b1[4], d2[3 * 4], b2[3];
  nt_fill(cw, 18, -0.5, 0.5), nt_fill(cb, 2, -0.2, 0.2), nt_fill(d1, 72, -0.3, 0.3), nt_fill(b1, 4, -0.1, 0.1);
  nt_fill(d2, 12, -0.5, 0.5), nt_fill(b2, 3, -0.1, 0.1);
  veil_status st = veil_model_init(&m, "lin", 1, 7, 7);
  if (!st) st = veil_model_conv2d(&m, 2, 3, 3, 2, 0, cw, cb);
  if (!st) st = veil_model_dense(&m, 4, d1, b1);
  if (!st) st = veil_model_dense(&m, 3, d2, b2);
  if (!st) veil_model_take(&m, g);
  veil_model_free(&m);
  return st;
}

static void test_complex_packing_encrypted(void) {
  veil_graph g;
  veil_he_plan p;
  veil_he_client cl;
  veil_he_server sv;
  VT_OK(linear_net(&g));
  VT_OK(veil_graph_optimize(&g, NULL));
  veil_he_opts o = {.logn = 10, .insecure_test_only = true};
  VT_OK(veil_he_plan_compile(&g, &o, &p));
  enum { NC = 32 };
  double calib[NC * 49];
  for (int i = 0; i < NC * 49; i++) calib[i] = nt_uniform(0, 1);
  VT_OK(veil_he_plan_choose(&p, &o, calib, NC));
  VT_CHECK_MSG(p.complex_packing, "linear model should use complex packing: %s", p.complex_why);
  int64_t batch = veil_he_plan_batch(&p);
  VT_CHECK(batch == 2 * (int64_t)p.params.max_slots);
  int64_t n = batch - 3; /* odd count: the last slot carries a real part only */
  double *x = malloc((size_t)n * 49 * sizeof *x), *y = malloc((size_t)n * 3 * sizeof *y);
  VT_REQUIRE(x && y);
  for (int64_t i = 0; i < n * 49; i++) x[i] = nt_uniform(0, 1);
  VT_OK(veil_he_keygen(&p, &cl, &sv));
  double *ref = nt_run(&g, x, (int)n);
  VT_REQUIRE(ref);
  veil_he_tensor in, out;
  VT_OK(veil_he_encrypt(&p, &cl, x, n, &in));
  VT_CHECK(in.complex_packing);
  VT_OK(veil_he_infer(&p, &sv, &in, &out));
  VT_OK(veil_he_decrypt(&p, &cl, &out, y));
  double err = 0;
  for (int64_t i = 0; i < n * 3; i++) err = fmax(err, fabs(y[i] - ref[i]));
  VT_CHECK_MSG(err < 1.0 / 4096, "max error %g over %lld images", err, (long long)n);
  veil_he_tensor_free(&in), veil_he_tensor_free(&out);
  free(ref), free(x), free(y);
  veil_he_client_free(&cl), veil_he_server_free(&sv), veil_he_plan_free(&p), veil_graph_free(&g);
}

int main(void) {
  VT_RUN(test_complex_packing_encrypted);
  VT_DONE();
}
