/* ONNX ops that compute on the graph input, mapped onto veil nodes (nn.h). Each handler reads the
 * current node (c->cur), checks what veil cannot express, and emits one or two veil nodes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "onnx/onnx-impl.h"

typedef veil__ox_ctx ox_ctx;
typedef veil__ox_const ox_const;

#define OX_ERR(...) veil__ox_err(c, __VA_ARGS__)

static const veil_node *ox_node_at(ox_ctx *c, int i) { return &c->g->nodes[i]; }

/* Copies @p k (times @p scale) into a new float32 tensor of the given shape (same element count). */
static veil_status ox_tensor(ox_ctx *c, const ox_const *k, int ndim, const int64_t *shape, double scale,
                             veil_tensor *t) {
  VEIL_TRY(veil_tensor_init(t, ndim, shape));
  if (veil_tensor_numel(t) != k->numel) {
    veil_tensor_free(t);
    return OX_ERR(VEIL_ERR_FORMAT, "constant has %lld values, expected %lld", (long long)k->numel,
                  (long long)veil_tensor_numel(t));
  }
  for (int64_t i = 0; i < k->numel; i++)
    t->data[i] = (float)(k->v[i] * scale);
  return VEIL_OK;
}

static veil_status ox_emit_unary(ox_ctx *c, veil_op op, int x, veil_node *proto) {
  veil_node n = proto ? *proto : (veil_node){0};
  n.op = op;
  n.ninputs = 1;
  n.inputs[0] = x;
  return veil__ox_emit(c, &n, NULL);
}

static veil_status ox_in_image(ox_ctx *c, int *x) {
  VEIL_TRY(veil__ox_in_node(c, 0, x));
  if (ox_node_at(c, *x)->ndim != 3)
    return OX_ERR(VEIL_ERR_UNSUPPORTED, "input 0 has rank %d; only [N, C, H, W] is supported",
                  ox_node_at(c, *x)->ndim + 1);
  return VEIL_OK;
}

static veil_status ox_auto_pad(ox_ctx *c) {
  char ap[32];
  VEIL_TRY(veil__ox_attr_str(c, "auto_pad", "NOTSET", ap, sizeof ap));
  if (strcmp(ap, "NOTSET") != 0 && strcmp(ap, "VALID") != 0)
    return OX_ERR(VEIL_ERR_UNSUPPORTED, "attribute auto_pad=%s is not supported", ap);
  return VEIL_OK;
}

/* Reads kernel_shape / strides / pads / dilations of a 2-D window op; checks ranges. */
static veil_status ox_window(ox_ctx *c, bool need_kernel, int64_t k[2], int s[2], int p[4], int d[2]) {
  static const int64_t one[4] = {1, 1, 1, 1}, zero[4] = {0, 0, 0, 0};
  int64_t st[2], pd[4], dl[2];
  int nk = 0;
  VEIL_TRY(ox_auto_pad(c));
  VEIL_TRY(veil__ox_attr_ints(c, "kernel_shape", -2, NULL, k, &nk));
  if (need_kernel && nk != 2)
    return OX_ERR(VEIL_ERR_UNSUPPORTED, "attribute kernel_shape must have 2 values");
  VEIL_TRY(veil__ox_attr_ints(c, "strides", 2, one, st, NULL));
  VEIL_TRY(veil__ox_attr_ints(c, "pads", 4, zero, pd, NULL));
  VEIL_TRY(veil__ox_attr_ints(c, "dilations", 2, one, dl, NULL));
  for (int i = 0; i < 4; i++) {
    if (i < 2 && (st[i] < 1 || st[i] > 64 || dl[i] < 1 || dl[i] > 64))
      return OX_ERR(VEIL_ERR_UNSUPPORTED, "attribute strides/dilations out of range [1, 64]");
    if (pd[i] < 0 || pd[i] > 64)
      return OX_ERR(VEIL_ERR_UNSUPPORTED, "attribute pads=%lld is not supported (0..64)", (long long)pd[i]);
    p[i] = (int)pd[i];
  }
  for (int i = 0; i < 2; i++) {
    s[i] = (int)st[i];
    if (d)
      d[i] = (int)dl[i];
    else if (dl[i] != 1)
      return OX_ERR(VEIL_ERR_UNSUPPORTED, "attribute dilations=%lld is not supported", (long long)dl[i]);
  }
  return VEIL_OK;
}

/* ---- Conv, Gemm, MatMul, BatchNormalization ---- */

static veil_status ox_conv(ox_ctx *c) {
  int x;
  const ox_const *w, *b = NULL;
  VEIL_TRY(ox_in_image(c, &x));
  VEIL_TRY(veil__ox_in_const(c, 1, &w));
  if (w->rank != 4)
    return OX_ERR(VEIL_ERR_UNSUPPORTED, "weight has rank %d; only 2-D convolutions are supported", w->rank);
  if (veil__ox_has_input(c->cur, 2))
    VEIL_TRY(veil__ox_in_const(c, 2, &b));
  veil_node n = {.op = VEIL_OP_CONV2D, .ninputs = 1, .inputs = {x}};
  int64_t k[2], groups;
  VEIL_TRY(ox_window(c, false, k, n.attrs.conv.stride, n.attrs.conv.pad, n.attrs.conv.dilation));
  if (veil__ox_attr(c->cur, "kernel_shape") && (k[0] != w->dims[2] || k[1] != w->dims[3]))
    return OX_ERR(VEIL_ERR_FORMAT, "attribute kernel_shape does not match the weight");
  VEIL_TRY(veil__ox_attr_int(c, "group", 1, &groups));
  if (groups < 1 || groups > w->dims[0])
    return OX_ERR(VEIL_ERR_FORMAT, "attribute group=%lld is out of range", (long long)groups);
  n.attrs.conv.groups = (int)groups;
  VEIL_TRY(ox_tensor(c, w, 4, w->dims, 1, &n.weight));
  if (b && ox_tensor(c, b, 1, &w->dims[0], 1, &n.bias) != VEIL_OK) {
    veil_tensor_free(&n.weight);
    return OX_ERR(VEIL_ERR_FORMAT, "bias has %lld values for %lld output channels", (long long)b->numel,
                  (long long)w->dims[0]);
  }
  return veil__ox_emit(c, &n, NULL);
}

/* Emits DENSE with weight alpha*op(B) as [out][in] (B is [in][out] unless transposed). */
static veil_status ox_dense(ox_ctx *c, int x, const ox_const *B, bool trans_b, double alpha,
                            const ox_const *C, double beta) {
  if (B->rank != 2)
    return OX_ERR(VEIL_ERR_UNSUPPORTED, "weight has rank %d (expected 2)", B->rank);
  int64_t in = trans_b ? B->dims[1] : B->dims[0], out = trans_b ? B->dims[0] : B->dims[1];
  int64_t fx = veil_graph_node_numel(c->g, x);
  if (ox_node_at(c, x)->ndim != 1 || fx != in)
    return OX_ERR(VEIL_ERR_FORMAT, "input 0 must be [N, %lld] (got %lld values per image, rank %d)",
                  (long long)in, (long long)fx, ox_node_at(c, x)->ndim + 1);
  veil_node n = {.op = VEIL_OP_DENSE, .ninputs = 1, .inputs = {x}};
  int64_t wshape[2] = {out, in};
  VEIL_TRY(veil_tensor_init(&n.weight, 2, wshape));
  for (int64_t o = 0; o < out; o++)
    for (int64_t i = 0; i < in; i++)
      n.weight.data[o * in + i] = (float)(alpha * B->v[trans_b ? o * in + i : i * out + o]);
  if (C && C->numel != 1 && C->numel != out) {
    veil_tensor_free(&n.weight);
    return OX_ERR(VEIL_ERR_UNSUPPORTED, "bias with %lld values does not broadcast to [%lld]",
                  (long long)C->numel, (long long)out);
  }
  if (C) {
    VEIL_TRY(veil_tensor_init(&n.bias, 1, &out));
    for (int64_t o = 0; o < out; o++)
      n.bias.data[o] = (float)(beta * C->v[C->numel == 1 ? 0 : o]);
  }
  return veil__ox_emit(c, &n, NULL);
}

static veil_status ox_gemm(ox_ctx *c) {
  int x;
  const ox_const *B, *C = NULL;
  int64_t ta, tb;
  double alpha, beta;
  VEIL_TRY(veil__ox_in_node(c, 0, &x));
  VEIL_TRY(veil__ox_in_const(c, 1, &B));
  if (veil__ox_has_input(c->cur, 2))
    VEIL_TRY(veil__ox_in_const(c, 2, &C));
  VEIL_TRY(veil__ox_attr_int(c, "transA", 0, &ta));
  VEIL_TRY(veil__ox_attr_int(c, "transB", 0, &tb));
  VEIL_TRY(veil__ox_attr_float(c, "alpha", 1, &alpha));
  VEIL_TRY(veil__ox_attr_float(c, "beta", 1, &beta));
  if (ta)
    return OX_ERR(VEIL_ERR_UNSUPPORTED, "attribute transA=%lld is not supported", (long long)ta);
  return ox_dense(c, x, B, tb != 0, alpha, C, beta);
}

static veil_status ox_matmul(ox_ctx *c) {
  int x;
  const ox_const *B;
  VEIL_TRY(veil__ox_in_node(c, 0, &x));
  VEIL_TRY(veil__ox_in_const(c, 1, &B));
  return ox_dense(c, x, B, false, 1, NULL, 0);
}

static veil_status ox_batchnorm(ox_ctx *c) {
  int x;
  const ox_const *k[4];
  VEIL_TRY(veil__ox_in_node(c, 0, &x));
  for (int i = 0; i < 4; i++)
    VEIL_TRY(veil__ox_in_const(c, (size_t)i + 1, &k[i]));
  int64_t spatial, training;
  double eps;
  VEIL_TRY(veil__ox_attr_int(c, "spatial", 1, &spatial));
  VEIL_TRY(veil__ox_attr_int(c, "training_mode", 0, &training));
  VEIL_TRY(veil__ox_attr_float(c, "epsilon", 1e-5, &eps));
  if (!spatial || training)
    return OX_ERR(VEIL_ERR_UNSUPPORTED, "attribute %s is not supported", training ? "training_mode=1" : "spatial=0");
  for (size_t i = 1; i < c->cur->n_output; i++)
    if (c->cur->output[i][0] && veil__ox_uses(c, c->cur->output[i]))
      return OX_ERR(VEIL_ERR_UNSUPPORTED, "output %zu (training statistics) is not supported", i);
  int64_t ch = ox_node_at(c, x)->shape[0];
  veil_node n = {.op = VEIL_OP_BATCHNORM, .ninputs = 1, .inputs = {x}};
  n.attrs.bn.eps = eps;
  veil_tensor *dst[4] = {&n.weight, &n.bias, &n.mean, &n.var};
  veil_status st = VEIL_OK;
  for (int i = 0; i < 4 && st == VEIL_OK; i++)
    st = ox_tensor(c, k[i], 1, &ch, 1, dst[i]);
  if (st != VEIL_OK) {
    for (int i = 0; i < 4; i++)
      veil_tensor_free(dst[i]);
    return st;
  }
  return veil__ox_emit(c, &n, NULL);
}

/* ---- elementwise ---- */

/* Shape of constant @p k as applied to a per-image shape: 1 (scalar), C (per channel) or the whole
 * per-image shape (element-wise); anything that would broadcast the tensor itself is refused. */
static veil_status ox_affine_shape(ox_ctx *c, const veil_node *x, const ox_const *k, int *ndim,
                                   int64_t *shape) {
  int xr = x->ndim + 1;
  if (k->rank > xr)
    return OX_ERR(VEIL_ERR_UNSUPPORTED, "constant of rank %d broadcasts the tensor of rank %d", k->rank, xr);
  bool per_channel = k->numel == x->shape[0], full = true;
  for (int i = 0; i < k->rank; i++) {
    int xi = i + xr - k->rank; /* axis in [N, shape...] */
    int64_t xd = xi == 0 ? 1 : x->shape[xi - 1];
    if (k->dims[i] != 1 && k->dims[i] != xd)
      return OX_ERR(VEIL_ERR_UNSUPPORTED, "constant dims do not broadcast onto the per-image shape");
    full = full && (xi == 0 || k->dims[i] == xd);
    per_channel = per_channel && (k->dims[i] == 1 || xi == 1);
  }
  int64_t numel = 1;
  for (int i = 0; i < x->ndim; i++)
    numel *= x->shape[i];
  full = full && k->numel == numel;
  *ndim = 1;
  shape[0] = 1;
  if (k->numel == 1)
    return VEIL_OK;
  if (per_channel) {
    shape[0] = x->shape[0];
    return VEIL_OK;
  }
  if (!full)
    return OX_ERR(VEIL_ERR_UNSUPPORTED, "constant must be a scalar, per channel or of the full per-image shape");
  *ndim = x->ndim;
  memcpy(shape, x->shape, sizeof x->shape);
  return VEIL_OK;
}

/* AFFINE x*scale + shift from constant @p k: role 's' scale (k), 'a' shift (k), 'm' shift (-k),
 * 'r' shift k with scale -1 (k - x), 'd' scale 1/k. */
static veil_status ox_affine(ox_ctx *c, int x, const ox_const *k, int role) {
  const veil_node *xn = ox_node_at(c, x);
  int ndim;
  int64_t shape[4];
  VEIL_TRY(ox_affine_shape(c, xn, k, &ndim, shape));
  veil_node *prev = &c->g->nodes[x];
  if (role == 'a' && prev->op == VEIL_OP_DENSE && !prev->bias.data && x == c->g->nnodes - 1 &&
      veil__ox_uses(c, c->cur->input[0]) == 1 && !veil__ox_is_graph_output(c, c->cur->input[0])) {
    int64_t out = prev->shape[0];
    VEIL_TRY(veil_tensor_init(&prev->bias, 1, &out));
    for (int64_t o = 0; o < out; o++)
      prev->bias.data[o] = (float)k->v[k->numel == 1 ? 0 : o];
    return veil__ox_set_node(c, 0, x); /* MatMul + Add -> DENSE with bias */
  }
  veil_node n = {.op = VEIL_OP_AFFINE, .ninputs = 1, .inputs = {x}};
  veil_tensor *t = role == 's' || role == 'd' ? &n.weight : &n.bias;
  VEIL_TRY(ox_tensor(c, k, ndim, shape, role == 'm' ? -1 : 1, t));
  if (role == 'd')
    for (int64_t i = 0; i < k->numel; i++)
      t->data[i] = (float)(1.0 / k->v[i]);
  if (role == 'r') {
    int64_t one = 1;
    veil_status st = veil_tensor_init(&n.weight, 1, &one);
    if (st != VEIL_OK) {
      veil_tensor_free(&n.bias);
      return st;
    }
    n.weight.data[0] = -1;
  }
  return veil__ox_emit(c, &n, NULL);
}

static veil_status ox_binary_tensors(ox_ctx *c, int x, int y, char op) {
  const veil_node *a = ox_node_at(c, x), *b = ox_node_at(c, y);
  if (a->ndim != b->ndim || memcmp(a->shape, b->shape, (size_t)a->ndim * sizeof a->shape[0]) != 0)
    return OX_ERR(VEIL_ERR_UNSUPPORTED, "inputs have different shapes (broadcasting two tensors is not supported)");
  if (op == 'D')
    return OX_ERR(VEIL_ERR_UNSUPPORTED, "division by a tensor is not supported");
  if (op == 'S') { /* x - y = x + (-1)*y */
    veil_node neg = {.op = VEIL_OP_AFFINE, .ninputs = 1, .inputs = {y}};
    int64_t one = 1;
    VEIL_TRY(veil_tensor_init(&neg.weight, 1, &one));
    neg.weight.data[0] = -1;
    snprintf(neg.name, sizeof neg.name, "%s.neg", c->cur->name ? c->cur->name : "");
    VEIL_TRY(veil_graph_add(c->g, &neg, &y));
    VEIL_TRY(veil_graph_infer_node(c->g, y));
  }
  veil_node n = {.op = op == 'M' ? VEIL_OP_MUL : VEIL_OP_ADD, .ninputs = 2, .inputs = {x, y}};
  return veil__ox_emit(c, &n, NULL);
}

static veil_status ox_arith(ox_ctx *c) {
  const veil__ox_value *a, *b;
  VEIL_TRY(veil__ox_in(c, 0, &a));
  VEIL_TRY(veil__ox_in(c, 1, &b));
  char op = c->cur->op_type[0]; /* A, S, M, D */
  if (!a->is_const && !b->is_const)
    return ox_binary_tensors(c, a->node, b->node, op);
  bool k_first = a->is_const;
  int x = k_first ? b->node : a->node;
  const ox_const *k = k_first ? &a->c : &b->c;
  if (op == 'D' && k_first)
    return OX_ERR(VEIL_ERR_UNSUPPORTED, "division of a constant by a tensor is not supported");
  int role = op == 'A' ? 'a' : op == 'M' ? 's' : op == 'D' ? 'd' : k_first ? 'r' : 'm';
  return ox_affine(c, x, k, role);
}

static veil_status ox_pow(ox_ctx *c) {
  int x;
  const ox_const *e;
  VEIL_TRY(veil__ox_in_node(c, 0, &x));
  VEIL_TRY(veil__ox_in_const(c, 1, &e));
  if (e->numel != 1 || (e->v[0] != 2 && e->v[0] != 1))
    return OX_ERR(VEIL_ERR_UNSUPPORTED, "input 1 (exponent) must be the scalar 2 (got %s%g)",
                  e->numel == 1 ? "" : "a tensor, first ", e->v[0]);
  return ox_emit_unary(c, e->v[0] == 2 ? VEIL_OP_SQUARE : VEIL_OP_IDENTITY, x, NULL);
}

static veil_status ox_relu(ox_ctx *c) {
  int x;
  VEIL_TRY(veil__ox_in_node(c, 0, &x));
  return ox_emit_unary(c, VEIL_OP_RELU, x, NULL);
}

static veil_status ox_clip_bound(ox_ctx *c, size_t in, const char *attr, double def, double *out) {
  if (c->opset < 11)
    return veil__ox_attr_float(c, attr, def, out);
  *out = def;
  if (!veil__ox_has_input(c->cur, in))
    return VEIL_OK;
  const ox_const *k;
  VEIL_TRY(veil__ox_in_const(c, in, &k));
  if (k->numel != 1)
    return OX_ERR(VEIL_ERR_FORMAT, "input %zu (%s) must be a scalar", in, attr);
  *out = k->v[0];
  return VEIL_OK;
}

static veil_status ox_clip(ox_ctx *c) {
  int x;
  veil_node n = {0};
  VEIL_TRY(veil__ox_in_node(c, 0, &x));
  VEIL_TRY(ox_clip_bound(c, 1, "min", -INFINITY, &n.attrs.clip.lo));
  VEIL_TRY(ox_clip_bound(c, 2, "max", INFINITY, &n.attrs.clip.hi));
  if (n.attrs.clip.lo == 0 && n.attrs.clip.hi >= 3.4e38)
    return ox_emit_unary(c, VEIL_OP_RELU, x, NULL);
  return ox_emit_unary(c, VEIL_OP_CLIP, x, &n);
}

/* ---- pooling ---- */

static veil_status ox_pool(ox_ctx *c) {
  int x;
  bool avg = c->cur->op_type[0] == 'A';
  veil_node n = {0};
  int64_t k[2], ceil_mode, cip = 0;
  VEIL_TRY(ox_in_image(c, &x));
  VEIL_TRY(ox_window(c, true, k, n.attrs.pool.stride, n.attrs.pool.pad, NULL));
  VEIL_TRY(veil__ox_attr_int(c, "ceil_mode", 0, &ceil_mode));
  if (ceil_mode)
    return OX_ERR(VEIL_ERR_UNSUPPORTED, "attribute ceil_mode=1 is not supported");
  if (avg)
    VEIL_TRY(veil__ox_attr_int(c, "count_include_pad", 0, &cip));
  if (!avg && c->cur->n_output > 1 && c->cur->output[1][0] && veil__ox_uses(c, c->cur->output[1]))
    return OX_ERR(VEIL_ERR_UNSUPPORTED, "output 1 (Indices) is not supported");
  for (int i = 0; i < 2; i++) {
    if (k[i] < 1 || k[i] > 64)
      return OX_ERR(VEIL_ERR_UNSUPPORTED, "attribute kernel_shape=%lld is out of range", (long long)k[i]);
    n.attrs.pool.kernel[i] = (int)k[i];
  }
  n.attrs.pool.count_include_pad = (int)cip;
  return ox_emit_unary(c, avg ? VEIL_OP_AVGPOOL : VEIL_OP_MAXPOOL, x, &n);
}

static veil_status ox_global_avg(ox_ctx *c) {
  int x;
  VEIL_TRY(ox_in_image(c, &x));
  veil_node n = {0};
  n.attrs.gap.keep_dims = 1;
  return ox_emit_unary(c, VEIL_OP_GLOBALAVGPOOL, x, &n);
}

static veil_status ox_reduce_mean(ox_ctx *c) {
  int x, na = 0;
  int64_t axes[VEIL__OX_MAX_RANK], keep;
  VEIL_TRY(ox_in_image(c, &x));
  VEIL_TRY(veil__ox_attr_ints(c, "axes", -VEIL__OX_MAX_RANK, NULL, axes, &na));
  VEIL_TRY(veil__ox_attr_int(c, "keepdims", 1, &keep));
  bool hw = na == 2;
  for (int i = 0; i < na; i++)
    hw = hw && (axes[i] == 2 || axes[i] == 3 || axes[i] == -1 || axes[i] == -2) &&
         (i == 0 || (axes[i] + 4) % 4 != (axes[0] + 4) % 4);
  if (!hw)
    return OX_ERR(VEIL_ERR_UNSUPPORTED, "attribute axes must be [2, 3] (mean over H and W)");
  veil_node n = {0};
  n.attrs.gap.keep_dims = keep != 0;
  return ox_emit_unary(c, VEIL_OP_GLOBALAVGPOOL, x, &n);
}

/* ---- shape ops on tensors ---- */

/* Reshape of a tensor to ONNX shape @p t (rank @p r, batch first; 0 copies, one -1 inferred). */
static veil_status ox_reshape_to(ox_ctx *c, int x, int r, const int64_t *t) {
  const veil_node *xn = ox_node_at(c, x);
  int64_t per = veil_graph_node_numel(c->g, x), dims[VEIL__OX_MAX_RANK], known = 1;
  int neg = -1;
  if (r < 2 || r > 5)
    return OX_ERR(VEIL_ERR_UNSUPPORTED, "target rank %d is not supported (2 to 5 with the batch first)", r);
  bool batch_infer = t[0] == -1;
  if (!batch_infer && t[0] != 0 && t[0] != c->batch)
    return OX_ERR(VEIL_ERR_UNSUPPORTED, "target shape changes the batch dimension (%lld)", (long long)t[0]);
  for (int i = 1; i < r; i++) {
    dims[i - 1] = t[i] == 0 && i <= xn->ndim ? xn->shape[i - 1] : t[i];
    if (dims[i - 1] == -1 && neg < 0 && !batch_infer)
      neg = i - 1;
    else if (dims[i - 1] <= 0)
      return OX_ERR(VEIL_ERR_FORMAT, "bad target dimension %lld", (long long)t[i]);
    else
      known *= dims[i - 1];
  }
  if (neg >= 0 && known > 0 && per % known == 0)
    dims[neg] = per / known, known = per;
  if (known != per)
    return OX_ERR(VEIL_ERR_FORMAT, "cannot reshape %lld values per image into the target shape", (long long)per);
  veil_node n = {0};
  if (r == 2)
    return ox_emit_unary(c, VEIL_OP_FLATTEN, x, NULL);
  n.attrs.reshape.ndim = r - 1;
  memcpy(n.attrs.reshape.shape, dims, (size_t)(r - 1) * sizeof dims[0]);
  return ox_emit_unary(c, VEIL_OP_RESHAPE, x, &n);
}

static veil_status ox_reshape(ox_ctx *c) {
  int x;
  const ox_const *s;
  int64_t t[VEIL__OX_MAX_RANK], allowzero;
  VEIL_TRY(veil__ox_in_node(c, 0, &x));
  VEIL_TRY(veil__ox_in_const(c, 1, &s));
  VEIL_TRY(veil__ox_attr_int(c, "allowzero", 0, &allowzero));
  if (s->numel > VEIL__OX_MAX_RANK)
    return OX_ERR(VEIL_ERR_UNSUPPORTED, "target rank %lld is too large", (long long)s->numel);
  for (int i = 0; i < s->numel; i++) {
    t[i] = veil__ox_const_int(s, i);
    if (t[i] == 0 && allowzero)
      return OX_ERR(VEIL_ERR_UNSUPPORTED, "attribute allowzero=1 with a zero dimension is not supported");
  }
  return ox_reshape_to(c, x, (int)s->numel, t);
}

static veil_status ox_flatten(ox_ctx *c) {
  int x;
  int64_t axis;
  VEIL_TRY(veil__ox_in_node(c, 0, &x));
  VEIL_TRY(veil__ox_attr_int(c, "axis", 1, &axis));
  int rank = ox_node_at(c, x)->ndim + 1;
  if (axis != 1 && axis != 1 - rank)
    return OX_ERR(VEIL_ERR_UNSUPPORTED, "attribute axis=%lld is not supported (only 1)", (long long)axis);
  return ox_emit_unary(c, VEIL_OP_FLATTEN, x, NULL);
}

/* Squeeze / Unsqueeze of a tensor: a reshape that keeps the batch dimension. */
static veil_status ox_squeeze(ox_ctx *c) {
  int x, na = 0;
  int64_t axes[VEIL__OX_MAX_RANK], t[VEIL__OX_MAX_RANK];
  bool squeeze = c->cur->op_type[0] == 'S';
  VEIL_TRY(veil__ox_in_node(c, 0, &x));
  if (c->opset < 13) {
    VEIL_TRY(veil__ox_attr_ints(c, "axes", -VEIL__OX_MAX_RANK, NULL, axes, &na));
  } else if (veil__ox_has_input(c->cur, 1)) {
    const ox_const *k;
    VEIL_TRY(veil__ox_in_const(c, 1, &k));
    na = k->numel > VEIL__OX_MAX_RANK ? VEIL__OX_MAX_RANK : (int)k->numel;
    for (int i = 0; i < na; i++)
      axes[i] = veil__ox_const_int(k, i);
  }
  const veil_node *xn = ox_node_at(c, x);
  int in_rank = xn->ndim + 1, out_rank = squeeze ? in_rank : in_rank + na, r = 0;
  bool mark[2 * VEIL__OX_MAX_RANK] = {0};
  for (int i = 0; i < na; i++) {
    int64_t a = axes[i] < 0 ? axes[i] + out_rank : axes[i];
    if (a <= 0 || a >= out_rank)
      return OX_ERR(VEIL_ERR_UNSUPPORTED, "axis %lld is not supported (batch axis or out of range)",
                    (long long)axes[i]);
    mark[a] = true;
  }
  t[r++] = 0;
  for (int i = 1, j = 0; i < out_rank && r < VEIL__OX_MAX_RANK; i++) {
    if (squeeze) {
      if (!(mark[i] || (na == 0 && xn->shape[i - 1] == 1)))
        t[r++] = xn->shape[i - 1];
    } else {
      t[r++] = mark[i] ? 1 : xn->shape[j++];
    }
  }
  return ox_reshape_to(c, x, r, t);
}

static veil_status ox_pad(ox_ctx *c) {
  int x;
  char mode[32];
  int64_t p[8];
  veil_node n = {0};
  VEIL_TRY(veil__ox_in_node(c, 0, &x));
  VEIL_TRY(veil__ox_attr_str(c, "mode", "constant", mode, sizeof mode));
  if (strcmp(mode, "constant") != 0)
    return OX_ERR(VEIL_ERR_UNSUPPORTED, "attribute mode=%s is not supported (only constant)", mode);
  int nd = ox_node_at(c, x)->ndim, rank = nd + 1, np = 0;
  if (nd != 1 && nd != 3)
    return OX_ERR(VEIL_ERR_UNSUPPORTED, "input 0 has rank %d (only [N, F] or [N, C, H, W])", rank);
  if (c->opset < 11) {
    VEIL_TRY(veil__ox_attr_ints(c, "pads", -8, NULL, p, &np));
    VEIL_TRY(veil__ox_attr_float(c, "value", 0, &n.attrs.pad.value));
  } else {
    const ox_const *k;
    VEIL_TRY(veil__ox_in_const(c, 1, &k));
    np = k->numel > 8 ? 8 : (int)k->numel;
    for (int i = 0; i < np; i++)
      p[i] = veil__ox_const_int(k, i);
    if (veil__ox_has_input(c->cur, 2)) {
      VEIL_TRY(veil__ox_in_const(c, 2, &k));
      if (k->numel != 1)
        return OX_ERR(VEIL_ERR_FORMAT, "input 2 (constant_value) must be a scalar");
      n.attrs.pad.value = k->v[0];
    }
    if (veil__ox_has_input(c->cur, 3))
      return OX_ERR(VEIL_ERR_UNSUPPORTED, "input 3 (axes) is not supported");
  }
  if (np != 2 * rank)
    return OX_ERR(VEIL_ERR_FORMAT, "pads has %d values for rank %d", np, rank);
  if (p[0] != 0 || p[rank] != 0)
    return OX_ERR(VEIL_ERR_UNSUPPORTED, "padding the batch axis is not supported");
  for (int i = 1; i < rank; i++) {
    if (p[i] < 0 || p[rank + i] < 0 || p[i] > (1 << 20) || p[rank + i] > (1 << 20))
      return OX_ERR(VEIL_ERR_UNSUPPORTED, "pads %lld/%lld on axis %d are not supported (0 to 2^20)",
                    (long long)p[i], (long long)p[rank + i], i);
    n.attrs.pad.before[i - 1] = p[i];
    n.attrs.pad.after[i - 1] = p[rank + i];
  }
  return ox_emit_unary(c, VEIL_OP_PAD, x, &n);
}

/* Reads a Slice parameter list: attribute (opset 9) or constant input (opset >= 10). */
static veil_status ox_slice_list(ox_ctx *c, const char *attr, size_t in, int64_t *out, int *n) {
  *n = -1;
  if (c->opset < 10) {
    if (!veil__ox_attr(c->cur, attr))
      return VEIL_OK;
    return veil__ox_attr_ints(c, attr, -VEIL__OX_MAX_RANK, NULL, out, n);
  }
  if (!veil__ox_has_input(c->cur, in))
    return VEIL_OK;
  const ox_const *k;
  VEIL_TRY(veil__ox_in_const(c, in, &k));
  if (k->numel > VEIL__OX_MAX_RANK)
    return OX_ERR(VEIL_ERR_FORMAT, "input %zu has too many values", in);
  for (int i = 0; i < k->numel; i++)
    out[i] = veil__ox_const_int(k, i);
  *n = (int)k->numel;
  return VEIL_OK;
}

veil_status veil__ox_slice_params(ox_ctx *c, int rank, const int64_t *dims, int64_t *start, int64_t *end,
                                  int64_t *step) {
  int64_t s[VEIL__OX_MAX_RANK], e[VEIL__OX_MAX_RANK], ax[VEIL__OX_MAX_RANK], st[VEIL__OX_MAX_RANK];
  int ns, ne, na, nst;
  (void)dims;
  VEIL_TRY(ox_slice_list(c, "starts", 1, s, &ns));
  VEIL_TRY(ox_slice_list(c, "ends", 2, e, &ne));
  VEIL_TRY(ox_slice_list(c, "axes", 3, ax, &na));
  VEIL_TRY(ox_slice_list(c, "steps", 4, st, &nst));
  if (ns < 0 || ne != ns || (na >= 0 && na != ns) || (nst >= 0 && nst != ns))
    return OX_ERR(VEIL_ERR_FORMAT, "starts, ends, axes and steps must have the same length");
  for (int i = 0; i < rank; i++)
    start[i] = 0, end[i] = INT64_MAX, step[i] = 1;
  for (int i = 0; i < ns; i++) {
    int64_t a = na >= 0 ? ax[i] : i;
    a = a < 0 ? a + rank : a;
    if (a < 0 || a >= rank)
      return OX_ERR(VEIL_ERR_FORMAT, "axis %lld out of range", (long long)(na >= 0 ? ax[i] : i));
    start[a] = s[i];
    end[a] = e[i];
    step[a] = nst >= 0 ? st[i] : 1;
    if (step[a] == 0)
      return OX_ERR(VEIL_ERR_FORMAT, "step 0 on axis %lld", (long long)a);
  }
  return VEIL_OK;
}

static veil_status ox_slice(ox_ctx *c) {
  int x;
  int64_t s[VEIL__OX_MAX_RANK], e[VEIL__OX_MAX_RANK], st[VEIL__OX_MAX_RANK], full[VEIL__OX_MAX_RANK];
  VEIL_TRY(veil__ox_in_node(c, 0, &x));
  const veil_node *xn = ox_node_at(c, x);
  int rank = xn->ndim + 1;
  full[0] = c->batch;
  memcpy(full + 1, xn->shape, (size_t)xn->ndim * sizeof full[0]);
  VEIL_TRY(veil__ox_slice_params(c, rank, full, s, e, st));
  if (xn->ndim != 1 && xn->ndim != 3)
    return OX_ERR(VEIL_ERR_UNSUPPORTED, "input 0 has rank %d (only [N, F] or [N, C, H, W])", rank);
  if (s[0] != 0 || st[0] != 1 || (e[0] < c->batch && e[0] < (1 << 30)))
    return OX_ERR(VEIL_ERR_UNSUPPORTED, "slicing the batch axis is not supported");
  veil_node n = {0};
  for (int i = 1; i < rank; i++) {
    if (st[i] < 1)
      return OX_ERR(VEIL_ERR_UNSUPPORTED, "step %lld on axis %d is not supported (only positive steps)",
                    (long long)st[i], i);
    int64_t d = full[i], a = s[i] < 0 ? s[i] + d : s[i], b = e[i] < 0 ? e[i] + d : e[i];
    a = a < 0 ? 0 : a > d ? d : a;
    b = b < 0 ? 0 : b > d ? d : b;
    if (b <= a)
      return OX_ERR(VEIL_ERR_UNSUPPORTED, "empty slice on axis %d", i);
    n.attrs.slice.start[i - 1] = a;
    n.attrs.slice.end[i - 1] = b;
    n.attrs.slice.step[i - 1] = st[i] > d ? d : st[i];
  }
  return ox_emit_unary(c, VEIL_OP_SLICE, x, &n);
}

static veil_status ox_concat(ox_ctx *c) {
  int64_t axis;
  veil_node n = {.op = VEIL_OP_CONCAT};
  if (c->cur->n_input < 1 || c->cur->n_input > VEIL_NODE_MAX_INPUTS)
    return OX_ERR(VEIL_ERR_UNSUPPORTED, "%zu inputs (1 to %d supported)", c->cur->n_input, VEIL_NODE_MAX_INPUTS);
  for (size_t i = 0; i < c->cur->n_input; i++)
    VEIL_TRY(veil__ox_in_node(c, i, &n.inputs[i]));
  n.ninputs = (int)c->cur->n_input;
  VEIL_TRY(veil__ox_attr_int(c, "axis", 1, &axis));
  int rank = ox_node_at(c, n.inputs[0])->ndim + 1;
  if (axis != 1 && axis != 1 - rank)
    return OX_ERR(VEIL_ERR_UNSUPPORTED, "attribute axis=%lld is not supported (only the channel axis 1)",
                  (long long)axis);
  return veil__ox_emit(c, &n, NULL);
}

static veil_status ox_softmax(ox_ctx *c) {
  int x;
  int64_t axis;
  VEIL_TRY(veil__ox_in_node(c, 0, &x));
  VEIL_TRY(veil__ox_attr_int(c, "axis", c->opset < 13 ? 1 : -1, &axis));
  int rank = ox_node_at(c, x)->ndim + 1;
  if (rank != 2 || (axis != 1 && axis != -1))
    return OX_ERR(VEIL_ERR_UNSUPPORTED, "only softmax over the features of [N, F] is supported (rank %d, axis %lld)",
                  rank, (long long)axis);
  return ox_emit_unary(c, VEIL_OP_SOFTMAX, x, NULL);
}

static veil_status ox_identity(ox_ctx *c) {
  int x;
  VEIL_TRY(veil__ox_in_node(c, 0, &x));
  for (size_t i = 1; i < c->cur->n_output; i++)
    if (c->cur->output[i][0] && veil__ox_uses(c, c->cur->output[i]))
      return OX_ERR(VEIL_ERR_UNSUPPORTED, "output %zu (mask) is not supported", i);
  if (c->cur->op_type[0] == 'D' && veil__ox_has_input(c->cur, 2)) {
    const ox_const *k;
    VEIL_TRY(veil__ox_in_const(c, 2, &k));
    if (k->numel != 1 || k->v[0] != 0)
      return OX_ERR(VEIL_ERR_UNSUPPORTED, "input 2 (training_mode) must be false");
  }
  return ox_emit_unary(c, VEIL_OP_IDENTITY, x, NULL);
}

static veil_status ox_cast(ox_ctx *c) {
  int x;
  int64_t to;
  VEIL_TRY(veil__ox_in_node(c, 0, &x));
  VEIL_TRY(veil__ox_attr_int(c, "to", 0, &to));
  if (to != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
    return OX_ERR(VEIL_ERR_UNSUPPORTED, "attribute to=%lld is not supported (only float)", (long long)to);
  return ox_emit_unary(c, VEIL_OP_IDENTITY, x, NULL);
}

static const struct {
  const char *op;
  veil__ox_handler fn;
} ox_handlers[] = {
    {"Conv", ox_conv},
    {"Gemm", ox_gemm},
    {"MatMul", ox_matmul},
    {"BatchNormalization", ox_batchnorm},
    {"Add", ox_arith},
    {"Sub", ox_arith},
    {"Mul", ox_arith},
    {"Div", ox_arith},
    {"Pow", ox_pow},
    {"Relu", ox_relu},
    {"Clip", ox_clip},
    {"AveragePool", ox_pool},
    {"MaxPool", ox_pool},
    {"GlobalAveragePool", ox_global_avg},
    {"ReduceMean", ox_reduce_mean},
    {"Flatten", ox_flatten},
    {"Reshape", ox_reshape},
    {"Squeeze", ox_squeeze},
    {"Unsqueeze", ox_squeeze},
    {"Pad", ox_pad},
    {"Slice", ox_slice},
    {"Concat", ox_concat},
    {"Softmax", ox_softmax},
    {"Identity", ox_identity},
    {"Dropout", ox_identity},
    {"Cast", ox_cast},
};

veil__ox_handler veil__ox_handler_find(const char *op_type) {
  for (size_t i = 0; i < sizeof ox_handlers / sizeof ox_handlers[0]; i++)
    if (strcmp(ox_handlers[i].op, op_type) == 0)
      return ox_handlers[i].fn;
  return NULL;
}
