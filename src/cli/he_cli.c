/* Shared helpers of the encrypted-inference commands (see he_cli.h). */
#include <math.h>
#include <time.h>
#include <stdio.h>
#include <string.h>

#include "he_cli.h"
#include "veil/npy.h"
#include "veil/onnx.h"

int veil__he_model_load(const veil_cli_args *a, const char *path, bool prep, he_model *m) {
  memset(m, 0, sizeof *m);
  snprintf(m->path, sizeof m->path, "%s", path);
  int rc = veil__cli_load_model(a, path, &m->g);
  if (rc) return rc;
  veil_he_opts o = {0};
  veil_status st = veil_graph_clone(&m->opt, &m->g);
  if (!st) st = veil_graph_optimize(&m->opt, NULL);
  if (!st) st = veil_he_plan_compile(&m->opt, &o, &m->plan);
  if (st) return veil_graph_free(&m->g), veil_graph_free(&m->opt), veil_cli_fail(a, st);
  if (!prep) return veil_prep_default(&m->prep), 0;
  return veil__cli_prep(a, path, &m->prep, m->prep_src, sizeof m->prep_src);
}

void veil__he_model_free(he_model *m) {
  veil_he_plan_free(&m->plan);
  veil_graph_free(&m->opt);
  veil_graph_free(&m->g);
}

bool veil__he_opts(const veil_cli_args *a, veil_he_opts *o) {
  int64_t sec = 128, logn = 0, sb = 0, tl = 0;
  memset(o, 0, sizeof *o);
  if (!veil_cli_int(a, "test-insecure-logn", 10, 17, &tl) || !veil_cli_int(a, "security", 128, 256, &sec) || !veil_cli_int(a, "logn", 12, 17, &logn) ||
      !veil_cli_int(a, "scale-bits", 20, 30, &sb))
    return false;
  if (sec != 128 && sec != 192 && sec != 256) return veil_cli_usage_error(a, "--security must be 128, 192 or 256"), false;
  o->security = (int)sec, o->logn = (int)logn, o->log_scale = (int)sb;
  if (tl) o->logn = (int)tl, o->insecure_test_only = true;
  return true;
}

int veil__he_dataset(const veil_cli_args *a, const char *name, int64_t count, veil_dataset *ds) {
  char dir[4096];
  int rc = 0;
  if (strcmp(name, "mnist") && strcmp(name, "cifar10"))
    return veil_cli_usage_error(a, "unknown dataset '%s' (expected mnist or cifar10)", name);
  if (!veil__cli_data_dir(a, name, dir, sizeof dir, &rc)) return rc;
  veil_status st = !strcmp(name, "mnist") ? veil_mnist_load_dir(dir, "t10k", count, ds) : veil_cifar10_load_dir(dir, count, ds);
  return st ? veil_cli_fail(a, st) : 0;
}

veil_status veil__he_dataset_x(const he_model *m, const veil_dataset *ds, int64_t first, int64_t n, double *x) {
  veil_tensor t;
  VEIL_TRY(veil_prep_apply(&m->prep, &ds->images, first, n, &t));
  int64_t per = m->plan.values[m->plan.input].count, total = veil_tensor_numel(&t);
  veil_status st = total == n * per ? VEIL_OK
                                    : veil_fail(VEIL_ERR_MISMATCH, "preprocessed images have %lld values each, the model takes %lld",
                                                (long long)(total / n), (long long)per);
  for (int64_t i = 0; i < total && !st; i++) x[i] = t.data[i];
  veil_tensor_free(&t);
  return st;
}

/* Calibration images: the model's dataset (first --calib images), else the given inputs. */
static int calib_data(const veil_cli_args *a, he_model *m, const double *x, int64_t n, double **cx, int64_t *cn) {
  int64_t want = 1000;
  if (!veil_cli_int(a, "calib", 1, 60000, &want)) return 2;
  const char *name = veil_cli_has(a, "dataset") ? veil_cli_get(a, "dataset") : m->prep.dataset;
  *cx = NULL, *cn = 0;
  if (name && name[0]) {
    veil_dataset ds = {0};
    int rc = veil__he_dataset(a, name, want, &ds);
    if (rc) return rc;
    *cx = veil_malloc((size_t)(ds.count * m->plan.values[m->plan.input].count) * sizeof **cx);
    veil_status st = *cx ? veil__he_dataset_x(m, &ds, 0, ds.count, *cx) : veil_fail(VEIL_ERR_NOMEM, "calibration");
    *cn = ds.count;
    veil_dataset_free(&ds);
    return st ? veil_cli_fail(a, st) : 0;
  }
  if (!x) return veil_cli_usage_error(a, "no calibration data: the model's sidecar names no dataset; pass --dataset NAME");
  *cx = veil_malloc((size_t)(n * m->plan.values[m->plan.input].count) * sizeof **cx);
  if (!*cx) return veil_cli_fail(a, veil_fail(VEIL_ERR_NOMEM, "calibration"));
  memcpy(*cx, x, (size_t)(n * m->plan.values[m->plan.input].count) * sizeof **cx);
  return *cn = n, 0;
}

int veil__he_choose(const veil_cli_args *a, he_model *m, const double *x, int64_t n) {
  veil_he_opts o;
  int64_t batch = 0;
  if (!veil__he_opts(a, &o) || !veil_cli_int(a, "batch", 1, 1 << 16, &batch)) return 2;
  double *cx;
  int64_t cn;
  int rc = calib_data(a, m, x, n, &cx, &cn);
  if (rc) return rc;
  veil_status st;
  if (!batch) {
    st = veil_he_plan_choose(&m->plan, &o, cx, cn);
  } else { /* slots = N / 2: the smallest ring holding the batch, upwards */
    int logn = o.logn ? o.logn : 12;
    while ((1ll << (logn - 1)) < batch && logn < 17) logn++;
    for (st = VEIL_ERR_INSECURE; st && logn <= 17; logn++) {
      veil_he_opts t = o;
      t.logn = logn;
      st = veil_he_plan_choose(&m->plan, &t, cx, cn);
    }
  }
  veil_free(cx);
  return st ? veil_cli_fail(a, st) : 0;
}

int veil__he_inputs(const veil_cli_args *a, he_model *m, int64_t max, double **x, int64_t *n, uint8_t **labels) {
  const int64_t per = m->plan.values[m->plan.input].count;
  int64_t count = 0;
  if (!veil_cli_int(a, "count", 1, 1 << 20, &count)) return 2;
  if (labels) *labels = NULL;
  if (veil_cli_has(a, "input")) {
    veil_tensor t;
    veil_status st = veil_npy_load(veil_cli_get(a, "input"), &t);
    if (st) return veil_cli_fail(a, st);
    int64_t total = veil_tensor_numel(&t);
    if (total % per) {
      veil_tensor_free(&t);
      return veil_cli_fail(a, veil_fail(VEIL_ERR_MISMATCH, "%s holds %lld values, not a multiple of the model's %lld inputs",
                                        veil_cli_get(a, "input"), (long long)total, (long long)per));
    }
    *n = total / per;
    if (count && count < *n) *n = count;
    *x = veil_malloc((size_t)(*n * per) * sizeof **x);
    for (int64_t i = 0; *x && i < *n * per; i++) (*x)[i] = t.data[i];
    veil_tensor_free(&t);
  } else {
    const char *name = veil_cli_has(a, "dataset") ? veil_cli_get(a, "dataset") : NULL;
    if (!name) return veil_cli_usage_error(a, "give --input X.npy or --dataset NAME [--count N]");
    veil_dataset ds = {0};
    int rc = veil__he_dataset(a, name, count ? count : max, &ds);
    if (rc) return rc;
    *n = ds.count;
    *x = veil_malloc((size_t)(*n * per) * sizeof **x);
    veil_status st = *x ? veil__he_dataset_x(m, &ds, 0, *n, *x) : VEIL_OK;
    if (!st && labels && (*labels = veil_malloc((size_t)*n))) memcpy(*labels, ds.labels, (size_t)*n);
    veil_dataset_free(&ds);
    if (st) return veil_free(*x), veil_cli_fail(a, st);
  }
  if (!*x) return veil_cli_fail(a, veil_fail(VEIL_ERR_NOMEM, "inputs"));
  if (*n > max) *n = max;
  return 0;
}

void veil__he_report_plan(const veil_he_plan *p, FILE *out) {
  char buf[512];
  fprintf(out, "params: %s\n", veil_ckks_params_describe(&p->params, buf, sizeof buf));
  fprintf(out, "plan: depth %d, %d steps, batch %lld images, keys: %s\n", p->depth, p->nsteps, (long long)veil_he_plan_batch(p),
          p->needs_relin ? "relinearization" : "none");
  fprintf(out, "complex packing: %s\n", p->complex_why);
}

/* ---- veil eval --encrypted ------------------------------------------------------------------- */

typedef struct eval_acc {
  int64_t correct, plain_correct, disagree, count;
  double server_s, enc_s, dec_s;
} eval_acc;

static int64_t argmax_d(const double *v, int64_t k) {
  int64_t b = 0;
  for (int64_t i = 1; i < k; i++) b = v[i] > v[b] ? i : b;
  return b;
}

/* One batch: encrypt, infer, decrypt, compare with the float64 run of the original graph. */
static veil_status eval_batch(const he_model *m, const veil_he_client *cl, const veil_he_server *sv, const veil_dataset *ds,
                              int64_t first, int64_t n, double *x, double *y, double *yp, eval_acc *acc) {
  const int64_t k = m->plan.values[m->plan.output].count;
  VEIL_TRY(veil__he_dataset_x(m, ds, first, n, x));
  veil_he_tensor in, out;
  uint64_t t0 = veil_now_ns();
  VEIL_TRY(veil_he_encrypt(&m->plan, cl, x, n, &in));
  uint64_t t1 = veil_now_ns();
  veil_status st = veil_he_infer(&m->plan, sv, &in, &out);
  uint64_t t2 = veil_now_ns();
  veil_he_tensor_free(&in);
  if (!st) st = veil_he_decrypt(&m->plan, cl, &out, y), veil_he_tensor_free(&out);
  acc->enc_s += (double)(t1 - t0) * 1e-9, acc->server_s += (double)(t2 - t1) * 1e-9, acc->dec_s += (double)(veil_now_ns() - t2) * 1e-9;
  if (!st) st = veil_graph_run_f64(&m->g, x, n, yp);
  for (int64_t i = 0; i < n && !st; i++) {
    int64_t c = argmax_d(y + i * k, k), cp = argmax_d(yp + i * k, k);
    acc->correct += c == ds->labels[first + i], acc->plain_correct += cp == ds->labels[first + i], acc->disagree += c != cp;
  }
  acc->count += n;
  return st;
}

static veil_status eval_run(const he_model *m, const veil_dataset *ds, eval_acc *acc) {
  veil_he_client cl;
  veil_he_server sv;
  VEIL_TRY(veil_he_keygen(&m->plan, &cl, &sv));
  const int64_t b = veil_he_plan_batch(&m->plan), k = m->plan.values[m->plan.output].count, per = m->plan.values[m->plan.input].count;
  double *x = veil_malloc((size_t)(b * per) * sizeof *x), *y = veil_malloc((size_t)(b * k) * sizeof *y), *yp = veil_malloc((size_t)(b * k) * sizeof *yp);
  veil_status st = x && y && yp ? VEIL_OK : veil_fail(VEIL_ERR_NOMEM, "eval buffers");
  veil_progress bar;
  veil_progress_init(&bar, "encrypted eval", (uint64_t)ds->count);
  for (int64_t i = 0; i < ds->count && !st; i += b) {
    int64_t n = ds->count - i < b ? ds->count - i : b;
    st = eval_batch(m, &cl, &sv, ds, i, n, x, y, yp, acc);
    veil_progress_add(&bar, (uint64_t)n);
  }
  veil_progress_finish(&bar);
  veil_free(x), veil_free(y), veil_free(yp);
  veil_he_client_free(&cl), veil_he_server_free(&sv);
  return st;
}

static void eval_print(const veil_cli_args *a, const he_model *m, const eval_acc *r) {
  double acc = (double)r->correct / (double)r->count, pacc = (double)r->plain_correct / (double)r->count;
  double ips = (double)r->count / r->server_s;
  if (veil_cli_has(a, "json")) {
    veil_json j;
    veil_json_begin(&j, stdout);
    veil_json_num(&j, "accuracy", acc), veil_json_num(&j, "plain_accuracy", pacc), veil_json_int(&j, "disagree", r->disagree);
    veil_json_int(&j, "count", r->count), veil_json_num(&j, "images_per_s", ips), veil_json_int(&j, "logn", m->plan.params.logn);
    veil_json_num(&j, "server_s", r->server_s), veil_json_num(&j, "client_encrypt_s", r->enc_s), veil_json_num(&j, "client_decrypt_s", r->dec_s);
    veil_json_num(&j, "peak_rss_mb", veil_peak_rss_mb());
    veil_json_end(&j);
    return;
  }
  veil__he_report_plan(&m->plan, stdout);
  printf("encrypted accuracy: %lld/%lld = %.2f%%  (plain %.2f%%, %lld images classified differently)\n", (long long)r->correct,
         (long long)r->count, 100 * acc, 100 * pacc, (long long)r->disagree);
  printf("server %.2f s (%.0f images/s), client encrypt %.2f s, decrypt %.2f s, peak memory %.0f MiB\n", r->server_s, ips, r->enc_s,
         r->dec_s, veil_peak_rss_mb());
}

int veil__he_eval(veil_cli_args *a) {
  const char *model = veil_cli_model(a);
  int64_t count = 0;
  if (!model) return veil_cli_usage_error(a, "missing the model (veil eval --encrypted --model M.onnx --dataset mnist)");
  if (!veil_cli_int(a, "count", 1, INT32_MAX, &count)) return 2;
  he_model m;
  int rc = veil__he_model_load(a, model, true, &m);
  if (rc) return rc;
  const char *name = veil_cli_has(a, "dataset") ? veil_cli_get(a, "dataset") : m.prep.dataset;
  veil_dataset ds = {0};
  eval_acc r = {0};
  if (!name[0]) rc = veil_cli_usage_error(a, "missing --dataset (mnist or cifar10)");
  if (!rc) rc = veil__he_dataset(a, name, count, &ds);
  if (!rc) rc = veil__he_choose(a, &m, NULL, 0);
  if (!rc) {
    veil_status st = eval_run(&m, &ds, &r);
    rc = st ? veil_cli_fail(a, st) : 0;
    if (!st) eval_print(a, &m, &r);
  }
  veil_dataset_free(&ds);
  veil__he_model_free(&m);
  return rc;
}

/* ---- shipped CryptoNets on one full batch ---------------------------------------------------- */

static veil_status cn_load(he_model *m, veil_dataset *ds, int logn) {
  char dir[4096], path[4200];
  memset(m, 0, sizeof *m);
  if (!veil__cli_find_shipped("models", dir, sizeof dir)) return veil_fail(VEIL_ERR_NOT_FOUND, "shipped models/ directory not found");
  snprintf(path, sizeof path, "%s/cryptonets.onnx", dir);
  VEIL_TRY(veil_onnx_load(path, &m->g));
  snprintf(path, sizeof path, "%s/cryptonets.prep", dir);
  VEIL_TRY(veil_prep_load(path, &m->prep));
  VEIL_TRY(veil_graph_clone(&m->opt, &m->g));
  VEIL_TRY(veil_graph_optimize(&m->opt, NULL));
  VEIL_TRY(veil_he_plan_compile(&m->opt, NULL, &m->plan));
  if (!veil__cli_find_shipped("data/mnist", dir, sizeof dir)) return veil_fail(VEIL_ERR_NOT_FOUND, "shipped data/mnist not found");
  VEIL_TRY(veil_mnist_load_dir(dir, "t10k", 0, ds));
  int64_t nc = 1000, per = m->plan.values[m->plan.input].count;
  double *cx = veil_malloc((size_t)(nc * per) * sizeof *cx);
  veil_status st = cx ? veil__he_dataset_x(m, ds, 0, nc, cx) : veil_fail(VEIL_ERR_NOMEM, "calibration");
  veil_he_opts o = {.logn = logn};
  if (!st) st = veil_he_plan_choose(&m->plan, &o, cx, nc);
  veil_free(cx);
  return st;
}

static veil_status cn_run(const he_model *m, const veil_dataset *ds, int reps, he_cn_result *r) {
  veil_he_client cl;
  veil_he_server sv;
  uint64_t t0 = veil_now_ns();
  VEIL_TRY(veil_he_keygen(&m->plan, &cl, &sv));
  r->keygen_s = (double)(veil_now_ns() - t0) * 1e-9;
  int64_t b = veil_he_plan_batch(&m->plan), k = m->plan.values[m->plan.output].count, per = m->plan.values[m->plan.input].count;
  b = b < ds->count ? b : ds->count;
  double *x = veil_malloc((size_t)(b * per) * sizeof *x), *y = veil_malloc((size_t)(b * k) * sizeof *y), *yp = veil_malloc((size_t)(b * k) * sizeof *yp);
  double ts[16];
  veil_status st = x && y && yp ? veil__he_dataset_x(m, ds, 0, b, x) : veil_fail(VEIL_ERR_NOMEM, "cryptonets buffers");
  veil_he_tensor in, out = {0};
  t0 = veil_now_ns();
  if (!st) st = veil_he_encrypt(&m->plan, &cl, x, b, &in);
  r->enc_s = (double)(veil_now_ns() - t0) * 1e-9;
  for (int i = 0; i < reps && !st; i++) {
    veil_he_tensor_free(&out);
    struct timespec c0, c1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
    t0 = veil_now_ns();
    st = veil_he_infer(&m->plan, &sv, &in, &out);
    ts[i] = (double)(veil_now_ns() - t0) * 1e-9;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
    r->server_cpu_s = (double)(c1.tv_sec - c0.tv_sec) + 1e-9 * (double)(c1.tv_nsec - c0.tv_nsec);
  }
  if (!st) veil_he_tensor_free(&in), r->server_s = veil_median(ts, (size_t)reps);
  t0 = veil_now_ns();
  if (!st) st = veil_he_decrypt(&m->plan, &cl, &out, y);
  r->dec_s = (double)(veil_now_ns() - t0) * 1e-9;
  if (!st) st = veil_graph_run_f64(&m->g, x, b, yp);
  for (int64_t i = 0; i < b && !st; i++) {
    int64_t c = argmax_d(y + i * k, k), cp = argmax_d(yp + i * k, k);
    r->correct += c == ds->labels[i], r->plain_correct += cp == ds->labels[i], r->disagree += c != cp;
  }
  r->batch = b;
  veil_he_tensor_free(&out);
  veil_free(x), veil_free(y), veil_free(yp);
  veil_he_client_free(&cl), veil_he_server_free(&sv);
  return st;
}

int veil__he_cryptonets(const char *cmd, int logn, int reps, he_cn_result *r) {
  he_model m;
  veil_dataset ds = {0};
  memset(r, 0, sizeof *r);
  reps = reps < 1 ? 1 : reps > 16 ? 16 : reps;
  veil_status st = cn_load(&m, &ds, logn);
  if (!st) st = cn_run(&m, &ds, reps, r);
  if (!st) {
    r->logn = m.plan.params.logn, r->security = m.plan.params.security_bits_met, r->log_qp = m.plan.params.log_qp;
    r->peak_rss_mb = veil_peak_rss_mb();
    snprintf(r->complex_why, sizeof r->complex_why, "%s", m.plan.complex_why);
  } else {
    fprintf(stderr, "veil %s: error: %s: %s\n", cmd, veil_status_str(st), veil_error_detail());
  }
  veil_dataset_free(&ds);
  veil__he_model_free(&m);
  return st ? 1 : 0;
}
