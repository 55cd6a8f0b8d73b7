/* Internal: multiple-precision helpers shared by the approximation code. */
#ifndef VEIL_CIRCUITS_APPROX_IMPL_H
#define VEIL_CIRCUITS_APPROX_IMPL_H

#include <mpfr.h>

#include "veil/approx.h"

/** Working precision of interpolation and Remez (bits). */
#define VEIL__APPROX_PREC 160

/** y = f(x) in multiple precision; @p t is scratch. */
void veil__fn_mpfr(veil_approx_fn f, mpfr_t y, const mpfr_t x, mpfr_t t);
/** True for the odd functions (sign, tanh). */
bool veil__fn_is_odd(veil_approx_fn f);

/** Zeroes coefficients below 2^-60 of the largest (symmetry residue such as 1e-49 for even terms). */
void veil__cheb_flush(veil_cheb *p);

#endif
