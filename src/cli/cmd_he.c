/* Encrypted inference with batch packing, split between client and server through files:
 * veil keygen / encrypt / infer / decrypt, and veil run (all four in one process). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "he_cli.h"

#define IO_OPTS                                                                                     \
  {"input", "X.npy", "preprocessed inputs [N, ...] (float32 .npy)"},                                \
  {"dataset", "NAME", "mnist or cifar10 test images (preprocessed by the model's sidecar)"},        \
  {"data-dir", "DIR", "directory of the dataset's files"},                                          \
  {"count", "N", "first N images only"}

static double secs(uint64_t t0) { return (double)(veil_now_ns() - t0) * 1e-9; }

/* Fixes the plan's parameters from a key file's, after checking the model fingerprint. */
static int plan_from_keys(const veil_cli_args *a, he_model *m, const veil_ckks_params_lit *lit, int nbase, const uint8_t fp[32]) {
  if (memcmp(fp, m->plan.model_fp, 32))
    return veil_cli_fail(a, veil_fail(VEIL_ERR_MISMATCH, "the keys were made for another model than %s", m->path));
  veil_status st = veil_he_plan_set_params(&m->plan, lit, nbase);
  return st ? veil_cli_fail(a, st) : 0;
}

/* Loads the model recorded by keygen in DIR/model. */
static int model_of_keys(const veil_cli_args *a, const char *dir, bool prep, he_model *m) {
  char path[4096], model[4096];
  snprintf(path, sizeof path, "%s/model", dir);
  FILE *f = fopen(path, "r");
  if (!f) return veil_cli_fail(a, veil_fail(VEIL_ERR_IO, "cannot read %s (written by veil keygen)", path));
  bool ok = fgets(model, sizeof model, f) != NULL;
  fclose(f);
  if (!ok) return veil_cli_fail(a, veil_fail(VEIL_ERR_FORMAT, "%s is empty", path));
  model[strcspn(model, "\n")] = 0;
  return veil__he_model_load(a, model, prep, m);
}

static int client_of_keys(const veil_cli_args *a, const char *dir, bool prep, he_model *m, veil_he_client *cl) {
  int rc = model_of_keys(a, dir, prep, m);
  if (rc) return rc;
  char path[4096];
  veil_ckks_params_lit lit;
  int nbase;
  uint8_t fp[32];
  snprintf(path, sizeof path, "%s/secret.key", dir);
  veil_status st = veil_he_client_load(path, &lit, &nbase, fp, cl);
  if (st) return veil__he_model_free(m), veil_cli_fail(a, st);
  if ((rc = plan_from_keys(a, m, &lit, nbase, fp))) veil_he_client_free(cl), veil__he_model_free(m);
  return rc;
}

/* ---- keygen ---------------------------------------------------------------------------------- */

static const veil_cli_opt keygen_opts[] = {
    {"model", "FILE", "ONNX model"},
    {"out", "DIR", "output directory (created, mode 0700)"},
    IO_OPTS,
    VEIL_HE_PARAM_OPTS,
    VEIL_CLI_PREP_OPTS,
    {0}};

static int write_model_path(const char *dir, const char *model) {
  char path[4096], abs[PATH_MAX];
  snprintf(path, sizeof path, "%s/model", dir);
  FILE *f = fopen(path, "w");
  if (!f) return 1;
  fprintf(f, "%s\n", realpath(model, abs) ? abs : model);
  return fclose(f) != 0;
}

static int keygen(veil_cli_args *a) {
  const char *model = veil_cli_model(a), *out = veil_cli_get(a, "out");
  if (!model || !out) return veil_cli_usage_error(a, "usage: veil keygen --model M.onnx --out DIR");
  he_model m;
  int rc = veil__he_model_load(a, model, true, &m);
  if (rc) return rc;
  veil_he_client cl;
  veil_he_server sv;
  uint64_t t0 = veil_now_ns();
  double *x = NULL;
  int64_t n = 0;
  if (veil_cli_has(a, "input") && (rc = veil__he_inputs(a, &m, 1 << 20, &x, &n, NULL))) return veil__he_model_free(&m), rc;
  rc = veil__he_choose(a, &m, x, n);
  veil_free(x);
  if (!rc) {
    veil_status st = veil_he_keygen(&m.plan, &cl, &sv);
    if (!st && mkdir(out, 0700)) {
      struct stat sb;
      if (stat(out, &sb) || !S_ISDIR(sb.st_mode)) st = veil_fail(VEIL_ERR_IO, "cannot create directory %s", out);
    }
    if (!st) st = veil_he_keys_save(out, &m.plan, &cl, &sv);
    if (!st && write_model_path(out, model)) st = veil_fail(VEIL_ERR_IO, "cannot write %s/model", out);
    rc = st ? veil_cli_fail(a, st) : 0;
    if (!st) {
      veil__he_report_plan(&m.plan, stdout);
      printf("wrote %s/secret.key (0600, keep it), %s/eval.keys (for the server), %s/plan.txt in %.2f s\n", out, out, out, secs(t0));
      veil_he_client_free(&cl), veil_he_server_free(&sv);
    }
  }
  veil__he_model_free(&m);
  return rc;
}

VEIL_CLI_COMMAND(keygen, "keygen", "generate keys for encrypted inference of a model",
                 "veil keygen --model M.onnx --out DIR [--batch N] [--security 128|192|256]",
                 "Compiles the model into a batch-packed CKKS plan, picks parameters (depth, precision from\n"
                 "calibration images, security) and writes DIR/secret.key (mode 0600), DIR/eval.keys (only\n"
                 "the evaluation keys the plan needs; no secret), DIR/plan.txt and DIR/model.",
                 keygen_opts, keygen)

/* ---- encrypt --------------------------------------------------------------------------------- */

static const veil_cli_opt encrypt_opts[] = {
    {"keys", "DIR", "directory written by veil keygen"},
    IO_OPTS,
    {"out", "FILE", "encrypted input file"},
    VEIL_CLI_PREP_OPTS,
    {0}};

static int encrypt(veil_cli_args *a) {
  const char *dir = veil_cli_get(a, "keys"), *out = veil_cli_get(a, "out");
  if (!dir || !out) return veil_cli_usage_error(a, "usage: veil encrypt --keys DIR (--input X.npy | --dataset mnist --count N) --out IN.ct");
  he_model m;
  veil_he_client cl;
  int rc = client_of_keys(a, dir, true, &m, &cl);
  if (rc) return rc;
  double *x = NULL;
  int64_t n = 0;
  if (!(rc = veil__he_inputs(a, &m, veil_he_plan_batch(&m.plan), &x, &n, NULL))) {
    veil_he_tensor t;
    uint64_t t0 = veil_now_ns();
    veil_status st = veil_he_encrypt(&m.plan, &cl, x, n, &t);
    double te = secs(t0);
    if (!st) st = veil_he_tensor_save(out, &cl.ctx, &t), veil_he_tensor_free(&t);
    rc = st ? veil_cli_fail(a, st) : 0;
    if (!st) printf("encrypted %lld images into %s (%.2f s)\n", (long long)n, out, te);
    veil_free(x);
  }
  veil_he_client_free(&cl);
  veil__he_model_free(&m);
  return rc;
}

VEIL_CLI_COMMAND(encrypt, "encrypt", "encrypt inputs for a model (client side)",
                 "veil encrypt --keys DIR (--input X.npy | --dataset mnist --count N) --out IN.ct", NULL, encrypt_opts, encrypt)

/* ---- infer ----------------------------------------------------------------------------------- */

static const veil_cli_opt infer_opts[] = {
    {"model", "FILE", "ONNX model"},
    {"eval-keys", "FILE", "evaluation keys (no secret key is read)"},
    {"in", "FILE", "encrypted input"},
    {"out", "FILE", "encrypted output"},
    {"threads", "T", "threads (default: all cores)"},
    {0}};

static int infer(veil_cli_args *a) {
  const char *model = veil_cli_model(a), *ek = veil_cli_get(a, "eval-keys"), *in = veil_cli_get(a, "in"), *out = veil_cli_get(a, "out");
  int64_t threads = 0;
  if (!model || !ek || !in || !out) return veil_cli_usage_error(a, "usage: veil infer --model M.onnx --eval-keys K --in IN.ct --out OUT.ct");
  if (!veil_cli_int(a, "threads", 1, 1024, &threads)) return 2;
  if (threads) veil_threads_set((int)threads);
  he_model m;
  int rc = veil__he_model_load(a, model, false, &m);
  if (rc) return rc;
  veil_he_server sv;
  veil_ckks_params_lit lit;
  int nbase;
  uint8_t fp[32];
  veil_status st = veil_he_server_load(ek, &lit, &nbase, fp, &sv);
  if (st) return veil__he_model_free(&m), veil_cli_fail(a, st);
  if (!(rc = plan_from_keys(a, &m, &lit, nbase, fp))) {
    veil_he_tensor x, y;
    st = veil_he_tensor_load_checked(in, &sv.ctx, sv.key_id, m.plan.model_fp, &x);
    int64_t nimg = x.n_images;
    uint64_t t0 = veil_now_ns();
    if (!st) st = veil_he_infer(&m.plan, &sv, &x, &y), veil_he_tensor_free(&x);
    double ts = secs(t0);
    if (!st) st = veil_he_tensor_save(out, &sv.ctx, &y), veil_he_tensor_free(&y);
    rc = st ? veil_cli_fail(a, st) : 0;
    if (!st)
      printf("inference on %lld encrypted images: %.2f s server-side (%.0f images/s), peak memory %.0f MiB\n",
             (long long)nimg, ts, (double)nimg / ts, veil_peak_rss_mb());
  }
  veil_he_server_free(&sv);
  veil__he_model_free(&m);
  return rc;
}

VEIL_CLI_COMMAND(infer, "infer", "run a model on encrypted inputs (server side, no secret key)",
                 "veil infer --model M.onnx --eval-keys DIR/eval.keys --in IN.ct --out OUT.ct", NULL, infer_opts, infer)

/* ---- decrypt --------------------------------------------------------------------------------- */

static const veil_cli_opt decrypt_opts[] = {
    {"keys", "DIR", "directory written by veil keygen"},
    {"in", "FILE", "encrypted output of veil infer"},
    {"json", NULL, "print {\"classes\":[..],\"logits\":[[..],..]}"},
    {0}};

static void print_results(const double *y, int64_t n, int64_t k, bool json) {
  veil_json j;
  if (json) {
    veil_json_begin(&j, stdout);
    veil_json_array_begin(&j, "classes");
  }
  for (int64_t i = 0; i < n; i++) {
    int64_t best = 0;
    for (int64_t c = 1; c < k; c++) best = y[i * k + c] > y[i * k + best] ? c : best;
    if (json) {
      veil_json_array_int(&j, best);
      continue;
    }
    printf("image %lld: class %lld, logits", (long long)i, (long long)best);
    for (int64_t c = 0; c < k; c++) printf(" %.4f", y[i * k + c]);
    printf("\n");
  }
  if (!json) return;
  veil_json_array_end(&j);
  veil_json_array_begin(&j, "logits");
  for (int64_t i = 0; i < n; i++) {
    fprintf(stdout, i ? ",[" : "[");
    for (int64_t c = 0; c < k; c++) fprintf(stdout, c ? ",%.6g" : "%.6g", y[i * k + c]);
    fprintf(stdout, "]");
  }
  j.need_comma[j.depth] = true;
  veil_json_array_end(&j);
  veil_json_end(&j);
}

static int decrypt(veil_cli_args *a) {
  const char *dir = veil_cli_get(a, "keys"), *in = veil_cli_get(a, "in");
  if (!dir || !in) return veil_cli_usage_error(a, "usage: veil decrypt --keys DIR --in OUT.ct [--json]");
  he_model m;
  veil_he_client cl;
  int rc = client_of_keys(a, dir, false, &m, &cl);
  if (rc) return rc;
  veil_he_tensor t;
  veil_status st = veil_he_tensor_load_checked(in, &cl.ctx, cl.key_id, m.plan.model_fp, &t);
  int64_t k = m.plan.values[m.plan.output].count;
  double *y = st ? NULL : veil_malloc((size_t)(t.n_images * k) * sizeof *y);
  if (!st && !y) st = veil_fail(VEIL_ERR_NOMEM, "outputs");
  if (!st) st = veil_he_decrypt(&m.plan, &cl, &t, y);
  if (!st) print_results(y, t.n_images, k, veil_cli_has(a, "json"));
  rc = st ? veil_cli_fail(a, st) : 0;
  veil_free(y);
  veil_he_tensor_free(&t);
  veil_he_client_free(&cl);
  veil__he_model_free(&m);
  return rc;
}

VEIL_CLI_COMMAND(decrypt, "decrypt", "decrypt inference results (client side)", "veil decrypt --keys DIR --in OUT.ct [--json]", NULL,
                 decrypt_opts, decrypt)

/* ---- run ------------------------------------------------------------------------------------- */

static const veil_cli_opt run_opts[] = {
    {"model", "FILE", "ONNX model"},
    IO_OPTS,
    {"json", NULL, "print {\"classes\":[..],\"logits\":[[..],..]}"},
    VEIL_HE_PARAM_OPTS,
    VEIL_CLI_PREP_OPTS,
    {0}};

static int run_all(const veil_cli_args *a, he_model *m, const double *x, int64_t n) {
  veil_he_client cl;
  veil_he_server sv;
  veil_he_tensor in, out;
  int64_t k = m->plan.values[m->plan.output].count;
  double *y = veil_malloc((size_t)(n * k) * sizeof *y), t[4];
  uint64_t t0 = veil_now_ns();
  veil_status st = y ? veil_he_keygen(&m->plan, &cl, &sv) : veil_fail(VEIL_ERR_NOMEM, "outputs");
  if (st) return veil_free(y), veil_cli_fail(a, st);
  t[0] = secs(t0), t0 = veil_now_ns();
  if (!(st = veil_he_encrypt(&m->plan, &cl, x, n, &in))) {
    t[1] = secs(t0), t0 = veil_now_ns();
    st = veil_he_infer(&m->plan, &sv, &in, &out);
    t[2] = secs(t0), t0 = veil_now_ns();
    if (!st) st = veil_he_decrypt(&m->plan, &cl, &out, y), t[3] = secs(t0), veil_he_tensor_free(&out);
    veil_he_tensor_free(&in);
  }
  if (!st) {
    print_results(y, n, k, veil_cli_has(a, "json"));
    FILE *o = veil_cli_has(a, "json") ? stderr : stdout;
    veil__he_report_plan(&m->plan, o);
    fprintf(o, "keygen %.2f s, encrypt %.2f s, server %.2f s (%.0f images/s), decrypt %.2f s, peak memory %.0f MiB\n", t[0], t[1], t[2],
            (double)n / t[2], t[3], veil_peak_rss_mb());
  }
  veil_he_client_free(&cl), veil_he_server_free(&sv);
  veil_free(y);
  return st ? veil_cli_fail(a, st) : 0;
}

static int run(veil_cli_args *a) {
  const char *model = veil_cli_model(a);
  if (!model) return veil_cli_usage_error(a, "usage: veil run --model M.onnx (--input X.npy | --dataset mnist --count N)");
  he_model m;
  int rc = veil__he_model_load(a, model, true, &m);
  if (rc) return rc;
  double *x = NULL;
  int64_t n = 0;
  if (!(rc = veil__he_inputs(a, &m, 1 << 20, &x, &n, NULL)) && !(rc = veil__he_choose(a, &m, x, n))) {
    if (n > veil_he_plan_batch(&m.plan)) n = veil_he_plan_batch(&m.plan);
    rc = run_all(a, &m, x, n);
  }
  veil_free(x);
  veil__he_model_free(&m);
  return rc;
}

VEIL_CLI_COMMAND(run, "run", "encrypted inference in one process (keygen, encrypt, infer, decrypt)",
                 "veil run --model M.onnx (--input X.npy | --dataset mnist --count N)", NULL, run_opts, run)
