/* `veil bench`: one command, one sub-target per layer. Each target lives in its own file
 * (bench_<target>.c) and is listed in the dispatch table of cmd_bench.c. */
#ifndef VEIL_CLI_BENCH_H
#define VEIL_CLI_BENCH_H

#include "cli.h"

/** Settings shared by every target, parsed by cmd_bench.c. */
typedef struct veil_bench_cfg {
  bool json;   /**< one JSON object per line instead of a table */
  int threads; /**< --threads, else VEIL_THREADS, else 1 */
  int reps;    /**< timed repetitions per measurement (median reported) */
  int warmup;  /**< untimed runs first */
} veil_bench_cfg;

/** Times @p fn(ctx) cfg->reps times after cfg->warmup runs; returns the median in nanoseconds. */
double veil_bench_median_ns(const veil_bench_cfg *cfg, void (*fn)(void *ctx), void *ctx);

/** `veil bench ring`: NTT, element-wise product (and basis conversion when available). */
int veil_bench_ring(veil_cli_args *a, const veil_bench_cfg *cfg);

#endif
