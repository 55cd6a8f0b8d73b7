/* Diagonal-method matrix-vector products with BSGS and hoisted rotations (see lintrans.h). */
#include <string.h>

#include "veil/lintrans.h"

void veil_lintrans_free(veil_lintrans *lt) {
  if (!lt)
    return;
  for (int d = 0; d < lt->ndiag && lt->pt; d++)
    veil_rlwe_pt_free(&lt->pt[d]);
  veil_free(lt->pt);
  veil_free(lt->diag);
  memset(lt, 0, sizeof *lt);
}

static bool pow2(int x) { return x > 0 && (x & (x - 1)) == 0; }

static veil_status check_shape(const veil_ckks_ctx *ctx, int n, int level, int n1) {
  size_t slots = ctx->rlwe.n / 2;
  if (!pow2(n) || (size_t)n > slots)
    return veil_fail(VEIL_ERR_INVALID_ARG, "lintrans: dimension %d must be a power of two <= %zu slots", n, slots);
  if (level < 1 || level >= ctx->rlwe.nq)
    return veil_fail(VEIL_ERR_INVALID_ARG, "lintrans: level %d outside 1..%d", level, ctx->rlwe.nq - 1);
  if (n1 != 0 && (!pow2(n1) || n1 > n))
    return veil_fail(VEIL_ERR_INVALID_ARG, "lintrans: baby steps %d must be a power of two <= %d", n1, n);
  return VEIL_OK;
}

/* Encodes diagonal k, pre-rotated by -g (g = n1 floor(k / n1)), tiled over all slots. */
static veil_status encode_diag(veil_lintrans *lt, const veil_ckks_ctx *ctx, const double *m, int k,
                               double *buf, veil_ckks_pt *pt) {
  size_t slots = ctx->rlwe.n / 2;
  int n = lt->n, g = lt->n1 * (k / lt->n1);
  for (size_t t = 0; t < slots; t++) {
    int i = (int)(((t % (size_t)n) + (size_t)n - (size_t)g) % (size_t)n); /* u[t] = d_k[(t - g) mod n] */
    buf[t] = m[(size_t)i * (size_t)n + (size_t)((i + k) % n)];
  }
  double scale = (double)ctx->rlwe.mod[lt->level].q;
  return veil_ckks_pt_encode_real(ctx, buf, slots, lt->level, scale, pt);
}

static bool diag_nonzero(const double *m, int n, int k) {
  for (int i = 0; i < n; i++)
    if (m[(size_t)i * (size_t)n + (size_t)((i + k) % n)] != 0.0)
      return true;
  return false;
}

veil_status veil_lintrans_init(veil_lintrans *lt, const veil_ckks_ctx *ctx, const double *m, int n, int level,
                               int n1) {
  memset(lt, 0, sizeof *lt);
  VEIL_TRY(check_shape(ctx, n, level, n1));
  if (n1 == 0)
    for (n1 = 1; n1 * n1 < n; n1 *= 2) {
    }
  lt->n = n;
  lt->n1 = n1;
  lt->level = level;
  lt->diag = veil_malloc((size_t)n * sizeof(int));
  lt->pt = veil_calloc((size_t)n, sizeof(veil_ckks_pt));
  double *buf = veil_malloc(ctx->rlwe.n / 2 * sizeof(double));
  veil_status st = lt->diag && lt->pt && buf ? VEIL_OK : veil_fail(VEIL_ERR_NOMEM, "lintrans (n = %d)", n);
  for (int k = 0; k < n && st == VEIL_OK; k++)
    if (diag_nonzero(m, n, k)) {
      lt->diag[lt->ndiag] = k;
      st = encode_diag(lt, ctx, m, k, buf, &lt->pt[lt->ndiag]);
      lt->ndiag++;
    }
  veil_free(buf);
  if (st)
    veil_lintrans_free(lt);
  return st;
}

void veil_lintrans_rotations(const veil_lintrans *lt, int *steps, int *count) {
  bool *used = veil_calloc((size_t)lt->n, sizeof(bool));
  VEIL_ASSERT(used);
  for (int d = 0; d < lt->ndiag; d++) {
    int k = lt->diag[d];
    used[k % lt->n1] = true;             /* baby step */
    used[lt->n1 * (k / lt->n1)] = true;  /* giant step */
  }
  *count = 0;
  for (int s = 1; s < lt->n; s++)
    if (used[s])
      steps[(*count)++] = s;
  veil_free(used);
}

/* acc += rot(sum_i pt[d] * baby[i], g) over the diagonals d of giant step g (from index *d). */
static veil_status giant_step(const veil_lintrans *lt, veil_ckks_eval *ev, const veil_ckks_ct *baby, int *d,
                              veil_ckks_ct *inner, veil_ckks_ct *acc) {
  int g = lt->n1 * (lt->diag[*d] / lt->n1);
  inner->size = 0; /* mul_pt_acc initializes on the first term */
  for (; *d < lt->ndiag && lt->n1 * (lt->diag[*d] / lt->n1) == g; (*d)++)
    VEIL_TRY(veil_ckks_mul_pt_acc(ev, inner, &baby[lt->diag[*d] % lt->n1], &lt->pt[*d]));
  if (g != 0)
    VEIL_TRY(veil_ckks_rotate(ev, inner, inner, g));
  return acc->size == 0 ? veil_rlwe_ct_copy(&ev->ctx->rlwe, acc, inner) : veil_ckks_add(ev, acc, acc, inner);
}

/* baby[i] = rot(in, i) for the baby steps in use (hoisted), baby[0] = in. */
static veil_status baby_steps(const veil_lintrans *lt, veil_ckks_eval *ev, const veil_ckks_ct *in,
                              veil_ckks_ct *baby) {
  int steps[64], ns = 0; /* n1 <= n; hoist in chunks */
  bool *used = veil_calloc((size_t)lt->n1, sizeof(bool));
  if (!used)
    return veil_fail(VEIL_ERR_NOMEM, "lintrans baby steps");
  for (int d = 0; d < lt->ndiag; d++)
    used[lt->diag[d] % lt->n1] = true;
  veil_status st = veil_rlwe_ct_copy(&ev->ctx->rlwe, &baby[0], in);
  for (int i = 1; i <= lt->n1 && st == VEIL_OK; i++) {
    if (i < lt->n1 && used[i])
      steps[ns++] = i;
    if (ns > 0 && (ns == 64 || i == lt->n1)) {
      veil_ckks_ct tmp[64];
      memset(tmp, 0, sizeof tmp);
      st = veil_ckks_rotate_hoisted(ev, in, steps, ns, tmp);
      for (int k = 0; k < ns; k++) { /* move into place */
        veil_rlwe_ct_free(&baby[steps[k]]);
        baby[steps[k]] = tmp[k];
      }
      ns = 0;
    }
  }
  veil_free(used);
  return st;
}

veil_status veil_lintrans_eval(const veil_lintrans *lt, veil_ckks_eval *ev, const veil_ckks_ct *in,
                               veil_ckks_ct *out) {
  if (in->level != lt->level)
    return veil_fail(VEIL_ERR_MISMATCH, "lintrans: input at level %d, diagonals encoded at level %d", in->level,
                     lt->level);
  veil_ckks_ct *baby = veil_calloc((size_t)lt->n1, sizeof *baby), inner = {0};
  if (!baby)
    return veil_fail(VEIL_ERR_NOMEM, "lintrans baby steps (%d)", lt->n1);
  veil_status st = baby_steps(lt, ev, in, baby);
  out->size = 0;
  for (int d = 0; d < lt->ndiag && st == VEIL_OK;)
    st = giant_step(lt, ev, baby, &d, &inner, out);
  if (st == VEIL_OK && lt->ndiag == 0)
    st = veil_fail(VEIL_ERR_INVALID_ARG, "lintrans: the matrix is zero");
  if (st == VEIL_OK)
    st = veil_ckks_rescale(ev, out);
  if (st == VEIL_OK)
    out->scale = in->scale; /* (s q_l) / q_l */
  for (int i = 0; i < lt->n1; i++)
    veil_rlwe_ct_free(&baby[i]);
  veil_free(baby);
  veil_rlwe_ct_free(&inner);
  return st;
}
