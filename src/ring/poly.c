/* RNS polynomial arithmetic: limb loops over the ring's kernel table, parallel across limbs. */
#include <string.h>

#include "ring/ring-impl.h"

typedef void (*veil__binop_fn)(uint64_t *r, const uint64_t *a, const uint64_t *b, size_t n,
                               const veil_modulus *m);

veil_status veil__poly_check(const veil_ring *r, const veil_poly *p, const char *what) {
  if (!p || !p->c)
    return veil_fail(VEIL_ERR_INVALID_ARG, "%s: polynomial is NULL or unallocated", what);
  if (p->n != r->n)
    return veil_fail(VEIL_ERR_MISMATCH, "%s: polynomial of degree %zu in a ring of degree %zu", what, p->n,
                     r->n);
  if (p->nlimbs < 1 || p->nlimbs > r->nmods)
    return veil_fail(VEIL_ERR_MISMATCH, "%s: polynomial with %d limbs in a ring of %d primes", what,
                     p->nlimbs, r->nmods);
  return VEIL_OK;
}

veil_status veil__poly_out(const veil_ring *r, veil_poly *p, int L, const char *what) {
  if (!p || !p->c)
    return veil_fail(VEIL_ERR_INVALID_ARG, "%s: output polynomial is NULL or unallocated", what);
  if (p->n != r->n)
    return veil_fail(VEIL_ERR_MISMATCH, "%s: output of degree %zu in a ring of degree %zu", what, p->n, r->n);
  if (veil__poly_cap(p) < L)
    return veil_fail(VEIL_ERR_INVALID_ARG, "%s: output holds %d limbs, result needs %d", what,
                     veil__poly_cap(p), L);
  if (p->cap < p->nlimbs)
    p->cap = p->nlimbs;
  p->nlimbs = L;
  return VEIL_OK;
}

veil_status veil_poly_resize(veil_poly *p, int nlimbs) {
  if (!p || !p->c)
    return veil_fail(VEIL_ERR_INVALID_ARG, "resize: polynomial is NULL or unallocated");
  int cap = veil__poly_cap(p);
  if (nlimbs < 1 || nlimbs > cap)
    return veil_fail(VEIL_ERR_INVALID_ARG, "resize to %d limbs: capacity is %d", nlimbs, cap);
  if (nlimbs > p->nlimbs)
    memset(veil_poly_limb(p, p->nlimbs), 0, (size_t)(nlimbs - p->nlimbs) * p->n * sizeof(uint64_t));
  p->cap = cap;
  p->nlimbs = nlimbs;
  return VEIL_OK;
}

veil_status veil_poly_drop_limbs(veil_poly *p, int nlimbs) {
  if (!p || !p->c)
    return veil_fail(VEIL_ERR_INVALID_ARG, "drop_limbs: polynomial is NULL or unallocated");
  if (nlimbs < 1 || nlimbs > p->nlimbs)
    return veil_fail(VEIL_ERR_INVALID_ARG, "drop_limbs: keep %d of %d limbs", nlimbs, p->nlimbs);
  return veil_poly_resize(p, nlimbs);
}

veil_status veil_poly_copy(const veil_ring *r, veil_poly *out, const veil_poly *a) {
  VEIL_TRY(veil__poly_check(r, a, "copy"));
  VEIL_TRY(veil__poly_out(r, out, a->nlimbs, "copy"));
  out->is_ntt = a->is_ntt;
  if (out->c != a->c)
    memcpy(out->c, a->c, (size_t)a->nlimbs * a->n * sizeof(uint64_t));
  return VEIL_OK;
}

void veil_poly_zero(veil_poly *p) {
  if (p && p->c)
    memset(p->c, 0, (size_t)p->nlimbs * p->n * sizeof(uint64_t));
}

veil_status veil_poly_set_i64(const veil_ring *r, veil_poly *p, const int64_t *coef) {
  VEIL_TRY(veil__poly_check(r, p, "set_i64"));
  size_t n = r->n;
#pragma omp parallel for if ((size_t)p->nlimbs * n >= VEIL__PAR_WORDS) num_threads(veil_threads())
  for (int i = 0; i < p->nlimbs; i++) {
    uint64_t *d = veil_poly_limb(p, i);
    for (size_t j = 0; j < n; j++)
      d[j] = veil__mod_i64(coef[j], &r->mods[i]);
  }
  p->is_ntt = false;
  return VEIL_OK;
}

veil_status veil_poly_set_i8(const veil_ring *r, veil_poly *p, const int8_t *coef) {
  VEIL_TRY(veil__poly_check(r, p, "set_i8"));
  size_t n = r->n;
  for (int i = 0; i < p->nlimbs; i++) {
    uint64_t *d = veil_poly_limb(p, i), q = r->mods[i].q;
    for (size_t j = 0; j < n; j++)
      d[j] = coef[j] >= 0 ? (uint64_t)coef[j] : q - (uint64_t)(-(int64_t)coef[j]);
  }
  p->is_ntt = false;
  return VEIL_OK;
}

static veil_status transform(const veil_ring *r, veil_poly *p, bool to_ntt) {
  const char *what = to_ntt ? "ntt" : "intt";
  VEIL_TRY(veil__poly_check(r, p, what));
  if (p->is_ntt == to_ntt)
    return veil_fail(VEIL_ERR_MISMATCH, "%s: polynomial is already in %s form", what,
                     to_ntt ? "NTT" : "coefficient");
  void (*fn)(const veil_ntt_tables *, uint64_t *) = to_ntt ? r->k->ntt_fwd : r->k->ntt_inv;
#pragma omp parallel for if ((size_t)p->nlimbs * r->n >= VEIL__PAR_WORDS) num_threads(veil_threads())
  for (int i = 0; i < p->nlimbs; i++)
    fn(&r->ntt[i], veil_poly_limb(p, i));
  p->is_ntt = to_ntt;
  return VEIL_OK;
}

veil_status veil_poly_ntt(const veil_ring *r, veil_poly *p) { return transform(r, p, true); }
veil_status veil_poly_intt(const veil_ring *r, veil_poly *p) { return transform(r, p, false); }

/* Checks two inputs of the same form and the output; L = common limb count (also out's for fma). */
static veil_status binop_prepare(const veil_ring *r, veil_poly *out, const veil_poly *a, const veil_poly *b,
                                 bool need_ntt, bool out_is_input, const char *what, int *L) {
  VEIL_TRY(veil__poly_check(r, a, what));
  VEIL_TRY(veil__poly_check(r, b, what));
  if (a->is_ntt != b->is_ntt)
    return veil_fail(VEIL_ERR_MISMATCH, "%s: operands in different forms (NTT and coefficient)", what);
  if (need_ntt && !a->is_ntt)
    return veil_fail(VEIL_ERR_MISMATCH, "%s: operands must be in NTT form", what);
  *L = veil__min_int(a->nlimbs, b->nlimbs);
  if (out_is_input) {
    VEIL_TRY(veil__poly_check(r, out, what));
    if (out->is_ntt != a->is_ntt)
      return veil_fail(VEIL_ERR_MISMATCH, "%s: accumulator and operands in different forms", what);
    if (out->c == a->c || out->c == b->c)
      return veil_fail(VEIL_ERR_INVALID_ARG, "%s: accumulator aliases an operand", what);
    *L = veil__min_int(*L, out->nlimbs);
  }
  VEIL_TRY(veil__poly_out(r, out, *L, what));
  out->is_ntt = a->is_ntt;
  return VEIL_OK;
}

static veil_status binop(const veil_ring *r, veil_poly *out, const veil_poly *a, const veil_poly *b,
                         veil__binop_fn fn, bool need_ntt, bool out_is_input, const char *what) {
  int L;
  VEIL_TRY(binop_prepare(r, out, a, b, need_ntt, out_is_input, what, &L));
  size_t n = r->n;
#pragma omp parallel for if ((size_t)L * n >= VEIL__PAR_WORDS) num_threads(veil_threads())
  for (int i = 0; i < L; i++)
    fn(veil_poly_limb(out, i), veil_poly_limb(a, i), veil_poly_limb(b, i), n, &r->mods[i]);
  return VEIL_OK;
}

veil_status veil_poly_add(const veil_ring *r, veil_poly *out, const veil_poly *a, const veil_poly *b) {
  return binop(r, out, a, b, r->k->add, false, false, "add");
}

veil_status veil_poly_sub(const veil_ring *r, veil_poly *out, const veil_poly *a, const veil_poly *b) {
  return binop(r, out, a, b, r->k->sub, false, false, "sub");
}

veil_status veil_poly_mul(const veil_ring *r, veil_poly *out, const veil_poly *a, const veil_poly *b) {
  return binop(r, out, a, b, r->k->mul, true, false, "mul");
}

veil_status veil_poly_fma(const veil_ring *r, veil_poly *out, const veil_poly *a, const veil_poly *b) {
  return binop(r, out, a, b, r->k->fma, true, true, "fma");
}

veil_status veil_poly_neg(const veil_ring *r, veil_poly *out, const veil_poly *a) {
  VEIL_TRY(veil__poly_check(r, a, "neg"));
  int L = a->nlimbs;
  VEIL_TRY(veil__poly_out(r, out, L, "neg"));
  out->is_ntt = a->is_ntt;
  size_t n = r->n;
#pragma omp parallel for if ((size_t)L * n >= VEIL__PAR_WORDS) num_threads(veil_threads())
  for (int i = 0; i < L; i++)
    r->k->neg(veil_poly_limb(out, i), veil_poly_limb(a, i), n, &r->mods[i]);
  return VEIL_OK;
}

static veil_status scalar_op(const veil_ring *r, veil_poly *out, const veil_poly *a, const uint64_t *s,
                             bool accumulate, const char *what) {
  VEIL_TRY(veil__poly_check(r, a, what));
  int L = a->nlimbs;
  for (int i = 0; i < L; i++)
    if (s[i] >= r->mods[i].q)
      return veil_fail(VEIL_ERR_INVALID_ARG, "%s: scalar %llu for limb %d is not below its prime %llu", what,
                       (unsigned long long)s[i], i, (unsigned long long)r->mods[i].q);
  if (accumulate) {
    VEIL_TRY(veil__poly_check(r, out, what));
    if (out->is_ntt != a->is_ntt)
      return veil_fail(VEIL_ERR_MISMATCH, "%s: accumulator and operand in different forms", what);
    if (out->c == a->c)
      return veil_fail(VEIL_ERR_INVALID_ARG, "%s: accumulator aliases the operand", what);
    L = veil__min_int(L, out->nlimbs);
  }
  VEIL_TRY(veil__poly_out(r, out, L, what));
  out->is_ntt = a->is_ntt;
  size_t n = r->n;
#pragma omp parallel for if ((size_t)L * n >= VEIL__PAR_WORDS) num_threads(veil_threads())
  for (int i = 0; i < L; i++) {
    uint64_t wp = veil_shoup_prep(s[i], r->mods[i].q);
    if (accumulate)
      r->k->fma_scalar(veil_poly_limb(out, i), veil_poly_limb(a, i), s[i], wp, n, &r->mods[i]);
    else
      r->k->mul_scalar(veil_poly_limb(out, i), veil_poly_limb(a, i), s[i], wp, n, &r->mods[i]);
  }
  return VEIL_OK;
}

veil_status veil_poly_mul_scalars(const veil_ring *r, veil_poly *out, const veil_poly *a, const uint64_t *s) {
  return scalar_op(r, out, a, s, false, "mul_scalars");
}

veil_status veil_poly_fma_scalars(const veil_ring *r, veil_poly *out, const veil_poly *a, const uint64_t *s) {
  return scalar_op(r, out, a, s, true, "fma_scalars");
}

veil_status veil_poly_mul_i64(const veil_ring *r, veil_poly *out, const veil_poly *a, int64_t s) {
  VEIL_TRY(veil__poly_check(r, a, "mul_i64"));
  uint64_t sv[VEIL_RING_MAX_PRIMES];
  for (int i = 0; i < a->nlimbs; i++)
    sv[i] = veil__mod_i64(s, &r->mods[i]);
  return scalar_op(r, out, a, sv, false, "mul_i64");
}
