/* Executes a polynomial plan through veil_poly_ops: power basis, leaves, splits (see poly.h). */
#include <math.h>
#include <string.h>

#include "veil/poly.h"

enum { NODE_CONST, NODE_LEAF, NODE_SPLIT };

/* Evaluation state: T_i at each level it is used (cache[i * (L + 1) + level]). */
typedef struct pstate {
  const veil_poly_plan *pl;
  const veil_poly_ops *o;
  int L;
  void **cache;
} pstate;

static int ilog2_ceil(int i) {
  int k = 0;
  while ((1 << k) < i)
    k++;
  return k;
}

static void **slot(pstate *s, int i, int level) { return &s->cache[(size_t)i * (size_t)(s->L + 1) + (size_t)level]; }

static veil_status new_ct(pstate *s, void **ct) { return s->o->ct_new(s->o->ev, ct); }

/* T_i at exactly @p level (a dropped copy is made once and cached). */
static veil_status basis_at(pstate *s, int i, int level, void **out) {
  void **p = slot(s, i, level);
  if (!*p) {
    int native = s->L - ilog2_ceil(i);
    VEIL_ASSERT(level < native && *slot(s, i, native));
    VEIL_TRY(new_ct(s, p));
    VEIL_TRY(s->o->copy(s->o->ev, *p, *slot(s, i, native)));
    VEIL_TRY(s->o->drop(s->o->ev, *p, native - level));
  }
  *out = *p;
  return VEIL_OK;
}

/* out = round(c) / pt * a brought to @p scale exactly: constant scale = scale / scale(a). */
static veil_status mul_const_to(pstate *s, void *out, const void *a, double c, double scale, bool acc) {
  double pt = scale / s->o->scale(a);
  if (acc)
    return s->o->mul_const_acc(s->o->ev, out, a, c, pt);
  VEIL_TRY(s->o->mul_const(s->o->ev, out, a, c, pt));
  s->o->set_scale(out, scale);
  return VEIL_OK;
}

/* p -= T_d brought to p's level and scale (constant 1 at scale scale(p) / scale(T_d)). */
static veil_status sub_basis(pstate *s, void *p, int d, int level) {
  void *td, *tmp = NULL;
  VEIL_TRY(basis_at(s, d, level, &td));
  VEIL_TRY(new_ct(s, &tmp));
  veil_status st = mul_const_to(s, tmp, td, 1.0, s->o->scale(p), false);
  if (st == VEIL_OK)
    st = s->o->sub(s->o->ev, p, p, tmp);
  s->o->ct_free(s->o->ev, tmp);
  return st;
}

/* T_i = 2 T_a T_b - T_{a-b} (a = 2^(ceil log2 i - 1)), then rescaled. */
static veil_status gen_power(pstate *s, int i) {
  const veil_poly_ops *o = s->o;
  int a = 1 << (ilog2_ceil(i) - 1), b = i - a, lp = s->L - ilog2_ceil(i) + 1;
  void *ta, *tb, *p;
  VEIL_TRY(basis_at(s, a, lp, &ta));
  VEIL_TRY(basis_at(s, b, lp, &tb));
  VEIL_TRY(new_ct(s, slot(s, i, lp - 1)));
  p = *slot(s, i, lp - 1);
  VEIL_TRY(o->mul(o->ev, p, ta, tb));
  VEIL_TRY(o->add(o->ev, p, p, p));
  if (a == b)
    VEIL_TRY(o->add_const(o->ev, p, p, -1.0));
  else
    VEIL_TRY(sub_basis(s, p, a - b, lp));
  return o->rescale(o->ev, p);
}

/* T_1 = (x - mid) / half: scale reinterpretation plus a constant; then every needed T_i. */
static veil_status gen_basis(pstate *s, const void *in) {
  const veil_cheb *p = &s->pl->poly;
  double half = 0.5 * (p->b - p->a), mid = 0.5 * (p->a + p->b);
  void **t1 = slot(s, 1, s->L);
  VEIL_TRY(new_ct(s, t1));
  VEIL_TRY(s->o->copy(s->o->ev, *t1, in));
  s->o->set_scale(*t1, s->o->scale(in) * half);
  if (mid != 0.0)
    VEIL_TRY(s->o->add_const(s->o->ev, *t1, *t1, -mid / half));
  for (int i = 2; i <= s->pl->degree; i++)
    if (s->pl->need[i])
      VEIL_TRY(gen_power(s, i));
  return VEIL_OK;
}

static veil_status eval_node(pstate *s, int id, double scale, void *out);

/* sum c_k T_k at level t + 1 with scale S q_{t+1}, plus c_0, rescaled to level t and scale S. */
static veil_status eval_leaf(pstate *s, const veil_poly_node *nd, double scale, void *out) {
  int t = s->L - nd->budget;
  double big = scale * s->o->prime(s->o->ev, t + 1);
  for (int k = 0; k < nd->nterms; k++) {
    void *tk;
    VEIL_TRY(basis_at(s, nd->idx[k], t + 1, &tk));
    VEIL_TRY(mul_const_to(s, out, tk, nd->c[k], big, k > 0));
  }
  s->o->set_scale(out, big);
  if (nd->c0 != 0.0)
    VEIL_TRY(s->o->add_const(s->o->ev, out, out, nd->c0));
  VEIL_TRY(s->o->rescale(s->o->ev, out));
  s->o->set_scale(out, scale);
  return VEIL_OK;
}

/* q T_g at level t + 1 (q for scale S q_{t+1} / scale(T_g)), rescaled to (t, S), plus r. */
static veil_status eval_split(pstate *s, const veil_poly_node *nd, double scale, void *out) {
  const veil_poly_ops *o = s->o;
  int t = s->L - nd->budget;
  double big = scale * o->prime(o->ev, t + 1);
  void *tg, *tmp = NULL;
  VEIL_TRY(basis_at(s, nd->g, t + 1, &tg));
  const veil_poly_node *q = &s->pl->nodes[nd->q], *r = &s->pl->nodes[nd->r];
  if (q->kind == NODE_CONST) {
    VEIL_TRY(mul_const_to(s, out, tg, q->c0, big, false));
  } else {
    VEIL_TRY(eval_node(s, nd->q, big / o->scale(tg), out));
    VEIL_TRY(o->mul(o->ev, out, out, tg));
    o->set_scale(out, big);
  }
  VEIL_TRY(o->rescale(o->ev, out));
  o->set_scale(out, scale);
  if (r->kind == NODE_CONST)
    return r->c0 != 0.0 ? o->add_const(o->ev, out, out, r->c0) : VEIL_OK;
  VEIL_TRY(new_ct(s, &tmp));
  veil_status st = eval_node(s, nd->r, scale, tmp);
  if (st == VEIL_OK)
    st = o->add(o->ev, out, out, tmp);
  o->ct_free(o->ev, tmp);
  return st;
}

static veil_status eval_node(pstate *s, int id, double scale, void *out) {
  const veil_poly_node *nd = &s->pl->nodes[id];
  VEIL_ASSERT(nd->kind != NODE_CONST);
  return nd->kind == NODE_LEAF ? eval_leaf(s, nd, scale, out) : eval_split(s, nd, scale, out);
}

veil_status veil_poly_eval(const veil_poly_plan *pl, const veil_poly_ops *o, const void *in, double target_scale,
                           void *out) {
  int L = o->level(in);
  if (L < pl->depth)
    return veil_fail(VEIL_ERR_INVALID_ARG, "polynomial of degree %d needs depth %d, input is at level %d",
                     pl->degree, pl->depth, L);
  if (!(target_scale > 0) || !isfinite(target_scale))
    return veil_fail(VEIL_ERR_INVALID_ARG, "polynomial target scale %g must be positive", target_scale);
  pstate s = {.pl = pl, .o = o, .L = L};
  s.cache = veil_calloc(((size_t)pl->degree + 1) * ((size_t)L + 1), sizeof(void *));
  if (!s.cache)
    return veil_fail(VEIL_ERR_NOMEM, "polynomial power basis (degree %d, level %d)", pl->degree, L);
  veil_status st = gen_basis(&s, in);
  void *res = NULL;
  if (st == VEIL_OK)
    st = new_ct(&s, &res);
  if (st == VEIL_OK)
    st = eval_node(&s, pl->root, target_scale, res);
  if (st == VEIL_OK)
    st = o->copy(o->ev, out, res);
  o->ct_free(o->ev, res);
  for (size_t i = 0; i < ((size_t)pl->degree + 1) * ((size_t)L + 1); i++)
    o->ct_free(o->ev, s.cache[i]);
  veil_free(s.cache);
  return st;
}
