/* `veil bench bootstrap`: CKKS bootstrapping of a full ciphertext at the 128-bit parameter set. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "bench_boot.h"
#include "veil/bootstrap.h"

typedef struct boot_case {
  veil_bench_boot b;
  veil_ckks_ct in, out;
  veil_boot_stats stats; /**< of the last run */
  double *x;
  size_t slots;
  veil_status st;
} boot_case;

veil_status veil_bench_boot_init(veil_bench_boot *b, int logn) {
  veil_ckks_params_lit lit;
  veil_boot_lit bl;
  VEIL_TRY(veil_boot_params_128(logn, &lit, &bl));
  VEIL_TRY(veil_ckks_params_resolve(&lit, &b->p));
  VEIL_TRY(veil_ckks_ctx_init(&b->ctx, &b->p));
  VEIL_TRY(veil_boot_init(&b->bt, &b->ctx, &bl));
  VEIL_TRY(veil_rlwe_sk_gen(&b->ctx.rlwe, &b->sk));
  uint64_t t0 = veil_now_ns();
  VEIL_TRY(veil_rlwe_relin_key_gen(&b->ctx.rlwe, &b->sk, &b->rlk));
  VEIL_TRY(veil_boot_keys_gen(&b->bt, &b->sk, &b->gks));
  b->keygen_ms = (double)(veil_now_ns() - t0) / 1e6;
  return veil_ckks_eval_init(&b->ev, &b->ctx, &b->rlk, &b->gks);
}

void veil_bench_boot_free(veil_bench_boot *b) {
  veil_ckks_eval_free(&b->ev);
  veil_rlwe_gks_free(&b->gks);
  veil_rlwe_swk_free(&b->rlk);
  veil_rlwe_sk_free(&b->sk);
  veil_boot_free(&b->bt);
  veil_ckks_ctx_free(&b->ctx);
}

double veil_bench_boot_key_mb(const veil_bench_boot *b) {
  veil_ckks_key_sizes ks;
  veil_ckks_params_key_sizes(&b->p, &ks);
  return (double)(ks.rlk_seeded + (uint64_t)b->gks.count * ks.galois_seeded) / 1048576.0;
}

veil_status veil_bench_boot_decrypt(veil_bench_boot *b, const veil_ckks_ct *ct, double complex *out, size_t n) {
  veil_ckks_pt pt = {0};
  veil_status st = veil_rlwe_decrypt(&b->ctx.rlwe, &b->sk, ct, &pt);
  if (st == VEIL_OK)
    st = veil_ckks_pt_decode(&b->ctx, &pt, out, n);
  veil_rlwe_pt_free(&pt);
  return st;
}

static void case_free(boot_case *c) {
  veil_rlwe_ct_free(&c->in);
  veil_rlwe_ct_free(&c->out);
  veil_bench_boot_free(&c->b);
  veil_free(c->x);
}

/* Uniform real inputs in [-1, 1], encrypted at level 0 and the default scale. */
static veil_status encrypt_input(boot_case *c) {
  c->x = veil_malloc(c->slots * sizeof *c->x);
  uint64_t *rnd = veil_malloc(c->slots * sizeof *rnd);
  if (!c->x || !rnd) {
    veil_free(rnd);
    return veil_fail(VEIL_ERR_NOMEM, "bootstrap inputs");
  }
  veil_random_bytes(rnd, c->slots * sizeof *rnd);
  for (size_t i = 0; i < c->slots; i++)
    c->x[i] = 2.0 * (double)(rnd[i] >> 11) * 0x1p-53 - 1.0;
  veil_free(rnd);
  veil_ckks_pt pt;
  VEIL_TRY(veil_ckks_pt_encode_real(&c->b.ctx, c->x, c->slots, 0, c->b.ctx.scale, &pt));
  veil_status st = veil_rlwe_encrypt_sk(&c->b.ctx.rlwe, &c->b.sk, &pt, &c->in);
  veil_rlwe_pt_free(&pt);
  return st;
}

static veil_status case_init(boot_case *c, int logn) {
  VEIL_TRY(veil_bench_boot_init(&c->b, logn));
  c->slots = (size_t)c->b.bt.slots;
  return encrypt_input(c);
}

static void run_once(void *ctx) {
  boot_case *c = ctx;
  if (c->st == VEIL_OK)
    c->st = veil_boot_run_stats(&c->b.bt, &c->b.ev, &c->in, &c->out, &c->stats);
}

/* Mean over the slots of -log2 |decrypt(out) - x| and the max error. */
static veil_status case_precision(boot_case *c, double *bits, double *max_err) {
  double complex *y = veil_malloc(c->slots * sizeof *y);
  veil_status st = y ? veil_bench_boot_decrypt(&c->b, &c->out, y, c->slots) : veil_fail(VEIL_ERR_NOMEM, "decode");
  double s = 0;
  *max_err = 0;
  for (size_t i = 0; st == VEIL_OK && i < c->slots; i++) {
    double e = cabs(y[i] - c->x[i]);
    *max_err = fmax(*max_err, e);
    s += -log2(fmax(e, 0x1p-60));
  }
  *bits = s / (double)c->slots;
  veil_free(y);
  return st;
}

static void print(const boot_case *c, int threads, double ms, double bits, double max_err, bool json) {
  const veil_bench_boot *b = &c->b;
  double key_mb = veil_bench_boot_key_mb(b);
  if (!json) {
    printf("bootstrap logN %d, %zu slots, log2(QP) %.1f (%d-bit): %.1f ms, %d levels left at scale 2^%d, "
           "%.1f bits mean precision (max err 2^%.1f), keys %.0f MiB seeded (%d Galois), keygen %.0f ms, "
           "peak RSS %.0f MiB, %d thread(s)\n  stages (last run): raise %.0f ms, SubSum %.0f ms, CtS %.0f ms, EvalMod %.0f "
           "ms, StC %.0f ms\n", b->p.logn, c->slots, b->p.log_qp, b->p.security_bits_met, ms,
           b->bt.out_level, b->p.log_scale, bits, log2(max_err), key_mb, b->gks.count, b->keygen_ms,
           veil_peak_rss_mb(), threads, c->stats.raise_ms, c->stats.subsum_ms, c->stats.cts_ms,
           c->stats.evalmod_ms, c->stats.stc_ms);
    return;
  }
  veil_json j;
  veil_json_begin(&j, stdout);
  veil_json_str(&j, "op", "bootstrap");
  veil_json_int(&j, "logn", b->p.logn);
  veil_json_int(&j, "slots", (int64_t)c->slots);
  veil_json_num(&j, "log_qp", b->p.log_qp);
  veil_json_int(&j, "security_bits", b->p.security_bits_met);
  veil_json_num(&j, "ms", ms);
  veil_json_int(&j, "levels_left", b->bt.out_level);
  veil_json_int(&j, "scale_bits", b->p.log_scale);
  veil_json_num(&j, "raise_ms", c->stats.raise_ms);
  veil_json_num(&j, "subsum_ms", c->stats.subsum_ms);
  veil_json_num(&j, "cts_ms", c->stats.cts_ms);
  veil_json_num(&j, "evalmod_ms", c->stats.evalmod_ms);
  veil_json_num(&j, "stc_ms", c->stats.stc_ms);
  veil_json_num(&j, "precision_bits", bits);
  veil_json_num(&j, "max_err", max_err);
  veil_json_num(&j, "key_mb", key_mb);
  veil_json_int(&j, "galois_keys", b->gks.count);
  veil_json_int(&j, "dnum", b->p.dnum);
  veil_json_num(&j, "keygen_ms", b->keygen_ms);
  veil_json_num(&j, "peak_rss_mb", veil_peak_rss_mb());
  veil_json_int(&j, "threads", threads);
  veil_json_end(&j);
}

int veil_bench_bootstrap(veil_cli_args *a, const veil_bench_cfg *cfg) {
  int64_t logn = 16;
  if (!veil_cli_int(a, "logn", 12, 16, &logn))
    return 2;
  boot_case c = {0};
  veil_status st = case_init(&c, (int)logn);
  veil_bench_cfg run = *cfg; /* seconds per run: no warmup, 1 run unless --reps */
  run.warmup = 0;
  run.reps = veil_cli_has(a, "reps") ? cfg->reps : 1;
  double ns = st == VEIL_OK ? veil_bench_median_ns(&run, run_once, &c) : 0, bits = 0, max_err = 0;
  if (st == VEIL_OK)
    st = c.st;
  if (st == VEIL_OK)
    st = case_precision(&c, &bits, &max_err);
  if (st == VEIL_OK)
    print(&c, cfg->threads, ns / 1e6, bits, max_err, cfg->json);
  case_free(&c);
  return st ? veil_cli_fail(a, st) : 0;
}
