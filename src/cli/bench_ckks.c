/* `veil bench ckks`: CKKS evaluator operations at production sizes (one 60-bit prime + K-1 40-bit
 * primes, scale 2^40, special primes sized to stay within the 128-bit bound of DESIGN.md section 5). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "veil/ckks.h"

typedef struct ckks_case {
  int logn, limbs, dnum, threads;
  veil_ckks_ctx ctx;
  veil_rlwe_sk sk;
  veil_rlwe_pk pk;
  veil_rlwe_swk rlk;
  veil_rlwe_gks gks;
  veil_ckks_eval ev;
  veil_ckks_pt pt;
  veil_ckks_ct a, b, out, hoisted[8];
  double *vals;
} ckks_case;

static const int hoist_steps[8] = {1, 2, 3, 4, 5, 6, 7, 8};

/* Parameters: q_0 60 bits, K-1 primes of 40 bits; np = ceil(K / dnum) special primes of at most 60
 * bits, as large as the 128-bit bound allows. */
static veil_status case_params(const ckks_case *c, veil_ckks_params *p) {
  veil_ckks_params_lit lit = {.logn = c->logn, .nq = c->limbs, .dnum = c->dnum, .log_scale = 40};
  lit.q_bits[0] = 60;
  for (int i = 1; i < c->limbs; i++)
    lit.q_bits[i] = 40;
  lit.np = (c->limbs + c->dnum - 1) / c->dnum;
  if (lit.np > VEIL_CKKS_MAX_P)
    return veil_fail(VEIL_ERR_INVALID_ARG, "dnum %d needs %d special primes (max %d)", c->dnum, lit.np,
                     VEIL_CKKS_MAX_P);
  int logq = 60 + 40 * (c->limbs - 1), room = veil_ckks_security_bound(128, c->logn) - logq;
  int pbits = room / lit.np > 60 ? 60 : room / lit.np;
  for (int i = 0; i < lit.np; i++)
    lit.p_bits[i] = pbits;
  return veil_ckks_params_resolve(&lit, p);
}

static veil_status case_init(ckks_case *c) {
  veil_ckks_params p;
  VEIL_TRY(case_params(c, &p));
  VEIL_TRY(veil_ckks_ctx_init(&c->ctx, &p));
  const veil_rlwe_ctx *r = &c->ctx.rlwe;
  VEIL_TRY(veil_rlwe_sk_gen(r, &c->sk));
  VEIL_TRY(veil_rlwe_pk_gen(r, &c->sk, &c->pk));
  VEIL_TRY(veil_rlwe_relin_key_gen(r, &c->sk, &c->rlk));
  VEIL_TRY(veil_rlwe_gks_gen(r, &c->sk, hoist_steps, 8, false, &c->gks));
  VEIL_TRY(veil_ckks_eval_init(&c->ev, &c->ctx, &c->rlk, &c->gks));
  size_t slots = r->n / 2;
  c->vals = veil_malloc(slots * sizeof(double));
  if (!c->vals)
    return veil_fail(VEIL_ERR_NOMEM, "bench values");
  uint64_t s = 0x9e3779b97f4a7c15ull;
  for (size_t i = 0; i < slots; i++) {
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    c->vals[i] = (double)(s >> 11) / 4503599627370496.0 - 1.0; /* uniform in [-1, 1) */
  }
  VEIL_TRY(veil_ckks_pt_encode_real(&c->ctx, c->vals, slots, r->nq - 1, c->ctx.scale, &c->pt));
  /* inputs encrypted with the secret key (fresh noise sigma): the precision line measures the
   * evaluator, not public-key encryption noise (~2^-22 at logN 16) */
  VEIL_TRY(veil_rlwe_encrypt_sk(r, &c->sk, &c->pt, &c->a));
  VEIL_TRY(veil_rlwe_encrypt_sk(r, &c->sk, &c->pt, &c->b));
  return veil_rlwe_ct_init(r, &c->out, 2, r->nq - 1);
}

static void case_free(ckks_case *c) {
  for (int i = 0; i < 8; i++)
    veil_rlwe_ct_free(&c->hoisted[i]);
  veil_rlwe_ct_free(&c->a);
  veil_rlwe_ct_free(&c->b);
  veil_rlwe_ct_free(&c->out);
  veil_rlwe_pt_free(&c->pt);
  veil_free(c->vals);
  veil_ckks_eval_free(&c->ev);
  veil_rlwe_gks_free(&c->gks);
  veil_rlwe_swk_free(&c->rlk);
  veil_rlwe_pk_free(&c->pk);
  veil_rlwe_sk_free(&c->sk);
  veil_ckks_ctx_free(&c->ctx);
}

/* The ops (benchmark failures abort: every input here is valid by construction). */
#define MUST(x) VEIL_ASSERT((x) == VEIL_OK)
static void op_encode(void *p) {
  ckks_case *c = p;
  veil_ckks_pt pt;
  MUST(veil_ckks_pt_encode_real(&c->ctx, c->vals, c->ctx.rlwe.n / 2, c->ctx.rlwe.nq - 1, c->ctx.scale, &pt));
  veil_rlwe_pt_free(&pt);
}
static void op_encrypt(void *p) {
  ckks_case *c = p;
  MUST(veil_rlwe_encrypt_pk(&c->ctx.rlwe, &c->pk, &c->pt, &c->out));
}
static void op_decrypt(void *p) {
  ckks_case *c = p;
  MUST(veil_rlwe_decrypt(&c->ctx.rlwe, &c->sk, &c->a, &c->pt));
}
static void op_add(void *p) {
  ckks_case *c = p;
  MUST(veil_ckks_add(&c->ev, &c->out, &c->a, &c->b));
}
static void op_mul_relin(void *p) {
  ckks_case *c = p;
  MUST(veil_ckks_mul(&c->ev, &c->out, &c->a, &c->b));
}
static void op_rescale(void *p) {
  ckks_case *c = p;
  MUST(veil_ckks_rescale(&c->ev, &c->out));
  c->out.level++; /* restore the level for the next repetition (contents do not matter for timing) */
  for (int j = 0; j < 2; j++)
    c->out.c[j].nlimbs = c->out.level + 1;
}
static void op_rotate(void *p) {
  ckks_case *c = p;
  MUST(veil_ckks_rotate(&c->ev, &c->out, &c->a, 1));
}
static void op_hoisted8(void *p) {
  ckks_case *c = p;
  MUST(veil_ckks_rotate_hoisted(&c->ev, &c->a, hoist_steps, 8, c->hoisted));
}

/* Thread CPU time in ns: on a shared machine it excludes time the benchmark was descheduled. */
static uint64_t cpu_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Medians of wall and thread-CPU time (microseconds) over cfg->reps runs after cfg->warmup. */
static void time_op(const veil_bench_cfg *cfg, void (*fn)(void *), void *ctx, double *wall_us, double *cpu_us) {
  for (int i = 0; i < cfg->warmup; i++)
    fn(ctx);
  double *w = veil_malloc(2 * (size_t)cfg->reps * sizeof(double)), *u = w + cfg->reps;
  VEIL_ASSERT(w);
  for (int i = 0; i < cfg->reps; i++) {
    uint64_t t0 = veil_now_ns(), c0 = cpu_ns();
    fn(ctx);
    u[i] = (double)(cpu_ns() - c0) / 1e3;
    w[i] = (double)(veil_now_ns() - t0) / 1e3;
  }
  *wall_us = veil_median(w, (size_t)cfg->reps);
  *cpu_us = veil_median(u, (size_t)cfg->reps);
  veil_free(w);
}

static void emit(const ckks_case *c, const veil_bench_cfg *cfg, const char *op, const char *key, double v,
                 double cpu_us) {
  if (!cfg->json) {
    printf("logn %2d limbs %2d dnum %d threads %d  %-16s %s %.3f", c->logn, c->limbs, c->dnum, c->threads, op,
           key, v);
    if (cpu_us >= 0)
      printf("  cpu_us %.3f", cpu_us);
    printf("\n");
    return;
  }
  veil_json j;
  veil_json_begin(&j, stdout);
  veil_json_str(&j, "op", op);
  veil_json_int(&j, "logn", c->logn);
  veil_json_int(&j, "limbs", c->limbs);
  veil_json_int(&j, "dnum", c->dnum);
  veil_json_int(&j, "threads", c->threads);
  veil_json_num(&j, key, v);
  if (cpu_us >= 0 && c->threads == 1)
    veil_json_num(&j, "cpu_us", cpu_us);
  veil_json_end(&j);
  fflush(stdout);
}

/* Mean precision of mul_relin + rescale: -log2(mean |error|) over all slots. */
static double precision_bits(ckks_case *c) {
  size_t slots = c->ctx.rlwe.n / 2;
  double *out = veil_malloc(slots * sizeof(double)), sum = 0;
  veil_ckks_pt dec = {0};
  MUST(veil_ckks_mul(&c->ev, &c->out, &c->a, &c->b));
  MUST(veil_ckks_rescale(&c->ev, &c->out));
  MUST(veil_rlwe_decrypt(&c->ctx.rlwe, &c->sk, &c->out, &dec));
  MUST(veil_ckks_decode_real(&c->ctx.enc, &c->ctx.rlwe.rq, &dec.m, dec.scale, slots, out));
  for (size_t i = 0; i < slots; i++)
    sum += fabs(out[i] - c->vals[i] * c->vals[i]);
  veil_rlwe_pt_free(&dec);
  veil_free(out);
  MUST(veil_rlwe_ct_reshape(&c->ctx.rlwe, &c->out, 2, c->ctx.rlwe.nq - 1));
  return -log2(sum / (double)slots);
}

static int run_case(ckks_case *c, const veil_bench_cfg *cfg) {
  veil_status st = case_init(c);
  if (st != VEIL_OK) {
    fprintf(stderr, "veil bench ckks: logn %d limbs %d dnum %d: %s: %s\n", c->logn, c->limbs, c->dnum,
            veil_status_str(st), veil_error_detail());
    case_free(c);
    return 1;
  }
  static const struct {
    const char *name;
    void (*fn)(void *);
  } ops[] = {{"encode", op_encode},       {"encrypt", op_encrypt}, {"decrypt", op_decrypt},
             {"add", op_add},             {"mul_relin", op_mul_relin}, {"rescale", op_rescale},
             {"rotate", op_rotate},       {"hoisted_rotate8", op_hoisted8}};
  for (size_t i = 0; i < sizeof ops / sizeof *ops; i++) {
    double wall, cpu;
    time_op(cfg, ops[i].fn, c, &wall, &cpu);
    emit(c, cfg, ops[i].name, "us", wall, cpu);
  }
  double key_mb = (double)c->rlk.dnum * 2 * (c->ctx.rlwe.nq + c->ctx.rlwe.np) * c->ctx.rlwe.n * 8 / 1048576.0;
  emit(c, cfg, "relin_key", "key_mb", key_mb, -1);
  emit(c, cfg, "rot_key", "key_mb", key_mb, -1);
  emit(c, cfg, "precision", "bits", precision_bits(c), -1);
  case_free(c);
  return 0;
}

int veil_bench_ckks(veil_cli_args *a, const veil_bench_cfg *cfg) {
  int64_t logn = 0, limbs = 0, dnum = 0;
  if (!veil_cli_int(a, "logn", 10, 17, &logn) || !veil_cli_int(a, "limbs", 1, VEIL_CKKS_MAX_Q, &limbs) ||
      !veil_cli_int(a, "dnum", 1, VEIL_CKKS_MAX_Q, &dnum))
    return 2;
  /* logn, limbs, dnum: the fastest dnum measured with the AVX-512 key switching (at 16/24 dnum 2, 3
   * and 4 are within a few percent, 6 and 8 slower; at 14/8 dnum 4, since fewer digits leave special
   * primes too small for the 128-bit bound) */
  static const int defaults[2][3] = {{14, 8, 4}, {16, 24, 3}};
  int rc = 0;
  for (int i = 0; i < 2; i++) {
    ckks_case c = {.logn = defaults[i][0], .limbs = defaults[i][1], .dnum = defaults[i][2],
                   .threads = cfg->threads};
    if (logn) { /* one explicit configuration */
      c = (ckks_case){.logn = (int)logn, .limbs = logn >= 16 ? 24 : 8, .dnum = logn >= 16 ? 3 : 4,
                      .threads = cfg->threads};
      i = 2;
    }
    if (limbs)
      c.limbs = (int)limbs;
    if (dnum)
      c.dnum = (int)dnum;
    if (c.dnum > c.limbs)
      c.dnum = c.limbs;
    rc |= run_case(&c, cfg);
  }
  return rc;
}
