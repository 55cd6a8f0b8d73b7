/* Internal helpers shared by the CKKS evaluator files. */
#ifndef VEIL_CKKS_EVAL_IMPL_H
#define VEIL_CKKS_EVAL_IMPL_H

#include <math.h>
#include <string.h>

#include "veil/ckks.h"

/** Parallel-for over limbs with the evaluator's thread count. */
#define VEIL__EV_LIMBS(ev) \
  _Pragma("omp parallel for num_threads((ev)->nthreads) if ((ev)->ctx->rlwe.n >= 4096) schedule(static)")

static inline uint64_t *veil__limb(const veil_poly *p, int i) { return p->c + (size_t)i * p->n; }

/** Scales are equal up to floating-point noise from different operation orders (2^-40 relative). */
static inline bool veil__scale_eq(double a, double b) { return fabs(a - b) <= ldexp(fmax(a, b), -40); }

/** Checks equal levels and scales; the detail names @p op. */
VEIL_WUR veil_status veil__check_match(int la, double sa, int lb, double sb, const char *op);
/** Reshapes @p out to size/level keeping the data of an aliased input (capacity never shrinks). */
VEIL_WUR veil_status veil__prep_out(veil_ckks_eval *ev, veil_ckks_ct *out, int size, int level);
/** Scalar residues of v * scale at limbs 0..level into w[], w_sh[] (complex: per-slot-sign pair). */
VEIL_WUR veil_status veil__const_residues(veil_ckks_eval *ev, double complex v, double scale, int level,
                                          uint64_t *wp, uint64_t *wm);

#endif
