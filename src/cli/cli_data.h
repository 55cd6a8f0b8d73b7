/* Shared by the model/data commands (inspect, predict, eval, build): locating the shipped data and
 * model directories, the preprocessing of a model (sidecar + flags), and loading a model. */
#ifndef VEIL_CLI_DATA_H
#define VEIL_CLI_DATA_H

#include "cli.h"
#include "veil/data.h"

/** Options every command that preprocesses images declares (keep in its option table). */
#define VEIL_CLI_PREP_OPTS                                                                              \
  {"prep", "FILE", "preprocessing sidecar (default: MODEL with .prep, then models/<name>.prep)"},       \
  {"scale", "S", "pixel scale, e.g. 1/255 (overrides the sidecar)"},                                     \
  {"pad", "T,L,B,R", "zero padding after normalization (overrides the sidecar)"},                         \
  {"mean", "M[,M..]", "per-channel mean subtracted after scaling (overrides the sidecar)"},              \
  {"std", "S[,S..]", "per-channel std divided by after the mean (overrides the sidecar)"}

/**
 * Finds a shipped resource directory "<sub>" (e.g. "data/mnist", "models"): next to the executable's
 * repository (build/bin/veil -> ../../<sub>) or an install prefix (bin/veil -> ../share/veil/<sub>).
 * @return true and the path in @p buf if it exists.
 */
bool veil__cli_find_shipped(const char *sub, char *buf, size_t len);

/**
 * The directory of @p dataset ("mnist", "cifar10"): --data-dir, else $VEIL_DATA_DIR/<dataset>, else the
 * shipped data/<dataset>. Returns false (and prints a usage error into @p rc) if none is known.
 */
bool veil__cli_data_dir(const veil_cli_args *a, const char *dataset, char *buf, size_t len, int *rc);

/**
 * The preprocessing for @p model: --prep FILE, else MODEL's .prep sibling, else models/<name>.prep among
 * the shipped models, else veil_prep_default() with a warning; then the --scale/--pad/--mean/--std flags.
 * @p source receives the sidecar used ("" if none). Returns 0 or an exit code (error already printed).
 */
int veil__cli_prep(const veil_cli_args *a, const char *model, veil_prep *p, char *source, size_t len);

/** Loads an ONNX model; prints the error and returns exit code 1 on failure, else 0. */
int veil__cli_load_model(const veil_cli_args *a, const char *path, veil_graph *g);

/** Index of the largest of @p n values (the first on ties). */
int veil__cli_argmax(const float *v, int64_t n);

#endif
