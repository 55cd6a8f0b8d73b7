/* CKKS parameters: validation, prime choice, security check, fingerprint, description. */
#include "veil/ckks_params.h"

#include <math.h>
#include <string.h>

/* The security table lives with the parameter sets in the rlwe layer (see ckks_params.h). */
int veil_ckks_security_bound(int security, int logn) {
  if (logn < VEIL_CKKS_LOGN_MIN || logn > VEIL_CKKS_LOGN_MAX)
    return 0;
  return veil_rlwe_security_bound(security, logn);
}

/* ---- validation ---------------------------------------------------------------------------- */

static veil_status check_bits(const char *name, const int *bits, int count) {
  for (int i = 0; i < count; i++)
    if (bits[i] < VEIL_CKKS_PRIME_BITS_MIN || bits[i] > VEIL_CKKS_PRIME_BITS_MAX)
      return veil_fail(VEIL_ERR_INVALID_ARG, "%s[%d] = %d bits outside [%d, %d]", name, i, bits[i],
                       VEIL_CKKS_PRIME_BITS_MIN, VEIL_CKKS_PRIME_BITS_MAX);
  return VEIL_OK;
}

static veil_status check_shape(const veil_ckks_params_lit *l) {
  if (l->logn < VEIL_CKKS_LOGN_MIN || l->logn > VEIL_CKKS_LOGN_MAX)
    return veil_fail(VEIL_ERR_INVALID_ARG, "logn %d outside [%d, %d]", l->logn, VEIL_CKKS_LOGN_MIN,
                     VEIL_CKKS_LOGN_MAX);
  if (l->nq < 1 || l->nq > VEIL_CKKS_MAX_Q)
    return veil_fail(VEIL_ERR_INVALID_ARG, "nq = %d ciphertext primes outside [1, %d]", l->nq,
                     VEIL_CKKS_MAX_Q);
  if (l->np < 1 || l->np > VEIL_CKKS_MAX_P)
    return veil_fail(VEIL_ERR_INVALID_ARG, "np = %d special primes outside [1, %d]", l->np,
                     VEIL_CKKS_MAX_P);
  VEIL_TRY(check_bits("q_bits", l->q_bits, l->nq));
  VEIL_TRY(check_bits("p_bits", l->p_bits, l->np));
  if (l->log_scale < VEIL_CKKS_PRIME_BITS_MIN || l->log_scale > VEIL_CKKS_PRIME_BITS_MAX)
    return veil_fail(VEIL_ERR_INVALID_ARG, "log_scale %d outside [%d, %d]", l->log_scale,
                     VEIL_CKKS_PRIME_BITS_MIN, VEIL_CKKS_PRIME_BITS_MAX);
  if (l->q_bits[0] <= l->log_scale)
    return veil_fail(VEIL_ERR_INVALID_ARG,
                     "q_0 has %d bits, not more than the scale 2^%d: no room for the integer part",
                     l->q_bits[0], l->log_scale);
  return VEIL_OK;
}

static veil_status check_keyswitch(const veil_ckks_params_lit *l, int *dnum, int *alpha) {
  int d = l->dnum ? l->dnum : (l->nq + l->np - 1) / l->np;
  if (d < 1 || d > l->nq)
    return veil_fail(VEIL_ERR_INVALID_ARG, "dnum %d outside [1, nq = %d]", d, l->nq);
  int a = (l->nq + d - 1) / d;
  if (a > l->np)
    return veil_fail(VEIL_ERR_INVALID_ARG,
                     "dnum %d splits %d primes into digits of %d, more than np = %d special primes",
                     d, l->nq, a, l->np);
  *dnum = d;
  *alpha = a;
  return VEIL_OK;
}

static veil_status check_secret(const veil_ckks_params_lit *l) {
  int n = 1 << l->logn;
  if (l->secret == VEIL_SECRET_TERNARY) {
    if (l->hamming_weight != 0)
      return veil_fail(VEIL_ERR_INVALID_ARG,
                       "hamming_weight %d given for a ternary secret (only sparse secrets have one)",
                       l->hamming_weight);
    return VEIL_OK;
  }
  if (l->secret != VEIL_SECRET_SPARSE)
    return veil_fail(VEIL_ERR_INVALID_ARG, "secret distribution %d unknown", (int)l->secret);
  if (l->hamming_weight < 1 || l->hamming_weight > n)
    return veil_fail(VEIL_ERR_INVALID_ARG, "hamming_weight %d outside [1, N = %d]",
                     l->hamming_weight, n);
  return VEIL_OK;
}

/* ---- primes -------------------------------------------------------------------------------- */

static bool in_list(uint64_t q, const uint64_t *v, int n) {
  for (int i = 0; i < n; i++)
    if (v[i] == q)
      return true;
  return false;
}

/* The next NTT-friendly prime from *cand stepping by +/- step, never in used[]; bounded to
 * (2^(s-1), 2^61). */
static veil_status next_scale_prime(uint64_t *cand, int64_t dir, uint64_t step, int s,
                                    const uint64_t *used, int nused, uint64_t *out) {
  uint64_t lo = 1ull << (s - 1), hi = 1ull << VEIL_MAX_PRIME_BITS;
  for (uint64_t q = *cand; q > lo && q < hi; q = dir > 0 ? q + step : q - step) {
    if (veil_is_prime(q) && !in_list(q, used, nused)) {
      *out = q;
      *cand = dir > 0 ? q + step : q - step;
      return VEIL_OK;
    }
  }
  return veil_fail(VEIL_ERR_INVALID_ARG, "ran out of NTT-friendly primes near 2^%d", s);
}

/* Scale primes, from q_{nq-1} down: alternately the next prime above and below 2^log_scale. */
static veil_status pick_scale_primes(const veil_ckks_params_lit *l, veil_ckks_params *p,
                                     bool *taken) {
  uint64_t step = 2ull << l->logn;
  uint64_t up = (1ull << l->log_scale) + 1, down = up - step; /* 2^s + 1 = 1 mod 2N */
  bool above = true;
  for (int i = l->nq - 1; i >= 1; i--) {
    if (l->q_bits[i] != l->log_scale)
      continue;
    uint64_t *cand = above ? &up : &down;
    VEIL_TRY(next_scale_prime(cand, above ? 1 : -1, step, l->log_scale, p->q, l->nq, &p->q[i]));
    taken[i] = true;
    above = !above;
  }
  return VEIL_OK;
}

/* All primes: scale primes first, then the rest of Q in index order, then P; all distinct. */
static veil_status pick_primes(const veil_ckks_params_lit *l, veil_ckks_params *p) {
  uint64_t used[VEIL_CKKS_MAX_Q + VEIL_CKKS_MAX_P] = {0};
  bool taken[VEIL_CKKS_MAX_Q] = {false};
  memset(p->q, 0, sizeof p->q);
  VEIL_TRY(pick_scale_primes(l, p, taken));
  int nused = 0;
  for (int i = 0; i < l->nq; i++)
    if (taken[i])
      used[nused++] = p->q[i];
  for (int i = 0; i < l->nq + l->np; i++) {
    if (i < l->nq && taken[i])
      continue;
    int bits = i < l->nq ? l->q_bits[i] : l->p_bits[i - l->nq];
    uint64_t *dst = i < l->nq ? &p->q[i] : &p->p[i - l->nq];
    VEIL_TRY(veil_primes_ntt(l->logn, bits, 1, used, nused, dst));
    used[nused++] = *dst;
  }
  return VEIL_OK;
}

/* ---- security ------------------------------------------------------------------------------ */

static int security_met(double log_qp, int logn) {
  static const int levels[3] = {256, 192, 128};
  for (int i = 0; i < 3; i++)
    if (log_qp <= veil_ckks_security_bound(levels[i], logn))
      return levels[i];
  return 0;
}

static veil_status check_security(const veil_ckks_params_lit *l, veil_ckks_params *p) {
  p->security_bits_met = p->secret == VEIL_SECRET_TERNARY ? security_met(p->log_qp, p->logn) : 0;
  p->insecure = false;
  veil_status st = VEIL_OK;
  if (p->secret == VEIL_SECRET_SPARSE)
    st = veil_fail(VEIL_ERR_INSECURE,
                   "sparse secret (h = %d) is not covered by the security table (ternary secrets "
                   "only); allowed only with insecure_test_only",
                   p->h);
  else if (p->log_qp > p->qp_bound)
    st = veil_fail(VEIL_ERR_INSECURE, "log2(QP) = %.1f exceeds %d, the %d-bit bound for N=2^%d",
                   p->log_qp, p->qp_bound, p->security, p->logn);
  if (st && l->insecure_test_only) {
    veil_log(VEIL_LOG_WARN, "INSECURE (test only) CKKS parameters: %s", veil_error_detail());
    veil_error_clear();
    p->insecure = true;
    return VEIL_OK;
  }
  return st;
}

/* ---- resolve ------------------------------------------------------------------------------- */

veil_status veil_ckks_params_resolve(const veil_ckks_params_lit *l, veil_ckks_params *p) {
  if (!l || !p)
    return veil_fail(VEIL_ERR_INVALID_ARG, "NULL parameter literal or output");
  memset(p, 0, sizeof *p);
  VEIL_TRY(check_shape(l));
  VEIL_TRY(check_secret(l));
  VEIL_TRY(check_keyswitch(l, &p->dnum, &p->alpha));
  p->security = l->security ? l->security : 128;
  if (p->security != 128 && p->security != 192 && p->security != 256)
    return veil_fail(VEIL_ERR_INVALID_ARG, "security %d bits not one of 128, 192, 256",
                     l->security);
  p->logn = l->logn;
  p->n = (size_t)1 << l->logn;
  p->max_slots = p->n / 2;
  p->nq = l->nq;
  p->np = l->np;
  p->log_scale = l->log_scale;
  p->scale = ldexp(1.0, l->log_scale);
  p->secret = l->secret;
  p->h = l->secret == VEIL_SECRET_SPARSE ? l->hamming_weight : 0;
  VEIL_TRY(pick_primes(l, p));
  for (int i = 0; i < p->nq; i++)
    p->log_qp += log2((double)p->q[i]);
  for (int i = 0; i < p->np; i++)
    p->log_qp += log2((double)p->p[i]);
  p->qp_bound = veil_ckks_security_bound(p->security, p->logn);
  VEIL_TRY(check_security(l, p));
  veil_ckks_params_fingerprint(p, p->fingerprint);
  return VEIL_OK;
}

void veil_ckks_params_paramset(const veil_ckks_params *p, veil_rlwe_paramset *out) {
  *out = (veil_rlwe_paramset){.logn = p->logn, .nq = p->nq, .np = p->np, .dnum = p->dnum, .log_scale = p->log_scale,
                              .hamming_weight = p->secret == VEIL_SECRET_SPARSE ? p->h : 0,
                              .security = p->security, .insecure = p->insecure};
  memcpy(out->q, p->q, (size_t)p->nq * sizeof *p->q);
  memcpy(out->p, p->p, (size_t)p->np * sizeof *p->p);
  memcpy(out->fingerprint, p->fingerprint, sizeof out->fingerprint);
}

void veil_ckks_params_fingerprint(const veil_ckks_params *p, uint8_t out[VEIL_CKKS_FINGERPRINT_BYTES]) {
  veil_rlwe_paramset s;
  veil_ckks_params_paramset(p, &s);
  veil_rlwe_paramset_fingerprint(&s, out);
}

/* ---- description and sizes ----------------------------------------------------------------- */

/* Appends to buf at *len, never past cap (snprintf truncates; *len saturates). */
static void append(char *buf, size_t cap, size_t *len, const char *fmt, ...) VEIL_PRINTF(4, 5);
static void append(char *buf, size_t cap, size_t *len, const char *fmt, ...) {
  if (*len >= cap)
    return;
  va_list ap;
  va_start(ap, fmt);
  int k = vsnprintf(buf + *len, cap - *len, fmt, ap);
  va_end(ap);
  *len = k < 0 ? cap : *len + (size_t)k;
}

/* Bit sizes of primes as runs: "60,40x5,59". */
static void append_bits(char *buf, size_t cap, size_t *len, const uint64_t *v, int n) {
  for (int i = 0; i < n;) {
    int b = 64 - __builtin_clzll(v[i]), run = 1;
    while (i + run < n && 64 - __builtin_clzll(v[i + run]) == b)
      run++;
    append(buf, cap, len, run > 1 ? "%s%dx%d" : "%s%d", i ? "," : "", b, run);
    i += run;
  }
}

const char *veil_ckks_params_describe(const veil_ckks_params *p, char *buf, size_t cap) {
  if (!buf || cap == 0)
    return buf;
  size_t len = 0;
  buf[0] = '\0';
  append(buf, cap, &len, "CKKS N=2^%d slots=%zu q=[", p->logn, p->max_slots);
  append_bits(buf, cap, &len, p->q, p->nq);
  append(buf, cap, &len, "] p=[");
  append_bits(buf, cap, &len, p->p, p->np);
  append(buf, cap, &len, "] dnum=%d scale=2^%d log2(QP)=%.1f bound=%d (%d-bit, N=2^%d)", p->dnum,
         p->log_scale, p->log_qp, p->qp_bound, p->security, p->logn);
  if (p->secret == VEIL_SECRET_SPARSE)
    append(buf, cap, &len, " secret=sparse(h=%d)", p->h);
  if (p->insecure)
    append(buf, cap, &len, " INSECURE (test only)");
  else
    append(buf, cap, &len, " security=%d-bit", p->security_bits_met);
  return buf;
}

void veil_ckks_params_key_sizes(const veil_ckks_params *p, veil_ckks_key_sizes *out) {
  uint64_t limb = (uint64_t)p->n * 8, seed = 32;
  uint64_t q = (uint64_t)p->nq, qp = (uint64_t)(p->nq + p->np), d = (uint64_t)p->dnum;
  out->pk = 2 * q * limb;
  out->pk_seeded = q * limb + seed;
  out->rlk = d * 2 * qp * limb;
  out->rlk_seeded = d * qp * limb + seed;
  out->galois = out->rlk;
  out->galois_seeded = out->rlk_seeded;
}

veil_status veil_ckks_params_ring_q(const veil_ckks_params *p, veil_ring *out) {
  return veil_ring_init(out, p->logn, p->q, p->nq);
}

veil_status veil_ckks_params_ring_p(const veil_ckks_params *p, veil_ring *out) {
  return veil_ring_init(out, p->logn, p->p, p->np);
}
