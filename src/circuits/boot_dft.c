/* Homomorphic special FFT for bootstrapping: butterfly stages as sparse-diagonal matrices, merged
 * into one factor per level, encoded for baby-step giant-step evaluation with hoisted baby steps. */
#include <math.h>
#include <string.h>

#include "boot-impl.h"

/* ---- sparse-diagonal matrices over dim-periodic slot vectors: (M x)[t] = sum_o d[o][t] x[t + o] */

void veil__smat_free(veil__smat *m) {
  if (!m || !m->d)
    return;
  for (int o = 0; o < m->dim; o++)
    veil_free(m->d[o]);
  veil_free(m->d);
  m->d = NULL;
}

veil_status veil__smat_init(veil__smat *m, int dim) {
  m->dim = dim;
  m->d = veil_calloc((size_t)dim, sizeof *m->d);
  return m->d ? VEIL_OK : veil_fail(VEIL_ERR_NOMEM, "DFT matrix (dim %d)", dim);
}

/* d[o][t] += v, offsets taken mod dim. */
veil_status veil__smat_add(veil__smat *m, int o, int t, double complex v) {
  o = ((o % m->dim) + m->dim) % m->dim;
  if (!m->d[o] && !(m->d[o] = veil_calloc((size_t)m->dim, sizeof **m->d)))
    return veil_fail(VEIL_ERR_NOMEM, "DFT diagonal (dim %d)", m->dim);
  m->d[o][t] += v;
  return VEIL_OK;
}

/* c = a b (b applied first): c[o_a + o_b][t] += a[o_a][t] b[o_b][t + o_a]. */
static veil_status smat_mul(const veil__smat *a, const veil__smat *b, veil__smat *c) {
  int dim = a->dim, na = 0, nb = 0;
  int *la = veil_malloc(2 * (size_t)dim * sizeof *la), *lb = la + dim;
  if (!la)
    return veil_fail(VEIL_ERR_NOMEM, "DFT matrix product (dim %d)", dim);
  for (int o = 0; o < dim; o++) {
    if (a->d[o])
      la[na++] = o;
    if (b->d[o])
      lb[nb++] = o;
  }
  veil_status st = veil__smat_init(c, dim);
  for (int i = 0; i < na && st == VEIL_OK; i++)
    for (int j = 0; j < nb && st == VEIL_OK; j++) {
      int oa = la[i], ob = lb[j];
      for (int t = 0; t < dim && st == VEIL_OK; t++) {
        double complex v = a->d[oa][t] * b->d[ob][(t + oa) % dim];
        if (v != 0)
          st = veil__smat_add(c, oa + ob, t, v);
      }
    }
  veil_free(la);
  return st;
}

/* One butterfly stage of the special FFT on n values (block length len), as a matrix over
 * dim-periodic vectors (dim a multiple of n). Forward: (a, b) -> (a + w b, a - w b); inverse:
 * (p, q) -> ((p + q) / 2, (p - q) conj(w) / 2). w = exp(2 pi i (5^j mod 4 len) / (4 len)). */
static veil_status stage(const veil_ckks_encoder *enc, int n, int len, bool inv, int dim, veil__smat *m) {
  VEIL_TRY(veil__smat_init(m, dim));
  int h = len / 2;
  size_t lenq = (size_t)len * 4;
  for (int t = 0; t < dim; t++) {
    int tt = t % n, j = (tt % len) % h;
    double complex w = enc->roots[(enc->rot_group[j] & (lenq - 1)) * (enc->m / lenq)];
    bool lo = (tt % len) < h;
    if (!inv) {
      VEIL_TRY(veil__smat_add(m, 0, t, lo ? 1 : -w));
      VEIL_TRY(veil__smat_add(m, lo ? h : -h, t, lo ? w : 1));
    } else {
      VEIL_TRY(veil__smat_add(m, 0, t, lo ? 0.5 : -0.5 * conj(w)));
      VEIL_TRY(veil__smat_add(m, lo ? h : -h, t, lo ? 0.5 : 0.5 * conj(w)));
    }
  }
  return VEIL_OK;
}

/* The product of stages with block lengths len_hi down to len_lo (inverse: applied from the
 * largest; forward: from the smallest), times @p c. */
veil_status veil__dft_group(const veil_ckks_encoder *enc, int n, int dim, int len_lo, int len_hi, bool inv,
                            double complex c, veil__smat *out) {
  veil__smat acc = {0}, s = {0}, t = {0};
  veil_status st = VEIL_OK;
  for (int k = 0; st == VEIL_OK; k++) {
    int len = inv ? len_hi >> k : len_lo << k;
    if (len < len_lo || len > len_hi)
      break;
    st = stage(enc, n, len, inv, dim, &s);
    if (st == VEIL_OK && acc.d) {
      st = smat_mul(&s, &acc, &t);
      veil__smat_free(&acc);
      veil__smat_free(&s);
      acc = t;
      t = (veil__smat){0};
    } else if (st == VEIL_OK) {
      acc = s;
      s = (veil__smat){0};
    }
  }
  veil__smat_free(&s);
  for (int o = 0; st == VEIL_OK && o < acc.dim; o++)
    for (int i = 0; acc.d[o] && i < acc.dim; i++)
      acc.d[o][i] *= c;
  if (st)
    veil__smat_free(&acc);
  *out = acc;
  return st;
}

/* out = a b, freeing a and b. */
veil_status veil__smat_mul_free(veil__smat *a, veil__smat *b, veil__smat *out) {
  veil_status st = smat_mul(a, b, out);
  veil__smat_free(a);
  veil__smat_free(b);
  return st;
}

/* ---- BSGS factors ----------------------------------------------------------------------------- */

static int floor_mod(int a, int m) { return ((a % m) + m) % m; }
static int signed_off(int o, int dim) { return o > dim / 2 ? o - dim : o; }

/* Chooses the baby-step count n1 (power of two) minimizing distinct nonzero baby + giant steps. */
static void choose_bsgs(veil_boot_factor *f) {
  int step = f->dim;
  for (int d = 0; d < f->ndiag; d++)
    while (f->off[d] % step)
      step /= 2;
  f->step = step;
  int best = 1 << 30;
  for (int n1 = 1; n1 * step <= f->dim && n1 <= VEIL__MAX_BABY; n1 *= 2) {
    int bb = n1 * step, nb = 0, ng = 0, seen_b[256], seen_g[256];
    for (int d = 0; d < f->ndiag; d++) {
      int b = floor_mod(f->off[d], bb), g = floor_mod(f->off[d] - b, f->dim), k;
      for (k = 0; k < nb && seen_b[k] != b; k++) {
      }
      if (k == nb && nb < 256)
        seen_b[nb++] = b;
      for (k = 0; k < ng && seen_g[k] != g; k++) {
      }
      if (k == ng && ng < 256)
        seen_g[ng++] = g;
    }
    if (nb + ng < best) {
      best = nb + ng;
      f->n1 = n1;
    }
  }
}

int veil__factor_baby(const veil_boot_factor *f, int d) { return floor_mod(f->off[d], f->n1 * f->step); }
int veil__factor_giant(const veil_boot_factor *f, int d) { return f->off[d] - veil__factor_baby(f, d); }

/* Sorts the offsets by giant step (insertion sort: at most a few hundred diagonals). */
static void sort_by_giant(veil_boot_factor *f) {
  int bb = f->n1 * f->step;
  for (int i = 1; i < f->ndiag; i++) {
    int o = f->off[i], g = o - floor_mod(o, bb), j = i - 1;
    for (; j >= 0; j--) {
      int gj = f->off[j] - floor_mod(f->off[j], bb);
      if (gj < g || (gj == g && f->off[j] < o))
        break;
      f->off[j + 1] = f->off[j];
    }
    f->off[j + 1] = o;
  }
}

/* Encodes diagonal o rotated by -giant, tiled over all N/2 slots, at scale q_level * ratio. */
static veil_status encode_diag(const veil_ckks_ctx *ctx, const veil_boot_factor *f, const double complex *diag,
                               int o, double ratio, double complex *buf, veil_ckks_pt *pt) {
  size_t slots = ctx->rlwe.n / 2;
  int g = o - floor_mod(o, f->n1 * f->step);
  for (size_t s = 0; s < slots; s++)
    buf[s] = diag[floor_mod((int)(s % (size_t)f->dim) - g, f->dim)];
  return veil_ckks_pt_encode(ctx, buf, slots, f->level, (double)ctx->rlwe.mod[f->level].q * ratio, pt);
}

veil_status veil__factor_init(veil_boot_factor *f, const veil_ckks_ctx *ctx, const veil__smat *m, int level,
                              double ratio) {
  memset(f, 0, sizeof *f);
  f->dim = m->dim;
  f->level = level;
  f->ratio = ratio;
  f->off = veil_malloc((size_t)m->dim * sizeof *f->off);
  f->pt = veil_calloc((size_t)m->dim, sizeof *f->pt);
  double complex *buf = veil_malloc(ctx->rlwe.n / 2 * sizeof *buf);
  veil_status st = f->off && f->pt && buf ? VEIL_OK : veil_fail(VEIL_ERR_NOMEM, "DFT factor");
  for (int o = 0; st == VEIL_OK && o < m->dim; o++)
    if (m->d[o])
      f->off[f->ndiag++] = signed_off(o, m->dim);
  if (st == VEIL_OK) {
    choose_bsgs(f);
    sort_by_giant(f);
  }
  for (int d = 0; st == VEIL_OK && d < f->ndiag; d++)
    st = encode_diag(ctx, f, m->d[floor_mod(f->off[d], m->dim)], f->off[d], ratio, buf, &f->pt[d]);
  veil_free(buf);
  if (st)
    veil__factor_free(f);
  return st;
}

void veil__factor_free(veil_boot_factor *f) {
  if (!f)
    return;
  for (int d = 0; f->pt && d < f->ndiag; d++)
    veil_rlwe_pt_free(&f->pt[d]);
  veil_free(f->pt);
  veil_free(f->off);
  memset(f, 0, sizeof *f);
}

/* Adds the nonzero baby and giant steps of @p f (normalized to [0, N/2)) to steps[] without duplicates. */
void veil__factor_steps(const veil_boot_factor *f, int slots, int *steps, int *count) {
  for (int d = 0; d < f->ndiag; d++) {
    int s2[2] = {veil__factor_baby(f, d), veil__factor_giant(f, d)};
    for (int k = 0; k < 2; k++)
      veil__steps_add(steps, count, s2[k], slots);
  }
}

void veil__steps_add(int *steps, int *count, int s, int slots) {
  s = floor_mod(s, slots);
  if (s == 0)
    return;
  for (int i = 0; i < *count; i++)
    if (steps[i] == s)
      return;
  if (*count < VEIL__MAX_STEPS)
    steps[(*count)++] = s;
}

/* Hoisted baby rotations of @p in: baby[i] = rot(in, i * step) for the babies in use. */
static veil_status babies(const veil_boot_factor *f, veil_ckks_eval *ev, const veil_ckks_ct *in,
                          veil_ckks_ct *baby) {
  int steps[VEIL__MAX_BABY], idx[VEIL__MAX_BABY], ns = 0;
  bool used[VEIL__MAX_BABY] = {0};
  for (int d = 0; d < f->ndiag; d++)
    used[veil__factor_baby(f, d) / f->step] = true;
  for (int i = 1; i < f->n1; i++)
    if (used[i]) {
      idx[ns] = i;
      steps[ns++] = i * f->step;
    }
  veil_ckks_ct tmp[VEIL__MAX_BABY];
  memset(tmp, 0, sizeof tmp);
  veil_status st = ns ? veil_ckks_rotate_hoisted(ev, in, steps, ns, tmp) : VEIL_OK;
  for (int k = 0; k < ns; k++)
    baby[idx[k]] = tmp[k];
  return st;
}

veil_status veil__factor_apply(const veil_boot_factor *f, veil_ckks_eval *ev, const veil_ckks_ct *in,
                               veil_ckks_ct *out) {
  if (in->level != f->level)
    return veil_fail(VEIL_ERR_MISMATCH, "bootstrap DFT: input at level %d, factor encoded for level %d", in->level,
                     f->level);
  if (f->n1 > VEIL__MAX_BABY)
    return veil_fail(VEIL_ERR_INVALID_ARG, "bootstrap DFT: %d baby steps exceed %d", f->n1, VEIL__MAX_BABY);
  veil_ckks_ct baby[VEIL__MAX_BABY], inner = {0};
  memset(baby, 0, sizeof baby);
  veil_status st = babies(f, ev, in, baby);
  out->size = 0;
  for (int d = 0; d < f->ndiag && st == VEIL_OK;) {
    int g = veil__factor_giant(f, d);
    inner.size = 0;
    for (; st == VEIL_OK && d < f->ndiag && veil__factor_giant(f, d) == g; d++) {
      int b = veil__factor_baby(f, d) / f->step;
      st = veil_ckks_mul_pt_acc(ev, &inner, b ? &baby[b] : in, &f->pt[d]);
    }
    if (st == VEIL_OK && floor_mod(g, (int)(ev->ctx->rlwe.n / 2)) != 0)
      st = veil_ckks_rotate(ev, &inner, &inner, g);
    if (st == VEIL_OK)
      st = out->size == 0 ? veil_rlwe_ct_copy(&ev->ctx->rlwe, out, &inner) : veil_ckks_add(ev, out, out, &inner);
  }
  for (int i = 0; i < VEIL__MAX_BABY; i++)
    veil_rlwe_ct_free(&baby[i]);
  veil_rlwe_ct_free(&inner);
  return st;
}

veil_status veil__factor_eval(const veil_boot_factor *f, veil_ckks_eval *ev, const veil_ckks_ct *in,
                              veil_ckks_ct *out) {
  veil_ckks_ct acc = {0};
  veil_status st = veil__factor_apply(f, ev, in, &acc);
  if (st == VEIL_OK)
    st = veil_ckks_rescale(ev, &acc);
  if (st == VEIL_OK) {
    acc.scale = in->scale * f->ratio; /* (s q_l ratio) / q_l */
    st = veil_rlwe_ct_copy(&ev->ctx->rlwe, out, &acc);
  }
  veil_rlwe_ct_free(&acc);
  return st;
}
