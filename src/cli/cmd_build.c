/* veil build: assembles a known network from published weights and writes it as ONNX. */
#include <stdio.h>
#include <string.h>

#include "cli_data.h"
#include "veil/onnx.h"

static const veil_cli_opt opts[] = {
    {"weights", "FILE", "weights text file (see ../shared/data/README.md for the format)"},
    {"out", "FILE", "ONNX file to write; its preprocessing sidecar goes beside it (.prep)"},
    {0}};

static const char description[] =
    "Networks:\n"
    "  cryptonets  CryptoNets for MNIST (Gilad-Bachrach et al. 2016; weights from microsoft/CryptoNets):\n"
    "              conv 5x5/2 (5 maps, zero pad 1 bottom/right inside the conv) + square + dense 845->100\n"
    "              + square + dense 100->10. Input x = pixel/256 as [1,28,28]; the sidecar says so.\n"
    "Example: veil build cryptonets --weights ../shared/data/models/cryptonets_mnist_weights.txt "
    "--out models/cryptonets.onnx";

static const char cryptonets_note[] =
    "veil preprocessing sidecar for cryptonets.onnx (written by `veil build cryptonets`).\n"
    "x = pixel * scale on the 28x28 MNIST image; the one-pixel zero padding at the bottom and right\n"
    "is part of the model (the convolution's pads 0,0,1,1), so no padding here.\n"
    "Keys: scale, pad (top left bottom right), mean, std (per channel), dataset. See models/README.md.";

/* "dir/name.onnx" -> "dir/name.prep" */
static void sidecar_path(const char *out, char *buf, size_t len) {
  const char *base = strrchr(out, '/'), *dot = strrchr(base ? base : out, '.');
  int stem = dot ? (int)(dot - out) : (int)strlen(out);
  snprintf(buf, len, "%.*s.prep", stem, out);
}

static int build_cryptonets(const veil_cli_args *a, const char *weights, const char *out) {
  veil_graph g;
  veil_graph_init(&g);
  veil_status st = veil_cryptonets_build(weights, &g);
  if (!st)
    st = veil_onnx_save(&g, out);
  veil_graph_free(&g);
  if (st)
    return veil_cli_fail(a, st);
  veil_prep prep;
  veil_prep_default(&prep);
  prep.scale = 1.0 / 256;
  snprintf(prep.dataset, sizeof prep.dataset, "mnist");
  char side[4096];
  sidecar_path(out, side, sizeof side);
  if ((st = veil_prep_save(side, &prep, cryptonets_note)))
    return veil_cli_fail(a, st);
  printf("wrote %s and %s\n", out, side);
  return 0;
}

static int run(veil_cli_args *a) {
  if (a->npos != 1)
    return veil_cli_usage_error(a, "name one network to build (cryptonets)");
  const char *weights = veil_cli_get(a, "weights"), *out = veil_cli_get(a, "out");
  if (!weights || !out)
    return veil_cli_usage_error(a, "--weights FILE and --out FILE are required");
  if (strcmp(a->pos[0], "cryptonets") != 0)
    return veil_cli_usage_error(a, "unknown network '%s' (known: cryptonets)", a->pos[0]);
  return build_cryptonets(a, weights, out);
}

VEIL_CLI_COMMAND(build, "build", "assemble a known network from published weights and write ONNX",
                 "veil build cryptonets --weights FILE --out MODEL.onnx", description, opts, run)
