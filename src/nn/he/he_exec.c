/** @file he_exec.c @brief Encrypted execution of a plan: keys, encryption, linear/poly/norm/add steps. */
#include <complex.h>
#include <math.h>
#include <omp.h>
#include <string.h>

#include "nn/he/he-impl.h"
#include "veil/ckks_encoder.h"

static veil_status ctx_init(const veil_he_plan *p, veil_rlwe_ctx *ctx) {
  if (!p->has_params) return veil_fail(VEIL_ERR_INVALID_ARG, "he: plan without parameters");
  const veil_ckks_params *cp = &p->params;
  veil_rlwe_params rp = {.logn = cp->logn, .nq = cp->nq, .q = cp->q, .np = cp->np, .p = cp->p, .dnum = cp->dnum,
                         .hamming_weight = cp->h};
  memcpy(rp.fingerprint, cp->fingerprint, sizeof rp.fingerprint);
  return veil_rlwe_ctx_init(ctx, &rp);
}

veil_status veil_he_keygen(const veil_he_plan *p, veil_he_client *cl, veil_he_server *sv) {
  memset(cl, 0, sizeof *cl), memset(sv, 0, sizeof *sv);
  veil_status st = ctx_init(p, &cl->ctx);
  if (!st) st = ctx_init(p, &sv->ctx);
  if (!st) st = veil_rlwe_sk_gen(&cl->ctx, &cl->sk);
  if (!st && p->needs_relin) st = veil_rlwe_relin_key_gen(&cl->ctx, &cl->sk, &sv->rlk), sv->has_rlk = !st;
  veil_random_bytes(cl->key_id, sizeof cl->key_id);
  memcpy(sv->key_id, cl->key_id, sizeof sv->key_id);
  if (st) veil_he_client_free(cl), veil_he_server_free(sv);
  return st;
}

void veil_he_client_free(veil_he_client *cl) {
  if (!cl) return;
  veil_rlwe_sk_free(&cl->sk);
  veil_rlwe_ctx_free(&cl->ctx);
  veil_memzero(cl, sizeof *cl);
}

void veil_he_server_free(veil_he_server *sv) {
  if (!sv) return;
  if (sv->has_rlk) veil_rlwe_swk_free(&sv->rlk);
  if (sv->has_conj) veil_rlwe_swk_free(&sv->conj);
  veil_rlwe_ctx_free(&sv->ctx);
  memset(sv, 0, sizeof *sv);
}

static veil_status tensor_alloc(veil_he_tensor *t, int64_t count) {
  memset(t, 0, sizeof *t);
  t->ct = veil_calloc((size_t)count, sizeof *t->ct);
  if (!t->ct) return veil_fail(VEIL_ERR_NOMEM, "he: %lld ciphertexts", (long long)count);
  t->count = count;
  return VEIL_OK;
}

void veil_he_tensor_free(veil_he_tensor *t) {
  if (!t) return;
  for (int64_t i = 0; t->ct && i < t->count; i++) veil_rlwe_ct_free(&t->ct[i]);
  veil_free(t->ct);
  memset(t, 0, sizeof *t);
}

/* ---- client ------------------------------------------------------------------------------------ */

static veil_status encrypt_one(const veil_he_plan *p, const veil_he_client *cl, const veil_ckks_encoder *enc,
                               const double *x, int64_t n, int64_t nin, int64_t e, double complex *buf, veil_rlwe_ct *ct) {
  const int64_t slots = (int64_t)p->params.max_slots;
  int top = p->params.nq - 1;
  memset(buf, 0, (size_t)slots * sizeof *buf);
  for (int64_t t = 0; t < n; t++) {
    int64_t s = p->complex_packing ? t / 2 : t;
    buf[s] += (p->complex_packing && (t & 1)) ? I * x[t * nin + e] : x[t * nin + e];
  }
  veil_rlwe_pt pt;
  VEIL_TRY(veil_rlwe_pt_init(&cl->ctx, &pt, top));
  veil_status st = veil_ckks_encode(enc, &cl->ctx.rq, buf, (size_t)slots, (size_t)slots, p->params.scale, true, &pt.m);
  pt.scale = p->params.scale;
  if (!st) st = veil_rlwe_encrypt_sk(&cl->ctx, &cl->sk, &pt, ct);
  veil_rlwe_pt_free(&pt);
  return st;
}

veil_status veil_he_encrypt(const veil_he_plan *p, const veil_he_client *cl, const double *x, int64_t n, veil_he_tensor *out) {
  return veil__he_encrypt_count(p, cl, x, n, p->values[p->input].count, out);
}

veil_status veil__he_encrypt_count(const veil_he_plan *p, const veil_he_client *cl, const double *x, int64_t n, int64_t nin,
                                   veil_he_tensor *out) {
  if (n < 1 || n > veil_he_plan_batch(p))
    return veil_fail(VEIL_ERR_INVALID_ARG, "he encrypt: %lld images, a batch holds 1..%lld", (long long)n, (long long)veil_he_plan_batch(p));
  veil_ckks_encoder enc;
  VEIL_TRY(veil_ckks_encoder_init(&enc, p->params.logn));
  veil_status st = tensor_alloc(out, nin);
  out->n_images = n, out->complex_packing = p->complex_packing;
  memcpy(out->key_id, cl->key_id, sizeof out->key_id), memcpy(out->model_fp, p->model_fp, sizeof out->model_fp);
#pragma omp parallel num_threads(veil_threads()) if (!st)
  {
    double complex *buf = veil_malloc(p->params.max_slots * sizeof *buf);
    veil_status mine = buf ? VEIL_OK : veil_fail(VEIL_ERR_NOMEM, "he encrypt: slots");
#pragma omp for schedule(dynamic)
    for (int64_t e = 0; e < nin; e++)
      if (!mine) mine = encrypt_one(p, cl, &enc, x, n, nin, e, buf, &out->ct[e]);
#pragma omp critical
    if (mine && !st) st = mine;
    veil_free(buf);
  }
  veil_ckks_encoder_free(&enc);
  if (st) veil_he_tensor_free(out);
  return st;
}

veil_status veil_he_decrypt(const veil_he_plan *p, const veil_he_client *cl, const veil_he_tensor *t, double *y) {
  const int64_t nout = p->values[p->output].count;
  if (t->count != nout) return veil_fail(VEIL_ERR_MISMATCH, "he decrypt: %lld ciphertexts, the plan outputs %lld", (long long)t->count, (long long)nout);
  return veil__he_decrypt_count(p, cl, t, y);
}

veil_status veil__he_decrypt_count(const veil_he_plan *p, const veil_he_client *cl, const veil_he_tensor *t, double *y) {
  const int64_t nout = t->count, slots = (int64_t)p->params.max_slots;
  if (memcmp(t->key_id, cl->key_id, sizeof t->key_id)) return veil_fail(VEIL_ERR_MISMATCH, "he decrypt: ciphertext made under other keys (key id differs)");
  veil_ckks_encoder enc;
  VEIL_TRY(veil_ckks_encoder_init(&enc, p->params.logn));
  veil_status st = VEIL_OK;
#pragma omp parallel num_threads(veil_threads())
  {
    veil_rlwe_pt pt = {0};
    double complex *buf = veil_malloc((size_t)slots * sizeof *buf);
    veil_status mine = buf ? VEIL_OK : veil_fail(VEIL_ERR_NOMEM, "he decrypt: slots");
#pragma omp for schedule(dynamic)
    for (int64_t j = 0; j < nout; j++) {
      if (!mine) mine = veil_rlwe_decrypt(&cl->ctx, &cl->sk, &t->ct[j], &pt);
      if (!mine) mine = veil_ckks_decode(&enc, &cl->ctx.rq, &pt.m, t->ct[j].scale, (size_t)slots, buf);
      for (int64_t i = 0; i < t->n_images && !mine; i++)
        y[i * nout + j] = !t->complex_packing ? creal(buf[i]) : (i & 1) ? cimag(buf[i / 2]) : creal(buf[i / 2]);
    }
#pragma omp critical
    if (mine && !st) st = mine;
    veil_rlwe_pt_free(&pt);
    veil_free(buf);
  }
  veil_ckks_encoder_free(&enc);
  return st;
}

/* ---- server steps ------------------------------------------------------------------------------- */

/* Per-thread scratch. */
typedef struct he_scratch {
  veil_rlwe_ks ks;
  uint64_t *xs;    /**< nin x block input coefficients */
  uint64_t **outp; /**< nout destination pointers */
} he_scratch;

typedef struct he_run {
  const veil_he_plan *p;
  const veil_he_server *sv;
  veil_rlwe_ct **vals; /**< per value: count ciphertexts (NULL when not live) */
  veil__he_mac_fn mac;
  veil__he_poly_fn poly;
  int top;
  uint64_t *cunit; /**< complex packing: NTT form of 1 + X^(N/2) per limb (a real bias b is added as b(1 + i)) */
  const int32_t *wi_ovr; /**< client-aided: this LINEAR step's integer weights (masks folded in), or NULL */
  const double *b_ovr;   /**< client-aided: its biases, or NULL */
  int chunk_ovr;         /**< client-aided: its accumulation chunk */
} he_run;

/* Relinearizes (size 3) and rescales @p nres times. */
static veil_status finish_ct(const he_run *r, veil_rlwe_ks *ks, veil_rlwe_ct *ct, bool relin, int nres) {
  const veil_rlwe_ctx *ctx = &r->sv->ctx;
  if (relin && ct->size == 3) {
    if (!r->sv->has_rlk) return veil_fail(VEIL_ERR_MISMATCH, "he infer: the evaluation keys lack the relinearization key");
    veil_rlwe_keyswitch(ks, ct->c[2].c, ct->level, &r->sv->rlk, false, ct->c[0].c, ct->c[1].c, VEIL_KS_ADD);
    ct->size = 2;
  }
  for (int k = 0; k < nres; k++) {
    double q = (double)ctx->rq.mods[ct->level].q;
    for (int c = 0; c < ct->size; c++) VEIL_TRY(veil_poly_rescale(&ctx->rq, &ct->c[c]));
    ct->level--, ct->scale /= q;
  }
  return VEIL_OK;
}

/* Bias residues per limb: out[i * nout + j] = round(b_j * scale) mod q_i. */
static veil_status bias_residues(const he_run *r, const veil_he_step *s, int nl, double scale, uint64_t **out) {
  int64_t nout = s->lin.nout;
  *out = veil_calloc((size_t)(nout * nl), sizeof **out);
  if (!*out) return veil_fail(VEIL_ERR_NOMEM, "he: bias residues");
  uint64_t res[VEIL_CKKS_MAX_Q];
  const double *b = r->b_ovr ? r->b_ovr : s->lin.b;
  for (int64_t j = 0; j < nout; j++) {
    if (b[j] == 0.0) continue;
    VEIL_TRY(veil_ckks_encode_scalar(b[j], scale, &r->sv->ctx.rq, nl, res));
    for (int i = 0; i < nl; i++) (*out)[i * nout + j] = res[i];
  }
  return VEIL_OK;
}

static size_t block_len(int64_t nin, size_t n) {
  size_t b = VEIL_HE_MAC_BLOCK_MAX;
  while (b > 32 && (size_t)nin * b * 8 > (256u << 10)) b /= 2;
  return b < n ? b : n;
}

/* A POLY step evaluated inside the LINEAR step that consumes it (never materialized): residues of
 * c1 at the input scale and c0 at its square, per limb. */
typedef struct fused_poly {
  const veil_he_step *s;
  uint64_t c1[VEIL_CKKS_MAX_Q], c0[VEIL_CKKS_MAX_Q];
} fused_poly;

/* Complex packing puts two images in one slot (real and imaginary part), so a bias b must be added
 * as b + b i: in NTT form, b * (1 + X^(N/2)) evaluated slot by slot. */
static void add_complex_bias(const he_run *r, int i, size_t k0, size_t len, const uint64_t *b, int64_t nout,
                             uint64_t *const *outp) {
  const veil_ring *rq = &r->sv->ctx.rq;
  const uint64_t *u = r->cunit + (size_t)i * rq->n + k0;
  for (int64_t j = 0; j < nout; j++)
    if (b[j])
      rq->k->fma_scalar(outp[j], u, b[j], veil_shoup_prep(b[j], rq->mods[i].q), len, &rq->mods[i]);
}

static veil_status complex_unit_init(he_run *r) {
  const veil_ring *rq = &r->sv->ctx.rq;
  veil_poly u;
  VEIL_TRY(veil_poly_init(&u, rq, rq->nmods));
  for (int i = 0; i < rq->nmods; i++) {
    veil_poly_limb(&u, i)[0] = 1;
    veil_poly_limb(&u, i)[rq->n / 2] = 1;
  }
  veil_status st = veil_poly_ntt(rq, &u);
  if (st)
    veil_poly_free(&u);
  else
    r->cunit = u.c; /* owned by the run from here on */
  return st;
}

/* One (component, limb, block) work item of a LINEAR step. */
static void linear_item(const he_run *r, const veil_he_step *s, const fused_poly *fp, const veil_rlwe_ct *x, veil_rlwe_ct *y, int c,
                        int i, size_t k0, size_t len, const uint64_t *bias, he_scratch *sc) {
  const int64_t nin = s->lin.nin, nout = s->lin.nout;
  const size_t off = (size_t)i * r->sv->ctx.n + k0;
  const uint64_t q = r->sv->ctx.rq.mods[i].q;
  for (int64_t t = 0; t < nin; t++)
    if (fp) r->poly(x[t].c[0].c + off, x[t].c[1].c + off, c, fp->s->c[2] < 0, fp->c1[i], fp->c0[i], q, len, sc->xs + (size_t)t * len);
    else memcpy(sc->xs + (size_t)t * len, x[t].c[c].c + off, len * sizeof(uint64_t));
  for (int64_t j = 0; j < nout; j++) sc->outp[j] = y[j].c[c].c + off;
  r->mac(s->lin.row, s->lin.col, r->wi_ovr ? r->wi_ovr : s->wi, nout, sc->xs, len, r->sv->ctx.rq.mods[i].q,
         r->wi_ovr ? r->chunk_ovr : s->mac_chunk,
         c == 0 && !r->cunit ? bias + (size_t)i * nout : NULL, sc->outp);
  if (c == 0 && r->cunit)
    add_complex_bias(r, i, k0, len, bias + (size_t)i * nout, nout, sc->outp);
}

static veil_status run_linear(const he_run *r, const veil_he_step *s, const veil_he_step *poly, he_scratch *scr) {
  const veil_rlwe_ct *x = r->vals[poly ? poly->in[0] : s->in[0]];
  const int64_t nout = s->lin.nout;
  const int lvl = x[0].level, sz = poly ? 3 : x[0].size, nl = lvl + 1;
  const double sin = poly ? x[0].scale * x[0].scale : x[0].scale;
  fused_poly fp = {.s = poly};
  if (poly) {
    VEIL_TRY(veil_ckks_encode_scalar(poly->c[1], x[0].scale, &r->sv->ctx.rq, nl, fp.c1));
    VEIL_TRY(veil_ckks_encode_scalar(poly->c[0], sin, &r->sv->ctx.rq, nl, fp.c0));
  }
  const size_t n = r->sv->ctx.n, blen = block_len(s->lin.nin, n), nblk = n / blen;
  veil_rlwe_ct *y = veil_calloc((size_t)nout, sizeof *y);
  uint64_t *bias = NULL;
  if (!y) return veil_fail(VEIL_ERR_NOMEM, "he: %lld outputs", (long long)nout);
  r->vals[s->out] = y;
  veil_status st = bias_residues(r, s, nl, sin * s->wscale, &bias);
  for (int64_t j = 0; j < nout && !st; j++) {
    st = veil_rlwe_ct_init(&r->sv->ctx, &y[j], sz, lvl);
    y[j].scale = sin * s->wscale;
    for (int c = 0; c < sz; c++) y[j].c[c].is_ntt = true;
  }
  if (st) return veil_free(bias), st;
  const int64_t items = (int64_t)sz * nl * (int64_t)nblk;
#pragma omp parallel num_threads(veil_threads())
  {
    he_scratch *sc = &scr[omp_get_thread_num()];
#pragma omp for schedule(dynamic)
    for (int64_t it = 0; it < items; it++) {
      int c = (int)(it / ((int64_t)nl * (int64_t)nblk)), i = (int)(it / (int64_t)nblk % nl);
      linear_item(r, s, poly ? &fp : NULL, x, y, c, i, (size_t)(it % (int64_t)nblk) * blen, blen, bias, sc);
    }
    veil_status mine = VEIL_OK;
#pragma omp for schedule(dynamic)
    for (int64_t j = 0; j < nout; j++)
      if (!mine) mine = finish_ct(r, &sc->ks, &y[j], s->relin, s->nrescale);
#pragma omp critical
    if (mine && !st) st = mine;
  }
  veil_free(bias);
  return st;
}

/* y = c2 x^2 + c1 x + c0 (c2 in {-1, 0, 1}), size 3, scale x.scale^2, no rescale. */
static veil_status poly_ct(const he_run *r, const veil_he_step *s, const veil_rlwe_ct *x, veil_rlwe_ct *y) {
  const veil_ring *rq = &r->sv->ctx.rq;
  int nl = x->level + 1;
  uint64_t c1[VEIL_CKKS_MAX_Q], c0[VEIL_CKKS_MAX_Q];
  VEIL_TRY(veil_ckks_encode_scalar(s->c[1], x->scale, rq, nl, c1));
  VEIL_TRY(veil_ckks_encode_scalar(s->c[0], x->scale * x->scale, rq, nl, c0));
  VEIL_TRY(veil_rlwe_ct_init(&r->sv->ctx, y, 3, x->level));
  y->scale = x->scale * x->scale;
  for (int i = 0; i < nl; i++) {
    const veil_modulus *m = &rq->mods[i];
    const uint64_t *a = veil_poly_limb(&x->c[0], i), *b = veil_poly_limb(&x->c[1], i);
    uint64_t *y0 = veil_poly_limb(&y->c[0], i), *y1 = veil_poly_limb(&y->c[1], i), *y2 = veil_poly_limb(&y->c[2], i);
    rq->k->mul(y0, a, a, rq->n, m);
    rq->k->mul(y1, a, b, rq->n, m);
    rq->k->add(y1, y1, y1, rq->n, m);
    rq->k->mul(y2, b, b, rq->n, m);
    if (s->c[2] < 0) rq->k->neg(y0, y0, rq->n, m), rq->k->neg(y1, y1, rq->n, m), rq->k->neg(y2, y2, rq->n, m);
    if (c1[i]) {
      uint64_t sh = veil_shoup_prep(c1[i], m->q);
      rq->k->fma_scalar(y0, a, c1[i], sh, rq->n, m);
      rq->k->fma_scalar(y1, b, c1[i], sh, rq->n, m);
    }
    for (size_t k = 0; c0[i] && k < rq->n; k++) y0[k] = veil_mod_add(y0[k], c0[i], m->q);
  }
  for (int c = 0; c < 3; c++) y->c[c].is_ntt = true;
  return VEIL_OK;
}

/* ADD: levels aligned by dropping limbs of the higher one. */
static veil_status add_ct(const he_run *r, const veil_rlwe_ct *a, const veil_rlwe_ct *b, veil_rlwe_ct *y) {
  const veil_rlwe_ct *lo = a->level <= b->level ? a : b, *hi = lo == a ? b : a;
  VEIL_TRY(veil_rlwe_ct_copy(&r->sv->ctx, y, lo));
  y->seeded = false;
  for (int c = 0; c < 2; c++) VEIL_TRY(veil_poly_add(&r->sv->ctx.rq, &y->c[c], &y->c[c], &hi->c[c]));
  return VEIL_OK;
}

static veil_status run_elementwise(const he_run *r, const veil_he_step *s, he_scratch *scr) {
  const int64_t n = r->p->values[s->out].count;
  veil_rlwe_ct *x = r->vals[s->in[0]], *y = veil_calloc((size_t)n, sizeof *y);
  if (!y) return veil_fail(VEIL_ERR_NOMEM, "he: %lld outputs", (long long)n);
  r->vals[s->out] = y;
  veil_status st = VEIL_OK;
#pragma omp parallel num_threads(veil_threads())
  {
    he_scratch *sc = &scr[omp_get_thread_num()];
    veil_status mine = VEIL_OK;
#pragma omp for schedule(dynamic)
    for (int64_t j = 0; j < n; j++) {
      if (mine) continue;
      if (s->kind == VEIL_HE_POLY) mine = poly_ct(r, s, &x[j], &y[j]);
      else if (s->kind == VEIL_HE_ADD) mine = add_ct(r, &x[j], &r->vals[s->in[1]][j], &y[j]);
      else if (!(mine = veil_rlwe_ct_copy(&r->sv->ctx, &y[j], &x[j]))) y[j].seeded = false, mine = finish_ct(r, &sc->ks, &y[j], s->relin, s->nrescale);
    }
#pragma omp critical
    if (mine && !st) st = mine;
  }
  return st;
}

static void free_value(he_run *r, int v) {
  for (int64_t i = 0; r->vals[v] && i < r->p->values[v].count; i++) veil_rlwe_ct_free(&r->vals[v][i]);
  veil_free(r->vals[v]);
  r->vals[v] = NULL;
}

int veil__he_last_use(const veil_he_plan *p, int v) {
  int last = -1;
  for (int i = 0; i < p->nsteps; i++)
    if (p->steps[i].in[0] == v || (p->steps[i].kind == VEIL_HE_ADD && p->steps[i].in[1] == v)) last = i;
  return last;
}

static veil_status scratch_init(const he_run *r, he_scratch *scr, int nt) {
  int64_t nin = 1, nout = 1;
  for (int i = 0; i < r->p->nsteps; i++)
    if (r->p->steps[i].kind == VEIL_HE_LINEAR) {
      nin = r->p->steps[i].lin.nin > nin ? r->p->steps[i].lin.nin : nin;
      nout = r->p->steps[i].lin.nout > nout ? r->p->steps[i].lin.nout : nout;
    }
  for (int t = 0; t < nt; t++) {
    VEIL_TRY(veil_rlwe_ks_init(&scr[t].ks, &r->sv->ctx));
    scr[t].xs = veil_malloc((size_t)nin * VEIL_HE_MAC_BLOCK_MAX * sizeof(uint64_t));
    scr[t].outp = veil_malloc((size_t)nout * sizeof *scr[t].outp);
    if (!scr[t].xs || !scr[t].outp) return veil_fail(VEIL_ERR_NOMEM, "he: scratch");
  }
  return VEIL_OK;
}

static veil_status run_steps(he_run *r, he_scratch *scr) {
  const veil_he_plan *p = r->p;
  for (int i = 0; i < p->nsteps; i++) {
    const veil_he_step *s = &p->steps[i];
    uint64_t t0 = veil_now_ns();
    /* a POLY whose only consumer is the next LINEAR step is evaluated inside it */
    const veil_he_step *fused = i > 0 && s->kind == VEIL_HE_LINEAR && p->steps[i - 1].kind == VEIL_HE_POLY &&
                                p->steps[i - 1].out == s->in[0] && veil__he_last_use(p, s->in[0]) == i && p->output != s->in[0] ? &p->steps[i - 1] : NULL;
    if (s->kind == VEIL_HE_POLY && i + 1 < p->nsteps && p->steps[i + 1].kind == VEIL_HE_LINEAR && p->steps[i + 1].in[0] == s->out &&
        veil__he_last_use(p, s->out) == i + 1 && p->output != s->out)
      continue; /* deferred into step i + 1 */
    VEIL_TRY(s->kind == VEIL_HE_LINEAR ? run_linear(r, s, fused, scr) : run_elementwise(r, s, scr));
    if (fused && veil__he_last_use(p, fused->in[0]) == i - 1 && fused->in[0] != p->input) free_value(r, fused->in[0]);
    veil_log(VEIL_LOG_INFO, "he step %d (%s, %lld outputs): %.3f s", i, s->kind == VEIL_HE_LINEAR ? "linear" : "elementwise",
             (long long)p->values[s->out].count, (double)(veil_now_ns() - t0) * 1e-9);
    for (int k = 0; k < 2; k++)
      if (s->in[k] >= 0 && (k == 0 || s->kind == VEIL_HE_ADD) && s->in[k] != p->input && veil__he_last_use(p, s->in[k]) == i)
        free_value(r, s->in[k]);
  }
  return VEIL_OK;
}

veil_status veil_he_infer(const veil_he_plan *p, const veil_he_server *sv, const veil_he_tensor *in, veil_he_tensor *out) {
  memset(out, 0, sizeof *out);
  if (in->count != p->values[p->input].count)
    return veil_fail(VEIL_ERR_MISMATCH, "he infer: %lld input ciphertexts, the model takes %lld", (long long)in->count, (long long)p->values[p->input].count);
  if (in->complex_packing != p->complex_packing)
    return veil_fail(VEIL_ERR_MISMATCH, "he infer: input is %scomplex-packed, the plan %s", in->complex_packing ? "" : "not ",
                     p->complex_packing ? "packs two images per slot" : "does not");
  if (memcmp(in->key_id, sv->key_id, sizeof in->key_id))
    return veil_fail(VEIL_ERR_MISMATCH, "he infer: input encrypted under other keys (key id differs from the evaluation keys')");
  for (int64_t i = 0; i < in->count; i++)
    if (in->ct[i].level != p->params.nq - 1 || in->ct[i].size != 2)
      return veil_fail(VEIL_ERR_MISMATCH, "he infer: input ciphertext %lld at level %d size %d (expected fresh, level %d)",
                       (long long)i, in->ct[i].level, in->ct[i].size, p->params.nq - 1);
  int nt = veil_threads();
  he_run r = {.p = p, .sv = sv, .mac = veil__he_mac_best(), .poly = veil__he_poly_best(), .top = p->params.nq - 1};
  r.vals = veil_calloc((size_t)p->nvalues, sizeof *r.vals);
  he_scratch *scr = veil_calloc((size_t)nt, sizeof *scr);
  veil_status st = !r.vals || !scr ? veil_fail(VEIL_ERR_NOMEM, "he infer") : scratch_init(&r, scr, nt);
  if (!st && p->complex_packing)
    st = complex_unit_init(&r);
  if (!st) {
    r.vals[p->input] = in->ct;
    st = run_steps(&r, scr);
  }
  if (!st) {
    *out = (veil_he_tensor){.count = p->values[p->output].count, .n_images = in->n_images, .complex_packing = in->complex_packing,
                            .ct = r.vals[p->output]};
    memcpy(out->key_id, in->key_id, sizeof out->key_id), memcpy(out->model_fp, p->model_fp, sizeof out->model_fp);
    r.vals[p->output] = NULL;
  }
  for (int v = 0; r.vals && v < p->nvalues; v++)
    if (v != p->input) free_value(&r, v);
  for (int t = 0; scr && t < nt; t++) veil_rlwe_ks_free(&scr[t].ks), veil_free(scr[t].xs), veil_free(scr[t].outp);
  veil_free(scr), veil_free(r.vals), veil_free(r.cunit);
  return st;
}

/* ---- step-by-step execution (client-aided sessions) --------------------------------------------- */

struct veil__he_exec {
  he_run r;
  he_scratch *scr;
  int nt;
};

void veil__he_exec_free(veil__he_exec *x) {
  if (!x) return;
  for (int v = 0; x->r.vals && v < x->r.p->nvalues; v++) free_value(&x->r, v);
  for (int t = 0; x->scr && t < x->nt; t++) veil_rlwe_ks_free(&x->scr[t].ks), veil_free(x->scr[t].xs), veil_free(x->scr[t].outp);
  veil_free(x->scr), veil_free(x->r.vals), veil_free(x->r.cunit);
  veil_free(x);
}

veil_status veil__he_exec_init(const veil_he_plan *p, const veil_he_server *sv, veil__he_exec **out) {
  veil__he_exec *x = veil_calloc(1, sizeof *x);
  if (!x) return veil_fail(VEIL_ERR_NOMEM, "he exec");
  x->nt = veil_threads();
  x->r = (he_run){.p = p, .sv = sv, .mac = veil__he_mac_best(), .poly = veil__he_poly_best(), .top = p->params.nq - 1};
  x->r.vals = veil_calloc((size_t)p->nvalues, sizeof *x->r.vals);
  x->scr = veil_calloc((size_t)x->nt, sizeof *x->scr);
  veil_status st = !x->r.vals || !x->scr ? veil_fail(VEIL_ERR_NOMEM, "he exec") : scratch_init(&x->r, x->scr, x->nt);
  if (st) return veil__he_exec_free(x), st;
  return *out = x, VEIL_OK;
}

veil_rlwe_ct *veil__he_exec_take(veil__he_exec *x, int v) {
  veil_rlwe_ct *c = x->r.vals[v];
  x->r.vals[v] = NULL;
  return c;
}

void veil__he_exec_set(veil__he_exec *x, int v, veil_rlwe_ct *cts) {
  free_value(&x->r, v);
  x->r.vals[v] = cts;
}

veil_status veil__he_exec_step(veil__he_exec *x, int i, const int32_t *wi, const double *b, int chunk) {
  const veil_he_plan *p = x->r.p;
  const veil_he_step *s = &p->steps[i];
  if (s->kind == VEIL_HE_POLY || s->kind == VEIL_HE_CLIENT) return veil_fail(VEIL_ERR_INTERNAL, "he exec: step %d is not a server step", i);
  for (int k = 0; k < (s->kind == VEIL_HE_ADD ? 2 : 1); k++)
    if (!x->r.vals[s->in[k]]) return veil_fail(VEIL_ERR_INTERNAL, "he exec: step %d reads value %d, which is not live", i, s->in[k]);
  x->r.wi_ovr = wi, x->r.b_ovr = b, x->r.chunk_ovr = chunk;
  veil_status st = s->kind == VEIL_HE_LINEAR ? run_linear(&x->r, s, NULL, x->scr) : run_elementwise(&x->r, s, x->scr);
  x->r.wi_ovr = NULL, x->r.b_ovr = NULL;
  for (int k = 0; k < 2 && !st; k++)
    if (s->in[k] >= 0 && (k == 0 || s->kind == VEIL_HE_ADD) && veil__he_last_use(p, s->in[k]) == i) free_value(&x->r, s->in[k]);
  return st;
}
