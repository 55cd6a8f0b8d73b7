/** @file passes.c @brief Graph rewrites that keep the function: BN and AFFINE folding, fusion, cleanup. */
#include <math.h>
#include <string.h>

#include "nn/nn-impl.h"

/** Scratch of one pass: consumer counts and the removal plan. */
typedef struct pass_ctx {
  veil_graph *g;
  int *uses, *replace;
  bool *dead;
  int changed;
} pass_ctx;

static veil_status ctx_init(pass_ctx *c, veil_graph *g) {
  memset(c, 0, sizeof *c);
  c->g = g;
  VEIL_TRY(veil_graph_infer_shapes(g));
  c->uses = veil_calloc((size_t)g->nnodes, sizeof *c->uses);
  c->replace = veil_calloc((size_t)g->nnodes, sizeof *c->replace);
  c->dead = veil_calloc((size_t)g->nnodes, sizeof *c->dead);
  if (!c->uses || !c->replace || !c->dead) return veil_fail(VEIL_ERR_NOMEM, "graph pass: tables");
  veil__graph_uses(g, c->uses);
  return VEIL_OK;
}

/* Applies the removals, re-infers shapes, frees the scratch and reports the count. */
static veil_status ctx_finish(pass_ctx *c, veil_status st, int *count) {
  if (!st && c->changed) st = veil_graph_remove_nodes(c->g, c->dead, c->replace);
  if (!st) st = veil_graph_infer_shapes(c->g);
  veil_free(c->uses);
  veil_free(c->replace);
  veil_free(c->dead);
  if (count) *count = st ? 0 : c->changed;
  return st;
}

/* Marks node @p i removed, its uses redirected to @p to. */
static void kill(pass_ctx *c, int i, int to) {
  c->dead[i] = true;
  c->replace[i] = to;
  c->uses[to] += c->uses[i] - 1;
  c->changed++;
}

/* The single consumer of node @p i (its only use, not the graph output), or -1. */
static int sole_consumer(const pass_ctx *c, int i) {
  if (c->uses[i] != 1 || c->g->output == i) return -1;
  for (int j = i + 1; j < c->g->nnodes; j++)
    if (!c->dead[j])
      for (int k = 0; k < c->g->nodes[j].ninputs; k++)
        if (c->g->nodes[j].inputs[k] == i) return j;
  return -1;
}

/* ---- identity --------------------------------------------------------------------------------------- */

veil_status veil_graph_remove_identity(veil_graph *g, int *nremoved) {
  pass_ctx c;
  veil_status st = ctx_init(&c, g);
  for (int i = 1; !st && i < g->nnodes; i++)
    if (g->nodes[i].op == VEIL_OP_IDENTITY) kill(&c, i, g->nodes[i].inputs[0]);
  return ctx_finish(&c, st, nremoved);
}

/* ---- scaling the output channels of a linear layer ------------------------------------------------ */

/* w[co][...] *= s[co]; b[co] = b[co] * s[co] + t[co] for a CONV2D / DENSE node (bias created if absent). */
static veil_status scale_outputs(veil_node *L, const double *s, const double *t) {
  int64_t co_n = L->weight.shape[0], per = veil_tensor_numel(&L->weight) / co_n;
  if (!L->bias.data) VEIL_TRY(veil__tensor_from(&L->bias, co_n, NULL));
  for (int64_t co = 0; co < co_n; co++) {
    for (int64_t k = 0; k < per; k++) L->weight.data[co * per + k] = (float)(L->weight.data[co * per + k] * s[co]);
    L->bias.data[co] = (float)(L->bias.data[co] * s[co] + t[co]);
  }
  return VEIL_OK;
}

static bool is_linear(const veil_node *n) { return n->op == VEIL_OP_CONV2D || n->op == VEIL_OP_DENSE; }

/* ---- batchnorm ---------------------------------------------------------------------------------------- */

/* Rewrites BATCHNORM node @p n as the equivalent AFFINE (per-channel scale and shift). */
static veil_status bn_to_affine(veil_node *n, double *s, double *t) {
  int64_t c = veil_tensor_numel(&n->weight);
  for (int64_t i = 0; i < c; i++) {
    s[i] = n->weight.data[i] / sqrt((double)n->var.data[i] + n->attrs.bn.eps);
    t[i] = n->bias.data[i] - n->mean.data[i] * s[i];
  }
  for (int64_t i = 0; i < c; i++) {
    n->weight.data[i] = (float)s[i];
    n->bias.data[i] = (float)t[i];
  }
  veil_tensor_free(&n->mean);
  veil_tensor_free(&n->var);
  n->op = VEIL_OP_AFFINE;
  memset(&n->attrs, 0, sizeof n->attrs);
  return VEIL_OK;
}

veil_status veil_graph_fold_batchnorm(veil_graph *g, int *nfolded) {
  pass_ctx c;
  veil_status st = ctx_init(&c, g);
  for (int i = 1; !st && i < g->nnodes; i++) {
    veil_node *n = &g->nodes[i];
    if (n->op != VEIL_OP_BATCHNORM) continue;
    int64_t ch = veil_tensor_numel(&n->weight);
    double *s = veil_malloc((size_t)ch * 2 * sizeof *s);
    if (!s) {
      st = veil_fail(VEIL_ERR_NOMEM, "fold batchnorm: %lld channels", (long long)ch);
      break;
    }
    st = bn_to_affine(n, s, s + ch); /* computed in float64 from the BN statistics */
    int p = n->inputs[0];
    if (!st && is_linear(&g->nodes[p]) && c.uses[p] == 1 && g->output != p) {
      st = scale_outputs(&g->nodes[p], s, s + ch);
      kill(&c, i, p);
    } else if (!st) {
      c.changed++;
    }
    veil_free(s);
  }
  return ctx_finish(&c, st, nfolded);
}

/* ---- affine ------------------------------------------------------------------------------------------- */

/* Whether an AFFINE constant is element-wise over more than one value per channel. */
static bool varies_in_channel(const veil_graph *g, int x, const veil_tensor *t) {
  int64_t k = veil__tensor_count(t);
  return k > 1 && k != veil__node_channels(g, x);
}

/* s, t at element e of AFFINE node @p n (input @p x). */
static void affine_at(const veil_graph *g, const veil_node *n, int x, int64_t e, double *s, double *t) {
  int64_t numel = veil_graph_node_numel(g, x), per = numel / veil__node_channels(g, x);
  *s = veil__bcast(&n->weight, 1.0, numel, per, e);
  *t = veil__bcast(&n->bias, 0.0, numel, per, e);
}

/* Whether every value of @p t is @p v (true for an empty tensor). */
static bool all_equal(const veil_tensor *t, float v) {
  for (int64_t k = 0; k < veil__tensor_count(t); k++)
    if (t->data[k] != v) return false;
  return true;
}

static bool affine_is_identity(const veil_node *n) { return all_equal(&n->weight, 1.0f) && all_equal(&n->bias, 0.0f); }

/* AFFINE @p i after linear node @p p (single use): y = L(x) * s + t per output channel. */
static veil_status fold_into_prev(pass_ctx *c, int i, int p) {
  veil_node *n = &c->g->nodes[i], *L = &c->g->nodes[p];
  if (varies_in_channel(c->g, p, &n->weight) || varies_in_channel(c->g, p, &n->bias)) return VEIL_OK;
  int64_t co_n = L->weight.shape[0], per = veil_graph_node_numel(c->g, p) / co_n;
  double *s = veil_malloc((size_t)co_n * 2 * sizeof *s);
  if (!s) return veil_fail(VEIL_ERR_NOMEM, "fold affine: %lld channels", (long long)co_n);
  for (int64_t co = 0; co < co_n; co++) affine_at(c->g, n, p, co * per, &s[co], &s[co_n + co]);
  veil_status st = scale_outputs(L, s, s + co_n);
  veil_free(s);
  if (!st) kill(c, i, p);
  return st;
}

/* Combines AFFINE @p i into the AFFINE @p p before it: (x*s1+t1)*s2+t2. */
static veil_status merge_affine(pass_ctx *c, int i, int p) {
  veil_node *a = &c->g->nodes[p], *b = &c->g->nodes[i];
  int x = a->inputs[0];
  int64_t k = veil__tensor_count(&a->weight), numel = veil_graph_node_numel(c->g, x);
  int64_t per = numel / veil__node_channels(c->g, x);
  const veil_tensor *ts[3] = {&a->bias, &b->weight, &b->bias};
  for (int q = 0; q < 3; q++) k = veil__tensor_count(ts[q]) > k ? veil__tensor_count(ts[q]) : k;
  k = k ? k : 1;
  veil_tensor s, t;
  VEIL_TRY(veil__tensor_from(&s, k, NULL));
  veil_status st = veil__tensor_from(&t, k, NULL);
  for (int64_t j = 0; !st && j < k; j++) {
    int64_t e = k == numel ? j : j * per;
    double s1, t1, s2, t2;
    affine_at(c->g, a, x, e, &s1, &t1);
    affine_at(c->g, b, p, e, &s2, &t2);
    s.data[j] = (float)(s1 * s2);
    t.data[j] = (float)(t1 * s2 + t2);
  }
  if (st) {
    veil_tensor_free(&s);
    return st;
  }
  veil_tensor_free(&a->weight);
  veil_tensor_free(&a->bias);
  a->weight = s;
  a->bias = t;
  kill(c, i, p);
  return VEIL_OK;
}

/* AFFINE @p i (input @p x) before DENSE @p L: w'[o][k] = w[o][k] s(k), b'[o] = b[o] + sum_k w[o][k] t(k). */
static veil_status fold_into_dense(pass_ctx *c, int i, int x, veil_node *L) {
  const veil_node *n = &c->g->nodes[i];
  int64_t fo = L->weight.shape[0], fi = L->weight.shape[1];
  if (!L->bias.data) VEIL_TRY(veil__tensor_from(&L->bias, fo, NULL));
  for (int64_t o = 0; o < fo; o++) {
    double acc = L->bias.data[o];
    for (int64_t k = 0; k < fi; k++) {
      double s, t;
      affine_at(c->g, n, x, k, &s, &t);
      acc += L->weight.data[o * fi + k] * t;
      L->weight.data[o * fi + k] = (float)(L->weight.data[o * fi + k] * s);
    }
    L->bias.data[o] = (float)acc;
  }
  kill(c, i, x);
  return VEIL_OK;
}

static bool conv_has_pad(const veil_node *L) {
  for (int k = 0; k < 4; k++)
    if (L->attrs.conv.pad[k]) return true;
  return false;
}

/* AFFINE @p i (input @p x) before CONV2D @p L: scale per input channel; shift only without padding. */
static veil_status fold_into_conv(pass_ctx *c, int i, int x, veil_node *L) {
  const veil_node *n = &c->g->nodes[i];
  if (varies_in_channel(c->g, x, &n->weight) || varies_in_channel(c->g, x, &n->bias)) return VEIL_OK;
  if (!all_equal(&n->bias, 0.0f) && conv_has_pad(L)) return VEIL_OK; /* inexact at borders */
  int64_t co_n = L->weight.shape[0], cpg = L->weight.shape[1], kk = L->weight.shape[2] * L->weight.shape[3];
  int64_t opg = co_n / L->attrs.conv.groups, per = veil_graph_node_numel(c->g, x) / veil__node_channels(c->g, x);
  if (!L->bias.data) VEIL_TRY(veil__tensor_from(&L->bias, co_n, NULL));
  for (int64_t co = 0; co < co_n; co++) {
    double acc = L->bias.data[co];
    for (int64_t ci = 0; ci < cpg; ci++) {
      double s, t;
      affine_at(c->g, n, x, ((co / opg) * cpg + ci) * per, &s, &t);
      float *w = L->weight.data + (co * cpg + ci) * kk;
      for (int64_t k = 0; k < kk; k++) {
        acc += w[k] * t;
        w[k] = (float)(w[k] * s);
      }
    }
    L->bias.data[co] = (float)acc;
  }
  kill(c, i, x);
  return VEIL_OK;
}

/* The linear layer AFFINE @p i feeds (through single-use FLATTEN/RESHAPE for a DENSE), or NULL. */
static veil_node *next_linear(pass_ctx *c, int i) {
  int j = sole_consumer(c, i);
  bool reshaped = false;
  while (j > 0 && (c->g->nodes[j].op == VEIL_OP_FLATTEN || c->g->nodes[j].op == VEIL_OP_RESHAPE)) {
    reshaped = true;
    j = sole_consumer(c, j);
  }
  if (j <= 0 || !is_linear(&c->g->nodes[j])) return NULL;
  if (reshaped && c->g->nodes[j].op != VEIL_OP_DENSE) return NULL;
  return &c->g->nodes[j];
}

static veil_status fold_one_affine(pass_ctx *c, int i) {
  veil_node *n = &c->g->nodes[i];
  int p = n->inputs[0];
  if (affine_is_identity(n)) {
    kill(c, i, p);
    return VEIL_OK;
  }
  bool single = c->uses[p] == 1 && c->g->output != p && !c->dead[p];
  if (single && c->g->nodes[p].op == VEIL_OP_AFFINE) return merge_affine(c, i, p);
  int before = c->changed;
  if (single && is_linear(&c->g->nodes[p])) VEIL_TRY(fold_into_prev(c, i, p));
  if (c->changed != before) return VEIL_OK;
  veil_node *L = next_linear(c, i);
  if (L && L->op == VEIL_OP_DENSE) return fold_into_dense(c, i, p, L);
  if (L) return fold_into_conv(c, i, p, L);
  return VEIL_OK;
}

veil_status veil_graph_fold_affine(veil_graph *g, int *nfolded) {
  int total = 0, n;
  do {
    pass_ctx c;
    veil_status st = ctx_init(&c, g);
    for (int i = 1; !st && i < g->nnodes; i++)
      if (g->nodes[i].op == VEIL_OP_AFFINE && !c.dead[i]) st = fold_one_affine(&c, i);
    VEIL_TRY(ctx_finish(&c, st, &n));
    total += n;
  } while (n);
  if (nfolded) *nfolded = total;
  return VEIL_OK;
}

/* ---- square / poly fusion ---------------------------------------------------------------------------- */

/* Reads node @p t as coeffs of a polynomial of degree <= 2 in a base node; marks removable helpers. */
static bool poly_term(pass_ctx *c, int t, int *base, double co[3], int *helpers, int *nh) {
  const veil_node *n = &c->g->nodes[t];
  double a = 1, b = 0;
  memset(co, 0, 3 * sizeof *co);
  if (n->op == VEIL_OP_AFFINE && veil__tensor_count(&n->weight) <= 1 && veil__tensor_count(&n->bias) <= 1 &&
      c->uses[t] == 1) {
    a = n->weight.data ? n->weight.data[0] : 1;
    b = n->bias.data ? n->bias.data[0] : 0;
    helpers[(*nh)++] = t;
    t = n->inputs[0];
    n = &c->g->nodes[t];
  }
  int deg = 1;
  if (n->op == VEIL_OP_SQUARE && c->uses[t] == 1) {
    helpers[(*nh)++] = t;
    t = n->inputs[0];
    deg = 2;
  }
  *base = t;
  co[0] = b;
  co[deg] = a;
  return true;
}

/* ADD(u, v) with u, v polynomial terms of one base x -> POLY(x). */
static void fuse_poly(pass_ctx *c, int i) {
  veil_node *n = &c->g->nodes[i];
  int bu, bv, helpers[4], nh = 0;
  double cu[3], cv[3];
  if (n->inputs[0] == n->inputs[1]) return;
  poly_term(c, n->inputs[0], &bu, cu, helpers, &nh);
  poly_term(c, n->inputs[1], &bv, cv, helpers, &nh);
  if (bu != bv || nh == 0 || (cu[2] == 0 && cv[2] == 0)) return; /* need a shared base and a square */
  n->op = VEIL_OP_POLY;
  n->ninputs = 1;
  n->inputs[0] = bu;
  memset(&n->attrs, 0, sizeof n->attrs);
  n->attrs.poly.degree = 2;
  for (int d = 0; d < 3; d++) n->attrs.poly.coeffs[d] = cu[d] + cv[d];
  for (int k = 0; k < nh; k++) kill(c, helpers[k], c->g->nodes[helpers[k]].inputs[0]);
  c->changed++;
}

veil_status veil_graph_fuse_square(veil_graph *g, int *nfused) {
  pass_ctx c;
  veil_status st = ctx_init(&c, g);
  for (int i = 1; !st && i < g->nnodes; i++) {
    veil_node *n = &g->nodes[i];
    if (n->op == VEIL_OP_MUL && n->inputs[0] == n->inputs[1]) {
      n->op = VEIL_OP_SQUARE;
      n->ninputs = 1;
      c.uses[n->inputs[0]]--;
      c.changed++;
    }
  }
  for (int i = 1; !st && i < g->nnodes; i++)
    if (g->nodes[i].op == VEIL_OP_ADD) fuse_poly(&c, i);
  return ctx_finish(&c, st, nfused);
}

/* ---- all ---------------------------------------------------------------------------------------------- */

veil_status veil_graph_optimize(veil_graph *g, int *nchanged) {
  int total = 0, round;
  do {
    int a, b, s, f;
    VEIL_TRY(veil_graph_remove_identity(g, &a));
    VEIL_TRY(veil_graph_fold_batchnorm(g, &b));
    VEIL_TRY(veil_graph_fuse_square(g, &s));
    VEIL_TRY(veil_graph_fold_affine(g, &f));
    round = a + b + s + f;
    total += round;
  } while (round);
  if (nchanged) *nchanged = total;
  return veil_graph_infer_shapes(g);
}
