/* `veil demo`: the main job on shipped defaults. Until encrypted inference lands this is a ring
 * self-check (every kernel table against schoolbook multiplication) and an NTT speed summary. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "veil/ring.h"

static const veil_cli_opt opts[] = {{0}};

/* Deterministic test data (not secret). */
static uint64_t demo_rand(uint64_t *s, uint64_t q) {
  *s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
  return (uint64_t)(((veil_u128)*s * q) >> 64);
}

static void schoolbook(uint64_t *c, const uint64_t *a, const uint64_t *b, size_t n, const veil_modulus *m) {
  memset(c, 0, n * sizeof *c);
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < n; j++) {
      uint64_t p = veil_mod_mul(a[i], b[j], m);
      size_t k = (i + j) % n;
      c[k] = i + j < n ? veil_mod_add(c[k], p, m->q) : veil_mod_sub(c[k], p, m->q);
    }
}

/* NTT product == schoolbook product for every kernel table and two prime sizes (IFMA and DQ). */
static veil_status self_check(int *checked) {
  enum { LOGN = 9, N = 1 << LOGN };
  static uint64_t a[N], b[N], ref[N], x[N], y[N];
  const veil_kernels *ks[8];
  int nk = veil_kernels_all(ks, 8);
  const int bits[] = {49, 60};
  uint64_t seed = 12345;
  for (int bi = 0; bi < 2; bi++) {
    uint64_t q;
    veil_ntt_tables t;
    VEIL_TRY(veil_primes_ntt(LOGN, bits[bi], 1, NULL, 0, &q));
    VEIL_TRY(veil_ntt_tables_init(&t, q, LOGN));
    for (int i = 0; i < N; i++)
      a[i] = demo_rand(&seed, q), b[i] = demo_rand(&seed, q);
    schoolbook(ref, a, b, N, &t.mod);
    for (int k = 0; k < nk; k++) {
      memcpy(x, a, sizeof a);
      memcpy(y, b, sizeof b);
      ks[k]->ntt_fwd(&t, x);
      ks[k]->ntt_fwd(&t, y);
      ks[k]->mul(x, x, y, N, &t.mod);
      ks[k]->ntt_inv(&t, x);
      bool ok = memcmp(x, ref, sizeof x) == 0;
      printf("  %-9s %d-bit prime  NTT product == schoolbook: %s\n", ks[k]->name, bits[bi], ok ? "ok" : "FAILED");
      if (!ok) {
        veil_ntt_tables_free(&t);
        return veil_fail(VEIL_ERR_INTERNAL, "kernel table %s disagrees with schoolbook", ks[k]->name);
      }
      (*checked)++;
    }
    veil_ntt_tables_free(&t);
  }
  return VEIL_OK;
}

static veil_status speed_summary(int logn, int bits) {
  uint64_t q;
  veil_ntt_tables t;
  VEIL_TRY(veil_primes_ntt(logn, bits, 1, NULL, 0, &q));
  VEIL_TRY(veil_ntt_tables_init(&t, q, logn));
  uint64_t *a = veil_malloc(t.n * sizeof *a), seed = 99;
  if (!a) {
    veil_ntt_tables_free(&t);
    return veil_fail(VEIL_ERR_NOMEM, "demo buffer");
  }
  for (size_t i = 0; i < t.n; i++)
    a[i] = demo_rand(&seed, q);
  double fwd[31], inv[31];
  for (int r = 0; r < 31; r++) {
    uint64_t t0 = veil_now_ns();
    veil_ntt_fwd(&t, a);
    uint64_t t1 = veil_now_ns();
    veil_ntt_inv(&t, a);
    fwd[r] = (double)(t1 - t0) / 1e3;
    inv[r] = (double)(veil_now_ns() - t1) / 1e3;
  }
  printf("  N=2^%d, %d-bit prime, kernels %-8s forward %7.1f us   inverse %7.1f us (median of 31)\n", logn, bits,
         veil_kernels_best()->name, veil_median(fwd, 31), veil_median(inv, 31));
  veil_free(a);
  veil_ntt_tables_free(&t);
  return VEIL_OK;
}

static int run(veil_cli_args *a) {
  veil_threads_set(1);
  printf("veil demo: ring self-check and NTT speed (encrypted inference demo: later issue)\n\n");
  printf("Self-check, every kernel table on this CPU:\n");
  int checked = 0;
  veil_status st = self_check(&checked);
  if (st)
    return veil_cli_fail(a, st);
  printf("\nNTT speed, one thread:\n");
  for (int logn = 14; logn <= 16; logn++)
    for (int b = 49; b <= 60; b += 11)
      if ((st = speed_summary(logn, b)))
        return veil_cli_fail(a, st);
  printf("\n%d kernel checks passed. Full benchmark: veil bench ring --json\n", checked);
  return 0;
}

VEIL_CLI_COMMAND(demo, "demo", "run veil's main job on shipped defaults",
                 "veil demo", "Checks every ring kernel table against schoolbook multiplication and prints NTT speed.",
                 opts, run)
