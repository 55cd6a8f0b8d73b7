/**
 * @file he_aided_plan.c
 * @brief Client-aided plans: rounds, and the identity LINEAR steps that give every value the client
 *        sees, every residual-add input and the output a fresh mask of the round that uses it.
 */
#include "nn/he/he-impl.h"

/* Value @p v is produced by a LINEAR or ADD step of round @p round (so its mask can be chosen freely). */
static bool made_in_round(const veil_he_plan *p, int v, int round) {
  int prod = veil__he_producer(p, v);
  return prod >= 0 && (p->steps[prod].kind == VEIL_HE_LINEAR || p->steps[prod].kind == VEIL_HE_ADD) &&
         p->steps[prod].round == round;
}

/* Makes input @p k of step *i a single-use value of this round (an identity LINEAR step if not). */
static veil_status own_input(veil_he_plan *p, int *i, int k, int round) {
  int v = p->steps[*i].in[k], nv;
  if (made_in_round(p, v, round) && veil__he_value_uses(p, v) == 1) return VEIL_OK;
  VEIL_TRY(veil__he_diag_const(p, *i, v, 1.0, 0.0, p->steps[*i].node, &nv));
  p->steps[*i].round = round;
  (*i)++;
  p->steps[*i].in[k] = nv;
  return VEIL_OK;
}

veil_status veil__he_aided_prepare(veil_he_plan *p) {
  int round = 0;
  for (int i = 0; i < p->nsteps; i++) {
    veil_he_step *s = &p->steps[i];
    s->round = round;
    if (s->kind == VEIL_HE_POLY || s->kind == VEIL_HE_NORM)
      return veil_fail(VEIL_ERR_UNSUPPORTED, "he plan: %s step in a client-aided plan", s->kind == VEIL_HE_POLY ? "polynomial" : "norm");
    if (s->kind == VEIL_HE_ADD) {
      VEIL_TRY(own_input(p, &i, 0, round));
      VEIL_TRY(own_input(p, &i, 1, round));
    } else if (s->kind == VEIL_HE_CLIENT) {
      VEIL_TRY(own_input(p, &i, 0, round));
      round++;
    }
  }
  if (!made_in_round(p, p->output, round) || veil__he_value_uses(p, p->output) != 1) {
    int nv, prod = veil__he_producer(p, p->output);
    VEIL_TRY(veil__he_diag_const(p, p->nsteps, p->output, 1.0, 0.0, prod >= 0 ? p->steps[prod].node : 0, &nv));
    p->steps[p->nsteps - 1].round = round;
    p->output = nv;
  }
  p->nrounds = round;
  return VEIL_OK;
}
