/* `veil bench relu`: encrypted composite-minimax ReLU on a full ciphertext at 128-bit parameters. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "veil/poly.h"

typedef struct relu_case {
  veil_approx ap;
  veil_approx_plan plan;
  veil_ckks_ctx ctx;
  veil_rlwe_sk sk;
  veil_rlwe_swk rlk;
  veil_ckks_eval ev;
  veil_poly_ops ops;
  veil_ckks_ct in, out;
  double *x;
  size_t slots;
  veil_status st;
} relu_case;

static void case_free(relu_case *c) {
  veil_rlwe_ct_free(&c->in);
  veil_rlwe_ct_free(&c->out);
  veil_ckks_eval_free(&c->ev);
  veil_rlwe_swk_free(&c->rlk);
  veil_rlwe_sk_free(&c->sk);
  veil_ckks_ctx_free(&c->ctx);
  veil_approx_plan_free(&c->plan);
  veil_approx_free(&c->ap);
  veil_free(c->x);
}

/* 128-bit parameters of depth ap.depth with N/2 = 2^(logn-1) slots, keys, an encrypted input. */
static veil_status case_init(relu_case *c, int logn, double lo, double hi) {
  veil_ckks_params_lit lit;
  veil_ckks_params p;
  VEIL_TRY(veil_ckks_params_select(c->plan.depth, 40, 20, 1 << (logn - 1), 128, &lit));
  VEIL_TRY(veil_ckks_params_resolve(&lit, &p));
  VEIL_TRY(veil_ckks_ctx_init(&c->ctx, &p));
  VEIL_TRY(veil_rlwe_sk_gen(&c->ctx.rlwe, &c->sk));
  VEIL_TRY(veil_rlwe_relin_key_gen(&c->ctx.rlwe, &c->sk, &c->rlk));
  VEIL_TRY(veil_ckks_eval_init(&c->ev, &c->ctx, &c->rlk, NULL));
  veil_poly_ops_ckks(&c->ops, &c->ev);
  c->slots = c->ctx.rlwe.n / 2;
  c->x = veil_malloc(c->slots * sizeof(double));
  if (!c->x)
    return veil_fail(VEIL_ERR_NOMEM, "relu inputs");
  uint8_t *rnd = veil_malloc(c->slots * 8);
  if (!rnd)
    return veil_fail(VEIL_ERR_NOMEM, "relu inputs");
  veil_random_bytes(rnd, c->slots * 8);
  for (size_t i = 0; i < c->slots; i++) { /* uniform on [lo, hi] */
    uint64_t w;
    memcpy(&w, rnd + 8 * i, 8);
    c->x[i] = lo + (hi - lo) * (double)(w >> 11) * 0x1p-53;
  }
  veil_free(rnd);
  veil_ckks_pt pt;
  VEIL_TRY(veil_ckks_pt_encode_real(&c->ctx, c->x, c->slots, c->ctx.rlwe.nq - 1, c->ctx.scale, &pt));
  veil_status st = veil_rlwe_encrypt_sk(&c->ctx.rlwe, &c->sk, &pt, &c->in);
  veil_rlwe_pt_free(&pt);
  return st;
}

static void run_once(void *ctx) {
  relu_case *c = ctx;
  if (c->st == VEIL_OK)
    c->st = veil_approx_plan_eval(&c->plan, &c->ops, &c->in, c->ctx.scale, &c->out);
}

/* max |decrypt(out) - relu(x)| over all slots. */
static veil_status case_error(relu_case *c, double *max_err) {
  veil_ckks_pt pt = {0};
  double complex *y = veil_malloc(c->slots * sizeof *y);
  veil_status st = y ? veil_rlwe_decrypt(&c->ctx.rlwe, &c->sk, &c->out, &pt) : veil_fail(VEIL_ERR_NOMEM, "decode");
  if (st == VEIL_OK)
    st = veil_ckks_pt_decode(&c->ctx, &pt, y, c->slots);
  *max_err = 0;
  for (size_t i = 0; st == VEIL_OK && i < c->slots; i++)
    *max_err = fmax(*max_err, cabs(y[i] - veil_approx_fn_eval(VEIL_APPROX_RELU, c->x[i])));
  veil_rlwe_pt_free(&pt);
  veil_free(y);
  return st;
}

static void print(const relu_case *c, int logn, int threads, double ms, double max_err, bool json) {
  if (!json) {
    printf("relu degrees");
    for (int i = 0; i < c->ap.nstages; i++)
      printf(" %d", c->ap.degrees[i]);
    printf(" on [%g, %g]: depth %d, logN %d, %zu slots, %.1f ms, max err %.3g (2^%.2f), %d thread(s)\n",
           c->ap.lo, c->ap.hi, c->ap.depth, logn, c->slots, ms, max_err, log2(max_err), threads);
    return;
  }
  veil_json j;
  veil_json_begin(&j, stdout);
  veil_json_str(&j, "op", "relu");
  veil_json_array_begin(&j, "degrees");
  for (int i = 0; i < c->ap.nstages; i++)
    veil_json_array_int(&j, c->ap.degrees[i]);
  veil_json_array_end(&j);
  veil_json_int(&j, "depth", c->ap.depth);
  veil_json_array_begin(&j, "interval");
  veil_json_array_num(&j, c->ap.lo);
  veil_json_array_num(&j, c->ap.hi);
  veil_json_array_end(&j);
  veil_json_num(&j, "eps", c->ap.eps);
  veil_json_num(&j, "max_err", max_err);
  veil_json_num(&j, "ms", ms);
  veil_json_int(&j, "logn", logn);
  veil_json_int(&j, "slots", (int64_t)c->slots);
  veil_json_int(&j, "threads", threads);
  veil_json_end(&j);
}

/* Parses "a,b,..." integers (at most max); returns the count or -1. */
static int parse_ints(const char *s, int *out, int max) {
  int n = 0;
  while (*s) {
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || n == max || v < -1000000 || v > 1000000)
      return -1;
    out[n++] = (int)v;
    s = *end == ',' ? end + 1 : end;
    if (*end && *end != ',')
      return -1;
  }
  return n;
}

int veil_bench_relu(veil_cli_args *a, const veil_bench_cfg *cfg) {
  int deg[VEIL_APPROX_MAX_STAGES] = {15, 15, 27}, nd = 3;
  double lo = -1, hi = 1;
  int64_t logn = 16;
  const char *ds = veil_cli_get(a, "degrees"), *iv = veil_cli_get(a, "interval");
  if (ds && (nd = parse_ints(ds, deg, VEIL_APPROX_MAX_STAGES)) < 1)
    return veil_cli_usage_error(a, "--degrees wants comma-separated integers, got '%s'", ds);
  if (iv && sscanf(iv, "%lf,%lf", &lo, &hi) != 2)
    return veil_cli_usage_error(a, "--interval wants A,B, got '%s'", iv);
  if (!veil_cli_int(a, "logn", 12, 17, &logn))
    return 2;
  relu_case c = {0};
  veil_status st = veil_approx_build(&c.ap, VEIL_APPROX_RELU, lo, hi, deg, nd, NULL);
  if (st == VEIL_OK)
    st = veil_approx_plan_init(&c.plan, &c.ap);
  if (st == VEIL_OK)
    st = case_init(&c, (int)logn, lo, hi);
  veil_bench_cfg run = *cfg; /* a full ReLU takes seconds: 1 warmup, 3 runs unless --reps */
  run.warmup = 1;
  run.reps = veil_cli_has(a, "reps") ? cfg->reps : 3;
  double ns = st == VEIL_OK ? veil_bench_median_ns(&run, run_once, &c) : 0, max_err = 0;
  if (st == VEIL_OK)
    st = c.st;
  if (st == VEIL_OK)
    st = case_error(&c, &max_err);
  if (st == VEIL_OK)
    print(&c, (int)logn, cfg->threads, ns / 1e6, max_err, cfg->json);
  case_free(&c);
  return st ? veil_cli_fail(a, st) : 0;
}
