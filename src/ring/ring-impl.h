/* Internal helpers shared by the ring layer's sources (not installed). */
#ifndef VEIL_RING_IMPL_H
#define VEIL_RING_IMPL_H

#include "veil/ring.h"

/* Run limb loops in parallel only when there is enough work (words) to pay for the threads. */
#define VEIL__PAR_WORDS ((size_t)1 << 15)

/* Limbs allocated for p (cap 0 means a polynomial built without a capacity: nlimbs). */
static inline int veil__poly_cap(const veil_poly *p) { return p->cap > p->nlimbs ? p->cap : p->nlimbs; }

static inline int veil__min_int(int a, int b) { return a < b ? a : b; }

/* Checks that p is a well-formed polynomial of ring r; `what` names it in the error detail. */
veil_status veil__poly_check(const veil_ring *r, const veil_poly *p, const char *what);

/* Checks p as an output that must hold L limbs, then sets p->nlimbs = L. */
veil_status veil__poly_out(const veil_ring *r, veil_poly *p, int L, const char *what);

/* a mod q for a signed value. */
static inline uint64_t veil__mod_i64(int64_t v, const veil_modulus *m) {
  if (v >= 0)
    return veil_mod_reduce64((uint64_t)v, m);
  return veil_mod_neg(veil_mod_reduce64(-(uint64_t)v, m), m->q);
}

#endif
