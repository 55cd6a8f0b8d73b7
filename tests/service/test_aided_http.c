/* Client-aided sessions through a real server (libmicrohttpd on 127.0.0.1, ephemeral port) and the
 * client library, at the insecure N = 2^10 test parameters: a conv + ReLU + maxpool + dense model
 * saved as ONNX; classes equal the float64 executor's on the ONNX file read back; the first round's
 * values are masked; wrong round / unknown session / wrong token / too many sessions give JSON 4xx;
 * delete and the idle timeout remove the session and its directory. */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nn/he/he-impl.h"
#include "service/he-impl.h"
#include "veil/client.h"
#include "veil/model.h"
#include "veil/onnx.h"
#include "veil/service.h"
#include "vtest.h"

enum { H = 6, E1 = 2 * H * H, NCLS = 3, N = 24 };

static char g_root[256];

static char *path_in(const char *name) {
  static char buf[8][512];
  static int k;
  k = (k + 1) % 8;
  snprintf(buf[k], sizeof buf[k], "%s/%s", g_root, name);
  return buf[k];
}

static uint64_t g_rng = 0x2545f4914f6cdd1dull;
static double uniform(double lo, double hi) {
  g_rng ^= g_rng << 13, g_rng ^= g_rng >> 7, g_rng ^= g_rng << 17;
  return lo + (hi - lo) * (double)(g_rng >> 11) * 0x1p-53;
}

static void fill(float *v, int n, double a) {
  for (int i = 0; i < n; i++) v[i] = (float)uniform(-a, a);
}

/* conv3x3(2, pad 1) relu maxpool2 dense(3), written as ONNX. */
static void write_model(const char *path) {
  veil_model m;
  float w[2 * 9], b[2], d[NCLS * 2 * 9], db[NCLS];
  fill(w, 18, 0.7), fill(b, 2, 0.2), fill(d, NCLS * 18, 0.5), fill(db, NCLS, 0.1);
  VEIL_ASSERT(veil_model_init(&m, "tiny", 1, H, H) == VEIL_OK);
  VEIL_ASSERT(veil_model_conv2d(&m, 2, 3, 3, 1, 1, w, b) == VEIL_OK);
  VEIL_ASSERT(veil_model_relu(&m) == VEIL_OK);
  VEIL_ASSERT(veil_model_maxpool(&m, 2, 2, 0) == VEIL_OK);
  VEIL_ASSERT(veil_model_dense(&m, NCLS, d, db) == VEIL_OK);
  veil_graph g;
  veil_model_take(&m, &g);
  VEIL_ASSERT(veil_onnx_save(&g, path) == VEIL_OK);
  veil_model_free(&m);
  veil_graph_free(&g);
}

static int count_session_dirs(void) {
  DIR *d = opendir(path_in("state/tmp"));
  int n = 0;
  for (struct dirent *e; d && (e = readdir(d));) n += strncmp(e->d_name, "sess-", 5) == 0;
  if (d) closedir(d);
  return n;
}

static int argmax(const double *v, int n) {
  int b = 0;
  for (int i = 1; i < n; i++) b = v[i] > v[b] ? i : b;
  return b;
}

typedef struct world {
  veil_service_engine eng;
  veil_service *srv;
  veil_client *c;
  veil_client_session *sess;
  double x[N * H * H];
} world;

static void world_up(world *w) {
  snprintf(g_root, sizeof g_root, "/tmp/veil-test-aided-XXXXXX");
  VEIL_ASSERT(mkdtemp(g_root));
  mkdir(path_in("models"), 0700);
  write_model(path_in("models/tiny.onnx"));
  veil_service_he_opts ho = {.insecure_test_params = true, .precision_bits = 6};
  VEIL_ASSERT(veil_service_engine_he(&ho, &w->eng) == VEIL_OK);
  veil_service_opts o;
  veil_service_opts_default(&o);
  static char models[512], state[512];
  snprintf(models, sizeof models, "%s", path_in("models"));
  snprintf(state, sizeof state, "%s", path_in("state"));
  o.models_dir = models, o.state_dir = state, o.listen = "127.0.0.1:0", o.engine = &w->eng;
  o.limits.workers = 2, o.limits.session_timeout_s = 1, o.limits.max_sessions_per_client = 2;
  VEIL_ASSERT(veil_service_start(&o, &w->srv) == VEIL_OK);
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%u", veil_service_port(w->srv));
  VEIL_ASSERT(veil_client_init(url, &w->c) == VEIL_OK);
  veil_client_set_timeout(w->c, 60);
  mkdir(path_in("keys"), 0700);
  VEIL_ASSERT(veil_client_session_open(w->c, "tiny", path_in("keys"), &w->sess) == VEIL_OK);
  for (int i = 0; i < N * H * H; i++) w->x[i] = uniform(-1, 1);
}

static void world_down(world *w) {
  veil_client_session_free(w->sess);
  veil_client_free(w->c);
  veil_service_stop(w->srv);
  veil_service_engine_he_free(&w->eng);
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_root);
  VEIL_ASSERT(system(cmd) == 0);
}

/* Classes through the server equal the float64 executor's on the ONNX file read back. */
static void check_classes(world *w) {
  VT_CHECK(strcmp(veil_client_session_mode(w->sess), "client-aided") == 0);
  double y[N * NCLS], ref[N * NCLS];
  VT_OK(veil_client_session_run(w->sess, w->x, N, y));
  veil_graph g;
  VT_OK(veil_onnx_load(path_in("models/tiny.onnx"), &g));
  VT_OK(veil_graph_run_f64(&g, w->x, N, ref));
  veil_graph_free(&g);
  double err = 0;
  for (int i = 0; i < N * NCLS; i++) err = fmax(err, fabs(y[i] - ref[i]));
  for (int t = 0; t < N; t++) VT_CHECK_EQ_U64((uint64_t)argmax(y + t * NCLS, NCLS), (uint64_t)argmax(ref + t * NCLS, NCLS));
  VT_CHECK_MSG(err < 1e-2, "max error %g", err);
  int rounds;
  uint64_t bytes;
  veil_client_session_traffic(w->sess, &rounds, &bytes);
  VT_CHECK_EQ_U64((uint64_t)rounds, 2);
  VT_CHECK(bytes > 0);
  VT_CHECK_EQ_U64((uint64_t)count_session_dirs(), 0); /* finished sessions leave nothing behind */
}

/* Key set and secret key as the session stored them in the keys directory. */
static void load_client(world *w, veil_he_plan *p, veil_he_client *cl, veil_client_keyset *ks) {
  veil_wbuf b;
  char *prep = NULL, url[512];
  VT_OK(veil_client_get(w->c, "/v1/models/tiny/plan", &b));
  VT_OK(veil__plan_public_load(b.data, b.len, p, &prep));
  veil_wbuf_free(&b), veil_free(prep);
  veil_ckks_params_lit lit;
  int nbase;
  uint8_t fp[32];
  VT_OK(veil_he_client_load(path_in("keys/secret.key"), &lit, &nbase, fp, cl));
  FILE *f = fopen(path_in("keys/keyset-tiny"), "r");
  VT_REQUIRE(f && fscanf(f, "%511s %32s %64s", url, ks->id, ks->token) == 3);
  fclose(f);
}

static int cmp_d(const void *a, const void *b) {
  double u = *(const double *)a, v = *(const double *)b;
  return (u > v) - (u < v);
}

/* Round 0 carries the convolution outputs masked: as a multiset per image they differ from the plain
 * values (the float64 executor's conv node), while the signs are kept. */
static void check_masked(world *w, const veil_he_plan *p, const veil_he_client *cl, const char *round0) {
  veil_he_tensor t;
  VT_OK(veil_he_tensor_load(round0, &cl->ctx, cl->key_id, &t));
  VT_REQUIRE(t.count == E1 && t.n_images == 4);
  double sent[4 * E1], plain[4 * E1];
  VT_OK(veil__he_decrypt_count(p, cl, &t, sent));
  veil_he_tensor_free(&t);
  veil_graph g;
  VT_OK(veil_onnx_load(path_in("models/tiny.onnx"), &g));
  g.output = 1; /* the convolution */
  VT_OK(veil_graph_run_f64(&g, w->x, 4, plain));
  veil_graph_free(&g);
  int differ = 0;
  for (int i = 0; i < 4; i++) {
    int ps = 0, pp = 0, near0 = 0;
    for (int j = 0; j < E1; j++) ps += sent[i * E1 + j] > 0, pp += plain[i * E1 + j] > 0, near0 += fabs(plain[i * E1 + j]) < 1e-3;
    VT_CHECK(abs(ps - pp) <= near0);
    qsort(sent + i * E1, E1, sizeof(double), cmp_d), qsort(plain + i * E1, E1, sizeof(double), cmp_d);
    for (int j = 0; j < E1; j++) differ += fabs(sent[i * E1 + j] - plain[i * E1 + j]) > 1e-2;
  }
  VT_CHECK_MSG(differ > 2 * E1, "only %d of %d values masked", differ, 4 * E1);
}

static void check_protocol(world *w) {
  veil_he_plan p;
  veil_he_client cl;
  veil_client_keyset ks, bad;
  load_client(w, &p, &cl, &ks);
  veil_he_tensor in;
  VT_OK(veil_he_encrypt(&p, &cl, w->x, 4, &in));
  VT_OK(veil_he_tensor_save(path_in("in.ct"), &cl.ctx, &in));
  veil_he_tensor_free(&in);
  veil_client_round k, k2, k3;
  VT_OK(veil_client_aided_start(w->c, "tiny", &ks, path_in("in.ct"), path_in("r0.ct"), &k));
  VT_CHECK(!k.done && k.round == 0 && k.group == 1 && k.outputs == E1 && !strcmp(k.act, "relu"));
  check_masked(w, &p, &cl, path_in("r0.ct"));
  /* wrong round number: 409 wrong_round (the session stays usable) */
  VT_CHECK(veil_client_aided_round(w->c, &ks, k.session, 3, path_in("in.ct"), path_in("x.ct"), &k2) == VEIL_ERR_MISMATCH);
  VT_CHECK(veil_client_http_status(w->c) == 409 && strstr(veil_error_detail(), "wrong_round"));
  /* wrong token: 403; unknown session: 404 */
  bad = ks, bad.token[0] = bad.token[0] == 'a' ? 'b' : 'a';
  VT_CHECK(veil_client_aided_round(w->c, &bad, k.session, 0, path_in("in.ct"), path_in("x.ct"), &k2) == VEIL_ERR_INVALID_ARG);
  VT_CHECK(veil_client_http_status(w->c) == 403 && strstr(veil_error_detail(), "forbidden"));
  VT_CHECK(veil_client_aided_round(w->c, &ks, "00112233445566778899aabbccddeeff", 0, path_in("in.ct"), path_in("x.ct"), &k2) ==
           VEIL_ERR_NOT_FOUND);
  VT_CHECK(veil_client_http_status(w->c) == 404 && strstr(veil_error_detail(), "not_found"));
  /* a ciphertext file of the wrong size for the round: 422, session kept */
  VT_CHECK(veil_client_aided_round(w->c, &ks, k.session, 0, path_in("in.ct"), path_in("x.ct"), &k2) == VEIL_ERR_MISMATCH);
  VT_CHECK(veil_client_http_status(w->c) == 422);
  /* a second session, then a third over the per-client limit of 2: 429 */
  VT_OK(veil_client_aided_start(w->c, "tiny", &ks, path_in("in.ct"), path_in("s2.ct"), &k2));
  VT_CHECK(veil_client_aided_start(w->c, "tiny", &ks, path_in("in.ct"), path_in("s3.ct"), &k3) == VEIL_ERR_LIMIT);
  VT_CHECK(veil_client_http_status(w->c) == 429 && strstr(veil_error_detail(), "too_many_sessions"));
  VT_CHECK_EQ_U64((uint64_t)count_session_dirs(), 2);
  /* delete: gone at once with its directory */
  VT_OK(veil_client_aided_delete(w->c, &ks, k2.session));
  VT_CHECK_EQ_U64((uint64_t)count_session_dirs(), 1);
  VT_CHECK(veil_client_aided_round(w->c, &ks, k2.session, 0, path_in("in.ct"), path_in("x.ct"), &k3) == VEIL_ERR_NOT_FOUND);
  /* idle timeout (1 s; the reaper runs every second) */
  sleep(3);
  VT_CHECK_EQ_U64((uint64_t)count_session_dirs(), 0);
  VT_CHECK(veil_client_aided_round(w->c, &ks, k.session, 0, path_in("in.ct"), path_in("x.ct"), &k3) == VEIL_ERR_NOT_FOUND);
  veil_he_client_free(&cl);
  veil_he_plan_free(&p);
}

static void test_sessions(void) {
  world w = {0};
  world_up(&w);
  check_classes(&w);
  check_protocol(&w);
  world_down(&w);
}

int main(void) {
  VT_RUN(test_sessions);
  VT_DONE();
}
