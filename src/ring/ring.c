#include "veil/ring.h"

veil_status veil_ring_init(veil_ring *r, int logn, const uint64_t *primes, int count) {
  *r = (veil_ring){.logn = logn, .n = (size_t)1 << logn, .k = veil_kernels_best()};
  if (count < 1 || count > VEIL_RING_MAX_PRIMES)
    return veil_fail(VEIL_ERR_INVALID_ARG, "ring with %d primes", count);
  for (int i = 0; i < count; i++)
    for (int j = 0; j < i; j++)
      if (primes[i] == primes[j])
        return veil_fail(VEIL_ERR_INVALID_ARG, "prime %llu appears twice", (unsigned long long)primes[i]);
  r->mods = veil_calloc((size_t)count, sizeof *r->mods);
  r->ntt = veil_calloc((size_t)count, sizeof *r->ntt);
  if (!r->mods || !r->ntt) {
    veil_ring_free(r);
    return veil_fail(VEIL_ERR_NOMEM, "ring tables");
  }
  for (int i = 0; i < count; i++) {
    veil_status st = veil_ntt_tables_init(&r->ntt[i], primes[i], logn);
    r->nmods = i + 1;
    if (st != VEIL_OK) {
      veil_ring_free(r);
      return st;
    }
    r->mods[i] = r->ntt[i].mod;
  }
  return VEIL_OK;
}

void veil_ring_free(veil_ring *r) {
  if (!r)
    return;
  for (int i = 0; r->ntt && i < r->nmods; i++)
    veil_ntt_tables_free(&r->ntt[i]);
  veil_free(r->ntt);
  veil_free(r->mods);
  *r = (veil_ring){0};
}

veil_status veil_poly_init(veil_poly *p, const veil_ring *r, int nlimbs) {
  *p = (veil_poly){0};
  if (nlimbs < 1 || nlimbs > r->nmods)
    return veil_fail(VEIL_ERR_INVALID_ARG, "polynomial with %d limbs in a ring of %d primes", nlimbs,
                     r->nmods);
  p->c = veil_calloc((size_t)nlimbs * r->n, sizeof(uint64_t));
  if (!p->c)
    return veil_fail(VEIL_ERR_NOMEM, "polynomial of %d x %zu words", nlimbs, r->n);
  p->nlimbs = p->cap = nlimbs;
  p->n = r->n;
  return VEIL_OK;
}

void veil_poly_free(veil_poly *p) {
  if (!p)
    return;
  veil_free(p->c);
  *p = (veil_poly){0};
}
