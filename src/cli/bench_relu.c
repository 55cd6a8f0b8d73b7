/* `veil bench relu`: encrypted composite-minimax ReLU on a full ciphertext at 128-bit parameters. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "bench_boot.h"
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

/* *x = n values uniform on [lo, hi] (caller frees). */
static veil_status uniform_inputs(size_t n, double lo, double hi, double **x) {
  *x = veil_malloc(n * sizeof(double));
  uint64_t *rnd = veil_malloc(n * sizeof *rnd);
  if (!*x || !rnd) {
    veil_free(rnd);
    return veil_fail(VEIL_ERR_NOMEM, "relu inputs");
  }
  veil_random_bytes(rnd, n * sizeof *rnd);
  for (size_t i = 0; i < n; i++)
    (*x)[i] = lo + (hi - lo) * (double)(rnd[i] >> 11) * 0x1p-53;
  veil_free(rnd);
  return VEIL_OK;
}

/* Encrypts the n real values x at @p level and @p scale. */
static veil_status encrypt_at(const veil_ckks_ctx *ctx, const veil_rlwe_sk *sk, const double *x, size_t n, int level,
                              double scale, veil_ckks_ct *ct) {
  veil_ckks_pt pt;
  VEIL_TRY(veil_ckks_pt_encode_real(ctx, x, n, level, scale, &pt));
  veil_status st = veil_rlwe_encrypt_sk(&ctx->rlwe, sk, &pt, ct);
  veil_rlwe_pt_free(&pt);
  return st;
}

/* max |y - relu(x)| over n slots. */
static double relu_max_err(const double complex *y, const double *x, size_t n) {
  double e = 0;
  for (size_t i = 0; i < n; i++)
    e = fmax(e, cabs(y[i] - veil_approx_fn_eval(VEIL_APPROX_RELU, x[i])));
  return e;
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
  VEIL_TRY(uniform_inputs(c->slots, lo, hi, &c->x));
  return encrypt_at(&c->ctx, &c->sk, c->x, c->slots, c->ctx.rlwe.nq - 1, c->ctx.scale, &c->in);
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
  *max_err = st == VEIL_OK ? relu_max_err(y, c->x, c->slots) : 0;
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
  veil_approx_json_shape(&c->ap, &j);
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

/* ---- --bootstrap: ReLU on a fresh ciphertext of the bootstrapping chain, then one bootstrap ---- */

typedef struct relu_boot {
  veil_bench_boot b;
  veil_ckks_ct in, mid, out;
  double *x, relu_ms, boot_ms, relu_err, max_err, bits;
  size_t slots;
} relu_boot;

static void relu_boot_free(relu_boot *r) {
  veil_rlwe_ct_free(&r->in);
  veil_rlwe_ct_free(&r->mid);
  veil_rlwe_ct_free(&r->out);
  veil_bench_boot_free(&r->b);
  veil_free(r->x);
}

/* The input is encrypted at the top level at scale q_top, so that the ReLU's rescales by the
 * 60-bit EvalMod primes keep its scale; its output lands on the default scale, then bootstraps. */
static veil_status relu_boot_run(relu_boot *r, const veil_approx_plan *plan, int logn, double lo, double hi) {
  VEIL_TRY(veil_bench_boot_init(&r->b, logn));
  const veil_ckks_ctx *ctx = &r->b.ctx;
  int top = ctx->rlwe.nq - 1;
  if (plan->depth > top)
    return veil_fail(VEIL_ERR_PRECISION, "relu --bootstrap: depth %d exceeds the %d levels of the chain", plan->depth,
                     top);
  r->slots = ctx->rlwe.n / 2;
  VEIL_TRY(uniform_inputs(r->slots, lo, hi, &r->x));
  VEIL_TRY(encrypt_at(ctx, &r->b.sk, r->x, r->slots, top, (double)ctx->rlwe.mod[top].q, &r->in));
  veil_poly_ops ops;
  veil_poly_ops_ckks(&ops, &r->b.ev);
  uint64_t t0 = veil_now_ns();
  VEIL_TRY(veil_approx_plan_eval(plan, &ops, &r->in, ctx->scale, &r->mid));
  uint64_t t1 = veil_now_ns();
  VEIL_TRY(veil_boot_run(&r->b.bt, &r->b.ev, &r->mid, &r->out));
  r->relu_ms = (double)(t1 - t0) / 1e6;
  r->boot_ms = (double)(veil_now_ns() - t1) / 1e6;
  double complex *y = veil_malloc(r->slots * sizeof *y);
  if (!y)
    return veil_fail(VEIL_ERR_NOMEM, "decode");
  veil_status st = veil_bench_boot_decrypt(&r->b, &r->mid, y, r->slots);
  r->relu_err = relu_max_err(y, r->x, r->slots);
  if (st == VEIL_OK)
    st = veil_bench_boot_decrypt(&r->b, &r->out, y, r->slots);
  r->max_err = relu_max_err(y, r->x, r->slots);
  double s = 0;
  for (size_t i = 0; i < r->slots; i++)
    s += -log2(fmax(cabs(y[i] - veil_approx_fn_eval(VEIL_APPROX_RELU, r->x[i])), 0x1p-60));
  r->bits = s / (double)r->slots;
  veil_free(y);
  return st;
}

static void relu_boot_print(const relu_boot *r, const veil_approx *ap, int logn, int threads, bool json) {
  if (!json) {
    printf("relu degrees");
    for (int i = 0; i < ap->nstages; i++)
      printf(" %d", ap->degrees[i]);
    printf(" on [%g, %g] then bootstrap: depth %d, logN %d, %zu slots, %.1f ms (relu %.1f, bootstrap %.1f), "
           "max err 2^%.2f (relu alone 2^%.2f), %.1f bits mean, %d levels left, %d thread(s)\n", ap->lo, ap->hi,
           ap->depth, logn, r->slots, r->relu_ms + r->boot_ms, r->relu_ms, r->boot_ms, log2(r->max_err),
           log2(r->relu_err), r->bits, r->out.level, threads);
    return;
  }
  veil_json j;
  veil_json_begin(&j, stdout);
  veil_json_str(&j, "op", "relu_bootstrap");
  veil_approx_json_shape(ap, &j);
  veil_json_num(&j, "max_err", r->max_err);
  veil_json_num(&j, "relu_max_err", r->relu_err);
  veil_json_num(&j, "precision_bits", r->bits);
  veil_json_num(&j, "ms", r->relu_ms + r->boot_ms);
  veil_json_num(&j, "relu_ms", r->relu_ms);
  veil_json_num(&j, "bootstrap_ms", r->boot_ms);
  veil_json_int(&j, "levels_left", r->out.level);
  veil_json_int(&j, "logn", logn);
  veil_json_int(&j, "slots", (int64_t)r->slots);
  veil_json_int(&j, "security_bits", r->b.p.security_bits_met);
  veil_json_int(&j, "threads", threads);
  veil_json_end(&j);
}

/* One run (seconds-long): ReLU then bootstrap, timed separately. */
static int bench_relu_boot(veil_cli_args *a, const veil_bench_cfg *cfg, veil_approx *ap, int logn) {
  veil_approx_plan plan = {0};
  relu_boot r = {0};
  veil_status st = veil_approx_plan_init(&plan, ap);
  if (st == VEIL_OK)
    st = relu_boot_run(&r, &plan, logn, ap->lo, ap->hi);
  if (st == VEIL_OK)
    relu_boot_print(&r, ap, logn, cfg->threads, cfg->json);
  relu_boot_free(&r);
  veil_approx_plan_free(&plan);
  return st ? veil_cli_fail(a, st) : 0;
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
  if (st == VEIL_OK && veil_cli_has(a, "bootstrap")) {
    int rc = bench_relu_boot(a, cfg, &c.ap, (int)logn);
    case_free(&c);
    return rc;
  }
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
