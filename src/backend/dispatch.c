/* Picks the kernel table for this CPU once: reference first, then the best available override. */
#include <stdlib.h>
#include <string.h>

#include "backend-impl.h"

static bool force_ref(void) {
  const char *e = getenv("VEIL_FORCE_REF");
  return e && *e && strcmp(e, "0") != 0;
}

const veil_kernels *veil_kernels_ref(void) { return &veil__kernels_ref; }

int veil_kernels_all(const veil_kernels **out, int max) {
  int n = 0;
  if (n < max)
    out[n++] = &veil__kernels_ref;
  return n;
}

const veil_kernels *veil_kernels_best(void) {
  if (force_ref())
    return &veil__kernels_ref;
  const veil_kernels *all[8];
  int n = veil_kernels_all(all, 8);
  return all[n - 1];
}
