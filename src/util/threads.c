#include "veil/util.h"

#include <omp.h>
#include <stdlib.h>
#include <time.h>

static int thread_count; /* 0 = not yet decided */

int veil_threads(void) {
  if (thread_count > 0)
    return thread_count;
  const char *env = getenv("VEIL_THREADS");
  int n = env ? atoi(env) : 0;
  if (n < 1)
    n = omp_get_num_procs();
  thread_count = n < 1 ? 1 : n;
  return thread_count;
}

void veil_threads_set(int n) {
  thread_count = n < 1 ? 1 : n;
  omp_set_num_threads(thread_count);
}

uint64_t veil_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

double veil_median(const double *v, size_t n) {
  VEIL_ASSERT(n > 0);
  double *c = malloc(n * sizeof *c);
  VEIL_ASSERT(c);
  for (size_t i = 0; i < n; i++)
    c[i] = v[i];
  qsort(c, n, sizeof *c, cmp_double);
  double m = n % 2 ? c[n / 2] : 0.5 * (c[n / 2 - 1] + c[n / 2]);
  free(c);
  return m;
}
