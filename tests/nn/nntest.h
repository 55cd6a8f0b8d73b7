/** @file nntest.h @brief Helpers shared by the nn tests: deterministic random data, running one model. */
#ifndef VEIL_NNTEST_H
#define VEIL_NNTEST_H

#include "veil/model.h"
#include "vtest.h"

/* xorshift64*: deterministic test data (not for anything secret). */
static uint64_t nt_state = 0x9e3779b97f4a7c15ull;
static inline double nt_uniform(double lo, double hi) {
  nt_state ^= nt_state >> 12;
  nt_state ^= nt_state << 25;
  nt_state ^= nt_state >> 27;
  return lo + (hi - lo) * (double)((nt_state * 0x2545f4914f6cdd1dull) >> 11) / 9007199254740992.0;
}
static inline void nt_fill(float *v, int64_t n, double lo, double hi) {
  for (int64_t i = 0; i < n; i++) v[i] = (float)nt_uniform(lo, hi);
}
/* Values k/16 for integer k in [-16*r, 16*r]: products of a few of them are exact in float32 and double. */
static inline void nt_fill_dyadic(float *v, int64_t n, int r) {
  for (int64_t i = 0; i < n; i++) v[i] = (float)((int)nt_uniform(-16.0 * r, 16.0 * r + 1) / 16.0);
}
static inline float *nt_alloc(int64_t n) { return (float *)calloc((size_t)n, sizeof(float)); }

/* Runs @p g on @p n images of float64 input; returns a malloc'd output. */
static inline double *nt_run(const veil_graph *g, const double *x, int64_t n) {
  double *y = (double *)calloc((size_t)(n * veil_graph_node_numel(g, g->output)), sizeof(double));
  if (veil_graph_run_f64(g, x, n, y) != VEIL_OK) {
    fprintf(stderr, "  run failed: %s\n", veil_error_detail());
    free(y);
    return NULL;
  }
  return y;
}

/* Largest |a-b| / max(1, |b|) over @p n values. */
static inline double nt_max_rel(const double *a, const double *b, int64_t n) {
  double m = 0;
  for (int64_t i = 0; i < n; i++) {
    double d = fabs(a[i] - b[i]) / (fabs(b[i]) > 1 ? fabs(b[i]) : 1);
    m = d > m ? d : m;
  }
  return m;
}

#endif
