/* veil_poly_ops over the CKKS evaluator. */
#include "veil/poly.h"

static veil_status c_new(void *ev, void **ct) {
  (void)ev;
  *ct = veil_calloc(1, sizeof(veil_ckks_ct));
  return *ct ? VEIL_OK : veil_fail(VEIL_ERR_NOMEM, "ciphertext handle");
}

static void c_free(void *ev, void *ct) {
  (void)ev;
  if (!ct)
    return;
  veil_rlwe_ct_free(ct);
  veil_free(ct);
}

static veil_status c_copy(void *ev, void *dst, const void *src) {
  veil_ckks_eval *e = ev;
  return dst == src ? VEIL_OK : veil_rlwe_ct_copy(&e->ctx->rlwe, dst, src);
}

static int c_level(const void *ct) { return ((const veil_ckks_ct *)ct)->level; }
static double c_scale(const void *ct) { return ((const veil_ckks_ct *)ct)->scale; }
static void c_set_scale(void *ct, double scale) { ((veil_ckks_ct *)ct)->scale = scale; }
static double c_prime(void *ev, int level) { return (double)((veil_ckks_eval *)ev)->ctx->rlwe.mod[level].q; }

static veil_status c_add(void *ev, void *out, const void *a, const void *b) { return veil_ckks_add(ev, out, a, b); }
static veil_status c_sub(void *ev, void *out, const void *a, const void *b) { return veil_ckks_sub(ev, out, a, b); }
static veil_status c_add_const(void *ev, void *out, const void *a, double c) {
  return veil_ckks_add_const(ev, out, a, c);
}
static veil_status c_mul(void *ev, void *out, const void *a, const void *b) { return veil_ckks_mul(ev, out, a, b); }
static veil_status c_mul_const(void *ev, void *out, const void *a, double c, double pt) {
  return veil_ckks_mul_const(ev, out, a, c, pt);
}
static veil_status c_mul_const_acc(void *ev, void *acc, const void *a, double c, double pt) {
  return veil_ckks_mul_const_acc(ev, acc, a, c, pt);
}
static veil_status c_rescale(void *ev, void *ct) { return veil_ckks_rescale(ev, ct); }
static veil_status c_drop(void *ev, void *ct, int levels) { return veil_ckks_drop_levels(ev, ct, levels); }

void veil_poly_ops_ckks(veil_poly_ops *o, veil_ckks_eval *ev) {
  *o = (veil_poly_ops){.ev = ev, .ct_new = c_new, .ct_free = c_free, .copy = c_copy, .level = c_level,
                       .scale = c_scale, .set_scale = c_set_scale, .prime = c_prime, .add = c_add,
                       .sub = c_sub, .add_const = c_add_const, .mul = c_mul, .mul_const = c_mul_const,
                       .mul_const_acc = c_mul_const_acc, .rescale = c_rescale, .drop = c_drop};
}
