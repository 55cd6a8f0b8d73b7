/* Benchmark entry points of the ring layer (called by `veil bench`). */
#include "ring/ring-impl.h"

static void fill_random(uint64_t *a, size_t n, const veil_modulus *m, uint64_t *state) {
  for (size_t j = 0; j < n; j++) {
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    a[j] = (*state >> 11) % m->q;
  }
}

static veil_status bconv_bench_run(const veil_bconv *bc, size_t n, int reps, double *median_us) {
  uint64_t *in = veil_malloc((size_t)bc->nfrom * n * sizeof *in);
  uint64_t *out = veil_malloc((size_t)bc->nto * n * sizeof *out);
  double *t = veil_malloc((size_t)reps * sizeof *t);
  veil_status st = VEIL_OK;
  if (!in || !out || !t)
    st = veil_fail(VEIL_ERR_NOMEM, "bconv bench buffers");
  uint64_t state = 1;
  for (int j = 0; st == VEIL_OK && j < bc->nfrom; j++)
    fill_random(in + (size_t)j * n, n, &bc->from[j], &state);
  for (int k = 0; st == VEIL_OK && k <= reps; k++) {
    uint64_t t0 = veil_now_ns();
    veil_bconv_apply(bc, in, out, n);
    if (k > 0) /* the first run warms caches and threads */
      t[k - 1] = (double)(veil_now_ns() - t0) / 1e3;
  }
  if (st == VEIL_OK)
    *median_us = veil_median(t, (size_t)reps);
  veil_free(in);
  veil_free(out);
  veil_free(t);
  return st;
}

veil_status veil_bconv_bench(int logn, int nfrom, int nto, int reps, double *median_us) {
  if (logn < 1 || logn > 17 || reps < 1 || nfrom < 1 || nto < 1 || nfrom + nto > 512)
    return veil_fail(VEIL_ERR_INVALID_ARG, "bconv bench: logn %d, %d -> %d primes, %d reps", logn, nfrom, nto,
                     reps);
  uint64_t primes[512];
  VEIL_TRY(veil_primes_ntt(logn, 50, nfrom + nto, NULL, 0, primes));
  veil_modulus mods[512];
  for (int i = 0; i < nfrom + nto; i++)
    veil_modulus_init(&mods[i], primes[i]);
  veil_bconv bc;
  VEIL_TRY(veil_bconv_init(&bc, mods, nfrom, mods + nfrom, nto));
  veil_status st = bconv_bench_run(&bc, (size_t)1 << logn, reps, median_us);
  veil_bconv_free(&bc);
  return st;
}
