/* CKKS evaluator: multiplications (ciphertext, plaintext, constants, i, monomials) and lazy rescaling. */
#include "eval-impl.h"

static veil_status check_mul(const veil_ckks_ct *a, const veil_ckks_ct *b, const char *op) {
  if (!a->c[0].c || !b->c[0].c || a->size != 2 || b->size != 2)
    return veil_fail(VEIL_ERR_INVALID_ARG, "%s needs two 2-component ciphertexts (sizes %d, %d)", op, a->size,
                     b->size);
  if (a->level != b->level)
    return veil_fail(VEIL_ERR_MISMATCH, "level mismatch: %d vs %d in %s", a->level, b->level, op);
  return VEIL_OK;
}

/* (d0, d1, d2) = (a0 b0, a0 b1 + a1 b0, a1 b1), d2 into @p d2 (may be out->c[2] or scratch). */
static void tensor(veil_ckks_eval *ev, veil_ckks_ct *out, const veil_ckks_ct *a, const veil_ckks_ct *b,
                   uint64_t *d2, int level) {
  const veil_rlwe_ctx *c = &ev->ctx->rlwe;
  size_t n = c->n;
  VEIL__EV_LIMBS(ev)
  for (int i = 0; i <= level; i++) {
    const veil_modulus *m = &c->mod[i];
    const uint64_t *a0 = veil__limb(&a->c[0], i), *a1 = veil__limb(&a->c[1], i);
    const uint64_t *b0 = veil__limb(&b->c[0], i), *b1 = veil__limb(&b->c[1], i);
    uint64_t *o0 = veil__limb(&out->c[0], i), *o1 = veil__limb(&out->c[1], i), *o2 = d2 + (size_t)i * n;
    for (size_t k = 0; k < n; k++) {
      uint64_t x0 = a0[k], x1 = a1[k], y0 = b0[k], y1 = b1[k];
      o0[k] = veil_mod_mul(x0, y0, m);
      o1[k] = veil_mod_reduce128((veil_u128)x0 * y1 + (veil_u128)x1 * y0, m);
      o2[k] = veil_mod_mul(x1, y1, m);
    }
  }
}

veil_status veil_ckks_mul(veil_ckks_eval *ev, veil_ckks_ct *out, const veil_ckks_ct *a, const veil_ckks_ct *b) {
  VEIL_TRY(check_mul(a, b, "mul"));
  if (!ev->rlk)
    return veil_fail(VEIL_ERR_NOT_FOUND, "mul: the evaluator has no relinearization key");
  int level = a->level;
  double scale = a->scale * b->scale;
  VEIL_TRY(veil__prep_out(ev, out, 2, level));
  tensor(ev, out, a, b, ev->tmp, level);
  veil_rlwe_keyswitch(&ev->ks, ev->tmp, level, ev->rlk, false, out->c[0].c, out->c[1].c, VEIL_KS_ADD);
  out->scale = scale;
  return VEIL_OK;
}

veil_status veil_ckks_mul_norelin(veil_ckks_eval *ev, veil_ckks_ct *out, const veil_ckks_ct *a,
                                  const veil_ckks_ct *b) {
  VEIL_TRY(check_mul(a, b, "mul_norelin"));
  int level = a->level;
  double scale = a->scale * b->scale;
  VEIL_TRY(veil__prep_out(ev, out, 3, level));
  tensor(ev, out, a, b, out->c[2].c, level);
  out->scale = scale;
  return VEIL_OK;
}

veil_status veil_ckks_relin(veil_ckks_eval *ev, veil_ckks_ct *ct) {
  if (ct->size == 2)
    return VEIL_OK;
  if (!ev->rlk)
    return veil_fail(VEIL_ERR_NOT_FOUND, "relin: the evaluator has no relinearization key");
  veil_rlwe_keyswitch(&ev->ks, ct->c[2].c, ct->level, ev->rlk, false, ct->c[0].c, ct->c[1].c, VEIL_KS_ADD);
  ct->size = 2;
  ct->seeded = false;
  return VEIL_OK;
}

/* out_j = a_j * pt (+ out_j if acc) limb-wise. */
static void mul_pt_into(veil_ckks_eval *ev, veil_ckks_ct *out, const veil_ckks_ct *a, const veil_ckks_pt *pt,
                        bool acc) {
  const veil_rlwe_ctx *c = &ev->ctx->rlwe;
  int size = a->size;
  VEIL__EV_LIMBS(ev)
  for (int i = 0; i <= a->level; i++)
    for (int j = 0; j < size; j++)
      (acc ? c->rq.k->fma : c->rq.k->mul)(veil__limb(&out->c[j], i), veil__limb(&a->c[j], i),
                                          veil__limb(&pt->m, i), c->n, &c->mod[i]);
}

static veil_status check_pt(const veil_ckks_ct *a, const veil_ckks_pt *pt, const char *op) {
  if (!a->c[0].c || !pt->m.c)
    return veil_fail(VEIL_ERR_INVALID_ARG, "%s: operand not initialized", op);
  if (pt->level < a->level)
    return veil_fail(VEIL_ERR_MISMATCH, "level mismatch: plaintext %d below ciphertext %d in %s", pt->level,
                     a->level, op);
  return VEIL_OK;
}

veil_status veil_ckks_mul_pt(veil_ckks_eval *ev, veil_ckks_ct *out, const veil_ckks_ct *a, const veil_ckks_pt *pt) {
  VEIL_TRY(check_pt(a, pt, "mul_pt"));
  double scale = a->scale * pt->scale;
  VEIL_TRY(veil__prep_out(ev, out, a->size, a->level));
  mul_pt_into(ev, out, a, pt, false);
  out->scale = scale;
  return VEIL_OK;
}

/* out_j (+)= a_j * w, with w = wp or wm per NTT slot (complex constants), or one w (real). */
static void mul_const_into(veil_ckks_eval *ev, veil_ckks_ct *out, const veil_ckks_ct *a, const uint64_t *wp,
                           const uint64_t *wm, bool acc) {
  const veil_ckks_ctx *cc = ev->ctx;
  const veil_rlwe_ctx *c = &cc->rlwe;
  int size = a->size;
  VEIL__EV_LIMBS(ev)
  for (int i = 0; i <= a->level; i++) {
    uint64_t q = c->mod[i].q, w[2] = {wp[i], wm[i]};
    uint64_t wsh[2] = {veil_shoup_prep(w[0], q), veil_shoup_prep(w[1], q)};
    for (int j = 0; j < size; j++) {
      uint64_t *o = veil__limb(&out->c[j], i);
      const uint64_t *x = veil__limb(&a->c[j], i);
      if (w[0] == w[1]) {
        (acc ? c->rq.k->fma_scalar : c->rq.k->mul_scalar)(o, x, w[0], wsh[0], c->n, &c->mod[i]);
        continue;
      }
      for (size_t k = 0; k < c->n; k++) {
        uint8_t s = cc->isign[k];
        uint64_t v = veil_mod_mul_shoup(x[k], w[s], wsh[s], q);
        o[k] = acc ? veil_mod_add(o[k], v, q) : v;
      }
    }
  }
}

static double const_scale(const veil_ckks_eval *ev, const veil_ckks_ct *a, double scale) {
  return scale > 0 ? scale : (double)ev->ctx->rlwe.mod[a->level].q;
}

veil_status veil_ckks_mul_const(veil_ckks_eval *ev, veil_ckks_ct *out, const veil_ckks_ct *a, double complex v,
                                double scale) {
  if (!a->c[0].c)
    return veil_fail(VEIL_ERR_INVALID_ARG, "mul_const: ciphertext not initialized");
  scale = const_scale(ev, a, scale);
  uint64_t wp[VEIL_CKKS_MAX_Q], wm[VEIL_CKKS_MAX_Q];
  VEIL_TRY(veil__const_residues(ev, v, scale, a->level, wp, wm));
  double out_scale = a->scale * scale;
  VEIL_TRY(veil__prep_out(ev, out, a->size, a->level));
  mul_const_into(ev, out, a, wp, wm, false);
  out->scale = out_scale;
  return VEIL_OK;
}

/* Prepares acc for acc += (product of a at scale): initializes an empty acc, else checks it. */
static veil_status acc_prepare(veil_ckks_eval *ev, veil_ckks_ct *acc, const veil_ckks_ct *a, double scale,
                               bool *fresh, const char *op) {
  *fresh = acc->size == 0;
  if (*fresh) {
    VEIL_TRY(veil__prep_out(ev, acc, a->size, a->level));
    acc->scale = scale;
    return VEIL_OK;
  }
  VEIL_TRY(veil__check_match(acc->level, acc->scale, a->level, scale, op));
  if (acc->size < a->size)
    return veil_fail(VEIL_ERR_MISMATCH, "%s: accumulator has %d components, product %d", op, acc->size, a->size);
  acc->seeded = false;
  return VEIL_OK;
}

veil_status veil_ckks_mul_const_acc(veil_ckks_eval *ev, veil_ckks_ct *acc, const veil_ckks_ct *a, double complex v,
                                    double scale) {
  if (!a->c[0].c || acc == a)
    return veil_fail(VEIL_ERR_INVALID_ARG, "mul_const_acc: operand not initialized or aliases the accumulator");
  scale = const_scale(ev, a, scale);
  uint64_t wp[VEIL_CKKS_MAX_Q], wm[VEIL_CKKS_MAX_Q];
  VEIL_TRY(veil__const_residues(ev, v, scale, a->level, wp, wm));
  bool fresh;
  VEIL_TRY(acc_prepare(ev, acc, a, a->scale * scale, &fresh, "mul_const_acc"));
  mul_const_into(ev, acc, a, wp, wm, !fresh);
  return VEIL_OK;
}

veil_status veil_ckks_mul_pt_acc(veil_ckks_eval *ev, veil_ckks_ct *acc, const veil_ckks_ct *a,
                                 const veil_ckks_pt *pt) {
  VEIL_TRY(check_pt(a, pt, "mul_pt_acc"));
  if (acc == a)
    return veil_fail(VEIL_ERR_INVALID_ARG, "mul_pt_acc: operand aliases the accumulator");
  bool fresh;
  VEIL_TRY(acc_prepare(ev, acc, a, a->scale * pt->scale, &fresh, "mul_pt_acc"));
  mul_pt_into(ev, acc, a, pt, !fresh);
  return VEIL_OK;
}

veil_status veil_ckks_mul_i(veil_ckks_eval *ev, veil_ckks_ct *out, const veil_ckks_ct *a) {
  if (!a->c[0].c)
    return veil_fail(VEIL_ERR_INVALID_ARG, "mul_i: ciphertext not initialized");
  double scale = a->scale;
  const veil_ckks_ctx *cc = ev->ctx;
  uint64_t wp[VEIL_CKKS_MAX_Q], wm[VEIL_CKKS_MAX_Q];
  for (int i = 0; i <= a->level; i++) {
    wp[i] = cc->iq[i];
    wm[i] = veil_mod_neg(cc->iq[i], cc->rlwe.mod[i].q);
  }
  VEIL_TRY(veil__prep_out(ev, out, a->size, a->level));
  mul_const_into(ev, out, a, wp, wm, false);
  out->scale = scale;
  return VEIL_OK;
}

veil_status veil_ckks_mul_monomial(veil_ckks_eval *ev, veil_ckks_ct *out, const veil_ckks_ct *a, int64_t k) {
  if (!a->c[0].c)
    return veil_fail(VEIL_ERR_INVALID_ARG, "mul_monomial: ciphertext not initialized");
  const veil_rlwe_ctx *c = &ev->ctx->rlwe;
  size_t n = c->n;
  uint64_t e = (uint64_t)(((k % (int64_t)(2 * n)) + (int64_t)(2 * n)) % (int64_t)(2 * n));
  double scale = a->scale;
  int size = a->size;
  VEIL_TRY(veil__prep_out(ev, out, a->size, a->level));
  VEIL__EV_LIMBS(ev)
  for (int i = 0; i <= a->level; i++) {
    const veil_modulus *m = &c->mod[i];
    uint64_t *pw = ev->tmp + (size_t)i * n; /* pw[j] = psi^(e (2j + 1)): X^e at psi^(2j+1) */
    uint64_t w = veil_mod_pow(c->tab[i]->psi, e, m), w2 = veil_mod_mul(w, w, m);
    pw[0] = w;
    for (size_t j = 1; j < n; j++)
      pw[j] = veil_mod_mul(pw[j - 1], w2, m);
    for (int j = 0; j < size; j++) {
      uint64_t *o = veil__limb(&out->c[j], i);
      const uint64_t *x = veil__limb(&a->c[j], i);
      for (size_t s = 0; s < n; s++)
        o[s] = veil_mod_mul(x[s], pw[c->brv[s]], m);
    }
  }
  out->scale = scale;
  return VEIL_OK;
}
