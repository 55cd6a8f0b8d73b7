/* `veil bench client-aided`: the CIFAR-10 ResNet-20 in client-aided mode (ReLUs evaluated by the
 * client) through a real `veil serve` and client on loopback, against the plain float64 classes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"
#include "cli_data.h"
#include "veil/client.h"
#include "veil/data.h"
#include "veil/he.h"
#include "veil/onnx.h"
#include "veil/service.h"

typedef struct ca_inputs {
  char model[4096], prep[4096], data[4096];
  veil_graph g;
  veil_prep pp;
  double *x;
  int64_t n, nin;
  int *plain; /**< plain classes */
} ca_inputs;

typedef struct ca_result {
  int64_t agree;
  int rounds;
  double seconds;
  uint64_t bytes;
} ca_result;

static int argmax(const double *v, int64_t n) {
  int b = 0;
  for (int i = 1; i < n; i++) b = v[i] > v[b] ? i : b;
  return b;
}

static bool find(const veil_cli_args *a, const char *flag, const char *sub, char *buf, size_t len) {
  const char *v = veil_cli_get(a, flag);
  if (v) return snprintf(buf, len, "%s", v), true;
  return veil__cli_find_shipped(sub, buf, len);
}

/* Model, preprocessing, images and their plain classes (float64 executor). */
static veil_status inputs_load(const veil_cli_args *a, int64_t count, ca_inputs *in) {
  if (!find(a, "model", "../shared/data/models/resnet20_cifar10.onnx", in->model, sizeof in->model) ||
      !find(a, "prep", "models/resnet20_cifar10.prep", in->prep, sizeof in->prep) ||
      !find(a, "data-dir", "../shared/data/cifar10", in->data, sizeof in->data))
    return veil_fail(VEIL_ERR_NOT_FOUND, "client-aided bench: model, .prep or CIFAR-10 directory not found (--model, --prep, --data-dir)");
  veil_dataset ds = {0};
  veil_tensor t = {0};
  VEIL_TRY(veil_onnx_load(in->model, &in->g));
  veil_status st = veil_graph_optimize(&in->g, NULL);
  if (!st) st = veil_prep_load(in->prep, &in->pp);
  if (!st) st = veil_cifar10_load_dir(in->data, count, &ds);
  if (!st) st = veil_prep_apply(&in->pp, &ds.images, 0, ds.count, &t);
  in->n = st ? 0 : ds.count;
  in->nin = st ? 0 : veil_tensor_numel(&t) / (ds.count ? ds.count : 1);
  int64_t nout = veil_graph_node_numel(&in->g, in->g.output);
  in->x = st ? NULL : malloc((size_t)(in->n * in->nin) * sizeof *in->x);
  double *y = st ? NULL : malloc((size_t)(in->n * nout) * sizeof *y);
  in->plain = st ? NULL : malloc((size_t)in->n * sizeof *in->plain);
  if (!st && (!in->x || !y || !in->plain)) st = veil_fail(VEIL_ERR_NOMEM, "client-aided bench: inputs");
  for (int64_t i = 0; !st && i < in->n * in->nin; i++) in->x[i] = t.data[i];
  if (!st) st = veil_graph_run_f64(&in->g, in->x, in->n, y);
  for (int64_t i = 0; !st && i < in->n; i++) in->plain[i] = argmax(y + i * nout, nout);
  free(y);
  veil_tensor_free(&t);
  veil_dataset_free(&ds);
  return st;
}

static void inputs_free(ca_inputs *in) {
  veil_graph_free(&in->g);
  free(in->x), free(in->plain);
}

/* In one process (no HTTP): compile, keys, rounds. For profiling the HE part alone. */
static veil_status run_in_process(const ca_inputs *in, ca_result *r) {
  veil_he_plan p;
  veil_he_opts o = {.client_aided = true};
  VEIL_TRY(veil_he_plan_compile(&in->g, &o, &p));
  int64_t nc = in->n < 64 ? in->n : 64, nout = p.values[p.output].count;
  veil_he_client cl;
  veil_he_server sv;
  veil_status st = veil_he_plan_choose(&p, &o, in->x, nc);
  if (!st) veil_he_plan_print(&p, stderr);
  double *y = malloc((size_t)(in->n * nout) * sizeof *y);
  if (!st && !y) st = veil_fail(VEIL_ERR_NOMEM, "client-aided bench: outputs");
  if (!st) st = veil_he_keygen(&p, &cl, &sv);
  uint64_t t0 = veil_now_ns();
  if (!st) st = veil_he_aided_run(&p, &cl, &sv, in->x, in->n, y, &r->rounds);
  r->seconds = (double)(veil_now_ns() - t0) * 1e-9;
  for (int64_t i = 0; !st && i < in->n; i++) r->agree += argmax(y + i * nout, nout) == in->plain[i];
  if (!st) veil_he_client_free(&cl), veil_he_server_free(&sv);
  free(y);
  veil_he_plan_free(&p);
  return st;
}

/* A temporary directory with MODEL.onnx and .prep linked in, for `veil serve`-style loading. */
static veil_status make_dirs(const ca_inputs *in, char *root, size_t cap) {
  snprintf(root, cap, "/tmp/veil-bench-aided-XXXXXX");
  if (!mkdtemp(root)) return veil_fail(VEIL_ERR_IO, "cannot create a temporary directory");
  char a[4200], b[4200], c[4200];
  snprintf(a, sizeof a, "%s/models", root), snprintf(b, sizeof b, "%s/models/resnet20_cifar10.onnx", root);
  snprintf(c, sizeof c, "%s/models/resnet20_cifar10.prep", root);
  if (mkdir(a, 0700) || symlink(in->model, b) || symlink(in->prep, c))
    return veil_fail(VEIL_ERR_IO, "cannot prepare %s", root);
  snprintf(a, sizeof a, "%s/keys", root);
  return mkdir(a, 0700) ? veil_fail(VEIL_ERR_IO, "cannot create %s", a) : VEIL_OK;
}

/* The classes through a real server on 127.0.0.1 (ephemeral port) and the client library. */
static veil_status run_http(const ca_inputs *in, const char *root, ca_result *r) {
  char models[4200], state[4200], keys[4200], url[64], data_parent[4200];
  snprintf(models, sizeof models, "%s/models", root), snprintf(state, sizeof state, "%s/state", root);
  snprintf(keys, sizeof keys, "%s/keys", root);
  snprintf(data_parent, sizeof data_parent, "%s/..", in->data); /* calibration: <data-dir>/../cifar10 */
  veil_service_he_opts ho = {.data_dir = data_parent, .calib_count = 64};
  veil_service_engine eng;
  VEIL_TRY(veil_service_engine_he(&ho, &eng));
  veil_service_opts o;
  veil_service_opts_default(&o);
  o.models_dir = models, o.state_dir = state, o.listen = "127.0.0.1:0", o.engine = &eng;
  o.limits.max_body_bytes = 64ull << 30, o.limits.request_timeout_s = 3600, o.limits.session_timeout_s = 3600;
  veil_service *srv = NULL;
  veil_client *c = NULL;
  veil_client_session *s = NULL;
  int64_t nout = veil_graph_node_numel(&in->g, in->g.output);
  double *y = malloc((size_t)(in->n * nout) * sizeof *y);
  veil_status st = y ? veil_service_start(&o, &srv) : veil_fail(VEIL_ERR_NOMEM, "client-aided bench: outputs");
  if (!st) snprintf(url, sizeof url, "http://127.0.0.1:%u", veil_service_port(srv)), st = veil_client_init(url, &c);
  if (!st) veil_client_set_timeout(c, 3600), st = veil_client_session_open(c, "resnet20_cifar10", keys, &s);
  uint64_t t0 = veil_now_ns();
  if (!st) st = veil_client_session_run(s, in->x, in->n, y);
  r->seconds = (double)(veil_now_ns() - t0) * 1e-9;
  if (!st) veil_client_session_traffic(s, &r->rounds, &r->bytes);
  for (int64_t i = 0; !st && i < in->n; i++) r->agree += argmax(y + i * nout, nout) == in->plain[i];
  veil_client_session_free(s);
  veil_client_free(c);
  veil_service_stop(srv);
  veil_service_engine_he_free(&eng);
  free(y);
  return st;
}

static veil_status veil_bench_client_aided_http(const ca_inputs *in, ca_result *r) {
  char root[256], cmd[300];
  VEIL_TRY(make_dirs(in, root, sizeof root));
  veil_status st = run_http(in, root, r);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
  if (system(cmd) != 0) veil_log(VEIL_LOG_WARN, "could not remove %s", root);
  return st;
}

static double peak_rss_mb(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return (double)u.ru_maxrss / 1024.0;
}

int veil_bench_client_aided(veil_cli_args *a, const veil_bench_cfg *cfg) {
  int64_t count = 1000;
  if (!veil_cli_int(a, "count", 1, 1 << 20, &count)) return 2;
  ca_inputs in = {0};
  ca_result r = {0};
  veil_status st = inputs_load(a, count, &in);
  if (!st) st = veil_cli_has(a, "in-process") ? run_in_process(&in, &r) : veil_bench_client_aided_http(&in, &r);
  if (st) {
    inputs_free(&in);
    return veil_cli_fail(a, st);
  }
  veil_json j;
  veil_json_begin(&j, stdout);
  veil_json_str(&j, "model", "resnet20_cifar10");
  veil_json_int(&j, "count", in.n), veil_json_num(&j, "agree", (double)r.agree / (double)in.n);
  veil_json_num(&j, "amortized_ms", r.seconds * 1e3 / (double)in.n);
  veil_json_num(&j, "bytes_per_image", (double)r.bytes / (double)in.n), veil_json_int(&j, "rounds", r.rounds);
  veil_json_num(&j, "seconds", r.seconds), veil_json_int(&j, "threads", cfg->threads);
  veil_json_num(&j, "peak_rss_mb", peak_rss_mb());
  veil_json_end(&j);
  inputs_free(&in);
  return 0;
}
