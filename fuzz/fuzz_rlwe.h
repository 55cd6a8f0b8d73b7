/* Shared body of the rlwe loader fuzz targets: a fixed small context (logN 10, 3 + 1 primes,
 * dnum 3, insecure test size) and one loader per target. Inputs must load or fail cleanly. */
#ifndef VEIL_FUZZ_RLWE_H
#define VEIL_FUZZ_RLWE_H

#include <stdlib.h>

#include "veil/rlwe.h"

static const veil_rlwe_ctx *fuzz_ctx(void) {
  static veil_rlwe_ctx c;
  static int ready;
  if (!ready) {
    uint64_t q[3], p[1];
    if (veil_primes_ntt(10, 40, 3, NULL, 0, q) || veil_primes_ntt(10, 45, 1, q, 3, p))
      abort();
    veil_rlwe_params par = {.logn = 10, .nq = 3, .q = q, .np = 1, .p = p, .dnum = 3};
    if (veil_rlwe_ctx_init(&c, &par))
      abort();
    ready = 1;
  }
  return &c;
}

/* Defines LLVMFuzzerTestOneInput for loader veil_rlwe_<kind>_load / veil_rlwe_<kind>_free. */
#define VEIL_FUZZ_LOADER(type, load, release)                                  \
  int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);                \
  int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {               \
    type obj;                                                                  \
    veil_status st = load(fuzz_ctx(), data, size, &obj);                      \
    if (st == VEIL_OK)                                                         \
      release(&obj);                                                           \
    else if (st != VEIL_ERR_FORMAT && st != VEIL_ERR_MISMATCH && st != VEIL_ERR_NOMEM) \
      abort(); /* loaders may only fail with these */                          \
    return 0;                                                                  \
  }

#endif
