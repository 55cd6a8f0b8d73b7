/**
 * @file he_aided.c
 * @brief Client-aided inference (nGraph-HE2): the server runs the linear steps, the client evaluates
 *        ReLU / Clip / MaxPool on decrypted values and answers with fresh ciphertexts.
 *
 * Masks: every value a LINEAR or ADD step produces carries a positive factor per element (one per
 * ciphertext, shared by the images of the batch), r = 2^u with u uniform in [-mask_bits/2,
 * mask_bits/2], drawn per session for every round. The factors are folded into the integer weights:
 * out_j = f_out[j] * (sum_k w_k in_k / f_in[col_k] + b_j), so masking and unmasking cost nothing and
 * need no level. ReLU and max commute with positive factors; max pooling windows that share an input
 * element share a factor (union of overlapping windows). Clip does not commute: its inputs carry
 * factor 1 (see docs/service.md). The ciphertexts of each round are sent in a fresh random order
 * (windows as units, members shuffled within a window).
 */
#include <math.h>
#include <string.h>

#include "nn/he/he-impl.h"

struct veil_he_aided {
  const veil_he_plan *p;
  const veil_he_server *sv;
  veil__he_exec *x;
  double **fac;     /**< per value: factor per element */
  int next;         /**< next step to run */
  int pending;      /**< step awaiting the client's answer, or -1 */
  int64_t *perm;    /**< pending round: position g of the answer holds output perm[g] */
  int64_t n_images;
  uint8_t key_id[VEIL_HE_KEYID_BYTES];
  bool done;
};

/* ---- masks ---------------------------------------------------------------------------------------- */

static uint64_t rand_u64(void) {
  uint64_t v;
  veil_random_bytes(&v, sizeof v);
  return v;
}

/* Uniform in [0, n) (rejection sampling). */
static int64_t rand_below(int64_t n) {
  uint64_t lim = UINT64_MAX - UINT64_MAX % (uint64_t)n, v;
  do v = rand_u64(); while (v >= lim);
  return (int64_t)(v % (uint64_t)n);
}

static double rand_factor(int bits) {
  double u = (double)(rand_u64() >> 11) * 0x1p-53; /* [0, 1) */
  return exp2((u - 0.5) * bits);
}

static void shuffle(int64_t *a, int64_t n) {
  for (int64_t i = n - 1; i > 0; i--) {
    int64_t j = rand_below(i + 1), t = a[i];
    a[i] = a[j], a[j] = t;
  }
}

static int64_t uf_find(int64_t *par, int64_t i) {
  while (par[i] != i) par[i] = par[par[i]], i = par[i];
  return i;
}

/* Factors of a max pooling input: one per union of overlapping windows. */
static veil_status pool_factors(const veil_he_plan *p, const veil_he_step *s, double *f) {
  int64_t nin = p->values[s->in[0]].count, nout = p->values[s->out].count;
  int64_t *par = veil_malloc((size_t)nin * sizeof *par);
  if (!par) return veil_fail(VEIL_ERR_NOMEM, "he aided: pooling groups");
  for (int64_t i = 0; i < nin; i++) par[i] = i, f[i] = 0;
  for (int64_t j = 0; j < nout; j++)
    for (int k = 1; k < s->group; k++) {
      int64_t a = uf_find(par, s->gather[j * s->group]), b = uf_find(par, s->gather[j * s->group + k]);
      if (a != b) par[a] = b;
    }
  for (int64_t i = 0; i < nin; i++) {
    int64_t r = uf_find(par, i);
    if (f[r] == 0) f[r] = rand_factor(p->mask_bits);
    f[i] = f[r];
  }
  veil_free(par);
  return VEIL_OK;
}

static veil_status fill_random(const veil_he_aided *a, int v) {
  for (int64_t e = 0; e < a->p->values[v].count; e++) a->fac[v][e] = rand_factor(a->p->mask_bits);
  return VEIL_OK;
}

/* Backward: the consumer of a value decides its factors (CLIENT: pooling groups or 1 for Clip; ADD:
 * both inputs take the output's; the output: 1; else random). Forward: a CLIENT output inherits its
 * input's factors (ReLU and max commute with them). */
static veil_status draw_masks(veil_he_aided *a) {
  const veil_he_plan *p = a->p;
  a->fac = veil_calloc((size_t)p->nvalues, sizeof *a->fac);
  if (!a->fac) return veil_fail(VEIL_ERR_NOMEM, "he aided: masks");
  bool *set = veil_calloc((size_t)p->nvalues, sizeof *set);
  veil_status st = set ? VEIL_OK : veil_fail(VEIL_ERR_NOMEM, "he aided: masks");
  for (int v = 0; v < p->nvalues && !st; v++)
    if (!(a->fac[v] = veil_malloc((size_t)p->values[v].count * sizeof **a->fac))) st = veil_fail(VEIL_ERR_NOMEM, "he aided: masks");
  for (int v = 0; v < p->nvalues && !st; v++)
    if (v == p->input || v == p->output)
      for (int64_t e = 0; e < p->values[v].count; e++) a->fac[v][e] = 1.0, set[v] = true;
  for (int i = p->nsteps - 1; i >= 0 && !st; i--) {
    const veil_he_step *s = &p->steps[i];
    if (s->kind == VEIL_HE_CLIENT) {
      int v = s->in[0];
      if (s->act == VEIL_HE_ACT_MAXPOOL) st = pool_factors(p, s, a->fac[v]);
      for (int64_t e = 0; s->act == VEIL_HE_ACT_CLIP && e < p->values[v].count; e++) a->fac[v][e] = 1.0;
      if (s->act == VEIL_HE_ACT_RELU) st = fill_random(a, v);
      set[v] = true;
      continue;
    }
    if (!set[s->out]) st = fill_random(a, s->out), set[s->out] = true;
    for (int k = 0; s->kind == VEIL_HE_ADD && k < 2 && !st; k++) {
      if (set[s->in[k]]) st = veil_fail(VEIL_ERR_INTERNAL, "he aided: residual input %d has two consumers", s->in[k]);
      memcpy(a->fac[s->in[k]], a->fac[s->out], (size_t)p->values[s->out].count * sizeof(double));
      set[s->in[k]] = true;
    }
  }
  for (int i = 0; i < p->nsteps && !st; i++) {
    const veil_he_step *s = &p->steps[i];
    if (s->kind != VEIL_HE_CLIENT) continue;
    for (int64_t j = 0; j < p->values[s->out].count; j++)
      a->fac[s->out][j] = a->fac[s->in[0]][s->gather ? s->gather[j * s->group] : j];
  }
  veil_free(set);
  return st;
}

/* Integer weights of LINEAR step @p s with the masks folded in. */
static veil_status masked_weights(const veil_he_aided *a, const veil_he_step *s, int32_t **wi, double **b, int *chunk) {
  const double *fi = a->fac[s->in[0]], *fo = a->fac[s->out];
  *wi = veil_malloc((size_t)(s->lin.nnz ? s->lin.nnz : 1) * sizeof **wi);
  *b = veil_malloc((size_t)s->lin.nout * sizeof **b);
  if (!*wi || !*b) return veil_fail(VEIL_ERR_NOMEM, "he aided: weights of %lld products", (long long)s->lin.nnz);
  double wmax = 1;
  for (int64_t j = 0; j < s->lin.nout; j++) {
    (*b)[j] = s->lin.b[j] * fo[j];
    for (int64_t k = s->lin.row[j]; k < s->lin.row[j + 1]; k++) {
      double v = nearbyint(s->lin.w[k] * fo[j] / fi[s->lin.col[k]] * s->wscale);
      if (fabs(v) >= 2147483647.0)
        return veil_fail(VEIL_ERR_PRECISION, "he aided: masked weight %g at node %d exceeds 2^31 at Delta_w 2^%.1f", s->lin.w[k], s->node,
                         log2(s->wscale));
      (*wi)[k] = (int32_t)v, wmax = fmax(wmax, fabs(v));
    }
  }
  uint64_t qmax = 0;
  for (int i = 0; i < a->p->params.nq; i++) qmax = a->p->params.q[i] > qmax ? a->p->params.q[i] : qmax;
  double c = floor(9.2e18 / ((double)qmax * wmax));
  *chunk = c > 1e9 ? 1000000000 : (int)fmax(1.0, c);
  return VEIL_OK;
}

/* ---- server session -------------------------------------------------------------------------------- */

void veil_he_aided_free(veil_he_aided *a) {
  if (!a) return;
  veil__he_exec_free(a->x);
  for (int v = 0; a->fac && v < a->p->nvalues; v++) veil_free(a->fac[v]);
  veil_free(a->fac), veil_free(a->perm);
  veil_memzero(a, sizeof *a);
  veil_free(a);
}

int veil_he_aided_pending(const veil_he_aided *a) {
  return a->pending >= 0 ? a->p->steps[a->pending].round : -1;
}

static veil_status check_fresh(const veil_he_plan *p, const veil_he_tensor *t, const uint8_t *key_id, int64_t count, const char *what) {
  if (t->count != count)
    return veil_fail(VEIL_ERR_MISMATCH, "he aided: %s has %lld ciphertexts, expected %lld", what, (long long)t->count, (long long)count);
  if (memcmp(t->key_id, key_id, VEIL_HE_KEYID_BYTES)) return veil_fail(VEIL_ERR_MISMATCH, "he aided: %s made under other keys", what);
  if (t->complex_packing) return veil_fail(VEIL_ERR_MISMATCH, "he aided: %s is complex-packed", what);
  for (int64_t i = 0; i < t->count; i++)
    if (t->ct[i].level != p->params.nq - 1 || t->ct[i].size != 2 || fabs(t->ct[i].scale / p->params.scale - 1) > 1e-9)
      return veil_fail(VEIL_ERR_MISMATCH, "he aided: %s ciphertext %lld at level %d size %d scale 2^%.2f (expected fresh: level %d, scale 2^%.2f)",
                       what, (long long)i, t->ct[i].level, t->ct[i].size, log2(t->ct[i].scale), p->params.nq - 1, log2(p->params.scale));
  return VEIL_OK;
}

veil_status veil_he_aided_start(const veil_he_plan *p, const veil_he_server *sv, veil_he_tensor *in, veil_he_aided **out) {
  if (!p->client_aided || !p->has_params) return veil_fail(VEIL_ERR_INVALID_ARG, "he aided: the plan is not client-aided or has no parameters");
  if (memcmp(sv->key_id, in->key_id, VEIL_HE_KEYID_BYTES)) return veil_fail(VEIL_ERR_MISMATCH, "he aided: input made under other keys than the server's");
  VEIL_TRY(check_fresh(p, in, sv->key_id, p->values[p->input].count, "the input"));
  veil_he_aided *a = veil_calloc(1, sizeof *a);
  if (!a) return veil_fail(VEIL_ERR_NOMEM, "he aided: session");
  *a = (veil_he_aided){.p = p, .sv = sv, .pending = -1, .n_images = in->n_images};
  memcpy(a->key_id, in->key_id, sizeof a->key_id);
  veil_status st = veil__he_exec_init(p, sv, &a->x);
  if (!st) st = draw_masks(a);
  if (st) return veil_he_aided_free(a), st;
  veil__he_exec_set(a->x, p->input, in->ct);
  in->ct = NULL, in->count = 0;
  return *out = a, VEIL_OK;
}

/* Level 0 is all the client needs to decrypt: the higher limbs are dropped before sending. */
static void drop_to_level0(veil_rlwe_ct *ct) {
  ct->level = 0, ct->seeded = false;
  for (int c = 0; c < ct->size; c++) ct->c[c].nlimbs = 1;
}

/* The masked inputs of CLIENT step @p s in a fresh order: windows (or elements) permuted, members
 * of a window shuffled. */
static veil_status build_send(veil_he_aided *a, const veil_he_step *s, veil_he_tensor *send) {
  const int64_t nout = a->p->values[s->out].count, nin = a->p->values[s->in[0]].count;
  veil_rlwe_ct *x = veil__he_exec_take(a->x, s->in[0]);
  bool *moved = veil_calloc((size_t)nin, sizeof *moved);
  veil_free(a->perm);
  a->perm = veil_malloc((size_t)nout * sizeof *a->perm);
  memset(send, 0, sizeof *send);
  send->ct = veil_calloc((size_t)(nout * s->group), sizeof *send->ct);
  veil_status st = !x ? veil_fail(VEIL_ERR_INTERNAL, "he aided: round input not computed")
                      : !moved || !a->perm || !send->ct ? veil_fail(VEIL_ERR_NOMEM, "he aided: round of %lld ciphertexts", (long long)nout) : VEIL_OK;
  if (!st) {
    send->count = nout * s->group, send->n_images = a->n_images;
    memcpy(send->key_id, a->key_id, sizeof send->key_id);
    for (int64_t j = 0; j < nout; j++) a->perm[j] = j;
    shuffle(a->perm, nout);
  }
  int64_t win[64];
  for (int64_t g = 0; g < nout && !st; g++) {
    for (int k = 0; k < s->group; k++) win[k] = s->gather ? s->gather[a->perm[g] * s->group + k] : a->perm[g];
    shuffle(win, s->group);
    for (int k = 0; k < s->group && !st; k++) {
      veil_rlwe_ct *dst = &send->ct[g * s->group + k];
      if (!moved[win[k]]) *dst = x[win[k]], moved[win[k]] = true;
      else st = veil_rlwe_ct_copy(&a->sv->ctx, dst, &x[win[k]]);
      if (!st) drop_to_level0(dst);
    }
  }
  for (int64_t e = 0; x && e < nin; e++)
    if (!moved[e]) veil_rlwe_ct_free(&x[e]);
  veil_free(x), veil_free(moved);
  if (st) veil_he_tensor_free(send);
  return st;
}

static veil_status run_server_step(veil_he_aided *a, int i) {
  const veil_he_step *s = &a->p->steps[i];
  if (s->kind != VEIL_HE_LINEAR) return veil__he_exec_step(a->x, i, NULL, NULL, 0);
  int32_t *wi = NULL;
  double *b = NULL;
  int chunk = 1;
  veil_status st = masked_weights(a, s, &wi, &b, &chunk);
  if (!st) st = veil__he_exec_step(a->x, i, wi, b, chunk);
  veil_free(wi), veil_free(b);
  return st;
}

veil_status veil_he_aided_step(veil_he_aided *a, bool *done, veil_he_tensor *send, veil_he_aided_round *req) {
  if (a->pending >= 0 || a->done) return veil_fail(VEIL_ERR_INVALID_ARG, "he aided: %s", a->done ? "the inference is finished" : "the client's answer is awaited");
  const veil_he_plan *p = a->p;
  for (; a->next < p->nsteps; a->next++) {
    const veil_he_step *s = &p->steps[a->next];
    if (s->kind == VEIL_HE_CLIENT) {
      VEIL_TRY(build_send(a, s, send));
      *req = (veil_he_aided_round){.round = s->round, .act = s->act, .group = s->group, .clip = {s->clip[0], s->clip[1]},
                                   .nout = p->values[s->out].count};
      a->pending = a->next++;
      return *done = false, VEIL_OK;
    }
    uint64_t t0 = veil_now_ns();
    VEIL_TRY(run_server_step(a, a->next));
    veil_log(VEIL_LOG_INFO, "he aided step %d (round %d, %lld outputs): %.3f s", a->next, s->round, (long long)p->values[s->out].count,
             (double)(veil_now_ns() - t0) * 1e-9);
  }
  veil_rlwe_ct *y = veil__he_exec_take(a->x, p->output);
  if (!y) return veil_fail(VEIL_ERR_INTERNAL, "he aided: output not computed");
  *send = (veil_he_tensor){.count = p->values[p->output].count, .n_images = a->n_images, .ct = y};
  memcpy(send->key_id, a->key_id, sizeof send->key_id);
  a->done = true;
  return *done = true, VEIL_OK;
}

veil_status veil_he_aided_answer(veil_he_aided *a, veil_he_tensor *reply) {
  if (a->pending < 0) return veil_fail(VEIL_ERR_INVALID_ARG, "he aided: no round awaits an answer");
  const veil_he_step *s = &a->p->steps[a->pending];
  const int64_t nout = a->p->values[s->out].count;
  VEIL_TRY(check_fresh(a->p, reply, a->key_id, nout, "the client's answer"));
  if (reply->n_images != a->n_images)
    return veil_fail(VEIL_ERR_MISMATCH, "he aided: the answer holds %lld images, the session %lld", (long long)reply->n_images, (long long)a->n_images);
  veil_rlwe_ct *y = veil_calloc((size_t)nout, sizeof *y);
  if (!y) return veil_fail(VEIL_ERR_NOMEM, "he aided: %lld ciphertexts", (long long)nout);
  for (int64_t g = 0; g < nout; g++) y[a->perm[g]] = reply->ct[g];
  veil_free(reply->ct);
  reply->ct = NULL, reply->count = 0;
  veil__he_exec_set(a->x, s->out, y);
  a->pending = -1;
  return VEIL_OK;
}

/* ---- client ------------------------------------------------------------------------------------ */

veil_status veil_he_aided_client_round(const veil_he_plan *p, const veil_he_client *cl, const veil_he_aided_round *req,
                                       const veil_he_tensor *in, veil_he_tensor *out) {
  memset(out, 0, sizeof *out);
  if (req->group < 1 || req->group > 64 || req->nout < 1)
    return veil_fail(VEIL_ERR_INVALID_ARG, "he aided round: group %d / outputs %lld out of range", req->group, (long long)req->nout);
  if (in->count != req->nout * req->group)
    return veil_fail(VEIL_ERR_MISMATCH, "he aided round: %lld ciphertexts received, %lld x %d expected", (long long)in->count,
                     (long long)req->nout, req->group);
  const int64_t n = in->n_images, nin = in->count, nout = req->nout;
  double *x = veil_malloc((size_t)(n * nin) * sizeof *x), *y = veil_malloc((size_t)(n * nout) * sizeof *y);
  veil_status st = !x || !y ? veil_fail(VEIL_ERR_NOMEM, "he aided round: %lld values", (long long)(n * nin)) : VEIL_OK;
  if (!st) st = veil__he_decrypt_count(p, cl, in, x);
  int32_t win[64];
  for (int64_t t = 0; t < n && !st; t++)
    for (int64_t j = 0; j < nout; j++) {
      for (int k = 0; k < req->group; k++) win[k] = (int32_t)(j * req->group + k);
      y[t * nout + j] = veil__he_act_apply(req->act == VEIL_HE_ACT_CLIP || req->group == 1 ? req->act : VEIL_HE_ACT_MAXPOOL, req->clip,
                                           x + t * nin, win, req->group, j);
    }
  if (!st) st = veil__he_encrypt_count(p, cl, y, n, nout, out);
  veil_free(x), veil_free(y);
  return st;
}

veil_status veil_he_aided_run(const veil_he_plan *p, const veil_he_client *cl, const veil_he_server *sv, const double *x, int64_t n,
                              double *y, int *rounds) {
  veil_he_tensor in, send = {0}, reply = {0};
  veil_he_aided *a = NULL;
  VEIL_TRY(veil_he_encrypt(p, cl, x, n, &in));
  veil_status st = veil_he_aided_start(p, sv, &in, &a);
  bool done = false;
  int k = 0;
  while (!st && !done) {
    veil_he_aided_round req;
    st = veil_he_aided_step(a, &done, &send, &req);
    if (!st && !done) st = veil_he_aided_client_round(p, cl, &req, &send, &reply), k++;
    if (!st && !done) st = veil_he_aided_answer(a, &reply);
    if (!done) veil_he_tensor_free(&send);
    veil_he_tensor_free(&reply);
  }
  if (!st) st = veil_he_decrypt(p, cl, &send, y);
  if (rounds) *rounds = k;
  veil_he_tensor_free(&send), veil_he_tensor_free(&in);
  veil_he_aided_free(a);
  return st;
}
