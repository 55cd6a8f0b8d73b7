/* Shared setup of the bootstrapping benchmarks (bench_bootstrap.c, bench_relu.c --bootstrap): the
 * 128-bit bootstrapping context with exactly the keys the plan needs. */
#ifndef VEIL_CLI_BENCH_BOOT_H
#define VEIL_CLI_BENCH_BOOT_H

#include "veil/bootstrap.h"

typedef struct veil_bench_boot {
  veil_ckks_params p;
  veil_ckks_ctx ctx;
  veil_boot bt;
  veil_rlwe_sk sk;
  veil_rlwe_swk rlk;
  veil_rlwe_gks gks;
  veil_ckks_eval ev;
  double keygen_ms; /**< relinearization + Galois keys */
} veil_bench_boot;

/** veil_boot_params_128(@p logn), context, plan, secret key, keys, evaluator. */
VEIL_WUR veil_status veil_bench_boot_init(veil_bench_boot *b, int logn);
void veil_bench_boot_free(veil_bench_boot *b);
/** Seeded size of the relinearization and Galois keys in MiB. */
double veil_bench_boot_key_mb(const veil_bench_boot *b);
/** out[i] = decrypt(ct) slot i for i < n (real and imaginary parts). */
VEIL_WUR veil_status veil_bench_boot_decrypt(veil_bench_boot *b, const veil_ckks_ct *ct, double complex *out, size_t n);

#endif
