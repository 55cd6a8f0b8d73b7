/** @file model.c @brief Keras-like model builder on top of the graph IR. */
#include <string.h>

#include "nn/nn-impl.h"
#include "veil/model.h"

static veil_status check_model(const veil_model *m) {
  if (!m || m->graph.nnodes < 1) return veil_fail(VEIL_ERR_INVALID_ARG, "model: not initialized (or already taken)");
  return VEIL_OK;
}

/* Frees a node's tensors that were not moved into the graph; returns @p st. */
static veil_status discard(veil_node *n, veil_status st) {
  veil_tensor_free(&n->weight);
  veil_tensor_free(&n->bias);
  veil_tensor_free(&n->mean);
  veil_tensor_free(&n->var);
  return st;
}

/* Appends @p node (inputs already set), infers its shape; on failure nothing is added. */
static veil_status push(veil_model *m, veil_node *node) {
  veil_status st = check_model(m);
  int idx = -1, prev_out = m ? m->graph.output : 0;
  if (!st) st = veil_graph_add(&m->graph, node, &idx);
  if (!st) st = veil_graph_infer_node(&m->graph, idx);
  if (st && idx >= 0) {
    (void)discard(&m->graph.nodes[idx], st);
    m->graph.nnodes--;
    m->graph.output = prev_out;
  }
  if (!st) m->last = m->graph.output = idx;
  return discard(node, st);
}

/* A node of op @p op reading the current node. */
static veil_node unary_node(const veil_model *m, veil_op op) {
  veil_node n = {.op = op, .ninputs = 1};
  n.inputs[0] = m ? m->last : 0;
  return n;
}

static veil_status push_op(veil_model *m, veil_op op) {
  veil_node n = unary_node(m, op);
  return push(m, &n);
}

static veil_status model_start(veil_model *m, const char *name, int ndim, const int64_t *shape) {
  if (!m) return veil_fail(VEIL_ERR_INVALID_ARG, "model: NULL");
  memset(m, 0, sizeof *m);
  veil_graph_init(&m->graph);
  for (int d = 0; d < ndim; d++)
    if (shape[d] < 1) return veil_fail(VEIL_ERR_INVALID_ARG, "model '%s': input dim %d is %lld", name ? name : "", d, (long long)shape[d]);
  snprintf(m->graph.name, sizeof m->graph.name, "%s", name ? name : "model");
  veil_node in = {.op = VEIL_OP_INPUT, .ndim = ndim};
  snprintf(in.name, sizeof in.name, "input");
  memcpy(in.shape, shape, (size_t)ndim * sizeof *shape);
  veil_status st = veil_graph_add(&m->graph, &in, NULL);
  if (!st) st = veil_graph_infer_node(&m->graph, 0);
  if (st) veil_graph_free(&m->graph);
  return st;
}

veil_status veil_model_init(veil_model *m, const char *name, int c, int h, int w) {
  int64_t s[3] = {c, h, w};
  return model_start(m, name, 3, s);
}

veil_status veil_model_init_1d(veil_model *m, const char *name, int features) {
  int64_t s[1] = {features};
  return model_start(m, name, 1, s);
}

void veil_model_free(veil_model *m) {
  if (!m) return;
  veil_graph_free(&m->graph);
  m->last = 0;
}

void veil_model_take(veil_model *m, veil_graph *g) {
  *g = m->graph;
  g->output = m->last;
  veil_graph_init(&m->graph);
  m->last = 0;
}

const veil_graph *veil_model_graph(const veil_model *m) { return &m->graph; }
int veil_model_last(const veil_model *m) { return m->last; }

veil_status veil_model_select(veil_model *m, int node) {
  VEIL_TRY(check_model(m));
  if (node < 0 || node >= m->graph.nnodes)
    return veil_fail(VEIL_ERR_INVALID_ARG, "model: node %d out of range 0..%d", node, m->graph.nnodes - 1);
  m->last = m->graph.output = node;
  return VEIL_OK;
}

veil_status veil_model_name(veil_model *m, const char *name) {
  VEIL_TRY(check_model(m));
  if (!name || !name[0] || strlen(name) >= sizeof m->graph.nodes[0].name)
    return veil_fail(VEIL_ERR_INVALID_ARG, "model: node name must be 1..63 characters");
  if (veil_graph_find(&m->graph, name) >= 0) return veil_fail(VEIL_ERR_INVALID_ARG, "model: name '%s' already used", name);
  snprintf(m->graph.nodes[m->last].name, sizeof m->graph.nodes[0].name, "%s", name);
  return VEIL_OK;
}

static int or1(int v) { return v ? v : 1; }

/* Copies an optional bias of @p n values. */
static veil_status copy_bias(veil_node *n, int64_t count, const float *bias) {
  return bias ? veil__tensor_from(&n->bias, count, bias) : VEIL_OK;
}

veil_status veil_model_conv2d_ex(veil_model *m, const veil_conv2d_opts *o, const float *weight, const float *bias) {
  VEIL_TRY(check_model(m));
  const veil_node *x = &m->graph.nodes[m->last];
  int grp = or1(o->groups);
  if (!weight || o->cout < 1 || o->kh < 1 || o->kw < 1 || x->ndim != 3 || x->shape[0] % grp)
    return veil_fail(VEIL_ERR_INVALID_ARG, "model conv2d: needs weights, cout/kh/kw >= 1, a C,H,W input, groups dividing C");
  veil_node n = unary_node(m, VEIL_OP_CONV2D);
  n.attrs.conv.groups = grp;
  for (int d = 0; d < 2; d++) {
    n.attrs.conv.stride[d] = or1(o->stride[d]);
    n.attrs.conv.dilation[d] = or1(o->dilation[d]);
  }
  memcpy(n.attrs.conv.pad, o->pad, sizeof o->pad);
  int64_t ws[4] = {o->cout, x->shape[0] / grp, o->kh, o->kw};
  veil_status st = veil__tensor_make(&n.weight, 4, ws, weight);
  if (!st) st = copy_bias(&n, o->cout, bias);
  return st ? discard(&n, st) : push(m, &n);
}

veil_status veil_model_conv2d(veil_model *m, int cout, int kh, int kw, int stride, int pad, const float *weight,
                              const float *bias) {
  veil_conv2d_opts o = {.cout = cout, .kh = kh, .kw = kw, .stride = {stride, stride}, .pad = {pad, pad, pad, pad}};
  return veil_model_conv2d_ex(m, &o, weight, bias);
}

veil_status veil_model_dense(veil_model *m, int out, const float *weight, const float *bias) {
  VEIL_TRY(check_model(m));
  if (!weight || out < 1) return veil_fail(VEIL_ERR_INVALID_ARG, "model dense: needs weights and out >= 1");
  veil_node n = unary_node(m, VEIL_OP_DENSE);
  int64_t ws[2] = {out, veil_graph_node_numel(&m->graph, m->last)};
  veil_status st = veil__tensor_make(&n.weight, 2, ws, weight);
  if (!st) st = copy_bias(&n, out, bias);
  return st ? discard(&n, st) : push(m, &n);
}

veil_status veil_model_batchnorm(veil_model *m, const float *gamma, const float *beta, const float *mean,
                                 const float *var, double eps) {
  VEIL_TRY(check_model(m));
  if (!gamma || !beta || !mean || !var) return veil_fail(VEIL_ERR_INVALID_ARG, "model batchnorm: NULL parameter");
  veil_node n = unary_node(m, VEIL_OP_BATCHNORM);
  int64_t c = veil__node_channels(&m->graph, m->last);
  n.attrs.bn.eps = eps;
  veil_status st = veil__tensor_from(&n.weight, c, gamma);
  if (!st) st = veil__tensor_from(&n.bias, c, beta);
  if (!st) st = veil__tensor_from(&n.mean, c, mean);
  if (!st) st = veil__tensor_from(&n.var, c, var);
  return st ? discard(&n, st) : push(m, &n);
}

veil_status veil_model_affine(veil_model *m, int64_t count, const float *scale, const float *shift) {
  VEIL_TRY(check_model(m));
  if (count < 1) return veil_fail(VEIL_ERR_INVALID_ARG, "model affine: %lld constants", (long long)count);
  veil_node n = unary_node(m, VEIL_OP_AFFINE);
  veil_status st = scale ? veil__tensor_from(&n.weight, count, scale) : VEIL_OK;
  if (!st && shift) st = veil__tensor_from(&n.bias, count, shift);
  return st ? discard(&n, st) : push(m, &n);
}

veil_status veil_model_relu(veil_model *m) { return push_op(m, VEIL_OP_RELU); }
veil_status veil_model_square(veil_model *m) { return push_op(m, VEIL_OP_SQUARE); }
veil_status veil_model_flatten(veil_model *m) { return push_op(m, VEIL_OP_FLATTEN); }
veil_status veil_model_softmax(veil_model *m) { return push_op(m, VEIL_OP_SOFTMAX); }
veil_status veil_model_identity(veil_model *m) { return push_op(m, VEIL_OP_IDENTITY); }

veil_status veil_model_clip(veil_model *m, double lo, double hi) {
  veil_node n = unary_node(m, VEIL_OP_CLIP);
  n.attrs.clip.lo = lo;
  n.attrs.clip.hi = hi;
  return push(m, &n);
}

veil_status veil_model_poly(veil_model *m, int degree, const double *coeffs) {
  if (!coeffs || degree < 1 || degree > 63) return veil_fail(VEIL_ERR_INVALID_ARG, "model poly: degree %d (1..63)", degree);
  veil_node n = unary_node(m, VEIL_OP_POLY);
  n.attrs.poly.degree = degree;
  memcpy(n.attrs.poly.coeffs, coeffs, (size_t)(degree + 1) * sizeof *coeffs);
  return push(m, &n);
}

veil_status veil_model_pool_ex(veil_model *m, veil_op op, const veil_pool_opts *o) {
  if (op != VEIL_OP_AVGPOOL && op != VEIL_OP_MAXPOOL) return veil_fail(VEIL_ERR_INVALID_ARG, "model pool: op must be avgpool or maxpool");
  veil_node n = unary_node(m, op);
  for (int d = 0; d < 2; d++) {
    n.attrs.pool.kernel[d] = o->kernel[d];
    n.attrs.pool.stride[d] = o->stride[d] ? o->stride[d] : o->kernel[d];
  }
  memcpy(n.attrs.pool.pad, o->pad, sizeof o->pad);
  n.attrs.pool.count_include_pad = o->count_include_pad;
  return push(m, &n);
}

static veil_status square_pool(veil_model *m, veil_op op, int k, int s, int p) {
  veil_pool_opts o = {.kernel = {k, k}, .stride = {s, s}, .pad = {p, p, p, p}, .count_include_pad = 1};
  return veil_model_pool_ex(m, op, &o);
}

veil_status veil_model_avgpool(veil_model *m, int k, int s, int p) { return square_pool(m, VEIL_OP_AVGPOOL, k, s, p); }
veil_status veil_model_maxpool(veil_model *m, int k, int s, int p) { return square_pool(m, VEIL_OP_MAXPOOL, k, s, p); }

veil_status veil_model_globalavgpool(veil_model *m, int keep_dims) {
  veil_node n = unary_node(m, VEIL_OP_GLOBALAVGPOOL);
  n.attrs.gap.keep_dims = keep_dims;
  return push(m, &n);
}

veil_status veil_model_reshape(veil_model *m, int ndim, const int64_t *shape) {
  if (ndim < 1 || ndim > 4 || !shape) return veil_fail(VEIL_ERR_INVALID_ARG, "model reshape: %d dims (1..4)", ndim);
  veil_node n = unary_node(m, VEIL_OP_RESHAPE);
  n.attrs.reshape.ndim = ndim;
  memcpy(n.attrs.reshape.shape, shape, (size_t)ndim * sizeof *shape);
  return push(m, &n);
}

veil_status veil_model_pad_ex(veil_model *m, const int64_t before[3], const int64_t after[3], double value) {
  veil_node n = unary_node(m, VEIL_OP_PAD);
  memcpy(n.attrs.pad.before, before, 3 * sizeof *before);
  memcpy(n.attrs.pad.after, after, 3 * sizeof *after);
  n.attrs.pad.value = value;
  return push(m, &n);
}

veil_status veil_model_pad(veil_model *m, int top_left, int bottom_right, double value) {
  int64_t b[3] = {0, top_left, top_left}, a[3] = {0, bottom_right, bottom_right};
  return veil_model_pad_ex(m, b, a, value);
}

veil_status veil_model_slice(veil_model *m, const int64_t start[3], const int64_t end[3], const int64_t step[3]) {
  veil_node n = unary_node(m, VEIL_OP_SLICE);
  memcpy(n.attrs.slice.start, start, 3 * sizeof *start);
  memcpy(n.attrs.slice.end, end, 3 * sizeof *end);
  memcpy(n.attrs.slice.step, step, 3 * sizeof *step);
  return push(m, &n);
}

static veil_status multi(veil_model *m, veil_op op, int count, const int *nodes) {
  veil_node n = {.op = op, .ninputs = count};
  if (count < 1 || count > VEIL_NODE_MAX_INPUTS || !nodes)
    return veil_fail(VEIL_ERR_INVALID_ARG, "model %s: %d inputs", veil_op_name(op), count);
  memcpy(n.inputs, nodes, (size_t)count * sizeof *nodes);
  return push(m, &n);
}

veil_status veil_model_add(veil_model *m, int a, int b) { return multi(m, VEIL_OP_ADD, 2, (int[]){a, b}); }
veil_status veil_model_mul(veil_model *m, int a, int b) { return multi(m, VEIL_OP_MUL, 2, (int[]){a, b}); }
veil_status veil_model_concat(veil_model *m, int count, const int *nodes) { return multi(m, VEIL_OP_CONCAT, count, nodes); }
