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

/** `veil bench cryptonets`: encrypted CryptoNets on one full MNIST batch (bench_cryptonets.c). */
int veil_bench_cryptonets(veil_cli_args *a, const veil_bench_cfg *cfg);

/** `veil bench ckks`: CKKS evaluator ops, key sizes and precision (bench_ckks.c). */
int veil_bench_ckks(veil_cli_args *a, const veil_bench_cfg *cfg);

/** `veil bench relu`: encrypted composite-minimax ReLU on one full ciphertext (bench_relu.c). */
int veil_bench_relu(veil_cli_args *a, const veil_bench_cfg *cfg);

/** `veil bench bootstrap`: CKKS bootstrapping at the 128-bit parameter set (bench_bootstrap.c). */
int veil_bench_bootstrap(veil_cli_args *a, const veil_bench_cfg *cfg);

/** `veil bench client-aided`: ResNet-20 in client-aided mode through a loopback server (bench_client_aided.c). */
int veil_bench_client_aided(veil_cli_args *a, const veil_bench_cfg *cfg);

#endif
