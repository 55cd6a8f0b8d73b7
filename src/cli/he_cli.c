/* Shared helpers of the encrypted-inference commands (see he_cli.h). */
#include <math.h>
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
