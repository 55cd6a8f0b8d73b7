/* exp(i theta(x)) = C(x) + i S(x) (C even, S odd) with ONE real-coefficient plan for P = C + S.
 *
 * The generic evaluator (poly_eval.c) builds T_1..T_b and the giant powers T_2^j by products and
 * sums, then leaves sum_k p_k T_k and splits q T_g + r with g >= 2 (an even power). These ops carry
 * a parity with every ciphertext and store odd elements multiplied by i: T_1 enters as i x; a
 * product of two odd elements is negated (i^2 = -1) so that even elements stay plain. A leaf's sum
 * of p_k (i^(k mod 2) T_k) is then C_leaf + i S_leaf, and since division by an even T_g keeps the
 * parities apart, the splits assemble C + i S: one evaluation instead of two. A product of a mixed
 * element with an odd one would break this and is refused. */
#include <stdlib.h>

#include "boot-impl.h"

enum { PAR_NONE = -1, PAR_EVEN = 0, PAR_ODD = 1, PAR_MIXED = 2 };

typedef struct pct {
  veil_ckks_ct ct;
  int par;
} pct;

static veil_status p_new(void *ev, void **ct) {
  (void)ev;
  pct *p = veil_calloc(1, sizeof *p);
  if (!p)
    return veil_fail(VEIL_ERR_NOMEM, "EvalMod ciphertext handle");
  p->par = PAR_NONE;
  *ct = p;
  return VEIL_OK;
}

static void p_free(void *ev, void *ct) {
  (void)ev;
  if (!ct)
    return;
  veil_rlwe_ct_free(&((pct *)ct)->ct);
  veil_free(ct);
}

static veil_status p_copy(void *ev, void *dst, const void *src) {
  pct *d = dst;
  const pct *s = src;
  if (d == s)
    return VEIL_OK;
  d->par = s->par;
  return veil_rlwe_ct_copy(&((veil_ckks_eval *)ev)->ctx->rlwe, &d->ct, &s->ct);
}

static int p_level(const void *ct) { return ((const pct *)ct)->ct.level; }
static double p_scale(const void *ct) { return ((const pct *)ct)->ct.scale; }
static void p_set_scale(void *ct, double scale) { ((pct *)ct)->ct.scale = scale; }
static double p_prime(void *ev, int level) { return (double)((veil_ckks_eval *)ev)->ctx->rlwe.mod[level].q; }
static int join(int a, int b) { return a == b ? a : PAR_MIXED; }

static veil_status p_add(void *ev, void *out, const void *a, const void *b) {
  int par = join(((const pct *)a)->par, ((const pct *)b)->par);
  VEIL_TRY(veil_ckks_add(ev, &((pct *)out)->ct, &((const pct *)a)->ct, &((const pct *)b)->ct));
  ((pct *)out)->par = par;
  return VEIL_OK;
}

static veil_status p_sub(void *ev, void *out, const void *a, const void *b) {
  int par = join(((const pct *)a)->par, ((const pct *)b)->par);
  VEIL_TRY(veil_ckks_sub(ev, &((pct *)out)->ct, &((const pct *)a)->ct, &((const pct *)b)->ct));
  ((pct *)out)->par = par;
  return VEIL_OK;
}

/* A real constant belongs to the even part: added to an odd (i S) element it gives the mixed c + i S. */
static veil_status p_add_const(void *ev, void *out, const void *a, double c) {
  int par = ((const pct *)a)->par == PAR_ODD ? PAR_MIXED : ((const pct *)a)->par;
  VEIL_TRY(veil_ckks_add_const(ev, &((pct *)out)->ct, &((const pct *)a)->ct, c));
  ((pct *)out)->par = par;
  return VEIL_OK;
}

static veil_status p_mul(void *ev, void *out, const void *a, const void *b) {
  int pa = ((const pct *)a)->par, pb = ((const pct *)b)->par;
  if ((pa == PAR_MIXED && pb != PAR_EVEN) || (pb == PAR_MIXED && pa != PAR_EVEN))
    return veil_fail(VEIL_ERR_INTERNAL, "EvalMod: product of a mixed-parity element with a non-even one");
  pct *o = out;
  VEIL_TRY(veil_ckks_mul(ev, &o->ct, &((const pct *)a)->ct, &((const pct *)b)->ct));
  o->par = pa == PAR_MIXED || pb == PAR_MIXED ? PAR_MIXED : (pa + pb) % 2;
  if (pa == PAR_ODD && pb == PAR_ODD) /* (i u)(i v) = -u v */
    VEIL_TRY(veil_ckks_neg(ev, &o->ct, &o->ct));
  return VEIL_OK;
}

static veil_status p_mul_const(void *ev, void *out, const void *a, double c, double pt) {
  int par = ((const pct *)a)->par;
  VEIL_TRY(veil_ckks_mul_const(ev, &((pct *)out)->ct, &((const pct *)a)->ct, c, pt));
  ((pct *)out)->par = par;
  return VEIL_OK;
}

static veil_status p_mul_const_acc(void *ev, void *acc, const void *a, double c, double pt) {
  pct *o = acc;
  int par = o->ct.size == 0 ? ((const pct *)a)->par : join(o->par, ((const pct *)a)->par);
  VEIL_TRY(veil_ckks_mul_const_acc(ev, &o->ct, &((const pct *)a)->ct, c, pt));
  o->par = par;
  return VEIL_OK;
}

static veil_status p_rescale(void *ev, void *ct) { return veil_ckks_rescale(ev, &((pct *)ct)->ct); }
static veil_status p_drop(void *ev, void *ct, int levels) { return veil_ckks_drop_levels(ev, &((pct *)ct)->ct, levels); }

veil_status veil__boot_eval_cis(const veil_poly_plan *plan, veil_ckks_eval *ev, const veil_ckks_ct *in,
                                double scale, veil_ckks_ct *out) {
  veil_poly_ops ops = {.ev = ev, .ct_new = p_new, .ct_free = p_free, .copy = p_copy, .level = p_level,
                       .scale = p_scale, .set_scale = p_set_scale, .prime = p_prime, .add = p_add, .sub = p_sub,
                       .add_const = p_add_const, .mul = p_mul, .mul_const = p_mul_const,
                       .mul_const_acc = p_mul_const_acc, .rescale = p_rescale, .drop = p_drop};
  pct x = {.par = PAR_ODD}, y = {.par = PAR_NONE};
  veil_status st = veil_ckks_mul_i(ev, &x.ct, in); /* T_1 = i x */
  if (st == VEIL_OK)
    st = veil_poly_eval(plan, &ops, &x, scale, &y);
  if (st == VEIL_OK)
    st = veil_rlwe_ct_copy(&ev->ctx->rlwe, out, &y.ct);
  veil_rlwe_ct_free(&x.ct);
  veil_rlwe_ct_free(&y.ct);
  return st;
}
