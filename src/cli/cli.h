/**
 * @file cli.h
 * @brief The `veil` command-line framework: commands register themselves (VEIL_CLI_COMMAND), declare
 *        their options in a table that drives parsing, `--help` text and "did you mean" hints.
 *
 * A command file looks like:
 * @code
 *   static const veil_cli_opt opts[] = {
 *     {"json", NULL, "print one JSON object per line"},
 *     {"logn", "L", "ring dimension 2^L"},
 *     {0}};
 *   static int run(veil_cli_args *a) { ... return 0; }
 *   VEIL_CLI_COMMAND(bench, "bench", "run benchmarks", "veil bench <ring|ckks> [options]", NULL, opts, run)
 * @endcode
 */
#ifndef VEIL_CLI_H
#define VEIL_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "veil/util.h"

/** One option: `--name` (flag when @c arg is NULL) or `--name VALUE` / `--name=VALUE`. */
typedef struct veil_cli_opt {
  const char *name;
  const char *arg;  /**< placeholder shown in help ("N", "FILE"); NULL for a flag */
  const char *help;
} veil_cli_opt;

#define VEIL_CLI_MAX_POS 16
#define VEIL_CLI_MAX_OPTS 64

typedef struct veil_cli_args {
  const struct veil_cli_cmd *cmd;
  int npos;
  const char *pos[VEIL_CLI_MAX_POS];
  const char *val[VEIL_CLI_MAX_OPTS]; /**< value per option index; "" for a present flag; NULL absent */
} veil_cli_args;

typedef struct veil_cli_cmd {
  const char *name;
  const char *summary;     /**< one line for `veil --help` */
  const char *usage;       /**< "veil cmd [options] ARGS" */
  const char *description; /**< paragraphs after usage in `veil cmd --help`; may be NULL */
  const veil_cli_opt *opts;
  int (*run)(veil_cli_args *a); /**< returns the process exit code */
} veil_cli_cmd;

void veil_cli_register(const veil_cli_cmd *cmd);

#define VEIL_CLI_COMMAND(id, name_, summary_, usage_, desc_, opts_, run_)                       \
  static const veil_cli_cmd veil_cli_cmd_##id = {name_, summary_, usage_, desc_, opts_, run_};  \
  __attribute__((constructor)) static void veil_cli_register_##id(void) {                      \
    veil_cli_register(&veil_cli_cmd_##id);                                                      \
  }

/** The option's value, or NULL if absent (a flag gives ""). Aborts if @p name is not declared. */
const char *veil_cli_get(const veil_cli_args *a, const char *name);
/** True if the option (flag or valued) was given. */
bool veil_cli_has(const veil_cli_args *a, const char *name);
/**
 * Parses an integer option into @p out (keeps @p out when absent). Prints an error and returns false
 * when the value is not an integer in [lo, hi].
 */
bool veil_cli_int(const veil_cli_args *a, const char *name, int64_t lo, int64_t hi, int64_t *out);
/** As veil_cli_int for a floating-point value. */
bool veil_cli_double(const veil_cli_args *a, const char *name, double *out);
/** The model path: `--model FILE` or else the first positional argument (NULL if neither). */
const char *veil_cli_model(const veil_cli_args *a);

/** Prints "veil CMD: error: ..." and the detail of @p st; returns exit code 1. */
int veil_cli_fail(const veil_cli_args *a, veil_status st);
/** Prints a usage error with a hint to run --help; returns exit code 2. */
int veil_cli_usage_error(const veil_cli_args *a, const char *fmt, ...) VEIL_PRINTF(2, 3);

#endif
