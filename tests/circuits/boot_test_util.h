/* Shared fixture for the bootstrapping tests: an insecure small context with a chain sized for a
 * bootstrapping plan, keys made from the plan's own rotation list, float64 helpers. */
#ifndef VEIL_BOOT_TEST_UTIL_H
#define VEIL_BOOT_TEST_UTIL_H

#include <complex.h>

#include "ckks/eval_test_util.h"
#include "veil/bootstrap.h"

typedef struct bt_fix {
  veil_ckks_ctx ctx;
  veil_rlwe_sk sk;
  veil_rlwe_swk rlk;
  veil_rlwe_gks gks;
  veil_ckks_eval ev;
  veil_boot bt;
  size_t n;     /* slots of the plan */
} bt_fix;

/* logN, secret Hamming weight h (0: dense ternary), @p user levels left after bootstrapping:
 * q_0 60 bits, user and StC primes 40 bits (the scale), EvalMod and CtS primes 55 bits. */
static inline veil_status bt_fix_init(bt_fix *f, int logn, int h, int user, const veil_boot_lit *bl) {
  *f = (bt_fix){0};
  veil_ckks_params_lit lit = {.logn = logn, .np = 2, .log_scale = 40, .insecure_test_only = true,
                              .secret = h ? VEIL_SECRET_SPARSE : VEIL_SECRET_TERNARY, .hamming_weight = h};
  int depth = veil_boot_depth(bl), mod = depth - bl->cts_levels - bl->stc_levels;
  lit.q_bits[lit.nq++] = 60;
  for (int i = 0; i < user + bl->stc_levels; i++)
    lit.q_bits[lit.nq++] = 40;
  for (int i = 0; i < mod + bl->cts_levels; i++)
    lit.q_bits[lit.nq++] = 55;
  lit.p_bits[0] = lit.p_bits[1] = 60;
  lit.dnum = (lit.nq + 1) / 2;
  veil_ckks_params p;
  VEIL_TRY(veil_ckks_params_resolve(&lit, &p));
  VEIL_TRY(veil_ckks_ctx_init(&f->ctx, &p));
  VEIL_TRY(veil_boot_init(&f->bt, &f->ctx, bl));
  VEIL_TRY(veil_rlwe_sk_gen(&f->ctx.rlwe, &f->sk));
  VEIL_TRY(veil_rlwe_relin_key_gen(&f->ctx.rlwe, &f->sk, &f->rlk));
  VEIL_TRY(veil_boot_keys_gen(&f->bt, &f->sk, &f->gks));
  f->n = f->bt.slots;
  return veil_ckks_eval_init(&f->ev, &f->ctx, &f->rlk, &f->gks);
}

static inline void bt_fix_free(bt_fix *f) {
  veil_ckks_eval_free(&f->ev);
  veil_boot_free(&f->bt);
  veil_rlwe_gks_free(&f->gks);
  veil_rlwe_swk_free(&f->rlk);
  veil_rlwe_sk_free(&f->sk);
  veil_ckks_ctx_free(&f->ctx);
}

/* Encrypts the n values v tiled over all slots at @p level and @p scale. */
static inline veil_status bt_enc(bt_fix *f, const double complex *v, int level, double scale, veil_ckks_ct *ct) {
  size_t slots = f->ctx.rlwe.n / 2;
  double complex *t = malloc(slots * sizeof *t);
  for (size_t i = 0; i < slots; i++)
    t[i] = v[i % f->n];
  veil_ckks_pt pt;
  veil_status st = veil_ckks_pt_encode(&f->ctx, t, slots, level, scale, &pt);
  free(t);
  VEIL_TRY(st);
  st = veil_rlwe_encrypt_sk(&f->ctx.rlwe, &f->sk, &pt, ct);
  veil_rlwe_pt_free(&pt);
  return st;
}

/* Decrypts all N/2 slots into out (caller frees). */
static inline double complex *bt_dec(bt_fix *f, const veil_ckks_ct *ct) {
  size_t slots = f->ctx.rlwe.n / 2;
  veil_ckks_pt pt = {0};
  double complex *out = malloc(slots * sizeof *out);
  if (veil_rlwe_decrypt(&f->ctx.rlwe, &f->sk, ct, &pt) || veil_ckks_pt_decode(&f->ctx, &pt, out, slots)) {
    free(out);
    out = NULL;
  }
  veil_rlwe_pt_free(&pt);
  return out;
}

/* The special FFT by definition, O(n^2): z_j = sum_k u_k w^(5^j k), w = exp(2 pi i / 4n); inverse
 * (inv = true) u_k = (1/n) sum_j z_j conj(w^(5^j k)). */
static inline void bt_dft_ref(const double complex *in, double complex *out, size_t n, bool inv) {
  size_t m = 4 * n, g;
  for (size_t a = 0; a < n; a++)
    out[a] = 0;
  g = 1;
  for (size_t j = 0; j < n; j++, g = g * 5 % m)
    for (size_t k = 0; k < n; k++) {
      double complex w = cexp(2.0 * M_PI * I * (double)((g * k) % m) / (double)m);
      if (inv)
        out[k] += in[j] * conj(w) / (double)n;
      else
        out[j] += in[k] * w;
    }
}

/* Bit reversal of an index on log2(n) bits. */
static inline size_t bt_brv(size_t i, size_t n) {
  size_t r = 0;
  for (size_t b = 1; b < n; b <<= 1, i >>= 1)
    r = (r << 1) | (i & 1);
  return r;
}

#endif
