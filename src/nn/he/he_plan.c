/** @file he_plan.c @brief HE plan: polynomial folding, level/scale schedule, parameters, simulation. */
#include <math.h>
#include <sodium.h>
#include <string.h>

#include "nn/he/he-impl.h"

int veil__he_producer(const veil_he_plan *p, int v) {
  for (int i = 0; i < p->nsteps; i++)
    if (p->steps[i].out == v) return i;
  return -1;
}

int veil__he_value_uses(const veil_he_plan *p, int v) {
  int n = p->output == v;
  for (int i = 0; i < p->nsteps; i++) n += (p->steps[i].in[0] == v) + (p->steps[i].kind == VEIL_HE_ADD && p->steps[i].in[1] == v);
  return n;
}

/* A diagonal LINEAR step out = f * in + b (identity scaled), inserted at @p at. */
static veil_status insert_diag(veil_he_plan *p, int at, int in, const double *f, const double *b, int node, int *out) {
  int64_t n = p->values[in].count;
  veil_he_step s = {.kind = VEIL_HE_LINEAR, .in = {in, -1}, .node = node};
  VEIL_TRY(veil__he_lin_alloc(&s.lin, n, n, n));
  for (int64_t j = 0; j < n; j++)
    s.lin.row[j + 1] = j + 1, s.lin.col[j] = (int32_t)j, s.lin.w[j] = f[j], s.lin.b[j] = b ? b[j] : 0.0;
  veil_status st = veil__he_value_add(p, n, &s.out);
  if (!st) st = veil__he_step_insert(p, at, &s);
  if (st) return veil__he_lin_free(&s.lin), st;
  return *out = s.out, VEIL_OK;
}

/* Scalar-filled vector helper for insert_diag. */
veil_status veil__he_diag_const(veil_he_plan *p, int at, int in, double f, double b, int node, int *out) {
  int64_t n = p->values[in].count;
  double *fv = veil_malloc((size_t)n * sizeof *fv), *bv = veil_malloc((size_t)n * sizeof *bv);
  veil_status st = !fv || !bv ? veil_fail(VEIL_ERR_NOMEM, "he plan: diagonal") : VEIL_OK;
  for (int64_t j = 0; j < n && !st; j++) fv[j] = f, bv[j] = b;
  if (!st) st = insert_diag(p, at, in, fv, bv, node, out);
  veil_free(fv), veil_free(bv);
  return st;
}

veil_status veil__he_fold_poly(veil_he_plan *p) {
  for (int i = 0; i < p->nsteps; i++) {
    veil_he_step *s = &p->steps[i];
    if (s->kind != VEIL_HE_POLY) continue;
    if (s->c[2] == 0.0) { /* linear: c1 x + c0 becomes a diagonal LINEAR step */
      int in = s->in[0], out = s->out, node = s->node, v;
      double c0 = s->c[0], c1 = s->c[1];
      VEIL_TRY(veil__he_diag_const(p, i, in, c1, c0, node, &v));
      p->steps[i].out = out, p->values[out] = p->values[v]; /* reuse the POLY's value id */
      memmove(p->steps + i + 1, p->steps + i + 2, (size_t)(p->nsteps - i - 2) * sizeof *p->steps);
      p->nsteps--;
      continue;
    }
    double f = sqrt(fabs(s->c[2]));
    int prod = veil__he_producer(p, s->in[0]);
    if (f != 1.0 && (prod < 0 || p->steps[prod].kind != VEIL_HE_LINEAR || veil__he_value_uses(p, s->in[0]) != 1)) {
      int v, node = s->node;
      VEIL_TRY(veil__he_diag_const(p, i, s->in[0], 1.0, 0.0, node, &v));
      s = &p->steps[i + 1], s->in[0] = v, prod = i++;
    }
    if (f != 1.0) {
      veil_he_lin *l = &p->steps[prod].lin;
      for (int64_t k = 0; k < l->nnz; k++) l->w[k] *= f;
      for (int64_t j = 0; j < l->nout; j++) l->b[j] *= f;
      s->c[1] /= f;
      s->c[2] = s->c[2] > 0 ? 1.0 : -1.0;
    }
  }
  return VEIL_OK;
}

/* Inserts a NORM step before step @p at if value @p v is lazy; returns the normalized value. */
static veil_status normalize(veil_he_plan *p, int *at, int v, int *nv) {
  veil_he_value *x = &p->values[v];
  if (x->size == 2 && x->pending == 0) return *nv = v, VEIL_OK;
  veil_he_step s = {.kind = VEIL_HE_NORM, .in = {v, -1}, .node = -1, .relin = x->size == 3, .nrescale = x->pending};
  int prod = veil__he_producer(p, v);
  s.node = prod >= 0 ? p->steps[prod].node : 0;
  VEIL_TRY(veil__he_value_add(p, p->values[v].count, &s.out));
  x = &p->values[v];
  p->values[s.out] = (veil_he_value){.count = x->count, .depth = x->depth + x->pending, .size = 2};
  VEIL_TRY(veil__he_step_insert(p, *at, &s));
  (*at)++;
  return *nv = s.out, VEIL_OK;
}

/* Makes an ADD input exactly Delta (a LINEAR identity step re-targets its scale). */
static veil_status exact_delta(veil_he_plan *p, int *at, int v, int *nv) {
  VEIL_TRY(normalize(p, at, v, &v));
  if (p->values[v].exact) return *nv = v, VEIL_OK;
  int prod = veil__he_producer(p, v);
  VEIL_TRY(veil__he_diag_const(p, *at, v, 1.0, 0.0, prod >= 0 ? p->steps[prod].node : 0, nv));
  veil_he_value *x = &p->values[v];
  p->values[*nv] = (veil_he_value){.count = x->count, .depth = x->depth + 1, .size = 2, .exact = true};
  p->steps[*at].nrescale = 1;
  (*at)++;
  return VEIL_OK;
}

static veil_status schedule_step(veil_he_plan *p, int *i, const veil_he_opts *o) {
  veil_he_step *s = &p->steps[*i];
  veil_he_value *x = &p->values[s->in[0]];
  switch (s->kind) {
  case VEIL_HE_LINEAR:
    s->relin = x->size == 3, s->nrescale = 1 + x->pending;
    p->values[s->out] = (veil_he_value){.count = s->lin.nout, .depth = x->depth + s->nrescale, .size = 2, .exact = true};
    break;
  case VEIL_HE_POLY: {
    int v;
    VEIL_TRY(normalize(p, i, s->in[0], &v));
    s = &p->steps[*i], s->in[0] = v, x = &p->values[v];
    p->values[s->out] = (veil_he_value){.count = x->count, .depth = x->depth, .size = 3, .pending = 1};
    p->npoly++, p->needs_relin = true;
    if (o && o->no_lazy_relin) {
      int at = *i + 1, nv, old = s->out;
      VEIL_TRY(normalize(p, &at, old, &nv));
      for (int k = at; k < p->nsteps; k++)
        for (int m = 0; m < 2; m++)
          if (p->steps[k].in[m] == old) p->steps[k].in[m] = nv;
      if (p->output == old) p->output = nv;
      *i = at - 1;
    }
    break;
  }
  case VEIL_HE_ADD: {
    int a, b;
    VEIL_TRY(exact_delta(p, i, s->in[0], &a));
    VEIL_TRY(exact_delta(p, i, p->steps[*i].in[1], &b));
    s = &p->steps[*i], s->in[0] = a, s->in[1] = b;
    int d = p->values[a].depth > p->values[b].depth ? p->values[a].depth : p->values[b].depth;
    p->values[s->out] = (veil_he_value){.count = p->values[a].count, .depth = d, .size = 2, .exact = true};
    break;
  }
  case VEIL_HE_CLIENT: /* the client answers with fresh ciphertexts at the top level */
    p->values[s->out] = (veil_he_value){.count = p->values[s->out].count, .size = 2, .exact = true};
    break;
  case VEIL_HE_NORM:
    break;
  }
  return VEIL_OK;
}

veil_status veil__he_schedule(veil_he_plan *p, const veil_he_opts *o) {
  p->values[p->input] = (veil_he_value){.count = p->values[p->input].count, .size = 2, .exact = true};
  for (int i = 0; i < p->nsteps; i++) VEIL_TRY(schedule_step(p, &i, o));
  int at = p->nsteps;
  VEIL_TRY(normalize(p, &at, p->output, &p->output));
  p->depth = 0;
  for (int v = 0; v < p->nvalues; v++)
    if (p->values[v].depth > p->depth) p->depth = p->values[v].depth;
  return VEIL_OK;
}

/* ---- float64 simulation ------------------------------------------------------------------------ */

static void sim_step(const veil_he_step *s, double *const *vals, const int64_t *cnt, int64_t n, double *mx) {
  double *y = vals[s->out];
  const double *x = vals[s->in[0]];
  int64_t ni = cnt[s->in[0]], no = cnt[s->out];
  for (int64_t t = 0; t < n; t++) {
    const double *xt = x + t * ni;
    double *yt = y + t * no;
    for (int64_t j = 0; j < no; j++) {
      double v = 0;
      if (s->kind == VEIL_HE_LINEAR) {
        v = s->lin.b[j];
        for (int64_t k = s->lin.row[j]; k < s->lin.row[j + 1]; k++) v += s->lin.w[k] * xt[s->lin.col[k]];
      } else if (s->kind == VEIL_HE_POLY) {
        v = s->c[0] + xt[j] * (s->c[1] + s->c[2] * xt[j]);
      } else if (s->kind == VEIL_HE_ADD) {
        v = xt[j] + vals[s->in[1]][t * no + j];
      } else if (s->kind == VEIL_HE_CLIENT) {
        v = veil__he_act_apply(s->act, s->clip, xt, s->gather ? s->gather + j * s->group : NULL, s->group, j);
      } else {
        v = xt[j];
      }
      yt[j] = v;
      if (mx && fabs(v) > *mx) *mx = fabs(v);
    }
  }
}

veil_status veil_he_plan_simulate(const veil_he_plan *p, const double *x, int64_t n, double *y, double *max_abs) {
  double **vals = veil_calloc((size_t)p->nvalues, sizeof *vals);
  int64_t *cnt = veil_calloc((size_t)p->nvalues, sizeof *cnt);
  veil_status st = !vals || !cnt ? veil_fail(VEIL_ERR_NOMEM, "he simulate") : VEIL_OK;
  for (int v = 0; v < p->nvalues && !st; v++) {
    cnt[v] = p->values[v].count;
    if (v != p->input && !(vals[v] = veil_malloc((size_t)(cnt[v] * n) * sizeof(double))))
      st = veil_fail(VEIL_ERR_NOMEM, "he simulate: %lld values", (long long)(cnt[v] * n));
  }
  if (!st) {
    vals[p->input] = (double *)x;
    if (max_abs) {
      *max_abs = 0;
      for (int64_t k = 0; k < n * cnt[p->input]; k++) *max_abs = fmax(*max_abs, fabs(x[k]));
    }
    for (int i = 0; i < p->nsteps; i++) sim_step(&p->steps[i], vals, cnt, n, max_abs);
    memcpy(y, vals[p->output], (size_t)(n * cnt[p->output]) * sizeof *y);
  }
  for (int v = 0; vals && v < p->nvalues; v++)
    if (v != p->input) veil_free(vals[v]);
  veil_free(vals), veil_free(cnt);
  return st;
}

/* ---- parameters -------------------------------------------------------------------------------- */

/* Integer weights of a LINEAR step and its accumulation bound. */
static veil_status set_weights(veil_he_plan *p, veil_he_step *s, uint64_t qmax) {
  veil_free(s->wi);
  s->wi = veil_malloc((size_t)(s->lin.nnz ? s->lin.nnz : 1) * sizeof *s->wi);
  if (!s->wi) return veil_fail(VEIL_ERR_NOMEM, "he plan: integer weights");
  double wmax = 1;
  for (int64_t k = 0; k < s->lin.nnz; k++) {
    double v = nearbyint(s->lin.w[k] * s->wscale);
    if (fabs(v) >= 2147483647.0)
      return veil_fail(VEIL_ERR_PRECISION, "he plan: weight %g of the layer at node %d times Delta_w 2^%.1f exceeds 2^31",
                       s->lin.w[k], s->node, log2(s->wscale));
    s->wi[k] = (int32_t)v;
    wmax = fmax(wmax, fabs(v));
  }
  double chunk = floor(9.2e18 / ((double)qmax * wmax));
  s->mac_chunk = chunk > 1e9 ? 1000000000 : (int)fmax(1.0, chunk);
  (void)p;
  return VEIL_OK;
}

/* Exact scales along the schedule with the actual primes. */
static veil_status set_scales(veil_he_plan *p) {
  const veil_ckks_params *cp = &p->params;
  int top = cp->nq - 1;
  uint64_t qmax = 0;
  for (int i = 0; i < cp->nq; i++) qmax = cp->q[i] > qmax ? cp->q[i] : qmax;
  p->values[p->input].scale = cp->scale;
  for (int i = 0; i < p->nsteps; i++) {
    veil_he_step *s = &p->steps[i];
    veil_he_value *x = &p->values[s->in[0]], *y = &p->values[s->out];
    double drop = 1;
    for (int r = 0; r < s->nrescale; r++) drop *= (double)cp->q[top - x->depth - r];
    if (s->kind == VEIL_HE_LINEAR) {
      s->wscale = cp->scale * drop / x->scale;
      y->scale = cp->scale;
      VEIL_TRY(set_weights(p, s, qmax));
    } else if (s->kind == VEIL_HE_POLY) {
      y->scale = x->scale * x->scale;
    } else if (s->kind == VEIL_HE_NORM) {
      y->scale = x->scale / drop;
    } else if (s->kind == VEIL_HE_CLIENT) {
      y->scale = cp->scale;
    } else {
      double a = x->scale, b = p->values[s->in[1]].scale;
      if (fabs(a - b) > 1e-9 * a) return veil_fail(VEIL_ERR_INTERNAL, "he plan: add of scales %g and %g", a, b);
      y->scale = a;
    }
  }
  return VEIL_OK;
}

/* Cost in limb-coefficient operations per ciphertext slot (a model for the complex-packing decision). */
static void complex_decision(veil_he_plan *p) {
  const veil_ckks_params *cp = &p->params;
  double ntt = 1.5 * cp->logn, lin = 0, sq = 0, conj = 0;
  for (int i = 0; i < p->nsteps; i++) {
    const veil_he_step *s = &p->steps[i];
    double m = cp->nq - p->values[s->in[0]].depth, ks = (2.0 + cp->dnum) * (m + 1) * ntt;
    if (s->kind == VEIL_HE_LINEAR) lin += (double)s->lin.nnz * p->values[s->in[0]].size * m + s->lin.nout * (s->nrescale * 2 * m * ntt + (s->relin ? ks : 0));
    if (s->kind == VEIL_HE_NORM) lin += (double)p->values[s->out].count * (s->nrescale * 2 * m * ntt + (s->relin ? ks : 0));
    if (s->kind == VEIL_HE_POLY) sq += (double)p->values[s->out].count * 4 * m, conj += (double)p->values[s->out].count * (2 * ks + 12 * m + 3 * m * ntt);
  }
  double real = lin + sq, cplx = (lin + sq + conj) / 2;
  p->complex_cost = real > 0 ? cplx / real : 0.5;
  if (p->client_aided) {
    p->complex_packing = false;
    snprintf(p->complex_why, sizeof p->complex_why, "off (client-aided mode: one image per slot)");
  } else if (p->npoly == 0) {
    p->complex_packing = true;
    snprintf(p->complex_why, sizeof p->complex_why, "on (linear model: real-scalar operations commute with it: %.1fx cost per image)", p->complex_cost);
  } else if (p->complex_cost >= 1) {
    snprintf(p->complex_why, sizeof p->complex_why, "off (square activations need conjugation: %.1fx cost per image)", p->complex_cost);
  } else {
    snprintf(p->complex_why, sizeof p->complex_why,
             "off (squares would need conjugation, estimated %.2fx cost per image; the conjugation path is not implemented)", p->complex_cost);
  }
}

veil_status veil_he_plan_set_params(veil_he_plan *p, const veil_ckks_params_lit *lit, int nbase) {
  VEIL_TRY(veil_ckks_params_resolve(lit, &p->params));
  p->lit = *lit, p->nbase = nbase, p->has_params = true;
  for (int i = 0; i < p->params.nq; i++)
    if (p->params.q[i] >= (1ull << 31))
      return veil_fail(VEIL_ERR_UNSUPPORTED, "he plan: prime q_%d has %d bits (batch mode needs primes < 2^31)", i, 64 - __builtin_clzll(p->params.q[i]));
  if (p->params.nq - nbase < p->depth || nbase < 1)
    return veil_fail(VEIL_ERR_INVALID_ARG, "he plan: %d primes with %d base primes leave fewer than the %d levels the plan needs",
                     p->params.nq, nbase, p->depth);
  VEIL_TRY(set_scales(p));
  complex_decision(p);
  return VEIL_OK;
}

int64_t veil_he_plan_batch(const veil_he_plan *p) {
  return (int64_t)p->params.max_slots * (p->complex_packing ? 2 : 1);
}

/* The literal for one candidate (logn, log_scale). Client-aided plans have no evaluation keys: their
 * special prime is the smallest allowed (it only enters the security bound). */
static bool make_lit(const veil_he_plan *p, const veil_he_opts *o, int logn, int s, int prec, veil_ckks_params_lit *lit, int *nbase) {
  memset(lit, 0, sizeof *lit);
  int base = s + prec;
  if (p->client_aided && s + prec > 31 && s > 20) return false; /* a smaller scale keeps one base prime */
  lit->logn = logn, lit->log_scale = s, lit->security = o->security ? o->security : 128;
  lit->insecure_test_only = o->insecure_test_only;
  if (base <= 31) {
    *nbase = 1, lit->q_bits[0] = base;
  } else if (base <= 31 + 30) {
    *nbase = 2, lit->q_bits[0] = 31, lit->q_bits[1] = base - 31 < 22 ? 22 : base - 31;
  } else {
    return false;
  }
  lit->nq = *nbase + p->depth;
  for (int i = *nbase; i < lit->nq; i++) lit->q_bits[i] = s;
  lit->np = 1, lit->p_bits[0] = p->client_aided ? VEIL_CKKS_PRIME_BITS_MIN : 31;
  return true;
}

veil_status veil_he_plan_choose(veil_he_plan *p, const veil_he_opts *o, const double *calib, int64_t n_calib) {
  veil_he_opts d = {0};
  o = o ? o : &d;
  int prec = o->precision_bits;
  if (!prec) {
    double *y = veil_malloc((size_t)((n_calib ? n_calib : 1) * p->values[p->output].count) * sizeof *y);
    if (!y) return veil_fail(VEIL_ERR_NOMEM, "he plan: calibration");
    veil_status st = n_calib ? veil_he_plan_simulate(p, calib, n_calib, y, &p->max_abs) : VEIL_OK;
    veil_free(y);
    VEIL_TRY(st);
    /* x4 margin for inputs beyond the calibration set, one sign bit */
    prec = (int)ceil(log2(fmax(p->max_abs, 1.0) * 4)) + 1;
  }
  if (p->client_aided) prec += (p->mask_bits + 1) / 2; /* masked values grow by up to 2^(mask_bits / 2) */
  int lo = o->logn ? o->logn : p->client_aided ? 11 : 12, hi = o->logn ? o->logn : 16;
  for (int logn = lo; logn <= hi; logn++) {
    int smax = o->log_scale ? o->log_scale : 28, smin = o->log_scale ? o->log_scale : p->client_aided ? 20 : 24;
    for (int s = smax; s >= smin; s--) {
      veil_ckks_params_lit lit;
      int nbase;
      if (!make_lit(p, o, logn, s, prec, &lit, &nbase)) continue;
      veil_ckks_params tmp;
      if (veil_ckks_params_resolve(&lit, &tmp) != VEIL_OK) continue;
      veil_error_clear();
      return veil_he_plan_set_params(p, &lit, nbase);
    }
  }
  return veil_fail(VEIL_ERR_INSECURE, "he plan: no ring up to 2^%d holds depth %d with %d precision bits at %d-bit security",
                   hi, p->depth, prec, o->security ? o->security : 128);
}

/* ---- printing and fingerprint ------------------------------------------------------------------ */

static const char *kind_name(veil_he_kind k) {
  static const char *n[] = {"linear", "poly", "add", "norm", "client"};
  return n[k];
}

void veil_he_plan_print(const veil_he_plan *p, FILE *out) {
  fprintf(out, "plan: %d steps, depth %d, %s\n", p->nsteps, p->depth, p->needs_relin ? "relinearization key" : "no evaluation keys");
  for (int i = 0; i < p->nsteps; i++) {
    const veil_he_step *s = &p->steps[i];
    const veil_he_value *x = &p->values[s->in[0]], *y = &p->values[s->out];
    fprintf(out, "  %2d %-6s %6lld -> %-6lld depth %d -> %d, size %d -> %d", i, kind_name(s->kind), (long long)x->count,
            (long long)y->count, x->depth, y->depth, x->size, y->size);
    if (s->kind == VEIL_HE_LINEAR) fprintf(out, ", %lld mult-adds", (long long)s->lin.nnz);
    if (s->relin) fprintf(out, ", relin");
    if (s->nrescale) fprintf(out, ", %d rescale%s", s->nrescale, s->nrescale > 1 ? "s" : "");
    if (p->has_params) fprintf(out, ", scale 2^%.2f", log2(y->scale));
    fputc('\n', out);
  }
  if (!p->has_params) return;
  char buf[512];
  fprintf(out, "params: %s\n", veil_ckks_params_describe(&p->params, buf, sizeof buf));
  fprintf(out, "batch: %lld images per ciphertext; base primes %d; max |value| %.3g\n", (long long)veil_he_plan_batch(p), p->nbase, p->max_abs);
  fprintf(out, "complex packing: %s\n", p->complex_why);
}

static void hash_tensor(crypto_generichash_state *h, const veil_tensor *t) {
  int64_t n = t->data ? veil_tensor_numel(t) : 0;
  crypto_generichash_update(h, (const uint8_t *)&n, sizeof n);
  if (n) crypto_generichash_update(h, (const uint8_t *)t->data, (size_t)n * sizeof(float));
}

void veil_he_graph_fingerprint(const veil_graph *g, uint8_t out[32]) {
  crypto_generichash_state h;
  crypto_generichash_init(&h, NULL, 0, 32);
  crypto_generichash_update(&h, (const uint8_t *)"veil-he-model-v1", 16);
  for (int i = 0; i < g->nnodes; i++) {
    const veil_node *n = &g->nodes[i];
    int32_t hdr[2 + VEIL_NODE_MAX_INPUTS] = {(int32_t)n->op, n->ninputs};
    for (int k = 0; k < n->ninputs; k++) hdr[2 + k] = n->inputs[k];
    crypto_generichash_update(&h, (const uint8_t *)hdr, sizeof hdr);
    crypto_generichash_update(&h, (const uint8_t *)n->shape, sizeof n->shape);
    hash_tensor(&h, &n->weight), hash_tensor(&h, &n->bias), hash_tensor(&h, &n->mean), hash_tensor(&h, &n->var);
    if (n->op == VEIL_OP_POLY) crypto_generichash_update(&h, (const uint8_t *)n->attrs.poly.coeffs, sizeof(double) * (size_t)(n->attrs.poly.degree + 1));
  }
  crypto_generichash_final(&h, out, 32);
}
