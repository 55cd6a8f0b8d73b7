/* CKKS evaluator: rotations, conjugation, hoisted rotations, rotate-and-sum. */
#include "eval-impl.h"

static veil_status find_key(veil_ckks_eval *ev, uint64_t g, const char *what, int steps,
                            const veil_rlwe_swk **key) {
  *key = veil_rlwe_gks_find(ev->gks, g);
  if (!*key)
    return veil_fail(VEIL_ERR_NOT_FOUND, "no Galois key for %s %d (element %llu)", what, steps,
                     (unsigned long long)g);
  return VEIL_OK;
}

/* phi(a0) into dst limbs 0..level. */
static void permute_c0(veil_ckks_eval *ev, uint64_t *dst, const veil_ckks_ct *a, const uint32_t *perm) {
  const veil_rlwe_ctx *c = &ev->ctx->rlwe;
  VEIL__EV_LIMBS(ev)
  for (int i = 0; i <= a->level; i++)
    c->rq.k->permute(dst + (size_t)i * c->n, veil__limb(&a->c[0], i), perm, c->n);
}

static veil_status automorph(veil_ckks_eval *ev, veil_ckks_ct *out, const veil_ckks_ct *a,
                             const veil_rlwe_swk *key) {
  if (!a->c[0].c || a->size != 2)
    return veil_fail(VEIL_ERR_INVALID_ARG, "rotation needs a 2-component ciphertext (size %d)", a->size);
  int level = a->level;
  double scale = a->scale;
  size_t words = (size_t)(level + 1) * ev->ctx->rlwe.n;
  bool alias = out == a;
  VEIL_TRY(veil__prep_out(ev, out, 2, level));
  uint64_t *c0 = alias ? ev->tmp : out->c[0].c;
  permute_c0(ev, c0, a, key->perm);
  veil_rlwe_keyswitch(&ev->ks, a->c[1].c, level, key, true, c0, out->c[1].c, VEIL_KS_ADD0);
  if (alias)
    memcpy(out->c[0].c, c0, words * sizeof(uint64_t));
  out->scale = scale;
  return VEIL_OK;
}

veil_status veil_ckks_rotate(veil_ckks_eval *ev, veil_ckks_ct *out, const veil_ckks_ct *a, int steps) {
  uint64_t g = veil_rlwe_galois_elt(&ev->ctx->rlwe, steps);
  if (g == 1)
    return out == a ? VEIL_OK : veil_rlwe_ct_copy(&ev->ctx->rlwe, out, a);
  const veil_rlwe_swk *key;
  VEIL_TRY(find_key(ev, g, "rotation by", steps, &key));
  return automorph(ev, out, a, key);
}

veil_status veil_ckks_conjugate(veil_ckks_eval *ev, veil_ckks_ct *out, const veil_ckks_ct *a) {
  const veil_rlwe_swk *key;
  VEIL_TRY(find_key(ev, veil_rlwe_galois_conj(&ev->ctx->rlwe), "conjugation", 0, &key));
  return automorph(ev, out, a, key);
}

veil_status veil_ckks_rotate_hoisted(veil_ckks_eval *ev, const veil_ckks_ct *a, const int *steps, int count,
                                     veil_ckks_ct *out) {
  if (!a->c[0].c || a->size != 2 || count < 0 || (count && (!steps || !out)))
    return veil_fail(VEIL_ERR_INVALID_ARG, "rotate_hoisted: bad ciphertext or %d steps", count);
  for (int r = 0; r < count; r++) { /* check every key before any work */
    const veil_rlwe_swk *key;
    if (&out[r] == a)
      return veil_fail(VEIL_ERR_INVALID_ARG, "rotate_hoisted: output %d aliases the input", r);
    uint64_t g = veil_rlwe_galois_elt(&ev->ctx->rlwe, steps[r]);
    if (g != 1)
      VEIL_TRY(find_key(ev, g, "rotation by", steps[r], &key));
  }
  VEIL_TRY(veil_rlwe_hoist(&ev->ks, a->c[1].c, a->level));
  for (int r = 0; r < count; r++) {
    uint64_t g = veil_rlwe_galois_elt(&ev->ctx->rlwe, steps[r]);
    if (g == 1) {
      VEIL_TRY(veil_rlwe_ct_copy(&ev->ctx->rlwe, &out[r], a));
      continue;
    }
    const veil_rlwe_swk *key = veil_rlwe_gks_find(ev->gks, g);
    VEIL_TRY(veil__prep_out(ev, &out[r], 2, a->level));
    permute_c0(ev, out[r].c[0].c, a, key->perm);
    veil_rlwe_keyswitch_hoisted(&ev->ks, key, out[r].c[0].c, out[r].c[1].c, VEIL_KS_ADD0);
    out[r].scale = a->scale;
  }
  return VEIL_OK;
}

veil_status veil_ckks_rotate_sum(veil_ckks_eval *ev, veil_ckks_ct *ct, int n) {
  if (n < 1 || (n & (n - 1)) || (size_t)n > ev->ctx->rlwe.n / 2)
    return veil_fail(VEIL_ERR_INVALID_ARG, "rotate_sum over %d slots (need a power of two <= N/2)", n);
  veil_ckks_ct t = {0};
  veil_status st = VEIL_OK;
  for (int r = 1; r < n && st == VEIL_OK; r *= 2) {
    st = veil_ckks_rotate(ev, &t, ct, r);
    if (st == VEIL_OK)
      st = veil_ckks_add(ev, ct, ct, &t);
  }
  veil_rlwe_ct_free(&t);
  return st;
}
