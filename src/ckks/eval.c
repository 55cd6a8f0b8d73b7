/* CKKS evaluator: lifecycle, additions, level and scale management, rescaling. */
#include "eval-impl.h"

veil_status veil_ckks_eval_init(veil_ckks_eval *ev, const veil_ckks_ctx *c, const veil_rlwe_swk *rlk,
                                const veil_rlwe_gks *gks) {
  *ev = (veil_ckks_eval){.ctx = c, .rlk = rlk, .gks = gks, .nthreads = veil_threads()};
  VEIL_TRY(veil_rlwe_ks_init(&ev->ks, &c->rlwe));
  ev->tmp = veil_malloc(2 * (size_t)c->rlwe.nq * c->rlwe.n * sizeof(uint64_t));
  if (!ev->tmp) {
    veil_ckks_eval_free(ev);
    return veil_fail(VEIL_ERR_NOMEM, "evaluator scratch");
  }
  return VEIL_OK;
}

veil_status veil_ckks_eval_clone(veil_ckks_eval *dst, const veil_ckks_eval *src) {
  return veil_ckks_eval_init(dst, src->ctx, src->rlk, src->gks);
}

void veil_ckks_eval_free(veil_ckks_eval *ev) {
  if (!ev)
    return;
  veil_rlwe_ks_free(&ev->ks);
  veil_free(ev->tmp);
  *ev = (veil_ckks_eval){0};
}

veil_status veil__check_match(int la, double sa, int lb, double sb, const char *op) {
  if (la != lb)
    return veil_fail(VEIL_ERR_MISMATCH, "level mismatch: %d vs %d in %s", la, lb, op);
  if (!veil__scale_eq(sa, sb))
    return veil_fail(VEIL_ERR_MISMATCH, "scale mismatch: 2^%.1f vs 2^%.1f in %s", log2(sa), log2(sb), op);
  return VEIL_OK;
}

veil_status veil__prep_out(veil_ckks_eval *ev, veil_ckks_ct *out, int size, int level) {
  return veil_rlwe_ct_reshape(&ev->ctx->rlwe, out, size, level);
}

static veil_status check_ct(const veil_ckks_ct *a, const char *op) {
  if (!a || a->size < 2 || a->size > 3 || !a->c[0].c)
    return veil_fail(VEIL_ERR_INVALID_ARG, "%s: ciphertext is not initialized", op);
  return VEIL_OK;
}

/* out = a +- b component-wise; a component missing on one side is copied (negated for b in sub). */
static veil_status add_sub(veil_ckks_eval *ev, veil_ckks_ct *out, const veil_ckks_ct *a, const veil_ckks_ct *b,
                           bool sub, const char *op) {
  VEIL_TRY(check_ct(a, op));
  VEIL_TRY(check_ct(b, op));
  VEIL_TRY(veil__check_match(a->level, a->scale, b->level, b->scale, op));
  int size = a->size > b->size ? a->size : b->size, level = a->level;
  double scale = a->scale;
  const veil_kernels *k = ev->ctx->rlwe.rq.k;
  const veil_modulus *mod = ev->ctx->rlwe.mod;
  size_t n = ev->ctx->rlwe.n;
  int as = a->size, bs = b->size;
  VEIL_TRY(veil__prep_out(ev, out, size, level));
  VEIL__EV_LIMBS(ev)
  for (int i = 0; i <= level; i++)
    for (int j = 0; j < size; j++) {
      uint64_t *o = veil__limb(&out->c[j], i);
      if (j < as && j < bs)
        (sub ? k->sub : k->add)(o, veil__limb(&a->c[j], i), veil__limb(&b->c[j], i), n, &mod[i]);
      else if (j < as)
        memmove(o, veil__limb(&a->c[j], i), n * sizeof(uint64_t));
      else if (sub)
        k->neg(o, veil__limb(&b->c[j], i), n, &mod[i]);
      else
        memmove(o, veil__limb(&b->c[j], i), n * sizeof(uint64_t));
    }
  out->scale = scale;
  return VEIL_OK;
}

veil_status veil_ckks_add(veil_ckks_eval *ev, veil_ckks_ct *out, const veil_ckks_ct *a, const veil_ckks_ct *b) {
  return add_sub(ev, out, a, b, false, "add");
}

veil_status veil_ckks_sub(veil_ckks_eval *ev, veil_ckks_ct *out, const veil_ckks_ct *a, const veil_ckks_ct *b) {
  return add_sub(ev, out, a, b, true, "sub");
}

veil_status veil_ckks_neg(veil_ckks_eval *ev, veil_ckks_ct *out, const veil_ckks_ct *a) {
  VEIL_TRY(check_ct(a, "neg"));
  int size = a->size, level = a->level;
  double scale = a->scale;
  VEIL_TRY(veil__prep_out(ev, out, size, level));
  const veil_rlwe_ctx *c = &ev->ctx->rlwe;
  VEIL__EV_LIMBS(ev)
  for (int i = 0; i <= level; i++)
    for (int j = 0; j < size; j++)
      c->rq.k->neg(veil__limb(&out->c[j], i), veil__limb(&a->c[j], i), c->n, &c->mod[i]);
  out->scale = scale;
  return VEIL_OK;
}

static veil_status add_pt(veil_ckks_eval *ev, veil_ckks_ct *out, const veil_ckks_ct *a, const veil_ckks_pt *pt,
                          bool sub, const char *op) {
  VEIL_TRY(check_ct(a, op));
  if (pt->level < a->level)
    return veil_fail(VEIL_ERR_MISMATCH, "level mismatch: plaintext %d below ciphertext %d in %s", pt->level,
                     a->level, op);
  VEIL_TRY(veil__check_match(a->level, a->scale, a->level, pt->scale, op));
  if (out != a)
    VEIL_TRY(veil_rlwe_ct_copy(&ev->ctx->rlwe, out, a));
  out->seeded = false;
  const veil_rlwe_ctx *c = &ev->ctx->rlwe;
  VEIL__EV_LIMBS(ev)
  for (int i = 0; i <= a->level; i++) {
    uint64_t *o = veil__limb(&out->c[0], i);
    (sub ? c->rq.k->sub : c->rq.k->add)(o, o, veil__limb(&pt->m, i), c->n, &c->mod[i]);
  }
  return VEIL_OK;
}

veil_status veil_ckks_add_pt(veil_ckks_eval *ev, veil_ckks_ct *out, const veil_ckks_ct *a, const veil_ckks_pt *pt) {
  return add_pt(ev, out, a, pt, false, "add_pt");
}

veil_status veil_ckks_sub_pt(veil_ckks_eval *ev, veil_ckks_ct *out, const veil_ckks_ct *a, const veil_ckks_pt *pt) {
  return add_pt(ev, out, a, pt, true, "sub_pt");
}

veil_status veil__const_residues(veil_ckks_eval *ev, double complex v, double scale, int level, uint64_t *wp,
                                 uint64_t *wm) {
  const veil_ckks_ctx *cc = ev->ctx;
  uint64_t re[VEIL_CKKS_MAX_Q], im[VEIL_CKKS_MAX_Q];
  VEIL_TRY(veil_ckks_encode_scalar_complex(v, scale, &cc->rlwe.rq, level + 1, re, im));
  for (int i = 0; i <= level; i++) { /* A + B X^(N/2): A + B I where X^(N/2) = +I, A - B I elsewhere */
    const veil_modulus *m = &cc->rlwe.mod[i];
    uint64_t bi = veil_mod_mul(im[i], cc->iq[i], m);
    wp[i] = veil_mod_add(re[i], bi, m->q);
    wm[i] = veil_mod_sub(re[i], bi, m->q);
  }
  return VEIL_OK;
}

veil_status veil_ckks_add_const(veil_ckks_eval *ev, veil_ckks_ct *out, const veil_ckks_ct *a, double complex v) {
  VEIL_TRY(check_ct(a, "add_const"));
  uint64_t wp[VEIL_CKKS_MAX_Q], wm[VEIL_CKKS_MAX_Q];
  VEIL_TRY(veil__const_residues(ev, v, a->scale, a->level, wp, wm));
  if (out != a)
    VEIL_TRY(veil_rlwe_ct_copy(&ev->ctx->rlwe, out, a));
  out->seeded = false;
  const veil_ckks_ctx *cc = ev->ctx;
  VEIL__EV_LIMBS(ev)
  for (int i = 0; i <= out->level; i++) {
    uint64_t *o = veil__limb(&out->c[0], i), q = cc->rlwe.mod[i].q, w[2] = {wp[i], wm[i]};
    for (size_t k = 0; k < cc->rlwe.n; k++)
      o[k] = veil_mod_add(o[k], w[cc->isign[k]], q);
  }
  return VEIL_OK;
}

veil_status veil_ckks_drop_levels(veil_ckks_eval *ev, veil_ckks_ct *ct, int levels) {
  VEIL_TRY(check_ct(ct, "drop_levels"));
  if (levels < 0 || levels > ct->level)
    return veil_fail(VEIL_ERR_INVALID_ARG, "cannot drop %d levels from level %d", levels, ct->level);
  ct->level -= levels;
  for (int j = 0; j < 3; j++)
    if (ct->c[j].c)
      ct->c[j].nlimbs = ct->level + 1;
  ct->seeded = false;
  return VEIL_OK;
}

/* Rescales one component in NTT form: x_i <- (x_i - [x_l + floor(q_l/2)]_{q_l} + floor(q_l/2)) / q_l. */
static void rescale_poly(veil_ckks_eval *ev, uint64_t *x, int l) {
  const veil_rlwe_ctx *c = &ev->ctx->rlwe;
  size_t n = c->n;
  uint64_t ql = c->mod[l].q, half = ql >> 1, *last = ev->tmp;
  memcpy(last, x + (size_t)l * n, n * sizeof(uint64_t));
  c->rq.k->ntt_inv(c->tab[l], last);
  for (size_t k = 0; k < n; k++) /* adding floor(q_l / 2) makes the division round */
    last[k] = veil_mod_add(last[k], half, ql);
  VEIL__EV_LIMBS(ev)
  for (int i = 0; i < l; i++) {
    const veil_modulus *m = &c->mod[i];
    uint64_t q = m->q, hq = veil_mod_reduce64(half, m), *r = ev->tmp + (size_t)(i + 1) * n;
    uint64_t *xi = x + (size_t)i * n, w = c->ql_inv[(size_t)l * c->nq + i], wsh = c->ql_inv_sh[(size_t)l * c->nq + i];
    if (ql < 2 * q) /* last < q_l < 2 q: one conditional subtraction reduces it */
      for (size_t k = 0; k < n; k++)
        r[k] = veil_mod_sub(last[k] >= q ? last[k] - q : last[k], hq, q);
    else
      for (size_t k = 0; k < n; k++)
        r[k] = veil_mod_sub(veil_mod_reduce64(last[k], m), hq, q);
    c->rq.k->ntt_fwd(c->tab[i], r);
    for (size_t k = 0; k < n; k++)
      xi[k] = veil_mod_mul_shoup(xi[k] + q - r[k], w, wsh, q);
  }
}

veil_status veil_ckks_rescale(veil_ckks_eval *ev, veil_ckks_ct *ct) {
  VEIL_TRY(check_ct(ct, "rescale"));
  if (ct->level < 1)
    return veil_fail(VEIL_ERR_INVALID_ARG, "rescale at level 0: no prime left to divide by");
  int l = ct->level;
  for (int j = 0; j < ct->size; j++)
    rescale_poly(ev, ct->c[j].c, l);
  ct->scale /= (double)ev->ctx->rlwe.mod[l].q;
  return veil_ckks_drop_levels(ev, ct, 1);
}

veil_status veil_ckks_align(veil_ckks_eval *ev, veil_ckks_ct *a, veil_ckks_ct *b) {
  VEIL_TRY(check_ct(a, "align"));
  VEIL_TRY(check_ct(b, "align"));
  int level = a->level < b->level ? a->level : b->level;
  VEIL_TRY(veil_ckks_drop_levels(ev, a, a->level - level));
  VEIL_TRY(veil_ckks_drop_levels(ev, b, b->level - level));
  if (veil__scale_eq(a->scale, b->scale))
    return VEIL_OK;
  veil_ckks_ct *lo = a->scale < b->scale ? a : b, *hi = lo == a ? b : a;
  double target = hi->scale, ratio = target / lo->scale, ql = (double)ev->ctx->rlwe.mod[level].q;
  if (ratio >= 65536.0 && ratio < ql) {
    /* multiply by the integer round(ratio): relative scale error <= 0.5 / ratio <= 2^-17 */
    VEIL_TRY(veil_ckks_mul_const(ev, lo, lo, 1.0, ratio));
  } else if (ratio < 65536.0 && level >= 1) {
    /* multiply by round(ratio q_l) and rescale: relative error <= 2^-(bits(q_l) - 1); one level */
    VEIL_TRY(veil_ckks_mul_const(ev, lo, lo, 1.0, ratio * ql));
    VEIL_TRY(veil_ckks_rescale(ev, lo));
    VEIL_TRY(veil_ckks_drop_levels(ev, hi, 1));
  } else {
    return veil_fail(VEIL_ERR_PRECISION, "align: scale ratio 2^%.1f cannot be matched at level %d", log2(ratio),
                     level);
  }
  lo->scale = target;
  return VEIL_OK;
}
