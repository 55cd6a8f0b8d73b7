/* Client-aided inference (ReLU, Clip, MaxPool evaluated by the client) at a small insecure ring,
 * against the float64 executor; masks really applied (values sent differ from the plain ones, signs
 * kept); protocol misuse refused. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/he/he-impl.h"
#include "nntest.h"
#include "veil/model.h"
#include "vtest.h"

enum { C = 1, H = 8, NCLS = 4 };

/* conv3x3(3) relu maxpool2 | conv3x3(3) + skip, clip(0, 6), maxpool 3x3 s1 p1 (overlapping), dense(4). */
static veil_status net(veil_graph *g) {
  veil_model m;
  float w1[3 * C * 9], b1[3], w2[3 * 3 * 9], b2[3], d[NCLS * 48], db[NCLS];
  nt_fill(w1, 3 * C * 9, -0.6, 0.6), nt_fill(b1, 3, -0.2, 0.2), nt_fill(w2, 81, -0.4, 0.4), nt_fill(b2, 3, -0.2, 0.2);
  nt_fill(d, NCLS * 48, -0.5, 0.5), nt_fill(db, NCLS, -0.1, 0.1);
  veil_status st = veil_model_init(&m, "aided", C, H, H);
  if (!st) st = veil_model_conv2d(&m, 3, 3, 3, 1, 1, w1, b1);
  if (!st) st = veil_model_relu(&m);
  if (!st) st = veil_model_maxpool(&m, 2, 2, 0);
  int skip = veil_model_last(&m);
  if (!st) st = veil_model_conv2d(&m, 3, 3, 3, 1, 1, w2, b2);
  if (!st) st = veil_model_add(&m, skip, veil_model_last(&m));
  if (!st) st = veil_model_clip(&m, 0, 6);
  if (!st) st = veil_model_maxpool(&m, 3, 1, 1);
  if (!st) st = veil_model_dense(&m, NCLS, d, db);
  if (!st) veil_model_take(&m, g);
  veil_model_free(&m);
  return st;
}

typedef struct fixture {
  veil_graph g;
  veil_he_plan p;
  veil_he_client cl;
  veil_he_server sv;
} fixture;

static veil_status setup(fixture *f, const double *calib, int n) {
  VEIL_TRY(net(&f->g));
  VEIL_TRY(veil_graph_optimize(&f->g, NULL));
  veil_he_opts o = {.logn = 10, .insecure_test_only = true, .client_aided = true};
  VEIL_TRY(veil_he_plan_compile(&f->g, &o, &f->p));
  VEIL_TRY(veil_he_plan_choose(&f->p, &o, calib, n));
  return veil_he_keygen(&f->p, &f->cl, &f->sv);
}

static void teardown(fixture *f) {
  veil_he_client_free(&f->cl), veil_he_server_free(&f->sv), veil_he_plan_free(&f->p), veil_graph_free(&f->g);
}

static int argmax(const double *v, int n) {
  int b = 0;
  for (int i = 1; i < n; i++) b = v[i] > v[b] ? i : b;
  return b;
}

static void images(double *x, int n) {
  for (int i = 0; i < n * C * H * H; i++) x[i] = nt_uniform(-1, 1);
}

/* The compiled plan: 4 rounds (relu, maxpool, clip, maxpool), no evaluation keys, real packing. */
static void test_plan_shape(void) {
  double x[8 * 64];
  images(x, 8);
  fixture f;
  VT_OK(setup(&f, x, 8));
  VT_CHECK_EQ_U64((uint64_t)(f.p.nrounds), (uint64_t)(4));
  VT_CHECK(!f.p.needs_relin);
  VT_CHECK(!f.p.complex_packing);
  VT_CHECK_EQ_U64((uint64_t)(f.p.depth), (uint64_t)(1));
  int clients = 0;
  for (int i = 0; i < f.p.nsteps; i++) clients += f.p.steps[i].kind == VEIL_HE_CLIENT;
  VT_CHECK_EQ_U64((uint64_t)(clients), (uint64_t)(4));
  /* the float64 simulation of the plan equals the graph executor (independent code path) */
  double y[8 * NCLS], *ref = nt_run(&f.g, x, 8);
  VT_REQUIRE(ref);
  VT_OK(veil_he_plan_simulate(&f.p, x, 8, y, NULL));
  VT_CHECK(nt_max_rel(y, ref, 8 * NCLS) < 1e-9);
  free(ref);
  teardown(&f);
}

static void test_encrypted_matches_plain(void) {
  enum { N = 48 };
  double x[N * 64], y[N * NCLS];
  images(x, N);
  fixture f;
  VT_OK(setup(&f, x, N));
  double *ref = nt_run(&f.g, x, N);
  VT_REQUIRE(ref);
  int rounds = 0;
  VT_OK(veil_he_aided_run(&f.p, &f.cl, &f.sv, x, N, y, &rounds));
  VT_CHECK_EQ_U64((uint64_t)(rounds), (uint64_t)(4));
  double err = 0;
  int agree = 0;
  for (int i = 0; i < N * NCLS; i++) err = fmax(err, fabs(y[i] - ref[i]));
  for (int t = 0; t < N; t++) agree += argmax(y + t * NCLS, NCLS) == argmax(ref + t * NCLS, NCLS);
  VT_CHECK_MSG(err < 1e-2, "max error %g", err);
  VT_CHECK_EQ_U64((uint64_t)(agree), (uint64_t)(N));
  free(ref);
  teardown(&f);
}

static int cmp_d(const void *a, const void *b) {
  double u = *(const double *)a, v = *(const double *)b;
  return (u > v) - (u < v);
}

/* Round 0 sends the first convolution's outputs: per image the sent values are a positive rescaling
 * and permutation of the plain ones (same number of positives), but not the plain values. */
static void test_mask_applied(void) {
  enum { N = 6, E = 3 * 64 };
  double x[N * 64];
  images(x, N);
  fixture f;
  VT_OK(setup(&f, x, N));
  /* plain pre-activations: the first LINEAR step of the plan, in float64 */
  const veil_he_step *s0 = &f.p.steps[0];
  VT_REQUIRE(s0->kind == VEIL_HE_LINEAR && s0->lin.nout == E);
  double plain[N * E], sent[N * E];
  for (int t = 0; t < N; t++)
    for (int64_t j = 0; j < E; j++) {
      double v = s0->lin.b[j];
      for (int64_t k = s0->lin.row[j]; k < s0->lin.row[j + 1]; k++) v += s0->lin.w[k] * x[t * 64 + s0->lin.col[k]];
      plain[t * E + j] = v;
    }
  veil_he_tensor in, send, reply;
  veil_he_aided *a;
  VT_OK(veil_he_encrypt(&f.p, &f.cl, x, N, &in));
  VT_OK(veil_he_aided_start(&f.p, &f.sv, &in, &a));
  bool done = true;
  veil_he_aided_round req;
  VT_OK(veil_he_aided_step(a, &done, &send, &req));
  VT_CHECK(!done);
  VT_CHECK_EQ_U64((uint64_t)(req.round), (uint64_t)(0));
  VT_CHECK_EQ_U64((uint64_t)(req.act), (uint64_t)(VEIL_HE_ACT_RELU));
  VT_CHECK_EQ_U64((uint64_t)(req.group), (uint64_t)(1));
  VT_CHECK_EQ_U64((uint64_t)(veil_he_aided_pending(a)), (uint64_t)(0));
  VT_REQUIRE(send.count == E);
  VT_OK(veil__he_decrypt_count(&f.p, &f.cl, &send, sent));
  int differ = 0;
  for (int t = 0; t < N; t++) {
    int pos_plain = 0, pos_sent = 0, near0 = 0;
    for (int j = 0; j < E; j++)
      pos_plain += plain[t * E + j] > 0, pos_sent += sent[t * E + j] > 0, near0 += fabs(plain[t * E + j]) < 1e-3;
    VT_CHECK_MSG(abs(pos_plain - pos_sent) <= near0, "image %d: %d positive plain values, %d sent", t, pos_plain, pos_sent);
    qsort(plain + t * E, E, sizeof(double), cmp_d), qsort(sent + t * E, E, sizeof(double), cmp_d);
    for (int j = 0; j < E; j++) differ += fabs(plain[t * E + j] - sent[t * E + j]) > 1e-2;
  }
  VT_CHECK_MSG(differ > N * E / 2, "only %d of %d sorted values differ from the plain ones", differ, N * E);
  /* misuse: stepping while an answer is awaited, a wrong count, then answering twice */
  veil_he_tensor out;
  VT_CHECK(veil_he_aided_step(a, &done, &out, &req) == VEIL_ERR_INVALID_ARG);
  veil_he_aided_round bad = req;
  bad.nout = req.nout - 1;
  VT_CHECK(veil_he_aided_client_round(&f.p, &f.cl, &bad, &send, &reply) == VEIL_ERR_MISMATCH);
  VT_OK(veil_he_aided_client_round(&f.p, &f.cl, &req, &send, &reply));
  veil_he_tensor short_reply = reply;
  short_reply.count = reply.count - 1;
  VT_CHECK(veil_he_aided_answer(a, &short_reply) == VEIL_ERR_MISMATCH);
  VT_OK(veil_he_aided_answer(a, &reply));
  VT_CHECK(veil_he_aided_answer(a, &reply) == VEIL_ERR_INVALID_ARG);
  veil_he_tensor_free(&send), veil_he_tensor_free(&reply), veil_he_tensor_free(&in);
  veil_he_aided_free(a);
  teardown(&f);
}

static void test_refusals(void) {
  double x[2 * 64];
  images(x, 2);
  fixture f;
  VT_OK(setup(&f, x, 2));
  veil_he_tensor in;
  veil_he_aided *a = NULL;
  VT_OK(veil_he_encrypt(&f.p, &f.cl, x, 2, &in));
  /* fully encrypted inference of a client-aided plan is refused (no comparisons under CKKS) */
  fixture g;
  VT_OK(net(&g.g));
  VT_OK(veil_graph_optimize(&g.g, NULL));
  veil_he_opts o = {.logn = 10, .insecure_test_only = true};
  VT_CHECK(veil_he_plan_compile(&g.g, &o, &g.p) == VEIL_ERR_UNSUPPORTED);
  VT_CHECK(strstr(veil_error_detail(), "client-aided") != NULL);
  veil_graph_free(&g.g);
  /* an input at a lower level than fresh */
  in.ct[0].level = 0;
  VT_CHECK(veil_he_aided_start(&f.p, &f.sv, &in, &a) == VEIL_ERR_MISMATCH);
  in.ct[0].level = f.p.params.nq - 1;
  veil_he_tensor_free(&in);
  teardown(&f);
}

int main(void) {
  VT_RUN(test_plan_shape);
  VT_RUN(test_encrypted_matches_plain);
  VT_RUN(test_mask_applied);
  VT_RUN(test_refusals);
  VT_DONE();
}
