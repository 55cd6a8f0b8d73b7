/* `veil bench <target>`: dispatches to one benchmark target (bench_<target>.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static const veil_cli_opt opts[] = {
    {"json", NULL, "print one JSON object per line"},
    {"logn", "L", "ring dimension 2^L (default: a sweep)"},
    {"qbits", "B", "prime size in bits (default: a sweep)"},
    {"limbs", "K", "RNS limbs per polynomial (default 1)"},
    {"threads", "T", "threads across limbs (default VEIL_THREADS, else 1)"},
    {"reps", "R", "timed repetitions; the median is reported (default 31)"},
    {"dnum", "D", "key-switching digits (ckks; default 4, 3 at logN >= 16)"},
    {"degrees", "D1,D2,..", "relu: odd composite sign degrees (default 15,15,27)"},
    {"interval", "A,B", "relu: input interval (default -1,1)"},
    {"bootstrap", NULL, "relu: ReLU on the bootstrapping chain, then one bootstrap (logN 12..16)"},
    {"kernel", "NAME", "kernel table: ref, scalar, avx512dq, avx512 (default: best for this CPU)"},
    {"count", "N", "client-aided: CIFAR-10 test images (default 1000)"},
    {"model", "FILE", "client-aided: ONNX model (default: the shipped ResNet-20)"},
    {"prep", "FILE", "client-aided: preprocessing sidecar (default models/resnet20_cifar10.prep)"},
    {"data-dir", "DIR", "client-aided: CIFAR-10 directory (default ../shared/data/cifar10)"},
    {"in-process", NULL, "client-aided: no server, one process (profiles the HE part alone)"},
    {0}};

typedef struct bench_target {
  const char *name;
  const char *summary;
  int (*run)(veil_cli_args *a, const veil_bench_cfg *cfg);
} bench_target;

static const bench_target targets[] = {
    {"ring", "NTT forward/inverse, element-wise product", veil_bench_ring},
    {"cryptonets", "encrypted CryptoNets, one full MNIST batch (JSON always)", veil_bench_cryptonets},
    {"ckks", "CKKS ops: encode, encrypt, mul_relin, rescale, rotate, hoisting; key sizes, precision",
     veil_bench_ckks},
    {"relu", "encrypted composite-minimax ReLU on a full ciphertext (128-bit parameters)", veil_bench_relu},
    {"client-aided", "CIFAR-10 ResNet-20 with client-evaluated ReLUs through a loopback server (JSON)", veil_bench_client_aided},
    {"bootstrap", "CKKS bootstrapping of N/2 slots (128-bit parameters at logN 16)", veil_bench_bootstrap},
};
#define NTARGETS (sizeof targets / sizeof *targets)

double veil_bench_median_ns(const veil_bench_cfg *cfg, void (*fn)(void *ctx), void *ctx) {
  for (int i = 0; i < cfg->warmup; i++)
    fn(ctx);
  double *t = malloc((size_t)cfg->reps * sizeof *t);
  VEIL_ASSERT(t);
  for (int i = 0; i < cfg->reps; i++) {
    uint64_t t0 = veil_now_ns();
    fn(ctx);
    t[i] = (double)(veil_now_ns() - t0);
  }
  double med = veil_median(t, (size_t)cfg->reps);
  free(t);
  return med;
}

static int parse_cfg(veil_cli_args *a, veil_bench_cfg *cfg) {
  const char *env = getenv("VEIL_THREADS");
  int64_t threads = env && atoi(env) > 0 ? atoi(env) : 1, reps = 31;
  if (!veil_cli_int(a, "threads", 1, 1024, &threads) || !veil_cli_int(a, "reps", 1, 100000, &reps))
    return 2;
  *cfg = (veil_bench_cfg){.json = veil_cli_has(a, "json"), .threads = (int)threads,
                          .reps = (int)reps, .warmup = 3};
  veil_threads_set(cfg->threads);
  return 0;
}

static void list_targets(void) {
  fprintf(stderr, "veil bench targets:\n");
  for (size_t i = 0; i < NTARGETS; i++)
    fprintf(stderr, "  %-8s %s\n", targets[i].name, targets[i].summary);
}

static int run(veil_cli_args *a) {
  if (a->npos != 1) {
    list_targets();
    return veil_cli_usage_error(a, "expected exactly one target, got %d", a->npos);
  }
  for (size_t i = 0; i < NTARGETS; i++)
    if (!strcmp(a->pos[0], targets[i].name)) {
      veil_bench_cfg cfg;
      int rc = parse_cfg(a, &cfg);
      return rc ? rc : targets[i].run(a, &cfg);
    }
  list_targets();
  return veil_cli_usage_error(a, "unknown bench target '%s'", a->pos[0]);
}

VEIL_CLI_COMMAND(bench, "bench", "run benchmarks (JSON lines with --json)",
                 "veil bench <target> [options]   (targets: ring, ckks, relu, bootstrap)",
                 "Targets:\n  ring   NTT forward/inverse and element-wise product per limb; prints\n"
                 "         op, logn, qbits, limbs, threads, ns (median), kernel.\n"
                 "  ckks   CKKS evaluator at logN 14 / 8 limbs and logN 16 / 24 limbs (or --logn/--limbs/\n"
                 "         --dnum); prints op, logn, limbs, dnum, threads, us (median), key_mb, bits.\n"
                 "  relu   composite ReLU (--degrees, --interval; logN 16 by default) on uniform inputs;\n"
                 "         prints degrees, depth, interval, eps, max_err (all slots vs exact), ms (median).\n"
                 "  bootstrap  full-slot bootstrapping (logN 16 by default, --logn 12..15 insecure smoke runs);\n"
                 "         prints logn, slots, log_qp, security_bits, ms, levels_left, scale_bits,\n"
                 "         precision_bits (mean -log2 error, uniform [-1,1] inputs), key_mb, peak_rss_mb.",
                 opts, run)
