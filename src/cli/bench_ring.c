/* `veil bench ring`: per-limb ring kernels at production sizes (N = 2^12..2^17). */
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "veil/ring.h"

/* One configuration: K limbs of N words in a and b, NTT tables per limb, the kernel table. */
typedef struct ring_case {
  int logn, qbits, limbs, threads;
  size_t n;
  veil_ntt_tables *t;
  uint64_t *a, *b;
  const veil_kernels *k;
} ring_case;

static void case_free(ring_case *c) {
  for (int i = 0; c->t && i < c->limbs; i++)
    veil_ntt_tables_free(&c->t[i]);
  veil_free(c->t);
  veil_free(c->a);
  veil_free(c->b);
}

/* Deterministic pseudo-random residues (benchmark data, not secrets). */
static void fill_limb(uint64_t *x, size_t n, uint64_t q, uint64_t seed) {
  uint64_t s = seed * 0x9e3779b97f4a7c15ull + 1;
  for (size_t j = 0; j < n; j++) {
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    x[j] = (uint64_t)(((veil_u128)s * q) >> 64);
  }
}

static veil_status case_init(ring_case *c) {
  c->n = (size_t)1 << c->logn;
  uint64_t primes[64];
  VEIL_TRY(veil_primes_ntt(c->logn, c->qbits, c->limbs, NULL, 0, primes));
  c->t = veil_calloc((size_t)c->limbs, sizeof *c->t);
  c->a = veil_malloc((size_t)c->limbs * c->n * 8);
  c->b = veil_malloc((size_t)c->limbs * c->n * 8);
  if (!c->t || !c->a || !c->b)
    return veil_fail(VEIL_ERR_NOMEM, "bench ring buffers for N=2^%d, %d limbs", c->logn, c->limbs);
  for (int i = 0; i < c->limbs; i++) {
    VEIL_TRY(veil_ntt_tables_init(&c->t[i], primes[i], c->logn));
    fill_limb(c->a + (size_t)i * c->n, c->n, primes[i], 2 * (uint64_t)i + 1);
    fill_limb(c->b + (size_t)i * c->n, c->n, primes[i], 2 * (uint64_t)i + 2);
  }
  return VEIL_OK;
}

static void op_ntt_fwd(void *ctx) {
  ring_case *c = ctx;
#pragma omp parallel for num_threads(c->threads) if (c->threads > 1) schedule(static)
  for (int i = 0; i < c->limbs; i++)
    c->k->ntt_fwd(&c->t[i], c->a + (size_t)i * c->n);
}

static void op_ntt_inv(void *ctx) {
  ring_case *c = ctx;
#pragma omp parallel for num_threads(c->threads) if (c->threads > 1) schedule(static)
  for (int i = 0; i < c->limbs; i++)
    c->k->ntt_inv(&c->t[i], c->a + (size_t)i * c->n);
}

static void op_mul(void *ctx) {
  ring_case *c = ctx;
#pragma omp parallel for num_threads(c->threads) if (c->threads > 1) schedule(static)
  for (int i = 0; i < c->limbs; i++) {
    uint64_t *a = c->a + (size_t)i * c->n;
    c->k->mul(a, a, c->b + (size_t)i * c->n, c->n, &c->t[i].mod);
  }
}

static const struct {
  const char *name;
  void (*fn)(void *ctx);
} ops[] = {{"ntt_fwd", op_ntt_fwd}, {"ntt_inv", op_ntt_inv}, {"mul", op_mul}};

static void report(const veil_bench_cfg *cfg, const ring_case *c, const char *op, double ns) {
  if (cfg->json) {
    veil_json j;
    veil_json_begin(&j, stdout);
    veil_json_str(&j, "op", op);
    veil_json_int(&j, "logn", c->logn);
    veil_json_int(&j, "qbits", c->qbits);
    veil_json_int(&j, "limbs", c->limbs);
    veil_json_int(&j, "threads", c->threads);
    veil_json_num(&j, "ns", ns);
    veil_json_int(&j, "reps", cfg->reps);
    veil_json_str(&j, "kernel", c->k->name);
    veil_json_end(&j);
  } else {
    printf("%-8s %5d %6d %6d %8d %-9s %14.1f\n", op, c->logn, c->qbits, c->limbs, c->threads,
           c->k->name, ns / 1000.0);
    fflush(stdout);
  }
}

static veil_status bench_case(const veil_bench_cfg *cfg, ring_case *c) {
  veil_status st = case_init(c);
  for (size_t i = 0; st == VEIL_OK && i < sizeof ops / sizeof *ops; i++)
    report(cfg, c, ops[i].name, veil_bench_median_ns(cfg, ops[i].fn, c));
  case_free(c);
  return st;
}

int veil_bench_ring(veil_cli_args *a, const veil_bench_cfg *cfg) {
  int64_t logn = 0, qbits = 0, limbs = 1;
  if (!veil_cli_int(a, "logn", 10, 17, &logn) || !veil_cli_int(a, "qbits", 20, VEIL_MAX_PRIME_BITS, &qbits) ||
      !veil_cli_int(a, "limbs", 1, 64, &limbs))
    return 2;
  const char *kname = veil_cli_get(a, "kernel");
  const veil_kernels *k = kname ? veil_kernels_find(kname) : veil_kernels_best();
  if (!k)
    return veil_cli_usage_error(a, "--kernel '%s' is not available on this CPU (try ref, scalar)", kname);
  static const int default_bits[] = {49, 60};
  int lo = logn ? (int)logn : 12, hi = logn ? (int)logn : 17;
  int nbits = qbits ? 1 : 2;
  if (!cfg->json)
    printf("%-8s %5s %6s %6s %8s %-9s %14s\n", "op", "logn", "qbits", "limbs", "threads", "kernel",
           "median_us");
  for (int l = lo; l <= hi; l++)
    for (int b = 0; b < nbits; b++) {
      ring_case c = {.logn = l, .qbits = qbits ? (int)qbits : default_bits[b], .limbs = (int)limbs,
                     .threads = cfg->threads, .k = k};
      veil_status st = bench_case(cfg, &c);
      if (st != VEIL_OK)
        return veil_cli_fail(a, st);
    }
  return 0;
}
