/* Automatic CKKS parameter selection (SEALion-style): smallest secure N, then fewest digits. */
#include "veil/ckks_params.h"

#include <string.h>

static veil_status check_request(int depth, int scale_bits, int precision_bits, int slots,
                                 int security) {
  if (depth < 0 || depth + 1 > VEIL_CKKS_MAX_Q)
    return veil_fail(VEIL_ERR_INVALID_ARG, "depth %d outside [0, %d]", depth, VEIL_CKKS_MAX_Q - 1);
  if (scale_bits < VEIL_CKKS_PRIME_BITS_MIN || scale_bits > VEIL_CKKS_PRIME_BITS_MAX - 1)
    return veil_fail(VEIL_ERR_INVALID_ARG, "scale bits %d outside [%d, %d]", scale_bits,
                     VEIL_CKKS_PRIME_BITS_MIN, VEIL_CKKS_PRIME_BITS_MAX - 1);
  if (precision_bits < 1)
    return veil_fail(VEIL_ERR_INVALID_ARG, "precision bits %d must be >= 1", precision_bits);
  if (slots < 1 || slots > (1 << (VEIL_CKKS_LOGN_MAX - 1)))
    return veil_fail(VEIL_ERR_INVALID_ARG, "slots %d outside [1, %d]", slots,
                     1 << (VEIL_CKKS_LOGN_MAX - 1));
  if (security != 0 && security != 128 && security != 192 && security != 256)
    return veil_fail(VEIL_ERR_INVALID_ARG, "security %d bits not one of 128, 192, 256", security);
  return VEIL_OK;
}

/* Fills the chain part of the literal: q_0, depth scale primes, np special primes. */
static void fill_chain(veil_ckks_params_lit *l, int logn, int q0_bits, int depth, int scale_bits,
                       int np, int p_bits, int security) {
  memset(l, 0, sizeof *l);
  l->logn = logn;
  l->nq = depth + 1;
  l->q_bits[0] = q0_bits;
  for (int i = 1; i <= depth; i++)
    l->q_bits[i] = scale_bits;
  l->np = np;
  for (int i = 0; i < np; i++)
    l->p_bits[i] = p_bits;
  l->log_scale = scale_bits;
  l->secret = VEIL_SECRET_TERNARY;
  l->security = security;
}

static int ceil_log2(int x) {
  int k = 0;
  while ((1 << k) < x)
    k++;
  return k;
}

/* Tries dnum = 1..nq at one N; VEIL_OK with *l filled, VEIL_ERR_INSECURE if none fits. */
static veil_status try_degree(int logn, int q0_bits, int depth, int scale_bits, int p_bits,
                              int security, veil_ckks_params_lit *l) {
  int nq = depth + 1, bound = veil_ckks_security_bound(security, logn);
  for (int dnum = 1; dnum <= nq; dnum++) {
    int np = (nq + dnum - 1) / dnum;
    if (np > VEIL_CKKS_MAX_P)
      continue;
    /* Nominal size; actual primes are below 2^bits except scale primes just above 2^scale_bits. */
    int nominal = q0_bits + depth * scale_bits + np * p_bits;
    if (nominal > bound + 1)
      continue;
    fill_chain(l, logn, q0_bits, depth, scale_bits, np, p_bits, security);
    l->dnum = dnum;
    veil_ckks_params p;
    veil_status st = veil_ckks_params_resolve(l, &p);
    if (st != VEIL_ERR_INSECURE)
      return st;
  }
  return VEIL_ERR_INSECURE;
}

veil_status veil_ckks_params_select(int depth, int scale_bits, int precision_bits, int slots,
                                    int security, veil_ckks_params_lit *out) {
  VEIL_TRY(check_request(depth, scale_bits, precision_bits, slots, security));
  if (!out)
    return veil_fail(VEIL_ERR_INVALID_ARG, "NULL output literal");
  security = security ? security : 128;
  int q0_bits = scale_bits + precision_bits;
  q0_bits = q0_bits > VEIL_CKKS_PRIME_BITS_MAX ? VEIL_CKKS_PRIME_BITS_MAX : q0_bits;
  int p_bits = q0_bits > scale_bits ? q0_bits : scale_bits;
  int logn = ceil_log2(2 * slots);
  logn = logn < VEIL_CKKS_LOGN_MIN ? VEIL_CKKS_LOGN_MIN : logn;
  for (; logn <= VEIL_CKKS_LOGN_MAX; logn++) {
    veil_status st = try_degree(logn, q0_bits, depth, scale_bits, p_bits, security, out);
    if (st != VEIL_ERR_INSECURE)
      return st;
  }
  int q_bits = q0_bits + depth * scale_bits;
  return veil_fail(VEIL_ERR_INSECURE,
                   "depth %d at scale 2^%d needs log2(QP) >= %d (Q alone %d bits + one %d-bit "
                   "special prime), more than %d, the %d-bit bound for N=2^%d (the largest "
                   "supported)",
                   depth, scale_bits, q_bits + p_bits, q_bits, p_bits,
                   veil_ckks_security_bound(security, VEIL_CKKS_LOGN_MAX), security,
                   VEIL_CKKS_LOGN_MAX);
}
