/* veil predict --plain: runs a model on one input (.png or .npy) and prints the class and logits. */
#include <stdio.h>
#include <string.h>

#include "cli_data.h"
#include "veil/npy.h"

static const veil_cli_opt opts[] = {
    {"model", "FILE", "ONNX model (or give it as the first argument)"},
    {"plain", NULL, "run on plaintext (the only mode in this version)"},
    {"json", NULL, "print {\"class\":..,\"logits\":[..]} (one line per image)"},
    {"raw", NULL, "the .npy holds raw pixels 0..255: apply the model's preprocessing to it too"},
    VEIL_CLI_PREP_OPTS,
    {0}};

static const char description[] =
    "INPUT is a PNG image (8-bit gray or RGB) or a .npy array. PNG pixels go through the model's\n"
    "preprocessing (sidecar MODEL.prep or models/<name>.prep, or the --scale/--pad/--mean/--std flags).\n"
    "A .npy is taken as already preprocessed model input, shaped like one image ([C,H,W]) or a batch\n"
    "([N,C,H,W]); with --raw it holds raw pixels and is preprocessed like a PNG.";

static bool has_suffix(const char *s, const char *suf) {
  size_t n = strlen(s), k = strlen(suf);
  return n >= k && strcasecmp(s + n - k, suf) == 0;
}

/* Makes @p t 4-D ([H,W] -> [1,1,H,W], [C,H,W] -> [1,C,H,W]) for preprocessing. */
static int to_nchw(const veil_cli_args *a, veil_tensor *t) {
  if (t->ndim < 2 || t->ndim > 4)
    return veil_cli_usage_error(a, "--raw needs a [H,W], [C,H,W] or [N,C,H,W] array, got %d dims", t->ndim);
  int shift = 4 - t->ndim;
  for (int i = 3; i >= 0; i--)
    t->shape[i] = i >= shift ? t->shape[i - shift] : 1;
  t->ndim = 4;
  return 0;
}

/* Reads INPUT into @p x as model input (preprocessed). */
static int load_input(const veil_cli_args *a, const char *model, const char *path, veil_tensor *x) {
  bool png = has_suffix(path, ".png");
  if (!png && !has_suffix(path, ".npy"))
    return veil_cli_usage_error(a, "input '%s' must be a .png or .npy file", path);
  veil_tensor raw;
  veil_status st = png ? veil_png_load(path, &raw) : veil_npy_load(path, &raw);
  if (st)
    return veil_cli_fail(a, st);
  if (!png && !veil_cli_has(a, "raw")) {
    *x = raw;
    return 0;
  }
  veil_prep prep;
  char src[4096];
  int rc = png ? 0 : to_nchw(a, &raw);
  if (!rc)
    rc = veil__cli_prep(a, model, &prep, src, sizeof src);
  if (!rc && (st = veil_prep_apply(&prep, &raw, 0, raw.shape[0], x)))
    rc = veil_cli_fail(a, st);
  veil_tensor_free(&raw);
  return rc;
}

static void print_result(const veil_cli_args *a, const float *logits, int64_t n, int64_t image, int64_t count) {
  int cls = veil__cli_argmax(logits, n);
  if (veil_cli_has(a, "json")) {
    veil_json j;
    veil_json_begin(&j, stdout);
    veil_json_int(&j, "class", cls);
    veil_json_array_begin(&j, "logits");
    for (int64_t k = 0; k < n; k++)
      veil_json_array_num(&j, logits[k]);
    veil_json_array_end(&j);
    veil_json_end(&j);
    return;
  }
  if (count > 1)
    printf("image %lld: ", (long long)image);
  printf("class %d\nlogits", cls);
  for (int64_t k = 0; k < n; k++)
    printf(" %.6g", logits[k]);
  printf("\n");
}

static int predict(const veil_cli_args *a, const veil_graph *g, const veil_tensor *x) {
  veil_tensor y;
  veil_status st = veil_graph_run(g, x, &y);
  if (st)
    return veil_cli_fail(a, st);
  int64_t count = y.ndim > 1 ? y.shape[0] : 1, n = veil_tensor_numel(&y) / count;
  for (int64_t i = 0; i < count; i++)
    print_result(a, y.data + i * n, n, i, count);
  veil_tensor_free(&y);
  return 0;
}

static int run(veil_cli_args *a) {
  if (!veil_cli_has(a, "plain"))
    return veil_cli_usage_error(a, "choose a mode: --plain (encrypted prediction is not available yet)");
  const char *model = veil_cli_model(a);
  int first = veil_cli_has(a, "model") ? 0 : 1;
  if (!model || a->npos < first + 1)
    return veil_cli_usage_error(a, "usage: veil predict --plain MODEL.onnx INPUT(.png|.npy)");
  if (a->npos > first + 1)
    return veil_cli_usage_error(a, "unexpected argument '%s'", a->pos[first + 1]);
  veil_graph g;
  int rc = veil__cli_load_model(a, model, &g);
  if (rc)
    return rc;
  veil_tensor x = {0};
  rc = load_input(a, model, a->pos[first], &x);
  if (!rc)
    rc = predict(a, &g, &x);
  veil_tensor_free(&x);
  veil_graph_free(&g);
  return rc;
}

VEIL_CLI_COMMAND(predict, "predict", "classify one input (.png or .npy) with a model",
                 "veil predict --plain [options] MODEL.onnx INPUT", description, opts, run)
