/* Parameter sets: the security table, the canonical fingerprint and full validation of a set read
 * from untrusted bytes (see veil_rlwe_paramset_check). */
#include <math.h>
#include <sodium.h>
#include <string.h>

#include "rlwe-impl.h"

/* log2(QP) bounds, logN 10..17 (ternary secret, sigma 3.2). 128/192: HE Standard 2018 with the 2^16,
 * 2^17 rows as extended by OpenFHE; 256: HE Standard for logN <= 15, doubled per logN above. */
static const int bound128[8] = {27, 54, 109, 218, 438, 881, 1747, 3523};
static const int bound192[8] = {19, 37, 75, 152, 305, 611, 1199, 2411};
static const int bound256[8] = {14, 29, 58, 118, 237, 476, 952, 1904};

int veil_rlwe_security_bound(int security, int logn) {
  if (logn < 10 || logn > 17)
    return 0;
  switch (security) {
  case 128: return bound128[logn - 10];
  case 192: return bound192[logn - 10];
  case 256: return bound256[logn - 10];
  default: return 0;
  }
}

double veil_rlwe_paramset_log_qp(const veil_rlwe_paramset *s) {
  double l = 0;
  for (int i = 0; i < s->nq; i++)
    l += log2((double)s->q[i]);
  for (int i = 0; i < s->np; i++)
    l += log2((double)s->p[i]);
  return l;
}

void veil_rlwe_paramset_fingerprint(const veil_rlwe_paramset *s, uint8_t out[VEIL_RLWE_FP_BYTES]) {
  static const char tag[] = "veil-ckks-params-v1";
  veil_wbuf w;
  veil_wbuf_init(&w);
  veil_wbuf_bytes(&w, tag, sizeof tag - 1);
  veil_wbuf_u32(&w, (uint32_t)s->logn);
  veil_wbuf_u32(&w, (uint32_t)s->nq);
  for (int i = 0; i < s->nq; i++)
    veil_wbuf_u64(&w, s->q[i]);
  veil_wbuf_u32(&w, (uint32_t)s->np);
  for (int i = 0; i < s->np; i++)
    veil_wbuf_u64(&w, s->p[i]);
  veil_wbuf_u32(&w, (uint32_t)s->dnum);
  veil_wbuf_u32(&w, (uint32_t)s->log_scale);
  veil_wbuf_u32(&w, s->hamming_weight ? 1u : 0u);
  veil_wbuf_u32(&w, (uint32_t)s->hamming_weight);
  veil_wbuf_u32(&w, (uint32_t)s->security);
  veil_wbuf_u8(&w, s->insecure ? 1 : 0);
  VEIL_ASSERT(!w.failed && veil_crypto_init() == VEIL_OK);
  crypto_generichash(out, VEIL_RLWE_FP_BYTES, w.data, w.len, NULL, 0);
  veil_wbuf_free(&w);
}

static veil_status check_shape(const veil_rlwe_paramset *s) {
  if (s->logn < 1 || s->logn > 17)
    return veil_fail(VEIL_ERR_FORMAT, "params: logn %d outside [1, 17]", s->logn);
  if (s->nq < 1 || s->np < 1 || s->nq + s->np > VEIL_RLWE_MAX_PRIMES)
    return veil_fail(VEIL_ERR_FORMAT, "params: %d Q and %d P primes (need >= 1 each, <= %d in all)", s->nq, s->np,
                     VEIL_RLWE_MAX_PRIMES);
  if (s->dnum < 1 || s->dnum > s->nq)
    return veil_fail(VEIL_ERR_FORMAT, "params: dnum %d outside [1, nq = %d]", s->dnum, s->nq);
  int alpha = (s->nq + s->dnum - 1) / s->dnum;
  if (alpha > s->np)
    return veil_fail(VEIL_ERR_FORMAT, "params: dnum %d makes digits of %d primes, more than np = %d", s->dnum, alpha,
                     s->np);
  if (s->hamming_weight < 0 || s->hamming_weight > (1 << s->logn))
    return veil_fail(VEIL_ERR_FORMAT, "params: Hamming weight %d outside [0, N = %d]", s->hamming_weight, 1 << s->logn);
  if (s->security != 128 && s->security != 192 && s->security != 256)
    return veil_fail(VEIL_ERR_FORMAT, "params: security %d not one of 128, 192, 256", s->security);
  return VEIL_OK;
}

/* Prime i of the QP list: prime, below 2^61, 1 mod 2N, not equal to an earlier one. */
static veil_status check_prime(const veil_rlwe_paramset *s, int i) {
  uint64_t v = i < s->nq ? s->q[i] : s->p[i - s->nq], two_n = 2ull << s->logn;
  const char *set = i < s->nq ? "q" : "p";
  int k = i < s->nq ? i : i - s->nq;
  if (v >> VEIL_MAX_PRIME_BITS || !veil_is_prime(v))
    return veil_fail(VEIL_ERR_FORMAT, "params: %s_%d = %llu is not a prime below 2^%d", set, k, (unsigned long long)v,
                     VEIL_MAX_PRIME_BITS);
  if (v % two_n != 1)
    return veil_fail(VEIL_ERR_FORMAT, "params: %s_%d = %llu is not 1 mod 2N = %llu (not NTT-friendly)", set, k,
                     (unsigned long long)v, (unsigned long long)two_n);
  for (int j = 0; j < i; j++)
    if ((j < s->nq ? s->q[j] : s->p[j - s->nq]) == v)
      return veil_fail(VEIL_ERR_FORMAT, "params: prime %llu appears twice", (unsigned long long)v);
  return VEIL_OK;
}

static veil_status check_security(const veil_rlwe_paramset *s) {
  double log_qp = veil_rlwe_paramset_log_qp(s);
  int bound = veil_rlwe_security_bound(s->security, s->logn);
  char why[160];
  why[0] = 0;
  if (s->hamming_weight)
    snprintf(why, sizeof why, "sparse secret (h = %d) is not covered by the security table", s->hamming_weight);
  else if (log_qp > bound)
    snprintf(why, sizeof why, "log2(QP) = %.1f exceeds %d, the %d-bit bound for N=2^%d", log_qp, bound, s->security,
             s->logn);
  if (!why[0] && s->insecure)
    return veil_fail(VEIL_ERR_FORMAT, "params: flagged insecure but log2(QP) = %.1f meets the %d-bit bound %d",
                     log_qp, s->security, bound);
  if (why[0] && !s->insecure)
    return veil_fail(VEIL_ERR_INSECURE, "params: %s (and not saved as an insecure test-only set)", why);
  if (why[0])
    veil_log(VEIL_LOG_WARN, "loaded INSECURE (test only) parameters: %s", why);
  return VEIL_OK;
}

veil_status veil_rlwe_paramset_check(const veil_rlwe_paramset *s) {
  VEIL_TRY(check_shape(s));
  for (int i = 0; i < s->nq + s->np; i++)
    VEIL_TRY(check_prime(s, i));
  if (s->log_scale < 0 || s->log_scale > 60 || (s->log_scale && 64 - __builtin_clzll(s->q[0]) <= s->log_scale))
    return veil_fail(VEIL_ERR_FORMAT, "params: log_scale %d outside [0, 60] or not below the %d bits of q_0",
                     s->log_scale, 64 - __builtin_clzll(s->q[0]));
  return check_security(s);
}

void veil_rlwe_paramset_view(const veil_rlwe_paramset *s, veil_rlwe_params *out) {
  *out = (veil_rlwe_params){.logn = s->logn, .nq = s->nq, .q = s->q, .np = s->np, .p = s->p, .dnum = s->dnum,
                            .hamming_weight = s->hamming_weight};
  memcpy(out->fingerprint, s->fingerprint, VEIL_RLWE_FP_BYTES);
}
