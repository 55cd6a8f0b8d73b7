/* The params object: round trip, every truncation, every bit flip, wrong type, fingerprint
 * mismatch, and hand-made sets that violate one rule each (composite or non-NTT prime, duplicate,
 * digits, security with and without the test-only flag). Expected verdicts come from the rules
 * themselves (trial division, the HE Standard table), not from the code under test. */
#include "rlwe_test_util.h"

/* Trial division: an independent primality reference for primes below 2^40. */
static bool prime_ref(uint64_t v) {
  if (v < 2)
    return false;
  for (uint64_t d = 2; d * d <= v; d++)
    if (v % d == 0)
      return false;
  return true;
}

/* A set of nq + np NTT-friendly primes of @p bits at @p logn, fingerprinted. */
static void set_make(veil_rlwe_paramset *s, int logn, int nq, int np, int bits, int security) {
  *s = (veil_rlwe_paramset){.logn = logn, .nq = nq, .np = np, .dnum = nq, .log_scale = bits - 5,
                            .security = security};
  VT_OK(veil_primes_ntt(logn, bits, nq, NULL, 0, s->q));
  VT_OK(veil_primes_ntt(logn, bits, np, s->q, nq, s->p));
  veil_rlwe_paramset_fingerprint(s, s->fingerprint);
}

static veil_status save_load(veil_rlwe_paramset *s, bool refinger, veil_rlwe_paramset *out) {
  if (refinger)
    veil_rlwe_paramset_fingerprint(s, s->fingerprint);
  veil_wbuf w;
  veil_wbuf_init(&w);
  veil_rlwe_params_save(s, &w);
  veil_error_clear();
  veil_status st = veil_rlwe_params_load(w.data, w.len, out);
  veil_wbuf_free(&w);
  return st;
}

static void test_round_trip(void) {
  veil_rlwe_paramset s, t;
  set_make(&s, 13, 4, 1, 40, 128); /* 5 x 40 bits = 200 <= 218: secure at 128 bits */
  for (int i = 0; i < 5; i++) {
    uint64_t v = i < 4 ? s.q[i] : s.p[0];
    VT_CHECK(prime_ref(v) && v % (2u << 13) == 1);
  }
  VT_OK(save_load(&s, false, &t));
  VT_CHECK(memcmp(&s, &t, sizeof s) == 0);
  /* a context can be built from the loaded set */
  veil_rlwe_params rp;
  veil_rlwe_ctx c;
  veil_rlwe_paramset_view(&t, &rp);
  VT_OK(veil_rlwe_ctx_init(&c, &rp));
  VT_CHECK(memcmp(c.fingerprint, s.fingerprint, VEIL_RLWE_FP_BYTES) == 0);
  veil_rlwe_ctx_free(&c);
}

static bool clean(veil_status st) {
  return (st == VEIL_ERR_FORMAT || st == VEIL_ERR_MISMATCH || st == VEIL_ERR_INSECURE) && veil_error_detail()[0];
}

/* Every truncation and every single-bit flip is refused: each byte is a header field, a
 * fingerprinted field or the fingerprint itself. */
static void test_corpus(void) {
  veil_rlwe_paramset s, t;
  set_make(&s, 13, 3, 1, 30, 128);
  veil_wbuf w;
  veil_wbuf_init(&w);
  veil_rlwe_params_save(&s, &w);
  VT_CHECK_EQ_U64(w.len, 44 + 4 + 4 + 3 * 8 + 4 + 8 + 4 * 4 + 1);
  VT_OK(veil_rlwe_params_load(w.data, w.len, &t)); /* 4 x 30 bits: secure, loads without the flag */
  VT_CHECK(!t.insecure);
  uint8_t *buf = malloc(w.len + 1);
  int bad = 0;
  for (size_t cut = 0; cut < w.len; cut++) {
    memcpy(buf, w.data, cut);
    veil_error_clear();
    veil_status st = veil_rlwe_params_load(buf, cut, &t);
    bad += st != VEIL_ERR_FORMAT || !clean(st);
  }
  VT_CHECK_MSG(bad == 0, "%d truncations not refused as FORMAT", bad);
  memcpy(buf, w.data, w.len);
  buf[w.len] = 0;
  VT_CHECK(veil_rlwe_params_load(buf, w.len + 1, &t) == VEIL_ERR_FORMAT);
  bad = 0;
  for (size_t bit = 0; bit < 8 * w.len; bit++) {
    memcpy(buf, w.data, w.len);
    buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    veil_error_clear();
    veil_status st = veil_rlwe_params_load(buf, w.len, &t);
    bad += !clean(st);
  }
  VT_CHECK_MSG(bad == 0, "%d bit flips not refused cleanly", bad);
  /* wrong type: the type field says ciphertext, and a params object given to the ct loader */
  memcpy(buf, w.data, w.len);
  buf[8] = VEIL_OBJ_CT;
  VT_CHECK(veil_rlwe_params_load(buf, w.len, &t) == VEIL_ERR_MISMATCH);
  veil_rlwe_ctx c;
  veil_rlwe_params rp;
  veil_rlwe_paramset_view(&s, &rp);
  VT_OK(veil_rlwe_ctx_init(&c, &rp));
  veil_rlwe_ct ct;
  VT_CHECK(veil_rlwe_ct_load(&c, w.data, w.len, &ct) == VEIL_ERR_MISMATCH);
  veil_rlwe_ctx_free(&c);
  free(buf);
  veil_wbuf_free(&w);
}

/* A fingerprint that does not match the fields (edited dnum, stale fingerprint). */
static void test_fingerprint_mismatch(void) {
  veil_rlwe_paramset s, t;
  set_make(&s, 13, 3, 3, 30, 128);
  s.dnum = 1;
  VT_CHECK(save_load(&s, false, &t) == VEIL_ERR_FORMAT);
  VT_CHECK(strstr(veil_error_detail(), "fingerprint") != NULL);
  VT_OK(save_load(&s, true, &t));
  VT_CHECK(t.dnum == 1);
}

/* One broken rule per set, each with a correct fingerprint, so only the validation can refuse it. */
static void test_rules(void) {
  veil_rlwe_paramset s, t;
  set_make(&s, 13, 3, 1, 30, 128);
  s.q[1] = s.q[0] + (2u << 13); /* 1 mod 2N but composite? check with the reference */
  while (prime_ref(s.q[1]))
    s.q[1] += 2u << 12;
  VT_CHECK(save_load(&s, true, &t) == VEIL_ERR_FORMAT && strstr(veil_error_detail(), "not a prime"));
  set_make(&s, 13, 3, 1, 30, 128);
  uint64_t v = s.q[1] + 2; /* a prime that is not 1 mod 2N */
  while (!prime_ref(v) || v % (2u << 13) == 1)
    v += 2;
  s.q[1] = v;
  VT_CHECK(save_load(&s, true, &t) == VEIL_ERR_FORMAT && strstr(veil_error_detail(), "NTT-friendly"));
  set_make(&s, 13, 3, 1, 30, 128);
  s.p[0] = s.q[2];
  VT_CHECK(save_load(&s, true, &t) == VEIL_ERR_FORMAT && strstr(veil_error_detail(), "twice"));
  set_make(&s, 13, 4, 1, 30, 128);
  s.dnum = 2; /* digits of 2 primes, only 1 special prime */
  VT_CHECK(save_load(&s, true, &t) == VEIL_ERR_FORMAT && strstr(veil_error_detail(), "dnum"));
  set_make(&s, 13, 3, 1, 30, 128);
  s.log_scale = 30;
  VT_CHECK(save_load(&s, true, &t) == VEIL_ERR_FORMAT && strstr(veil_error_detail(), "log_scale"));
  set_make(&s, 13, 3, 1, 30, 128);
  s.hamming_weight = 8193;
  VT_CHECK(save_load(&s, true, &t) == VEIL_ERR_FORMAT);
}

/* Security: N = 2^13 allows 218 bits at 128-bit and 152 at 192-bit (HE Standard table). */
static void test_security(void) {
  veil_rlwe_paramset s, t;
  set_make(&s, 13, 4, 1, 40, 192); /* ~200 bits > 152 */
  VT_CHECK(save_load(&s, true, &t) == VEIL_ERR_INSECURE && strstr(veil_error_detail(), "152"));
  s.insecure = true; /* saved as a test-only set: loads, and says so */
  VT_OK(save_load(&s, true, &t));
  VT_CHECK(t.insecure);
  set_make(&s, 13, 4, 1, 40, 128); /* ~200 bits <= 218: secure, so the flag is malformed */
  s.insecure = true;
  VT_CHECK(save_load(&s, true, &t) == VEIL_ERR_FORMAT && strstr(veil_error_detail(), "flagged insecure"));
  set_make(&s, 13, 4, 1, 40, 128);
  s.hamming_weight = 64; /* sparse secrets are outside the table */
  VT_CHECK(save_load(&s, true, &t) == VEIL_ERR_INSECURE && strstr(veil_error_detail(), "sparse"));
  set_make(&s, 9, 2, 1, 30, 128); /* below the table: never secure */
  VT_CHECK(save_load(&s, true, &t) == VEIL_ERR_INSECURE);
  set_make(&s, 13, 5, 1, 40, 128); /* ~240 bits > 218 */
  VT_CHECK(save_load(&s, true, &t) == VEIL_ERR_INSECURE && strstr(veil_error_detail(), "218"));
}

int main(void) {
  VT_RUN(test_round_trip);
  VT_RUN(test_corpus);
  VT_RUN(test_fingerprint_mismatch);
  VT_RUN(test_rules);
  VT_RUN(test_security);
  VT_DONE();
}
