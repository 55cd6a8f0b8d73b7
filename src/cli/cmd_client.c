/* veil client: encrypted inference against a `veil serve` server (docs/service.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_data.h"
#include "veil/client.h"
#include "veil/npy.h"

static const veil_cli_opt opts[] = {
    {"server", "URL", "server, e.g. http://127.0.0.1:8750 (required)"},
    {"model", "NAME", "model name on the server (required)"},
    {"keys", "DIR", "key directory: created with fresh keys on first use, reused afterwards (required)"},
    {"input", "FILE", "one .png image (raw pixels, preprocessed as the server says) or a preprocessed .npy"},
    {"dataset", "NAME", "mnist or cifar10 test images instead of --input"},
    {"data-dir", "DIR", "dataset directory (default: $VEIL_DATA_DIR/NAME or the shipped data/NAME)"},
    {"count", "N", "dataset images to classify (default 16)"},
    {"json", NULL, "print {\"classes\":[..],\"count\":..,\"accuracy\":..,\"mode\":..,\"rounds\":..}"},
    {"mode", "MODE", "auto (default), encrypted or client-aided: refuse a model the server runs otherwise"},
    {0}};

static const char desc[] =
    "Fetches the model's plan, generates CKKS keys in --keys on first use (the secret key never\n"
    "leaves this machine), uploads the evaluation keys once, encrypts the inputs, has the server\n"
    "classify them under encryption, decrypts and prints the classes (and the accuracy when labels\n"
    "are known).";

/* Applies the server's .prep text (sidecar lines) on top of the defaults. */
static veil_status prep_from_text(const char *text, veil_prep *p) {
  veil_prep_default(p);
  char *copy = strdup(text), *save = NULL;
  veil_status st = copy ? VEIL_OK : veil_fail(VEIL_ERR_NOMEM, "out of memory");
  for (char *line = copy ? strtok_r(copy, "\n", &save) : NULL; !st && line; line = strtok_r(NULL, "\n", &save)) {
    char *hash = strchr(line, '#');
    if (hash)
      *hash = 0;
    char key[32];
    int used = 0;
    if (sscanf(line, " %31s %n", key, &used) == 1)
      st = veil_prep_set(p, key, line + used, "the server's preprocessing");
  }
  free(copy);
  return st;
}

/* Loads the inputs as preprocessed images [n, ...] (doubles) and labels (NULL if unknown). */
static int load_inputs(const veil_cli_args *a, const veil_prep *p, double **x, int64_t *n, uint8_t **labels) {
  veil_tensor raw = {0}, pre = {0};
  veil_dataset ds = {0};
  const char *in = veil_cli_get(a, "input"), *name = veil_cli_get(a, "dataset");
  veil_status st = VEIL_OK;
  if (in && strlen(in) > 4 && !strcmp(in + strlen(in) - 4, ".npy")) {
    st = veil_npy_load(in, &pre);
  } else if (in) {
    st = veil_png_load(in, &raw);
    if (!st)
      st = veil_prep_apply(p, &raw, 0, 1, &pre);
  } else {
    int64_t count = 16;
    char dir[4096];
    int rc = 0;
    if (!veil_cli_int(a, "count", 1, 1 << 24, &count))
      return 2;
    if (strcmp(name, "mnist") != 0 && strcmp(name, "cifar10") != 0)
      return veil_cli_usage_error(a, "unknown dataset '%s' (expected mnist or cifar10)", name);
    if (!veil__cli_data_dir(a, name, dir, sizeof dir, &rc))
      return rc;
    st = !strcmp(name, "mnist") ? veil_mnist_load_dir(dir, "t10k", count, &ds) : veil_cifar10_load_dir(dir, count, &ds);
    if (!st)
      st = veil_prep_apply(p, &ds.images, 0, ds.count, &pre);
    *labels = ds.labels;
    ds.labels = NULL;
  }
  int64_t total = st ? 0 : veil_tensor_numel(&pre);
  *n = st ? 0 : (in && pre.ndim <= 3 ? 1 : pre.shape[0]);
  *x = st ? NULL : malloc((size_t)total * sizeof **x);
  for (int64_t i = 0; *x && i < total; i++)
    (*x)[i] = pre.data[i];
  veil_tensor_free(&raw);
  veil_tensor_free(&pre);
  veil_dataset_free(&ds);
  if (!st && !*x)
    st = veil_fail(VEIL_ERR_NOMEM, "out of memory");
  return st ? veil_cli_fail(a, st) : 0;
}

static void print_result(const veil_cli_args *a, const veil_client_session *s, const int *cls, int64_t n,
                         const uint8_t *labels) {
  int64_t correct = 0;
  for (int64_t i = 0; labels && i < n; i++)
    correct += cls[i] == labels[i];
  if (!veil_cli_has(a, "json")) {
    for (int64_t i = 0; i < n; i++)
      printf("image %lld: class %d%s\n", (long long)i, cls[i], labels ? (cls[i] == labels[i] ? " (correct)" : " (wrong)") : "");
    if (labels)
      printf("accuracy %.4f (%lld of %lld)\n", (double)correct / (double)n, (long long)correct, (long long)n);
    return;
  }
  veil_json j;
  veil_json_begin(&j, stdout);
  veil_json_array_begin(&j, "classes");
  for (int64_t i = 0; i < n; i++)
    veil_json_array_int(&j, cls[i]);
  veil_json_array_end(&j);
  veil_json_int(&j, "count", n);
  if (labels)
    veil_json_num(&j, "accuracy", (double)correct / (double)n);
  int rounds;
  uint64_t bytes;
  veil_client_session_traffic(s, &rounds, &bytes);
  veil_json_str(&j, "mode", veil_client_session_mode(s));
  veil_json_int(&j, "rounds", rounds);
  veil_json_end(&j);
}

/* Runs the session on the inputs and prints the classes. */
static int classify(const veil_cli_args *a, veil_client_session *s) {
  veil_prep p;
  veil_status st = prep_from_text(veil_client_session_prep(s), &p);
  if (st)
    return veil_cli_fail(a, st);
  double *x = NULL;
  int64_t n = 0, nin, nout, batch;
  uint8_t *labels = NULL;
  int rc = load_inputs(a, &p, &x, &n, &labels);
  veil_client_session_sizes(s, &nin, &nout, &batch);
  double *y = rc ? NULL : malloc((size_t)(n * nout) * sizeof *y);
  int *cls = rc ? NULL : malloc((size_t)n * sizeof *cls);
  if (!rc && (!y || !cls))
    rc = veil_cli_fail(a, veil_fail(VEIL_ERR_NOMEM, "out of memory"));
  if (!rc && (st = veil_client_session_run(s, x, n, y)))
    rc = veil_cli_fail(a, st);
  for (int64_t i = 0; !rc && i < n; i++) {
    cls[i] = 0;
    for (int64_t k = 1; k < nout; k++)
      if (y[i * nout + k] > y[i * nout + cls[i]])
        cls[i] = (int)k;
  }
  if (!rc)
    print_result(a, s, cls, n, labels);
  free(x);
  free(y);
  free(cls);
  veil_free(labels);
  return rc;
}

static int run(veil_cli_args *a) {
  const char *url = veil_cli_get(a, "server"), *model = veil_cli_get(a, "model"), *keys = veil_cli_get(a, "keys");
  if (!url || !model || !keys)
    return veil_cli_usage_error(a, "--server URL, --model NAME and --keys DIR are required");
  if (!veil_cli_has(a, "input") == !veil_cli_has(a, "dataset"))
    return veil_cli_usage_error(a, "give exactly one of --input FILE and --dataset NAME");
  veil_client *c;
  veil_status st = veil_client_init(url, &c);
  if (st)
    return veil_cli_fail(a, st);
  veil_client_set_progress(c, true);
  veil_wbuf h;
  char warning[256];
  st = veil_client_get(c, "/v1/health", &h);
  if (!st && veil_json_get_str((const char *)h.data, h.len, "warning", warning, sizeof warning) == VEIL_OK)
    fprintf(stderr, "veil client: WARNING from the server: %s\n", warning);
  if (!st)
    veil_wbuf_free(&h);
  veil_client_session *s = NULL;
  if (st) {
    veil_client_free(c);
    return veil_cli_fail(a, st);
  }
  st = veil_client_session_open(c, model, keys, &s);
  const char *mode = veil_cli_get(a, "mode");
  int rc = st ? veil_cli_fail(a, st) : 0;
  if (!rc && mode && strcmp(mode, "auto") && strcmp(mode, veil_client_session_mode(s)))
    rc = strcmp(mode, "encrypted") && strcmp(mode, "client-aided")
             ? veil_cli_usage_error(a, "--mode %s: expected auto, encrypted or client-aided", mode)
             : veil_cli_usage_error(a, "the server runs model '%s' in %s mode, not %s", model, veil_client_session_mode(s), mode);
  if (!rc)
    rc = classify(a, s);
  veil_client_session_free(s);
  veil_client_free(c);
  return rc;
}

VEIL_CLI_COMMAND(client, "client", "classify images with a veil server, under encryption",
                 "veil client --server URL --model NAME --keys DIR (--input X.npy|X.png | --dataset mnist|cifar10 "
                 "[--data-dir D] [--count N]) [--mode auto|encrypted|client-aided] [--json]",
                 desc, opts, run)
