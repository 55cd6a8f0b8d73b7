/* A float64 "evaluator" with CKKS level/scale rules, for testing circuits without encryption. */
#include <math.h>
#include <string.h>

#include "veil/poly.h"

typedef veil_poly_sim_ct sct;

veil_status veil_poly_sim_ct_init(sct *ct, const double *v, size_t n, int level, double scale) {
  memset(ct, 0, sizeof *ct);
  ct->v = veil_calloc(n ? n : 1, sizeof(double));
  if (!ct->v)
    return veil_fail(VEIL_ERR_NOMEM, "simulated ciphertext (%zu values)", n);
  if (v)
    memcpy(ct->v, v, n * sizeof(double));
  ct->n = n;
  ct->level = level;
  ct->scale = scale;
  return VEIL_OK;
}

void veil_poly_sim_ct_free(sct *ct) {
  if (!ct)
    return;
  veil_free(ct->v);
  memset(ct, 0, sizeof *ct);
}

static veil_status s_new(void *ev, void **ct) {
  veil_poly_sim *s = ev;
  sct *c = veil_calloc(1, sizeof *c);
  if (!c)
    return veil_fail(VEIL_ERR_NOMEM, "simulated ciphertext");
  veil_status st = veil_poly_sim_ct_init(c, NULL, s->n, -1, 0);
  if (st)
    veil_free(c);
  *ct = st ? NULL : c;
  return st;
}

static void s_free(void *ev, void *ct) {
  (void)ev;
  veil_poly_sim_ct_free(ct);
  veil_free(ct);
}

static veil_status s_copy(void *ev, void *dst, const void *src) {
  (void)ev;
  sct *d = dst;
  const sct *a = src;
  if (d != a) {
    VEIL_ASSERT(d->n == a->n);
    memcpy(d->v, a->v, a->n * sizeof(double));
    d->level = a->level;
    d->scale = a->scale;
  }
  return VEIL_OK;
}

static int s_level(const void *ct) { return ((const sct *)ct)->level; }
static double s_scale(const void *ct) { return ((const sct *)ct)->scale; }
/* The integer message v * scale is what a ciphertext holds: reinterpreting the scale changes v. */
static void s_set_scale(void *ct, double scale) {
  sct *c = ct;
  for (size_t i = 0; i < c->n; i++)
    c->v[i] *= c->scale / scale;
  c->scale = scale;
}
static double s_prime(void *ev, int level) { return ((veil_poly_sim *)ev)->q[level]; }

/* The message times its scale must stay below half the modulus q_0 ... q_level. */
static veil_status check_range(const veil_poly_sim *s, const sct *c, const char *op) {
  double logq = 0, m = 0;
  for (int i = 0; i <= c->level; i++)
    logq += log2(s->q[i]);
  for (size_t i = 0; i < c->n; i++)
    m = fmax(m, fabs(c->v[i]));
  if (m > 0 && log2(m) + log2(c->scale) >= logq - 1)
    return veil_fail(VEIL_ERR_PRECISION, "simulated %s: 2^%.1f exceeds the modulus 2^%.1f at level %d", op,
                     log2(m) + log2(c->scale), logq, c->level);
  return VEIL_OK;
}

static veil_status match(const sct *a, const sct *b, bool scales, const char *op) {
  if (a->level != b->level)
    return veil_fail(VEIL_ERR_MISMATCH, "simulated %s: level mismatch %d vs %d", op, a->level, b->level);
  if (scales && fabs(a->scale - b->scale) > ldexp(fmax(a->scale, b->scale), -40))
    return veil_fail(VEIL_ERR_MISMATCH, "simulated %s: scale mismatch 2^%.4f vs 2^%.4f", op, log2(a->scale),
                     log2(b->scale));
  return VEIL_OK;
}

static veil_status s_addsub(void *ev, void *out, const void *pa, const void *pb, double sign) {
  veil_poly_sim *s = ev;
  const sct *a = pa, *b = pb;
  sct *o = out;
  VEIL_TRY(match(a, b, true, "add"));
  for (size_t i = 0; i < a->n; i++)
    o->v[i] = a->v[i] + sign * b->v[i];
  o->level = a->level;
  o->scale = a->scale;
  s->nadd++;
  return check_range(s, o, "add");
}

static veil_status s_add(void *ev, void *out, const void *a, const void *b) { return s_addsub(ev, out, a, b, 1); }
static veil_status s_sub(void *ev, void *out, const void *a, const void *b) { return s_addsub(ev, out, a, b, -1); }

static veil_status s_add_const(void *ev, void *out, const void *pa, double c) {
  const sct *a = pa;
  sct *o = out;
  double q = round(c * a->scale) / a->scale;
  VEIL_TRY(s_copy(ev, out, pa));
  for (size_t i = 0; i < a->n; i++)
    o->v[i] += q;
  return check_range(ev, o, "add_const");
}

static veil_status s_mul(void *ev, void *out, const void *pa, const void *pb) {
  veil_poly_sim *s = ev;
  const sct *a = pa, *b = pb;
  sct *o = out;
  VEIL_TRY(match(a, b, false, "mul"));
  for (size_t i = 0; i < a->n; i++)
    o->v[i] = a->v[i] * b->v[i];
  o->level = a->level;
  o->scale = a->scale * b->scale;
  s->nmul++;
  return check_range(s, o, "mul");
}

static veil_status s_mul_const_core(veil_poly_sim *s, sct *o, const sct *a, double c, double pt, bool acc) {
  if (!(pt >= 1) || fabs(c * pt) >= 0x1p62)
    return veil_fail(VEIL_ERR_PRECISION, "simulated mul_const: constant %g at scale 2^%.1f", c, log2(pt));
  double q = round(c * pt) / pt;
  if (acc) {
    sct prod = {.level = a->level, .scale = a->scale * pt};
    VEIL_TRY(match(o, &prod, true, "mul_const_acc"));
  }
  for (size_t i = 0; i < a->n; i++)
    o->v[i] = (acc ? o->v[i] : 0) + a->v[i] * q;
  if (!acc) {
    o->level = a->level;
    o->scale = a->scale * pt;
  }
  s->nconst++;
  return check_range(s, o, "mul_const");
}

static veil_status s_mul_const(void *ev, void *out, const void *a, double c, double pt) {
  return s_mul_const_core(ev, out, a, c, pt, false);
}

static veil_status s_mul_const_acc(void *ev, void *acc, const void *a, double c, double pt) {
  return s_mul_const_core(ev, acc, a, c, pt, true);
}

static veil_status s_rescale(void *ev, void *ct) {
  veil_poly_sim *s = ev;
  sct *c = ct;
  if (c->level < 1)
    return veil_fail(VEIL_ERR_INVALID_ARG, "simulated rescale at level %d", c->level);
  c->scale /= s->q[c->level];
  c->level--;
  for (size_t i = 0; i < c->n; i++) /* the integer message is rounded */
    c->v[i] = round(c->v[i] * c->scale) / c->scale;
  s->nrescale++;
  return VEIL_OK;
}

static veil_status s_drop(void *ev, void *ct, int levels) {
  (void)ev;
  sct *c = ct;
  if (levels < 0 || levels > c->level)
    return veil_fail(VEIL_ERR_INVALID_ARG, "simulated drop of %d levels at level %d", levels, c->level);
  c->level -= levels;
  return VEIL_OK;
}

void veil_poly_sim_ops(veil_poly_sim *sim, veil_poly_ops *o) {
  *o = (veil_poly_ops){.ev = sim, .ct_new = s_new, .ct_free = s_free, .copy = s_copy, .level = s_level,
                       .scale = s_scale, .set_scale = s_set_scale, .prime = s_prime, .add = s_add,
                       .sub = s_sub, .add_const = s_add_const, .mul = s_mul, .mul_const = s_mul_const,
                       .mul_const_acc = s_mul_const_acc, .rescale = s_rescale, .drop = s_drop};
}
