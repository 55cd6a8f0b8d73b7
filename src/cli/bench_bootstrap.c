/* `veil bench bootstrap`: CKKS bootstrapping of a full ciphertext at the 128-bit parameter set. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "veil/bootstrap.h"

typedef struct boot_case {
  veil_ckks_params p;
  veil_ckks_ctx ctx;
  veil_boot bt;
  veil_rlwe_sk sk;
  veil_rlwe_swk rlk;
  veil_rlwe_gks gks;
  veil_ckks_eval ev;
  veil_ckks_ct in, out;
  double *x;
  size_t slots;
  double keygen_ms;
  veil_status st;
} boot_case;

static void case_free(boot_case *c) {
  veil_rlwe_ct_free(&c->in);
  veil_rlwe_ct_free(&c->out);
  veil_ckks_eval_free(&c->ev);
  veil_rlwe_gks_free(&c->gks);
  veil_rlwe_swk_free(&c->rlk);
  veil_rlwe_sk_free(&c->sk);
  veil_boot_free(&c->bt);
  veil_ckks_ctx_free(&c->ctx);
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
  VEIL_TRY(veil_ckks_pt_encode_real(&c->ctx, c->x, c->slots, 0, c->ctx.scale, &pt));
  veil_status st = veil_rlwe_encrypt_sk(&c->ctx.rlwe, &c->sk, &pt, &c->in);
  veil_rlwe_pt_free(&pt);
  return st;
}

static veil_status case_init(boot_case *c, int logn) {
  veil_ckks_params_lit lit;
  veil_boot_lit bl;
  VEIL_TRY(veil_boot_params_128(logn, &lit, &bl));
  VEIL_TRY(veil_ckks_params_resolve(&lit, &c->p));
  VEIL_TRY(veil_ckks_ctx_init(&c->ctx, &c->p));
  VEIL_TRY(veil_boot_init(&c->bt, &c->ctx, &bl));
  VEIL_TRY(veil_rlwe_sk_gen(&c->ctx.rlwe, &c->sk));
  uint64_t t0 = veil_now_ns();
  VEIL_TRY(veil_rlwe_relin_key_gen(&c->ctx.rlwe, &c->sk, &c->rlk));
  VEIL_TRY(veil_boot_keys_gen(&c->bt, &c->sk, &c->gks));
  c->keygen_ms = (double)(veil_now_ns() - t0) / 1e6;
  VEIL_TRY(veil_ckks_eval_init(&c->ev, &c->ctx, &c->rlk, &c->gks));
  c->slots = (size_t)c->bt.slots;
  return encrypt_input(c);
}

static void run_once(void *ctx) {
  boot_case *c = ctx;
  if (c->st == VEIL_OK)
    c->st = veil_boot_run(&c->bt, &c->ev, &c->in, &c->out);
}

/* Mean over the slots of -log2 |decrypt(out) - x| and the max error. */
static veil_status case_precision(boot_case *c, double *bits, double *max_err) {
  veil_ckks_pt pt = {0};
  double complex *y = veil_malloc(c->slots * sizeof *y);
  veil_status st = y ? veil_rlwe_decrypt(&c->ctx.rlwe, &c->sk, &c->out, &pt) : veil_fail(VEIL_ERR_NOMEM, "decode");
  if (st == VEIL_OK)
    st = veil_ckks_pt_decode(&c->ctx, &pt, y, c->slots);
  double s = 0;
  *max_err = 0;
  for (size_t i = 0; st == VEIL_OK && i < c->slots; i++) {
    double e = cabs(y[i] - c->x[i]);
    *max_err = fmax(*max_err, e);
    s += -log2(fmax(e, 0x1p-60));
  }
  *bits = s / (double)c->slots;
  veil_rlwe_pt_free(&pt);
  veil_free(y);
  return st;
}

static void print(const boot_case *c, int threads, double ms, double bits, double max_err, bool json) {
  veil_ckks_key_sizes ks;
  veil_ckks_params_key_sizes(&c->p, &ks);
  double key_mb = (double)(ks.rlk_seeded + (uint64_t)c->gks.count * ks.galois_seeded) / 1048576.0;
  if (!json) {
    printf("bootstrap logN %d, %zu slots, log2(QP) %.1f (%d-bit): %.1f ms, %d levels left at scale 2^%d, "
           "%.1f bits mean precision (max err 2^%.1f), keys %.0f MiB seeded (%d Galois), keygen %.0f ms, "
           "peak RSS %.0f MiB, %d thread(s)\n", c->p.logn, c->slots, c->p.log_qp, c->p.security_bits_met, ms,
           c->bt.out_level, c->p.log_scale, bits, log2(max_err), key_mb, c->gks.count, c->keygen_ms,
           veil_peak_rss_mb(), threads);
    return;
  }
  veil_json j;
  veil_json_begin(&j, stdout);
  veil_json_str(&j, "op", "bootstrap");
  veil_json_int(&j, "logn", c->p.logn);
  veil_json_int(&j, "slots", (int64_t)c->slots);
  veil_json_num(&j, "log_qp", c->p.log_qp);
  veil_json_int(&j, "security_bits", c->p.security_bits_met);
  veil_json_num(&j, "ms", ms);
  veil_json_int(&j, "levels_left", c->bt.out_level);
  veil_json_int(&j, "scale_bits", c->p.log_scale);
  veil_json_num(&j, "precision_bits", bits);
  veil_json_num(&j, "max_err", max_err);
  veil_json_num(&j, "key_mb", key_mb);
  veil_json_int(&j, "galois_keys", c->gks.count);
  veil_json_int(&j, "dnum", c->p.dnum);
  veil_json_num(&j, "keygen_ms", c->keygen_ms);
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
