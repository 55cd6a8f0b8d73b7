/* Picks the kernel table for this CPU once: reference first, then the best available override. */
#include <stdlib.h>
#include <string.h>

#include "backend-impl.h"

bool veil__force_ref(const char *env_value) {
  return env_value && *env_value && strcmp(env_value, "0") != 0;
}

bool veil__cpu_has_avx512(void) {
#if defined(__x86_64__)
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
#else
  return false;
#endif
}

bool veil__cpu_has_ifma(void) {
#if defined(__x86_64__)
  return veil__cpu_has_avx512() && __builtin_cpu_supports("avx512ifma");
#else
  return false;
#endif
}

const veil_kernels *veil_kernels_ref(void) { return &veil__kernels_ref; }

int veil_kernels_all(const veil_kernels **out, int max) {
  const veil_kernels *cand[4] = {&veil__kernels_ref, &veil__kernels_scalar, NULL, NULL};
#ifdef VEIL_TODO_AVX
  if (veil__cpu_has_avx512())
    cand[2] = &veil__kernels_avx512dq;
  if (veil__cpu_has_ifma())
    cand[3] = &veil__kernels_avx512;
#endif
  int n = 0;
  for (int i = 0; i < 4; i++)
    if (cand[i] && n < max)
      out[n++] = cand[i];
  return n;
}

const veil_kernels *veil_kernels_find(const char *name) {
  const veil_kernels *all[4];
  int n = veil_kernels_all(all, 4);
  for (int i = 0; i < n; i++)
    if (!strcmp(all[i]->name, name))
      return all[i];
  return NULL;
}

const veil_kernels *veil_kernels_best(void) {
  if (veil__force_ref(getenv("VEIL_FORCE_REF")))
    return &veil__kernels_ref;
  const veil_kernels *all[4];
  int n = veil_kernels_all(all, 4);
  return all[n - 1];
}
