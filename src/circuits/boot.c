/* Bootstrapping plan: parameters, level/scale layout, DFT factors, keys (see bootstrap.h). */
#include <math.h>
#include <string.h>

#include "boot-impl.h"

static int ceil_log2(int x) {
  int l = 0;
  while ((1 << l) < x)
    l++;
  return l;
}

void veil_boot_lit_default(veil_boot_lit *lit, int log_slots) {
  int lv = log_slots < 3 ? (log_slots < 1 ? 1 : log_slots) : 3;
  *lit = (veil_boot_lit){.log_slots = log_slots, .cts_levels = lv, .stc_levels = lv, .k = 16,
                         .double_angle = 2, .cos_degree = 55, .log_msg_ratio = 8};
  /* a coefficient of n uniform slots is about 2^-(log_slots + 1) / 2: keep m / q_0 near 2^-13 so that
   * the sine's cubic error (2 pi m / q_0)^2 / 6 stays near 2^-23 relative */
  int r = 13 - (log_slots + 1) / 2;
  lit->log_msg_ratio = r > 8 ? r : 8;
}

int veil_boot_depth(const veil_boot_lit *lit) {
  return lit->cts_levels + ceil_log2(lit->cos_degree + 1) + lit->double_angle + lit->stc_levels;
}

static veil_status check_lit(const veil_ckks_ctx *ctx, const veil_boot_lit *l) {
  int logn = ctx->rlwe.logn, maxf = l->log_slots < VEIL_BOOT_MAX_FACTORS ? l->log_slots : VEIL_BOOT_MAX_FACTORS;
  if (l->log_slots < 1 || l->log_slots > logn - 1)
    return veil_fail(VEIL_ERR_INVALID_ARG, "bootstrap: log_slots %d outside 1..%d", l->log_slots, logn - 1);
  if (l->cts_levels < 1 || l->cts_levels > maxf || l->stc_levels < 1 || l->stc_levels > maxf)
    return veil_fail(VEIL_ERR_INVALID_ARG, "bootstrap: cts_levels %d / stc_levels %d outside 1..%d",
                     l->cts_levels, l->stc_levels, maxf);
  if (l->k < 1 || l->k > 4096)
    return veil_fail(VEIL_ERR_INVALID_ARG, "bootstrap: k %d outside 1..4096", l->k);
  if (l->double_angle < 0 || l->double_angle > 8)
    return veil_fail(VEIL_ERR_INVALID_ARG, "bootstrap: double_angle %d outside 0..8", l->double_angle);
  if (l->cos_degree < 2 || l->cos_degree > 1023)
    return veil_fail(VEIL_ERR_INVALID_ARG, "bootstrap: cos_degree %d outside 2..1023", l->cos_degree);
  if (l->log_msg_ratio < 1 || l->log_msg_ratio > 30)
    return veil_fail(VEIL_ERR_INVALID_ARG, "bootstrap: log_msg_ratio %d outside 1..30", l->log_msg_ratio);
  int need = veil_boot_depth(l) + 1;
  if (ctx->rlwe.nq < need)
    return veil_fail(VEIL_ERR_PRECISION, "bootstrap: the chain has %d primes, the bootstrapping needs %d (+ levels "
                     "left to the user)", ctx->rlwe.nq, need);
  return VEIL_OK;
}

void veil_boot_free(veil_boot *bt) {
  if (!bt)
    return;
  for (int i = 0; i < VEIL_BOOT_MAX_FACTORS; i++) {
    veil__factor_free(&bt->cts[i]);
    veil__factor_free(&bt->stc[i]);
  }
  veil_poly_plan_free(&bt->exp_plan);
  memset(bt, 0, sizeof *bt);
}

veil_status veil_boot_init(veil_boot *bt, const veil_ckks_ctx *ctx, const veil_boot_lit *lit) {
  memset(bt, 0, sizeof *bt);
  VEIL_TRY(check_lit(ctx, lit));
  bt->ctx = ctx;
  bt->lit = *lit;
  bt->slots = 1 << lit->log_slots;
  bt->packed = (size_t)bt->slots <= ctx->rlwe.n / 4;
  bt->top = ctx->rlwe.nq - 1;
  bt->mod_level = bt->top - lit->cts_levels;
  bt->mod_scale = (double)ctx->rlwe.mod[bt->mod_level].q;
  bt->sin_scale = bt->mod_scale; /* EvalMod ends at a large scale: StC amplifies its noise */
  bt->out_scale = ctx->scale;
  bt->ncts = lit->cts_levels;
  bt->nstc = lit->stc_levels;
  veil_status st = veil__boot_mod_init(bt);
  if (st == VEIL_OK) {
    bt->out_level = bt->mod_level - bt->exp_plan.depth - lit->double_angle - lit->stc_levels;
    st = veil__boot_dft_init(bt);
  }
  if (st)
    veil_boot_free(bt);
  return st;
}

/* Stage range [lo, hi] (stage s has block length 2^s, s = 1..L) of group g of G, ascending. */
static void group_range(int L, int G, int g, int *lo, int *hi) {
  int base = L / G, extra = L % G;
  *lo = 1 + g * base + (g < extra ? g : extra);
  *hi = *lo + base - 1 + (g < extra);
}

/* CtS matrix k (applied k-th): inverse stages of the k-th highest group. */
static veil_status cts_matrix(const veil_boot *bt, int k, veil__smat *out) {
  const veil_ckks_ctx *ctx = bt->ctx;
  int n = bt->slots, G = bt->ncts, lo, hi;
  bool last = k == G - 1;
  int dim = last && bt->packed ? 2 * n : n;
  group_range(bt->lit.log_slots, G, G - 1 - k, &lo, &hi);
  double sub = (double)(ctx->rlwe.n / 2) / n; /* SubSum multiplies by N / 2n */
  double complex c = k == 0 ? 1.0 / (2.0 * sub * bt->lit.k) : 1.0;
  veil__smat m = {0}, e = {0};
  VEIL_TRY(veil__dft_group(&ctx->enc, n, dim, 1 << lo, 1 << hi, true, c, &m));
  if (!(last && bt->packed)) {
    *out = m;
    return VEIL_OK;
  }
  veil_status st = veil__smat_init(&e, dim); /* keep the first n slots of each 2n-period */
  for (int t = 0; t < n && st == VEIL_OK; t++)
    st = veil__smat_add(&e, 0, t, 1.0);
  if (st == VEIL_OK)
    return veil__smat_mul_free(&e, &m, out);
  veil__smat_free(&m);
  veil__smat_free(&e);
  return st;
}

/* StC matrix k: forward stages of the k-th lowest group; the first one starts with the 2^ratio /
 * (2 pi) constant and, packed, with out[t] = y[t] + i y[t + n]. */
static veil_status stc_matrix(const veil_boot *bt, int k, veil__smat *out) {
  const veil_ckks_ctx *ctx = bt->ctx;
  int n = bt->slots, lo, hi, dim = bt->packed ? 2 * n : n;
  group_range(bt->lit.log_slots, bt->nstc, k, &lo, &hi);
  double complex c = k == 0 ? ldexp(1.0, bt->lit.log_msg_ratio) / (2.0 * M_PI) : 1.0;
  veil__smat m = {0}, cm = {0};
  VEIL_TRY(veil__dft_group(&ctx->enc, n, dim, 1 << lo, 1 << hi, false, c, &m));
  if (!(k == 0 && bt->packed)) {
    *out = m;
    return VEIL_OK;
  }
  veil_status st = veil__smat_init(&cm, dim);
  for (int t = 0; t < dim && st == VEIL_OK; t++) {
    st = veil__smat_add(&cm, 0, t, t < n ? 1.0 : I);
    if (st == VEIL_OK)
      st = veil__smat_add(&cm, n, t, t < n ? I : 1.0);
  }
  if (st == VEIL_OK)
    return veil__smat_mul_free(&m, &cm, out);
  veil__smat_free(&m);
  veil__smat_free(&cm);
  return st;
}

/* Largest |entry| of @p m. */
static double smat_max(const veil__smat *m) {
  double g = 0;
  for (int o = 0; o < m->dim; o++)
    for (int t = 0; m->d[o] && t < m->dim; t++)
      g = fmax(g, cabs(m->d[o][t]));
  return g;
}

/* Encodes the G factors m[0..G) (inputs at levels top, top - 1, ..) so that the scale moves by
 * @p total over them and every diagonal plaintext has the same largest coefficient q_l C: factor k
 * gets scale ratio C / max|m_k|. A plaintext rounding error is relative to that coefficient, so
 * balancing them (instead of folding small constants such as 1 / 2K into one factor) maximizes the
 * worst factor's precision. */
static veil_status place_factors(const veil_boot *bt, veil__smat *m, int G, int top, double total,
                                 veil_boot_factor *f) {
  double g[VEIL_BOOT_MAX_FACTORS], logc = log2(total);
  for (int k = 0; k < G; k++) {
    g[k] = smat_max(&m[k]);
    logc += log2(g[k]);
  }
  logc /= G;
  double done = 1;
  for (int k = 0; k < G; k++) {
    double r = k == G - 1 ? total / done : exp2(logc) / g[k];
    done *= r;
    VEIL_TRY(veil__factor_init(&f[k], bt->ctx, &m[k], top - k, r));
  }
  return VEIL_OK;
}

/* Builds the G matrices of one direction, then encodes them. */
static veil_status build_dir(veil_boot *bt, bool cts) {
  veil__smat m[VEIL_BOOT_MAX_FACTORS] = {0};
  int G = cts ? bt->ncts : bt->nstc;
  veil_status st = VEIL_OK;
  for (int k = 0; k < G && st == VEIL_OK; k++)
    st = cts ? cts_matrix(bt, k, &m[k]) : stc_matrix(bt, k, &m[k]);
  if (st == VEIL_OK && cts)
    st = place_factors(bt, m, G, bt->top, bt->mod_scale / (double)bt->ctx->rlwe.mod[0].q, bt->cts);
  else if (st == VEIL_OK)
    st = place_factors(bt, m, G, bt->out_level + G, bt->out_scale / bt->sin_scale, bt->stc);
  for (int k = 0; k < G; k++)
    veil__smat_free(&m[k]);
  return st;
}

veil_status veil__boot_dft_init(veil_boot *bt) {
  VEIL_TRY(build_dir(bt, true));
  return build_dir(bt, false);
}

void veil_boot_rotations(const veil_boot *bt, int *steps, int *count) {
  int slots = (int)(bt->ctx->rlwe.n / 2);
  *count = 0;
  for (int k = 0; k < bt->ncts; k++)
    veil__factor_steps(&bt->cts[k], slots, steps, count);
  for (int k = 0; k < bt->nstc; k++)
    veil__factor_steps(&bt->stc[k], slots, steps, count);
  for (int s = bt->slots; s < slots; s *= 2) /* SubSum */
    veil__steps_add(steps, count, s, slots);
  if (bt->packed)
    veil__steps_add(steps, count, -bt->slots, slots);
}

veil_status veil_boot_keys_gen(const veil_boot *bt, const veil_rlwe_sk *sk, veil_rlwe_gks *gks) {
  int steps[VEIL__MAX_STEPS], count;
  veil_boot_rotations(bt, steps, &count);
  return veil_rlwe_gks_gen(&bt->ctx->rlwe, sk, steps, count, true, gks);
}
