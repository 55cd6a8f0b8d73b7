/* veil eval --plain: a model's accuracy on a labelled test set (MNIST or CIFAR-10). */
#include <stdio.h>
#include <string.h>

#include "cli_data.h"

#define BATCH 256

static const veil_cli_opt opts[] = {
    {"model", "FILE", "ONNX model (or give it as the first argument)"},
    {"plain", NULL, "run on plaintext (the only mode in this version)"},
    {"encrypted", NULL, "run under encryption (not available yet)"},
    {"dataset", "NAME", "mnist or cifar10 (default: the sidecar's 'dataset')"},
    {"data-dir", "DIR", "directory holding the dataset's files (default: $VEIL_DATA_DIR/NAME or data/NAME)"},
    {"count", "N", "evaluate the first N images only"},
    {"json", NULL, "print {\"accuracy\":..,\"correct\":..,\"count\":..,\"seconds\":..}"},
    VEIL_CLI_PREP_OPTS,
    {0}};

static const char description[] =
    "Images are preprocessed as the model's sidecar says (MODEL.prep beside the model, else\n"
    "models/<name>.prep shipped with veil, else --prep FILE), and the --scale/--pad/--mean/--std flags\n"
    "override single fields. MNIST reads t10k-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz]\n"
    "(shipped in data/mnist); CIFAR-10 reads test_batch.bin or test_batch.first1000.bin.\n"
    "Example: veil eval --plain models/cryptonets.onnx --dataset mnist";

typedef struct eval_result {
  int64_t correct, count;
  double seconds;
} eval_result;

static int load_dataset(const veil_cli_args *a, const char *name, int64_t count, veil_dataset *ds) {
  char dir[4096];
  int rc = 0;
  if (strcmp(name, "mnist") != 0 && strcmp(name, "cifar10") != 0)
    return veil_cli_usage_error(a, "unknown dataset '%s' (expected mnist or cifar10)", name);
  if (!veil__cli_data_dir(a, name, dir, sizeof dir, &rc))
    return rc;
  veil_status st = !strcmp(name, "mnist") ? veil_mnist_load_dir(dir, "t10k", count, ds)
                                          : veil_cifar10_load_dir(dir, count, ds);
  return st ? veil_cli_fail(a, st) : 0;
}

/* Runs images [first, first+n) and counts the correct ones. */
static veil_status eval_batch(const veil_graph *g, const veil_prep *p, const veil_dataset *ds, int64_t first,
                              int64_t n, int64_t *correct) {
  veil_tensor x, y;
  VEIL_TRY(veil_prep_apply(p, &ds->images, first, n, &x));
  veil_status st = veil_graph_run(g, &x, &y);
  veil_tensor_free(&x);
  if (st)
    return st;
  int64_t k = veil_tensor_numel(&y) / n;
  for (int64_t i = 0; i < n; i++)
    *correct += veil__cli_argmax(y.data + i * k, k) == ds->labels[first + i];
  veil_tensor_free(&y);
  return VEIL_OK;
}

static veil_status eval_all(const veil_graph *g, const veil_prep *p, const veil_dataset *ds, eval_result *r) {
  veil_progress bar;
  veil_progress_init(&bar, "eval", (uint64_t)ds->count);
  uint64_t t0 = veil_now_ns();
  r->correct = 0;
  r->count = ds->count;
  for (int64_t i = 0; i < ds->count; i += BATCH) {
    int64_t n = ds->count - i < BATCH ? ds->count - i : BATCH;
    VEIL_TRY(eval_batch(g, p, ds, i, n, &r->correct));
    veil_progress_add(&bar, (uint64_t)n);
  }
  veil_progress_finish(&bar);
  r->seconds = (double)(veil_now_ns() - t0) * 1e-9;
  return VEIL_OK;
}

static void print_result(const veil_cli_args *a, const char *dataset, const char *prep_src, const eval_result *r) {
  double acc = (double)r->correct / (double)r->count;
  if (veil_cli_has(a, "json")) {
    veil_json j;
    veil_json_begin(&j, stdout);
    veil_json_str(&j, "dataset", dataset);
    veil_json_num(&j, "accuracy", acc);
    veil_json_int(&j, "correct", r->correct);
    veil_json_int(&j, "count", r->count);
    veil_json_num(&j, "seconds", r->seconds);
    veil_json_end(&j);
    return;
  }
  printf("preprocessing: %s\n", prep_src[0] ? prep_src : "(flags/default)");
  printf("accuracy: %lld/%lld = %.2f%% on %s (%.2f s)\n", (long long)r->correct, (long long)r->count,
         100 * acc, dataset, r->seconds);
}

/* Evaluates loaded graph @p g: preprocessing, dataset, batches, report. */
static int evaluate(const veil_cli_args *a, const char *model, const veil_graph *g, int64_t count) {
  veil_prep prep;
  char src[4096];
  int rc = veil__cli_prep(a, model, &prep, src, sizeof src);
  if (rc)
    return rc;
  const char *dataset = veil_cli_get(a, "dataset");
  if (!dataset && !prep.dataset[0])
    return veil_cli_usage_error(a, "missing --dataset (mnist or cifar10)");
  dataset = dataset ? dataset : prep.dataset;
  veil_dataset ds = {0};
  eval_result r = {0};
  if ((rc = load_dataset(a, dataset, count, &ds)))
    return rc;
  veil_status st = eval_all(g, &prep, &ds, &r);
  if (st)
    rc = veil_cli_fail(a, st);
  else
    print_result(a, dataset, src, &r);
  veil_dataset_free(&ds);
  return rc;
}

static int run(veil_cli_args *a) {
  if (veil_cli_has(a, "encrypted"))
    return veil_cli_usage_error(a, "--encrypted is not available yet; use --plain");
  if (!veil_cli_has(a, "plain"))
    return veil_cli_usage_error(a, "choose a mode: --plain (encrypted evaluation is not available yet)");
  const char *model = veil_cli_model(a);
  if (!model)
    return veil_cli_usage_error(a, "missing the model file (veil eval --plain MODEL.onnx --dataset NAME)");
  if (a->npos > (veil_cli_has(a, "model") ? 0 : 1))
    return veil_cli_usage_error(a, "unexpected argument '%s'", a->pos[a->npos - 1]);
  int64_t count = 0;
  if (!veil_cli_int(a, "count", 1, INT32_MAX, &count))
    return 2;
  veil_graph g;
  int rc = veil__cli_load_model(a, model, &g);
  if (rc)
    return rc;
  rc = evaluate(a, model, &g, count);
  veil_graph_free(&g);
  return rc;
}

VEIL_CLI_COMMAND(eval, "eval", "measure a model's accuracy on MNIST or CIFAR-10",
                 "veil eval --plain [options] MODEL.onnx --dataset mnist|cifar10", description, opts, run)
