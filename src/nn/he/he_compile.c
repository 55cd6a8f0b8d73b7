/** @file he_compile.c @brief Graph -> HE plan: linear regions as sparse affine maps, POLY and ADD steps. */
#include <math.h>
#include <string.h>

#include "nn/he/he-impl.h"

/* Compiler state: per node its region root (the materialized node its linear expression starts from)
 * and its value id once materialized. */
typedef struct comp {
  const veil_graph *g;
  const veil_he_opts *o;
  veil_he_plan *p;
  int *root;
  int *val;
} comp;

static bool op_linear(veil_op op) {
  switch (op) {
  case VEIL_OP_CONV2D: case VEIL_OP_DENSE: case VEIL_OP_BATCHNORM: case VEIL_OP_AFFINE:
  case VEIL_OP_AVGPOOL: case VEIL_OP_GLOBALAVGPOOL: case VEIL_OP_FLATTEN: case VEIL_OP_RESHAPE:
  case VEIL_OP_PAD: case VEIL_OP_SLICE: case VEIL_OP_IDENTITY: case VEIL_OP_ADD: case VEIL_OP_CONCAT:
    return true;
  default:
    return false;
  }
}

void veil__he_lin_free(veil_he_lin *l) {
  veil_free(l->row);
  veil_free(l->col);
  veil_free(l->w);
  veil_free(l->b);
  memset(l, 0, sizeof *l);
}

veil_status veil__he_lin_alloc(veil_he_lin *l, int64_t nin, int64_t nout, int64_t nnz) {
  l->nin = nin, l->nout = nout, l->nnz = nnz;
  l->row = veil_calloc((size_t)nout + 1, sizeof *l->row);
  l->col = veil_calloc(nnz ? (size_t)nnz : 1, sizeof *l->col);
  l->w = veil_calloc(nnz ? (size_t)nnz : 1, sizeof *l->w);
  l->b = veil_calloc((size_t)nout, sizeof *l->b);
  if (!l->row || !l->col || !l->w || !l->b) {
    veil__he_lin_free(l);
    return veil_fail(VEIL_ERR_NOMEM, "he plan: linear map %lld x %lld", (long long)nout, (long long)nin);
  }
  return VEIL_OK;
}

veil_status veil__he_value_add(veil_he_plan *p, int64_t count, int *id) {
  if (p->nvalues == p->vcap) {
    int cap = p->vcap ? 2 * p->vcap : 16;
    veil_he_value *v = veil_calloc((size_t)cap, sizeof *v);
    if (!v) return veil_fail(VEIL_ERR_NOMEM, "he plan: values");
    if (p->values) memcpy(v, p->values, (size_t)p->nvalues * sizeof *v);
    veil_free(p->values);
    p->values = v, p->vcap = cap;
  }
  p->values[p->nvalues] = (veil_he_value){.count = count, .size = 2};
  *id = p->nvalues++;
  return VEIL_OK;
}

veil_status veil__he_step_insert(veil_he_plan *p, int at, const veil_he_step *s) {
  if (p->nsteps == p->cap) {
    int cap = p->cap ? 2 * p->cap : 16;
    veil_he_step *n = veil_calloc((size_t)cap, sizeof *n);
    if (!n) return veil_fail(VEIL_ERR_NOMEM, "he plan: steps");
    if (p->steps) memcpy(n, p->steps, (size_t)p->nsteps * sizeof *n);
    veil_free(p->steps);
    p->steps = n, p->cap = cap;
  }
  memmove(p->steps + at + 1, p->steps + at, (size_t)(p->nsteps - at) * sizeof *s);
  p->steps[at] = *s;
  p->nsteps++;
  return VEIL_OK;
}

/* Builds the sub-graph of the linear region from node r (as input) to node i. */
static veil_status region_graph(const comp *c, int r, int i, veil_graph *sub) {
  const veil_graph *g = c->g;
  int *map = veil_calloc((size_t)g->nnodes, sizeof *map);
  if (!map) return veil_fail(VEIL_ERR_NOMEM, "he plan: region map");
  veil_graph_init(sub);
  veil_node in = {.op = VEIL_OP_INPUT, .ndim = g->nodes[r].ndim};
  memcpy(in.shape, g->nodes[r].shape, sizeof in.shape);
  snprintf(in.name, sizeof in.name, "region_in");
  veil_status st = veil_graph_add(sub, &in, &map[r]);
  for (int j = r + 1; j <= i && !st; j++) {
    if (c->root[j] != r || j == r || !op_linear(g->nodes[j].op)) continue;
    veil_node n = g->nodes[j];
    memset(&n.weight, 0, sizeof n.weight), memset(&n.bias, 0, sizeof n.bias);
    memset(&n.mean, 0, sizeof n.mean), memset(&n.var, 0, sizeof n.var);
    const veil_node *o = &g->nodes[j];
    if ((o->weight.data && (st = veil_tensor_clone(&n.weight, &o->weight))) ||
        (o->bias.data && (st = veil_tensor_clone(&n.bias, &o->bias))) ||
        (o->mean.data && (st = veil_tensor_clone(&n.mean, &o->mean))) ||
        (o->var.data && (st = veil_tensor_clone(&n.var, &o->var))))
      break;
    for (int k = 0; k < n.ninputs; k++) n.inputs[k] = map[o->inputs[k]];
    st = veil_graph_add(sub, &n, &map[j]);
    if (st) veil_tensor_free(&n.weight), veil_tensor_free(&n.bias), veil_tensor_free(&n.mean), veil_tensor_free(&n.var);
  }
  if (!st) sub->output = map[i], st = veil_graph_infer_shapes(sub);
  veil_free(map);
  if (st) veil_graph_free(sub);
  return st;
}

#define EXTRACT_CHUNK 128

/* Runs the region on the zero image and basis images; fills the CSR map (two passes: count, fill). */
static veil_status extract(const veil_graph *sub, int64_t nin, int64_t nout, veil_he_lin *l) {
  int64_t *cnt = veil_calloc((size_t)nout, sizeof *cnt);
  double *x = veil_calloc((size_t)(EXTRACT_CHUNK * nin), sizeof *x);
  double *y = veil_calloc((size_t)(EXTRACT_CHUNK * nout), sizeof *y);
  double *b = veil_calloc((size_t)nout, sizeof *b);
  veil_status st = !cnt || !x || !y || !b ? veil_fail(VEIL_ERR_NOMEM, "he plan: extraction buffers") : VEIL_OK;
  if (!st) st = veil_graph_run_f64(sub, x, 1, b);
  double *cols = NULL; /* column-major results, kept only for the fill pass */
  if (!st && !(cols = veil_malloc((size_t)nin * (size_t)nout * sizeof *cols)))
    st = veil_fail(VEIL_ERR_NOMEM, "he plan: linear map %lld x %lld", (long long)nout, (long long)nin);
  for (int64_t t0 = 0; t0 < nin && !st; t0 += EXTRACT_CHUNK) {
    int64_t m = nin - t0 < EXTRACT_CHUNK ? nin - t0 : EXTRACT_CHUNK;
    memset(x, 0, (size_t)(m * nin) * sizeof *x);
    for (int64_t k = 0; k < m; k++) x[k * nin + t0 + k] = 1.0;
    st = veil_graph_run_f64(sub, x, m, y);
    for (int64_t k = 0; k < m && !st; k++)
      for (int64_t j = 0; j < nout; j++) {
        double w = y[k * nout + j] - b[j];
        cols[(t0 + k) * nout + j] = w;
        cnt[j] += w != 0.0;
      }
  }
  int64_t nnz = 0;
  for (int64_t j = 0; j < nout && !st; j++) nnz += cnt[j];
  if (!st) st = veil__he_lin_alloc(l, nin, nout, nnz);
  if (!st) {
    for (int64_t j = 0; j < nout; j++) l->row[j + 1] = l->row[j] + cnt[j], l->b[j] = b[j];
    for (int64_t j = 0; j < nout; j++) {
      int64_t k = l->row[j];
      for (int64_t t = 0; t < nin; t++)
        if (cols[t * nout + j] != 0.0) l->col[k] = (int32_t)t, l->w[k++] = cols[t * nout + j];
    }
  }
  veil_free(cols), veil_free(cnt), veil_free(x), veil_free(y), veil_free(b);
  return st;
}

/* Emits the LINEAR step producing node i from its region root (or returns its value). */
static veil_status materialize(comp *c, int i, int *vid) {
  if (c->val[i] >= 0) return *vid = c->val[i], VEIL_OK;
  int r = c->root[i];
  VEIL_ASSERT(r >= 0 && c->val[r] >= 0);
  int64_t nin = veil_graph_node_numel(c->g, r), nout = veil_graph_node_numel(c->g, i);
  if ((double)nin * (double)nout > 4e8)
    return veil_fail(VEIL_ERR_UNSUPPORTED, "he plan: linear region ending at node '%s' is %lld x %lld, too large for batch packing",
                     c->g->nodes[i].name, (long long)nout, (long long)nin);
  veil_graph sub;
  VEIL_TRY(region_graph(c, r, i, &sub));
  veil_he_step s = {.kind = VEIL_HE_LINEAR, .in = {c->val[r], -1}, .node = i};
  veil_status st = extract(&sub, nin, nout, &s.lin);
  veil_graph_free(&sub);
  if (!st) st = veil__he_value_add(c->p, nout, &s.out);
  if (!st) st = veil__he_step_insert(c->p, c->p->nsteps, &s);
  if (st) return veil__he_lin_free(&s.lin), st;
  return *vid = c->val[i] = s.out, VEIL_OK;
}

static veil_status refuse(const veil_node *n) {
  return veil_fail(VEIL_ERR_UNSUPPORTED,
                   "node '%s' (%s) cannot run in batch-packed HE mode (no comparisons under CKKS); use the "
                   "client-aided mode (--mode client-aided) or a polynomial approximation of the model",
                   n->name, veil_op_name(n->op));
}

static veil_status compile_poly(comp *c, int i) {
  const veil_node *n = &c->g->nodes[i];
  veil_he_step s = {.kind = VEIL_HE_POLY, .node = i, .in = {-1, -1}, .c = {0, 0, 1}};
  if (n->op == VEIL_OP_POLY) {
    if (n->attrs.poly.degree > 2)
      return veil_fail(VEIL_ERR_UNSUPPORTED, "node '%s': polynomial of degree %d (batch mode evaluates degree <= 2)",
                       n->name, n->attrs.poly.degree);
    for (int k = 0; k <= n->attrs.poly.degree; k++) s.c[k] = n->attrs.poly.coeffs[k];
    if (n->attrs.poly.degree < 2) s.c[2] = 0;
  } else if (n->op == VEIL_OP_MUL && n->inputs[0] != n->inputs[1]) {
    return veil_fail(VEIL_ERR_UNSUPPORTED, "node '%s': product of two different tensors (batch mode squares only)", n->name);
  }
  VEIL_TRY(materialize(c, n->inputs[0], &s.in[0]));
  VEIL_TRY(veil__he_value_add(c->p, veil_graph_node_numel(c->g, i), &s.out));
  VEIL_TRY(veil__he_step_insert(c->p, c->p->nsteps, &s));
  c->val[i] = s.out, c->root[i] = i;
  return VEIL_OK;
}

/* MaxPool windows as gather lists: out * group input indices; padding positions repeat the window's
 * first element (max unchanged). */
static veil_status pool_gather(const veil_node *in, const veil_node *n, veil_he_step *s) {
  const int kh = n->attrs.pool.kernel[0], kw = n->attrs.pool.kernel[1];
  const int64_t C = n->shape[0], OH = n->shape[1], OW = n->shape[2], H = in->shape[1], W = in->shape[2];
  s->group = kh * kw;
  if (s->group > 64) return veil_fail(VEIL_ERR_UNSUPPORTED, "node '%s': pooling window of %d elements (client-aided mode: at most 64)", n->name, s->group);
  s->gather = veil_malloc((size_t)(C * OH * OW * s->group) * sizeof *s->gather);
  if (!s->gather) return veil_fail(VEIL_ERR_NOMEM, "he plan: pooling windows of '%s'", n->name);
  int32_t *g = s->gather;
  for (int64_t c = 0; c < C; c++)
    for (int64_t oy = 0; oy < OH; oy++)
      for (int64_t ox = 0; ox < OW; ox++, g += s->group) {
        int k = 0;
        for (int dy = 0; dy < kh; dy++)
          for (int dx = 0; dx < kw; dx++) {
            int64_t y = oy * n->attrs.pool.stride[0] - n->attrs.pool.pad[0] + dy;
            int64_t x = ox * n->attrs.pool.stride[1] - n->attrs.pool.pad[1] + dx;
            if (y >= 0 && y < H && x >= 0 && x < W) g[k++] = (int32_t)((c * H + y) * W + x);
          }
        if (k == 0) return veil_fail(VEIL_ERR_FORMAT, "node '%s': a pooling window lies in the padding", n->name);
        for (int t = k; t < s->group; t++) g[t] = g[0];
      }
  return VEIL_OK;
}

/* Client-aided mode: the activation becomes a CLIENT step (one round trip). */
static veil_status compile_client(comp *c, int i) {
  const veil_node *n = &c->g->nodes[i];
  veil_he_step s = {.kind = VEIL_HE_CLIENT, .node = i, .in = {-1, -1}, .group = 1, .act = VEIL_HE_ACT_RELU};
  if (n->op == VEIL_OP_CLIP) s.act = VEIL_HE_ACT_CLIP, s.clip[0] = n->attrs.clip.lo, s.clip[1] = n->attrs.clip.hi;
  if (n->op == VEIL_OP_MAXPOOL) {
    if (n->ndim != 3) return veil_fail(VEIL_ERR_FORMAT, "node '%s': max pooling of a %d-D tensor", n->name, n->ndim);
    s.act = VEIL_HE_ACT_MAXPOOL;
    VEIL_TRY(pool_gather(&c->g->nodes[n->inputs[0]], n, &s));
  }
  veil_status st = materialize(c, n->inputs[0], &s.in[0]);
  if (!st) st = veil__he_value_add(c->p, veil_graph_node_numel(c->g, i), &s.out);
  if (!st) st = veil__he_step_insert(c->p, c->p->nsteps, &s);
  if (st) return veil_free(s.gather), st;
  c->val[i] = s.out, c->root[i] = i;
  return VEIL_OK;
}

static bool same_root(const comp *c, const veil_node *n) {
  for (int k = 1; k < n->ninputs; k++)
    if (c->root[n->inputs[k]] != c->root[n->inputs[0]]) return false;
  return true;
}

static veil_status compile_node(comp *c, int i) {
  const veil_node *n = &c->g->nodes[i];
  if (n->op == VEIL_OP_RELU || n->op == VEIL_OP_CLIP || n->op == VEIL_OP_MAXPOOL)
    return c->o && c->o->client_aided ? compile_client(c, i) : refuse(n);
  if (n->op == VEIL_OP_SQUARE || n->op == VEIL_OP_POLY || n->op == VEIL_OP_MUL) {
    if (c->o && c->o->client_aided)
      return veil_fail(VEIL_ERR_UNSUPPORTED, "node '%s' (%s): polynomial activations are not supported in client-aided mode",
                       n->name, veil_op_name(n->op));
    return compile_poly(c, i);
  }
  if (n->op == VEIL_OP_SOFTMAX) {
    if (i != c->g->output)
      return veil_fail(VEIL_ERR_UNSUPPORTED, "node '%s': softmax inside the network (only as the output, left to the client)", n->name);
    c->root[i] = c->root[n->inputs[0]];
    return VEIL_OK;
  }
  if (!op_linear(n->op)) return veil_fail(VEIL_ERR_UNSUPPORTED, "node '%s' (%s) is not supported in batch mode", n->name, veil_op_name(n->op));
  if (same_root(c, n)) return c->root[i] = c->root[n->inputs[0]], VEIL_OK;
  if (n->op != VEIL_OP_ADD)
    return veil_fail(VEIL_ERR_UNSUPPORTED, "node '%s' (%s): inputs from different nonlinear branches", n->name, veil_op_name(n->op));
  veil_he_step s = {.kind = VEIL_HE_ADD, .node = i};
  VEIL_TRY(materialize(c, n->inputs[0], &s.in[0]));
  VEIL_TRY(materialize(c, n->inputs[1], &s.in[1]));
  VEIL_TRY(veil__he_value_add(c->p, veil_graph_node_numel(c->g, i), &s.out));
  VEIL_TRY(veil__he_step_insert(c->p, c->p->nsteps, &s));
  c->val[i] = s.out, c->root[i] = i;
  return VEIL_OK;
}

static veil_status compile_all(comp *c) {
  const veil_graph *g = c->g;
  if (g->nnodes < 1 || g->nodes[0].op != VEIL_OP_INPUT || g->nodes[0].ndim <= 0)
    return veil_fail(VEIL_ERR_FORMAT, "he plan: graph '%s' has no input node with a shape", g->name);
  for (int i = 0; i < g->nnodes; i++) c->root[i] = c->val[i] = -1;
  VEIL_TRY(veil__he_value_add(c->p, veil_graph_node_numel(g, 0), &c->val[0]));
  c->root[0] = 0, c->p->input = c->val[0];
  for (int i = 1; i < g->nnodes; i++) VEIL_TRY(compile_node(c, i));
  int out = g->output;
  if (g->nodes[out].op == VEIL_OP_SOFTMAX) out = g->nodes[out].inputs[0];
  if (c->val[out] < 0 && c->root[out] == out) return veil_fail(VEIL_ERR_INTERNAL, "he plan: output not reached");
  VEIL_TRY(materialize(c, out, &c->p->output));
  if (c->p->output == c->p->input)
    return veil_fail(VEIL_ERR_UNSUPPORTED, "he plan: graph '%s' computes nothing", g->name);
  return VEIL_OK;
}

veil_status veil_he_plan_compile(const veil_graph *g, const veil_he_opts *o, veil_he_plan *plan) {
  memset(plan, 0, sizeof *plan);
  comp c = {.g = g, .o = o, .p = plan};
  plan->client_aided = o && o->client_aided;
  plan->mask_bits = plan->client_aided ? (o->mask_bits > 0 ? o->mask_bits : 2) : 0;
  c.root = veil_calloc((size_t)g->nnodes + 1, sizeof *c.root);
  c.val = veil_calloc((size_t)g->nnodes + 1, sizeof *c.val);
  veil_status st = !c.root || !c.val ? veil_fail(VEIL_ERR_NOMEM, "he plan: node maps") : compile_all(&c);
  veil_free(c.root), veil_free(c.val);
  plan->in_shape_ndim = g->nodes[0].ndim;
  memcpy(plan->in_shape, g->nodes[0].shape, sizeof plan->in_shape);
  veil_he_graph_fingerprint(g, plan->model_fp);
  if (!st && plan->client_aided) st = veil__he_aided_prepare(plan);
  if (!st) st = veil__he_fold_poly(plan);
  if (!st) st = veil__he_schedule(plan, o);
  if (st) veil_he_plan_free(plan);
  return st;
}

void veil_he_plan_free(veil_he_plan *plan) {
  if (!plan) return;
  for (int i = 0; i < plan->nsteps; i++)
    veil__he_lin_free(&plan->steps[i].lin), veil_free(plan->steps[i].wi), veil_free(plan->steps[i].gather);
  veil_free(plan->steps);
  veil_free(plan->values);
  memset(plan, 0, sizeof *plan);
}
