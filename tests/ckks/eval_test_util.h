/* Shared fixture for CKKS evaluator tests: a small insecure context, keys and an evaluator, plus
 * float64 reference helpers. */
#ifndef VEIL_EVAL_TEST_UTIL_H
#define VEIL_EVAL_TEST_UTIL_H

#include <complex.h>

#include "ring/ring_test_util.h"
#include "veil/ckks.h"
#include "vtest.h"

typedef struct vt_fix {
  veil_ckks_ctx ctx;
  veil_rlwe_sk sk;
  veil_rlwe_swk rlk;
  veil_rlwe_gks gks;
  veil_ckks_eval ev;
  size_t slots;
} vt_fix;

/* logn, nq primes (q_0 of 50 bits, the rest 40), np special primes of 50 bits, dnum, scale 2^40.
 * Galois keys for @p steps (+ conjugation). Insecure test sizes. */
static inline veil_status vt_fix_init(vt_fix *f, int logn, int nq, int np, int dnum, const int *steps, int nsteps) {
  *f = (vt_fix){0};
  veil_ckks_params_lit lit = {.logn = logn, .nq = nq, .np = np, .dnum = dnum, .log_scale = 40,
                              .insecure_test_only = true};
  lit.q_bits[0] = 50;
  for (int i = 1; i < nq; i++)
    lit.q_bits[i] = 40;
  for (int i = 0; i < np; i++)
    lit.p_bits[i] = 50;
  veil_ckks_params p;
  VEIL_TRY(veil_ckks_params_resolve(&lit, &p));
  VEIL_TRY(veil_ckks_ctx_init(&f->ctx, &p));
  VEIL_TRY(veil_rlwe_sk_gen(&f->ctx.rlwe, &f->sk));
  VEIL_TRY(veil_rlwe_relin_key_gen(&f->ctx.rlwe, &f->sk, &f->rlk));
  VEIL_TRY(veil_rlwe_gks_gen(&f->ctx.rlwe, &f->sk, steps, nsteps, true, &f->gks));
  f->slots = f->ctx.rlwe.n / 2;
  return veil_ckks_eval_init(&f->ev, &f->ctx, &f->rlk, &f->gks);
}

static inline void vt_fix_free(vt_fix *f) {
  veil_ckks_eval_free(&f->ev);
  veil_rlwe_gks_free(&f->gks);
  veil_rlwe_swk_free(&f->rlk);
  veil_rlwe_sk_free(&f->sk);
  veil_ckks_ctx_free(&f->ctx);
}

/* Uniform complex values with real and imaginary parts in [-1, 1]. */
static inline void vt_rand_vals(double complex *v, size_t n) {
  for (size_t i = 0; i < n; i++)
    v[i] = ((double)vt_rand64() / 9223372036854775808.0 - 1.0) + I * ((double)vt_rand64() / 9223372036854775808.0 - 1.0);
}

/* Encrypts v (all slots) at the top level and default scale (symmetric). */
static inline veil_status vt_enc(vt_fix *f, const double complex *v, veil_ckks_ct *ct) {
  veil_ckks_pt pt;
  VEIL_TRY(veil_ckks_pt_encode(&f->ctx, v, f->slots, f->ctx.rlwe.nq - 1, f->ctx.scale, &pt));
  veil_status st = veil_rlwe_encrypt_sk(&f->ctx.rlwe, &f->sk, &pt, ct);
  veil_rlwe_pt_free(&pt);
  return st;
}

/* Largest |decrypt(ct) - ref| over the slots. */
static inline double vt_err(vt_fix *f, const veil_ckks_ct *ct, const double complex *ref) {
  veil_ckks_pt pt = {0};
  double complex *out = malloc(f->slots * sizeof *out);
  double worst = INFINITY;
  if (veil_rlwe_decrypt(&f->ctx.rlwe, &f->sk, ct, &pt) == VEIL_OK &&
      veil_ckks_pt_decode(&f->ctx, &pt, out, f->slots) == VEIL_OK) {
    worst = 0;
    for (size_t i = 0; i < f->slots; i++)
      worst = fmax(worst, cabs(out[i] - ref[i]));
  }
  veil_rlwe_pt_free(&pt);
  free(out);
  return worst;
}

#endif
