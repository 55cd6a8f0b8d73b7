/** @file shape.c @brief Shape inference and validation of every node. */
#include <string.h>

#include "nn/nn-impl.h"

#define FAIL(...) return veil__node_fail(n, __VA_ARGS__)
#define LL(x) ((long long)(x))

static const veil_node *in_node(const veil_graph *g, const veil_node *n, int k) { return &g->nodes[n->inputs[k]]; }

static void set_shape(veil_node *n, int ndim, const int64_t *shape) {
  n->ndim = ndim;
  memset(n->shape, 0, sizeof n->shape);
  memcpy(n->shape, shape, (size_t)ndim * sizeof *shape);
}

static veil_status need_inputs(const veil_node *n, int lo, int hi) {
  if (n->ninputs < lo || n->ninputs > hi) {
    if (lo == hi) FAIL("has %d inputs, needs %d", n->ninputs, lo);
    FAIL("has %d inputs, needs %d..%d", n->ninputs, lo, hi);
  }
  return VEIL_OK;
}

static veil_status need_chw(const veil_node *n, const veil_node *x) {
  if (x->ndim != 3) FAIL("input '%s' has %d dims, needs 3 (C,H,W)", x->name, x->ndim);
  return VEIL_OK;
}

/* A constant tensor that must be empty or have exactly @p count elements. */
static veil_status need_len(const veil_node *n, const veil_tensor *t, const char *what, int64_t count, bool optional) {
  if (!t->data) {
    if (optional) return VEIL_OK;
    FAIL("%s is missing", what);
  }
  if (veil_tensor_numel(t) != count) FAIL("%s has %lld values, needs %lld", what, LL(veil_tensor_numel(t)), LL(count));
  return VEIL_OK;
}

static veil_status infer_conv(veil_node *n, const veil_node *x) {
  VEIL_TRY(need_chw(n, x));
  const veil_tensor *w = &n->weight;
  int grp = n->attrs.conv.groups;
  if (!w->data || w->ndim != 4) FAIL("weight must have 4 dims [Cout][Cin/groups][kh][kw], has %d", w->data ? w->ndim : 0);
  if (grp < 1 || x->shape[0] % grp || w->shape[0] % grp)
    FAIL("groups %d must divide input channels %lld and output channels %lld", grp, LL(x->shape[0]), LL(w->shape[0]));
  if (w->shape[1] * grp != x->shape[0])
    FAIL("weight has %lld input channels, input has %lld", LL(w->shape[1] * grp), LL(x->shape[0]));
  VEIL_TRY(need_len(n, &n->bias, "bias", w->shape[0], true));
  int64_t out[3] = {w->shape[0], 0, 0};
  for (int d = 0; d < 2; d++) {
    int s = n->attrs.conv.stride[d], dil = n->attrs.conv.dilation[d];
    int p0 = n->attrs.conv.pad[d], p1 = n->attrs.conv.pad[d + 2];
    if (s < 1 || dil < 1 || p0 < 0 || p1 < 0) FAIL("stride %d, dilation %d, pads %d,%d out of range", s, dil, p0, p1);
    int64_t span = (int64_t)dil * (w->shape[2 + d] - 1) + 1, len = x->shape[1 + d] + p0 + p1;
    if (len < span) FAIL("kernel span %lld exceeds padded input %lld", LL(span), LL(len));
    out[1 + d] = (len - span) / s + 1;
  }
  set_shape(n, 3, out);
  return VEIL_OK;
}

static veil_status infer_dense(veil_node *n, const veil_node *x) {
  const veil_tensor *w = &n->weight;
  int64_t f = veil__shape_numel(x->ndim, x->shape);
  if (!w->data || w->ndim != 2) FAIL("weight must have 2 dims [out][in], has %d", w->data ? w->ndim : 0);
  if (w->shape[1] != f) FAIL("weight has %lld inputs, input '%s' has %lld values", LL(w->shape[1]), x->name, LL(f));
  VEIL_TRY(need_len(n, &n->bias, "bias", w->shape[0], true));
  set_shape(n, 1, &w->shape[0]);
  return VEIL_OK;
}

static veil_status infer_bn(veil_node *n, const veil_node *x) {
  int64_t c = x->shape[0];
  VEIL_TRY(need_len(n, &n->weight, "gamma", c, false));
  VEIL_TRY(need_len(n, &n->bias, "beta", c, false));
  VEIL_TRY(need_len(n, &n->mean, "mean", c, false));
  VEIL_TRY(need_len(n, &n->var, "var", c, false));
  if (!(n->attrs.bn.eps >= 0)) FAIL("eps %g must be >= 0", n->attrs.bn.eps);
  for (int64_t i = 0; i < c; i++)
    if (!(n->var.data[i] + n->attrs.bn.eps > 0)) FAIL("var + eps of channel %lld is not positive", LL(i));
  set_shape(n, x->ndim, x->shape);
  return VEIL_OK;
}

static veil_status affine_const(const veil_node *n, const veil_node *x, const veil_tensor *t, const char *what) {
  if (!t->data) return VEIL_OK;
  int64_t k = veil_tensor_numel(t), all = veil__shape_numel(x->ndim, x->shape);
  if (k != 1 && k != x->shape[0] && k != all)
    FAIL("%s has %lld values: needs 1, %lld (channels) or %lld (element-wise)", what, LL(k), LL(x->shape[0]), LL(all));
  return VEIL_OK;
}

static veil_status infer_affine(veil_node *n, const veil_node *x) {
  VEIL_TRY(affine_const(n, x, &n->weight, "scale"));
  VEIL_TRY(affine_const(n, x, &n->bias, "shift"));
  set_shape(n, x->ndim, x->shape);
  return VEIL_OK;
}

static veil_status infer_pool(veil_node *n, const veil_node *x) {
  VEIL_TRY(need_chw(n, x));
  int64_t out[3] = {x->shape[0], 0, 0};
  for (int d = 0; d < 2; d++) {
    int k = n->attrs.pool.kernel[d], s = n->attrs.pool.stride[d];
    int p0 = n->attrs.pool.pad[d], p1 = n->attrs.pool.pad[d + 2];
    if (k < 1 || s < 1 || p0 < 0 || p1 < 0 || p0 >= k || p1 >= k)
      FAIL("kernel %d, stride %d, pads %d,%d out of range (pads below the kernel)", k, s, p0, p1);
    int64_t len = x->shape[1 + d] + p0 + p1;
    if (len < k) FAIL("kernel %d exceeds padded input %lld", k, LL(len));
    out[1 + d] = (len - k) / s + 1;
  }
  set_shape(n, 3, out);
  return VEIL_OK;
}

static veil_status infer_gap(veil_node *n, const veil_node *x) {
  VEIL_TRY(need_chw(n, x));
  int64_t out[3] = {x->shape[0], 1, 1};
  set_shape(n, n->attrs.gap.keep_dims ? 3 : 1, out);
  return VEIL_OK;
}

static veil_status infer_reshape(veil_node *n, const veil_node *x) {
  int nd = n->attrs.reshape.ndim, infer = -1;
  int64_t all = veil__shape_numel(x->ndim, x->shape), known = 1, out[4];
  if (nd < 1 || nd > 4) FAIL("target has %d dims (1..4 allowed)", nd);
  for (int d = 0; d < nd; d++) {
    out[d] = n->attrs.reshape.shape[d];
    if (out[d] == -1 && infer < 0) infer = d;
    else if (out[d] < 1) FAIL("target dim %d is %lld", d, LL(out[d]));
    else known *= out[d];
  }
  if (infer >= 0) out[infer] = all % known ? -1 : all / known;
  if (veil__shape_numel(nd, out) != all || (infer >= 0 && out[infer] < 1))
    FAIL("cannot reshape %lld values to the target shape", LL(all));
  set_shape(n, nd, out);
  return VEIL_OK;
}

static veil_status infer_pad(veil_node *n, const veil_node *x) {
  int64_t out[4];
  if (x->ndim > 3) FAIL("input has %d dims (at most 3)", x->ndim);
  for (int d = 0; d < x->ndim; d++) {
    int64_t b = n->attrs.pad.before[d], a = n->attrs.pad.after[d];
    if (b < 0 || a < 0 || b > (1 << 20) || a > (1 << 20)) FAIL("padding %lld,%lld of dim %d out of range", LL(b), LL(a), d);
    out[d] = x->shape[d] + b + a;
  }
  set_shape(n, x->ndim, out);
  return VEIL_OK;
}

static int64_t clamp_index(int64_t v, int64_t dim) {
  if (v < 0) v += dim;
  return v < 0 ? 0 : v > dim ? dim : v;
}

static veil_status infer_slice(veil_node *n, const veil_node *x) {
  int64_t out[4];
  if (x->ndim > 3) FAIL("input has %d dims (at most 3)", x->ndim);
  for (int d = 0; d < x->ndim; d++) {
    int64_t st = n->attrs.slice.step[d];
    if (st < 1) FAIL("step %lld of dim %d must be >= 1", LL(st), d);
    n->attrs.slice.start[d] = clamp_index(n->attrs.slice.start[d], x->shape[d]);
    n->attrs.slice.end[d] = clamp_index(n->attrs.slice.end[d], x->shape[d]);
    int64_t len = n->attrs.slice.end[d] - n->attrs.slice.start[d];
    if (len < 1) FAIL("empty slice of dim %d", d);
    out[d] = (len + st - 1) / st;
  }
  set_shape(n, x->ndim, out);
  return VEIL_OK;
}

static veil_status same_shape(const veil_node *n, const veil_node *a, const veil_node *b, bool except_c) {
  bool ok = a->ndim == b->ndim;
  for (int d = except_c; ok && d < a->ndim; d++) ok = a->shape[d] == b->shape[d];
  if (!ok) FAIL("inputs '%s' and '%s' have different shapes", a->name, b->name);
  return VEIL_OK;
}

static veil_status infer_concat(const veil_graph *g, veil_node *n) {
  VEIL_TRY(need_inputs(n, 1, VEIL_NODE_MAX_INPUTS));
  int64_t out[4];
  const veil_node *a = in_node(g, n, 0);
  memcpy(out, a->shape, sizeof out);
  for (int k = 1; k < n->ninputs; k++) {
    VEIL_TRY(same_shape(n, a, in_node(g, n, k), true));
    out[0] += in_node(g, n, k)->shape[0];
  }
  set_shape(n, a->ndim, out);
  return VEIL_OK;
}

static veil_status infer_poly(veil_node *n, const veil_node *x) {
  if (n->attrs.poly.degree < 1 || n->attrs.poly.degree > 63) FAIL("degree %d out of range 1..63", n->attrs.poly.degree);
  set_shape(n, x->ndim, x->shape);
  return VEIL_OK;
}

static veil_status infer_unary(const veil_graph *g, veil_node *n) {
  VEIL_TRY(need_inputs(n, 1, 1));
  const veil_node *x = in_node(g, n, 0);
  switch (n->op) {
  case VEIL_OP_CONV2D: return infer_conv(n, x);
  case VEIL_OP_DENSE: return infer_dense(n, x);
  case VEIL_OP_BATCHNORM: return infer_bn(n, x);
  case VEIL_OP_AFFINE: return infer_affine(n, x);
  case VEIL_OP_AVGPOOL:
  case VEIL_OP_MAXPOOL: return infer_pool(n, x);
  case VEIL_OP_GLOBALAVGPOOL: return infer_gap(n, x);
  case VEIL_OP_RESHAPE: return infer_reshape(n, x);
  case VEIL_OP_PAD: return infer_pad(n, x);
  case VEIL_OP_SLICE: return infer_slice(n, x);
  case VEIL_OP_POLY: return infer_poly(n, x);
  case VEIL_OP_FLATTEN: {
    int64_t f = veil__shape_numel(x->ndim, x->shape);
    set_shape(n, 1, &f);
    return VEIL_OK;
  }
  case VEIL_OP_CLIP:
    if (!(n->attrs.clip.lo <= n->attrs.clip.hi)) FAIL("lo %g above hi %g", n->attrs.clip.lo, n->attrs.clip.hi);
    /* fall through */
  default: set_shape(n, x->ndim, x->shape); return VEIL_OK;
  }
}

static veil_status infer_input(veil_node *n) {
  if (n->ninputs) FAIL("the input node has inputs");
  if (n->ndim < 1 || n->ndim > 4) FAIL("input has %d dims (1..4 allowed)", n->ndim);
  for (int d = 0; d < n->ndim; d++)
    if (n->shape[d] < 1 || n->shape[d] > (1 << 24)) FAIL("input dim %d is %lld", d, LL(n->shape[d]));
  return VEIL_OK;
}

veil_status veil_graph_infer_node(veil_graph *g, int i) {
  if (i < 0 || i >= g->nnodes) return veil_fail(VEIL_ERR_INVALID_ARG, "graph: node %d out of range", i);
  veil_node *n = &g->nodes[i];
  if ((n->op == VEIL_OP_INPUT) != (i == 0))
    return veil_fail(VEIL_ERR_UNSUPPORTED, "graph: node %d ('%s') is %s; the single input must be node 0", i, n->name,
                     veil_op_name(n->op));
  if ((unsigned)n->op >= VEIL_OP_COUNT) FAIL("unknown op %d", (int)n->op);
  for (int k = 0; k < n->ninputs; k++)
    if (n->inputs[k] < 0 || n->inputs[k] >= i) FAIL("input %d is node %d, not an earlier node", k, n->inputs[k]);
  switch (n->op) {
  case VEIL_OP_INPUT: return infer_input(n);
  case VEIL_OP_ADD:
  case VEIL_OP_MUL:
    VEIL_TRY(need_inputs(n, 2, 2));
    VEIL_TRY(same_shape(n, in_node(g, n, 0), in_node(g, n, 1), false));
    set_shape(n, in_node(g, n, 0)->ndim, in_node(g, n, 0)->shape);
    return VEIL_OK;
  case VEIL_OP_CONCAT: return infer_concat(g, n);
  default: return infer_unary(g, n);
  }
}

veil_status veil_graph_infer_shapes(veil_graph *g) {
  if (g->nnodes < 1) return veil_fail(VEIL_ERR_UNSUPPORTED, "graph '%s' has no nodes", g->name);
  if (g->output < 0 || g->output >= g->nnodes)
    return veil_fail(VEIL_ERR_FORMAT, "graph '%s': output %d is not a node", g->name, g->output);
  for (int i = 0; i < g->nnodes; i++) VEIL_TRY(veil_graph_infer_node(g, i));
  return VEIL_OK;
}
