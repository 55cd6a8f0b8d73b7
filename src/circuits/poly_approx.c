/* Composite approximations on ciphertexts: stage plans in sequence, then (relu) times the input. */
#include <string.h>

#include "veil/poly.h"

void veil_approx_plan_free(veil_approx_plan *pl) {
  if (!pl)
    return;
  for (int i = 0; i < VEIL_APPROX_MAX_STAGES; i++)
    veil_poly_plan_free(&pl->stage[i]);
  memset(pl, 0, sizeof *pl);
}

veil_status veil_approx_plan_init(veil_approx_plan *pl, const veil_approx *ap) {
  memset(pl, 0, sizeof *pl);
  for (int i = 0; i < ap->nstages; i++) {
    veil_status st = veil_poly_plan_init(&pl->stage[i], &ap->stage[i]);
    if (st) {
      veil_approx_plan_free(pl);
      return st;
    }
    pl->depth += pl->stage[i].depth;
  }
  pl->nstages = ap->nstages;
  pl->mul_input = ap->mul_input;
  pl->depth += ap->mul_input ? 1 : 0;
  veil_cheb *p0 = &pl->stage[0].poly;
  double h0 = 0.5 * (p0->b - p0->a);
  if (h0 != 1.0) { /* stage 0 then reads x / h0 on [a / h0, b / h0] */
    pl->prescale = 1.0 / h0;
    p0->a /= h0;
    p0->b /= h0;
    pl->depth++;
  }
  return VEIL_OK;
}

veil_status veil_poly_prescale(const veil_poly_ops *o, const void *in, double factor, double target_scale,
                               void *out) {
  int L = o->level(in);
  if (L < 1)
    return veil_fail(VEIL_ERR_INVALID_ARG, "prescale needs a level, input is at level 0");
  double big = target_scale * o->prime(o->ev, L);
  VEIL_TRY(o->mul_const(o->ev, out, in, factor, big / o->scale(in)));
  o->set_scale(out, big);
  VEIL_TRY(o->rescale(o->ev, out));
  o->set_scale(out, target_scale);
  return VEIL_OK;
}

/* out = in * s at level(s) - 1 with scale exactly @p target (s evaluated for the matching scale). */
static veil_status times_input(const veil_poly_ops *o, const void *in, void *s, double target, void *out) {
  void *x = NULL;
  VEIL_TRY(o->ct_new(o->ev, &x));
  veil_status st = o->copy(o->ev, x, in);
  if (st == VEIL_OK)
    st = o->drop(o->ev, x, o->level(in) - o->level(s));
  if (st == VEIL_OK)
    st = o->mul(o->ev, out, s, x);
  o->ct_free(o->ev, x);
  VEIL_TRY(st);
  o->set_scale(out, target * o->prime(o->ev, o->level(out)));
  VEIL_TRY(o->rescale(o->ev, out));
  o->set_scale(out, target);
  return VEIL_OK;
}

veil_status veil_approx_plan_eval(const veil_approx_plan *pl, const veil_poly_ops *o, const void *in,
                                  double target_scale, void *out) {
  int L = o->level(in);
  if (L < pl->depth)
    return veil_fail(VEIL_ERR_INVALID_ARG, "approximation needs depth %d, input is at level %d", pl->depth, L);
  void *cur = NULL;
  double delta = o->scale(in);
  VEIL_TRY(o->ct_new(o->ev, &cur));
  veil_status st = pl->prescale != 0 ? veil_poly_prescale(o, in, pl->prescale, delta, cur) : o->copy(o->ev, cur, in);
  int lvl = o->level(cur);
  for (int i = 0; i < pl->nstages && st == VEIL_OK; i++) {
    lvl -= pl->stage[i].depth;
    double s; /* the next stage's T_1 = cur / h_next then sits at delta */
    if (i < pl->nstages - 1)
      s = delta / (0.5 * (pl->stage[i + 1].poly.b - pl->stage[i + 1].poly.a));
    else /* last stage: its scale makes the final product land on the target */
      s = pl->mul_input ? target_scale * o->prime(o->ev, lvl) / delta : target_scale;
    st = veil_poly_eval(&pl->stage[i], o, cur, s, cur);
  }
  if (st == VEIL_OK)
    st = pl->mul_input ? times_input(o, in, cur, target_scale, out) : o->copy(o->ev, out, cur);
  o->ct_free(o->ev, cur);
  return st;
}
