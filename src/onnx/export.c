/* ONNX export: any veil graph as a standard ONNX model (IR 7, opset 13). Every protobuf-c object is
 * allocated from one arena freed after packing. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "onnx/onnx-impl.h"

#define EX_OPSET 13
#define EX_IR_VERSION 7

typedef struct ex_ctx {
  const veil_graph *g;
  void **ptrs;
  size_t nptrs, capptrs;
  bool oom;
  bool bad; /* a node lacks a tensor it needs */
  Onnx__NodeProto **nodes;
  size_t nnodes, capnodes;
  Onnx__TensorProto **inits;
  size_t ninits, capinits;
  char **val; /* ONNX value name of each veil node's output */
  const veil_node *cur;
  int cur_index;
} ex_ctx;

static bool ex_grow(void ***arr, size_t *cap, size_t need) {
  if (need <= *cap)
    return true;
  size_t c = *cap ? *cap * 2 : 64;
  void **p = realloc(*arr, c * sizeof *p);
  if (!p)
    return false;
  *arr = p;
  *cap = c;
  return true;
}

static void *ex_alloc(ex_ctx *x, size_t bytes) {
  void *p = x->oom ? NULL : calloc(1, bytes ? bytes : 1);
  if (p && !ex_grow(&x->ptrs, &x->capptrs, x->nptrs + 1)) {
    free(p);
    p = NULL;
  }
  if (!p) {
    x->oom = true;
    return NULL;
  }
  x->ptrs[x->nptrs++] = p;
  return p;
}

static char *ex_str(ex_ctx *x, const char *fmt, ...) VEIL_PRINTF(2, 3);
static char *ex_str(ex_ctx *x, const char *fmt, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  char *s = ex_alloc(x, strlen(buf) + 1);
  if (s)
    strcpy(s, buf);
  return s;
}

/* ---- initializers ---- */

static const char *ex_init(ex_ctx *x, const char *suffix, int ndim, const int64_t *dims, bool isint,
                           const float *f, const int64_t *l) {
  Onnx__TensorProto *t = ex_alloc(x, sizeof *t);
  int64_t *d = ex_alloc(x, sizeof *d * (size_t)(ndim ? ndim : 1));
  int64_t n = 1;
  for (int i = 0; i < ndim; i++)
    n *= dims[i];
  if (!(isint ? (const void *)l : (const void *)f)) {
    x->bad = true;
    return "";
  }
  uint8_t *raw = ex_alloc(x, (size_t)n * (isint ? 8 : 4));
  char *name = ex_str(x, "%s_%s", x->val[x->cur_index], suffix);
  if (!t || !d || !raw || !name || !ex_grow((void ***)&x->inits, &x->capinits, x->ninits + 1)) {
    x->oom = true;
    return "";
  }
  onnx__tensor_proto__init(t);
  if (ndim)
    memcpy(d, dims, sizeof *d * (size_t)ndim);
  memcpy(raw, isint ? (const void *)l : (const void *)f, (size_t)n * (isint ? 8 : 4));
  t->n_dims = (size_t)ndim;
  t->dims = d;
  t->has_data_type = true;
  t->data_type = isint ? ONNX__TENSOR_PROTO__DATA_TYPE__INT64 : ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
  t->name = name;
  t->has_raw_data = true;
  t->raw_data.len = (size_t)n * (isint ? 8 : 4);
  t->raw_data.data = raw;
  x->inits[x->ninits++] = t;
  return name;
}

static const char *ex_tensor(ex_ctx *x, const char *suffix, const veil_tensor *t) {
  return ex_init(x, suffix, t->ndim, t->shape, false, t->data, NULL);
}

static const char *ex_scalar(ex_ctx *x, const char *suffix, double v) {
  float f = (float)v;
  return ex_init(x, suffix, 0, NULL, false, &f, NULL);
}

static const char *ex_ints(ex_ctx *x, const char *suffix, int n, const int64_t *v) {
  int64_t dim = n;
  return ex_init(x, suffix, 1, &dim, true, NULL, v);
}

/* ---- nodes and attributes ---- */

static Onnx__NodeProto *ex_node(ex_ctx *x, const char *op, const char *out, int nin, ...) {
  Onnx__NodeProto *n = ex_alloc(x, sizeof *n);
  char **in = ex_alloc(x, sizeof *in * (size_t)nin);
  char **outs = ex_alloc(x, sizeof *outs);
  if (!n || !in || !outs || !ex_grow((void ***)&x->nodes, &x->capnodes, x->nnodes + 1)) {
    x->oom = true;
    return NULL;
  }
  onnx__node_proto__init(n);
  va_list ap;
  va_start(ap, nin);
  for (int i = 0; i < nin; i++)
    in[i] = (char *)va_arg(ap, const char *);
  va_end(ap);
  outs[0] = (char *)out;
  n->n_input = (size_t)nin;
  n->input = in;
  n->n_output = 1;
  n->output = outs;
  n->op_type = (char *)op;
  n->name = ex_str(x, "%s", out);
  x->nodes[x->nnodes++] = n;
  return n;
}

static Onnx__AttributeProto *ex_attr(ex_ctx *x, Onnx__NodeProto *n, const char *name, int type) {
  if (!n)
    return NULL;
  Onnx__AttributeProto *a = ex_alloc(x, sizeof *a);
  Onnx__AttributeProto **arr = ex_alloc(x, sizeof *arr * (n->n_attribute + 1));
  if (!a || !arr)
    return NULL;
  onnx__attribute_proto__init(a);
  a->name = (char *)name;
  a->has_type = true;
  a->type = (Onnx__AttributeProto__AttributeType)type;
  if (n->n_attribute)
    memcpy(arr, n->attribute, sizeof *arr * n->n_attribute);
  arr[n->n_attribute++] = a;
  n->attribute = arr;
  return a;
}

static void ex_attr_int(ex_ctx *x, Onnx__NodeProto *n, const char *name, int64_t v) {
  Onnx__AttributeProto *a = ex_attr(x, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
  if (a)
    a->has_i = true, a->i = v;
}

static void ex_attr_float(ex_ctx *x, Onnx__NodeProto *n, const char *name, double v) {
  Onnx__AttributeProto *a = ex_attr(x, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
  if (a)
    a->has_f = true, a->f = (float)v;
}

static void ex_attr_ints(ex_ctx *x, Onnx__NodeProto *n, const char *name, int cnt, const int *v) {
  Onnx__AttributeProto *a = ex_attr(x, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
  int64_t *p = ex_alloc(x, sizeof *p * (size_t)cnt);
  if (!a || !p)
    return;
  for (int i = 0; i < cnt; i++)
    p[i] = v[i];
  a->n_ints = (size_t)cnt;
  a->ints = p;
}

/* kernel_shape, strides, pads (top, left, bottom, right as ONNX's x1_begin, x2_begin, x1_end, x2_end) */
static void ex_window(ex_ctx *x, Onnx__NodeProto *n, const int *kernel, const int *stride, const int *pad) {
  ex_attr_ints(x, n, "kernel_shape", 2, kernel);
  ex_attr_ints(x, n, "strides", 2, stride);
  ex_attr_ints(x, n, "pads", 4, pad);
}

/* ---- ops ---- */

static const char *ex_in(ex_ctx *x, int k) { return x->val[x->cur->inputs[k]]; }

/* Reshapes an AFFINE constant for broadcasting against the (C,H,W) / (F) input: scalar, [C,1,1] or full. */
static const char *ex_affine_const(ex_ctx *x, const char *suffix, const veil_tensor *t) {
  const veil_node *in = &x->g->nodes[x->cur->inputs[0]];
  int64_t n = veil_tensor_numel(t), dims[4];
  if (n == 1)
    return ex_init(x, suffix, 0, NULL, false, t->data, NULL);
  for (int i = 0; i < in->ndim; i++)
    dims[i] = n == veil_graph_node_numel(x->g, x->cur->inputs[0]) ? in->shape[i] : i == 0 ? n : 1;
  return ex_init(x, suffix, in->ndim, dims, false, t->data, NULL);
}

static void ex_affine(ex_ctx *x, const char *out) {
  const veil_node *n = x->cur;
  bool has_scale = n->weight.data && veil_tensor_numel(&n->weight) > 0;
  bool has_shift = n->bias.data && veil_tensor_numel(&n->bias) > 0;
  const char *in = ex_in(x, 0);
  if (!has_scale && !has_shift) {
    ex_node(x, "Identity", out, 1, in);
    return;
  }
  if (has_scale) {
    const char *mid = has_shift ? ex_str(x, "%s_scaled", out) : out;
    ex_node(x, "Mul", mid, 2, in, ex_affine_const(x, "scale", &n->weight));
    in = mid;
  }
  if (has_shift)
    ex_node(x, "Add", out, 2, in, ex_affine_const(x, "shift", &n->bias));
}

/* POLY by Horner's rule: ((c_d x + c_{d-1}) x + ...) x + c_0. */
static void ex_poly(ex_ctx *x, const char *out) {
  int d = x->cur->attrs.poly.degree;
  const double *c = x->cur->attrs.poly.coeffs;
  const char *in = ex_in(x, 0), *t = ex_str(x, "%s_p%d", out, d);
  ex_node(x, "Mul", t, 2, in, ex_scalar(x, ex_str(x, "c%d", d), d > 0 ? c[d] : 0));
  for (int k = (d > 0 ? d - 1 : 0); k >= 0; k--) {
    const char *s = k == 0 ? out : ex_str(x, "%s_s%d", out, k);
    ex_node(x, "Add", s, 2, t, ex_scalar(x, ex_str(x, "c%d", k), c[k]));
    if (k == 0)
      break;
    t = ex_str(x, "%s_p%d", out, k);
    ex_node(x, "Mul", t, 2, s, in);
  }
}

static void ex_pad(ex_ctx *x, const char *out) {
  const veil_node *in = &x->g->nodes[x->cur->inputs[0]];
  int r = in->ndim + 1;
  int64_t p[8] = {0};
  for (int i = 1; i < r && i <= 3; i++) {
    p[i] = x->cur->attrs.pad.before[i - 1];
    p[r + i] = x->cur->attrs.pad.after[i - 1];
  }
  ex_node(x, "Pad", out, 3, ex_in(x, 0), ex_ints(x, "pads", 2 * r, p), ex_scalar(x, "value", x->cur->attrs.pad.value));
}

static void ex_slice(ex_ctx *x, const char *out) {
  const veil_node *in = &x->g->nodes[x->cur->inputs[0]];
  int64_t s[3], e[3], st[3], ax[3];
  int nd = in->ndim > 3 ? 3 : in->ndim;
  for (int i = 0; i < nd; i++) {
    s[i] = x->cur->attrs.slice.start[i];
    e[i] = x->cur->attrs.slice.end[i];
    st[i] = x->cur->attrs.slice.step[i];
    ax[i] = i + 1;
  }
  ex_node(x, "Slice", out, 5, ex_in(x, 0), ex_ints(x, "starts", nd, s), ex_ints(x, "ends", nd, e),
          ex_ints(x, "axes", nd, ax), ex_ints(x, "steps", nd, st));
}

static void ex_reshape(ex_ctx *x, const char *out) {
  int64_t s[5] = {0};
  for (int i = 0; i < x->cur->ndim; i++)
    s[i + 1] = x->cur->shape[i];
  ex_node(x, "Reshape", out, 2, ex_in(x, 0), ex_ints(x, "shape", x->cur->ndim + 1, s));
}

static void ex_conv(ex_ctx *x, const char *out) {
  const veil_node *n = x->cur;
  int k[2] = {(int)n->weight.shape[2], (int)n->weight.shape[3]};
  const char *w = ex_tensor(x, "W", &n->weight);
  Onnx__NodeProto *o = n->bias.data ? ex_node(x, "Conv", out, 3, ex_in(x, 0), w, ex_tensor(x, "B", &n->bias))
                                    : ex_node(x, "Conv", out, 2, ex_in(x, 0), w);
  ex_window(x, o, k, n->attrs.conv.stride, n->attrs.conv.pad);
  ex_attr_ints(x, o, "dilations", 2, n->attrs.conv.dilation);
  ex_attr_int(x, o, "group", n->attrs.conv.groups);
}

static void ex_dense(ex_ctx *x, const char *out) {
  const veil_node *n = x->cur;
  const char *in = ex_in(x, 0);
  if (x->g->nodes[n->inputs[0]].ndim != 1) {
    const char *flat = ex_str(x, "%s_flat", out);
    ex_attr_int(x, ex_node(x, "Flatten", flat, 1, in), "axis", 1);
    in = flat;
  }
  const char *w = ex_tensor(x, "W", &n->weight);
  Onnx__NodeProto *o = n->bias.data ? ex_node(x, "Gemm", out, 3, in, w, ex_tensor(x, "B", &n->bias))
                                    : ex_node(x, "Gemm", out, 2, in, w);
  ex_attr_int(x, o, "transB", 1);
}

static void ex_pool(ex_ctx *x, const char *out, const char *op) {
  const veil_node *n = x->cur;
  Onnx__NodeProto *o = ex_node(x, op, out, 1, ex_in(x, 0));
  ex_window(x, o, n->attrs.pool.kernel, n->attrs.pool.stride, n->attrs.pool.pad);
  if (op[0] == 'A')
    ex_attr_int(x, o, "count_include_pad", n->attrs.pool.count_include_pad);
}

static veil_status ex_op(ex_ctx *x, const char *out) {
  const veil_node *n = x->cur;
  switch (n->op) {
  case VEIL_OP_INPUT: return veil_fail(VEIL_ERR_INVALID_ARG, "onnx export: node %d is a second INPUT", x->cur_index);
  case VEIL_OP_CONV2D: ex_conv(x, out); break;
  case VEIL_OP_DENSE: ex_dense(x, out); break;
  case VEIL_OP_BATCHNORM:
    ex_attr_float(x, ex_node(x, "BatchNormalization", out, 5, ex_in(x, 0), ex_tensor(x, "scale", &n->weight),
                             ex_tensor(x, "B", &n->bias), ex_tensor(x, "mean", &n->mean), ex_tensor(x, "var", &n->var)),
                  "epsilon", n->attrs.bn.eps);
    break;
  case VEIL_OP_AFFINE: ex_affine(x, out); break;
  case VEIL_OP_ADD: ex_node(x, "Add", out, 2, ex_in(x, 0), ex_in(x, 1)); break;
  case VEIL_OP_MUL: ex_node(x, "Mul", out, 2, ex_in(x, 0), ex_in(x, 1)); break;
  case VEIL_OP_RELU: ex_node(x, "Relu", out, 1, ex_in(x, 0)); break;
  case VEIL_OP_CLIP:
    ex_node(x, "Clip", out, 3, ex_in(x, 0), ex_scalar(x, "min", fmax(n->attrs.clip.lo, -3.4e38)),
            ex_scalar(x, "max", fmin(n->attrs.clip.hi, 3.4e38)));
    break;
  case VEIL_OP_SQUARE: ex_node(x, "Mul", out, 2, ex_in(x, 0), ex_in(x, 0)); break;
  case VEIL_OP_POLY: ex_poly(x, out); break;
  case VEIL_OP_AVGPOOL: ex_pool(x, out, "AveragePool"); break;
  case VEIL_OP_MAXPOOL: ex_pool(x, out, "MaxPool"); break;
  case VEIL_OP_GLOBALAVGPOOL:
    if (n->attrs.gap.keep_dims) {
      ex_node(x, "GlobalAveragePool", out, 1, ex_in(x, 0));
    } else {
      const char *mid = ex_str(x, "%s_gap", out);
      ex_node(x, "GlobalAveragePool", mid, 1, ex_in(x, 0));
      ex_attr_int(x, ex_node(x, "Flatten", out, 1, mid), "axis", 1);
    }
    break;
  case VEIL_OP_FLATTEN: ex_attr_int(x, ex_node(x, "Flatten", out, 1, ex_in(x, 0)), "axis", 1); break;
  case VEIL_OP_RESHAPE: ex_reshape(x, out); break;
  case VEIL_OP_PAD: ex_pad(x, out); break;
  case VEIL_OP_SLICE: ex_slice(x, out); break;
  case VEIL_OP_CONCAT: {
    Onnx__NodeProto *o = ex_node(x, "Concat", out, 1, ex_in(x, 0));
    char **in = ex_alloc(x, sizeof *in * (size_t)n->ninputs);
    if (!o || !in)
      break;
    for (int i = 0; i < n->ninputs; i++)
      in[i] = x->val[n->inputs[i]];
    o->n_input = (size_t)n->ninputs;
    o->input = in;
    ex_attr_int(x, o, "axis", 1);
    break;
  }
  case VEIL_OP_SOFTMAX: ex_attr_int(x, ex_node(x, "Softmax", out, 1, ex_in(x, 0)), "axis", 1); break;
  case VEIL_OP_IDENTITY: ex_node(x, "Identity", out, 1, ex_in(x, 0)); break;
  default: return veil_fail(VEIL_ERR_INVALID_ARG, "onnx export: node %d has unknown op %d", x->cur_index, (int)n->op);
  }
  return VEIL_OK;
}

/* ---- graph ---- */

static Onnx__ValueInfoProto *ex_value_info(ex_ctx *x, const char *name, const veil_node *n) {
  Onnx__ValueInfoProto *v = ex_alloc(x, sizeof *v);
  Onnx__TypeProto *tp = ex_alloc(x, sizeof *tp);
  Onnx__TypeProto__Tensor *tt = ex_alloc(x, sizeof *tt);
  Onnx__TensorShapeProto *sh = ex_alloc(x, sizeof *sh);
  Onnx__TensorShapeProto__Dimension **dims = ex_alloc(x, sizeof *dims * (size_t)(n->ndim + 1));
  if (!v || !tp || !tt || !sh || !dims)
    return NULL;
  for (int i = 0; i <= n->ndim; i++) {
    Onnx__TensorShapeProto__Dimension *d = ex_alloc(x, sizeof *d);
    if (!d)
      return NULL;
    onnx__tensor_shape_proto__dimension__init(d);
    if (i == 0) {
      d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
      d->dim_param = (char *)"N";
    } else {
      d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
      d->dim_value = n->shape[i - 1];
    }
    dims[i] = d;
  }
  onnx__value_info_proto__init(v);
  onnx__type_proto__init(tp);
  onnx__type_proto__tensor__init(tt);
  onnx__tensor_shape_proto__init(sh);
  sh->n_dim = (size_t)n->ndim + 1;
  sh->dim = dims;
  tt->has_elem_type = true;
  tt->elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
  tt->shape = sh;
  tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
  tp->tensor_type = tt;
  v->name = (char *)name;
  v->type = tp;
  return v;
}

static veil_status ex_check(const veil_graph *g) {
  if (!g || g->nnodes < 1 || g->nodes[0].op != VEIL_OP_INPUT || g->output < 0 || g->output >= g->nnodes)
    return veil_fail(VEIL_ERR_INVALID_ARG, "onnx export: graph needs an INPUT at node 0 and a valid output");
  for (int i = 0; i < g->nnodes; i++) {
    const veil_node *n = &g->nodes[i];
    if (n->ndim < 1 || n->ndim > 4)
      return veil_fail(VEIL_ERR_INVALID_ARG, "onnx export: node %d '%s' has no shape (run veil_graph_infer_shapes)",
                       i, n->name);
    for (int k = 0; k < n->ninputs; k++)
      if (n->inputs[k] < 0 || n->inputs[k] >= i)
        return veil_fail(VEIL_ERR_INVALID_ARG, "onnx export: node %d '%s' has a bad input %d", i, n->name,
                         n->inputs[k]);
  }
  return VEIL_OK;
}

static veil_status ex_build(ex_ctx *x, Onnx__ModelProto *m, Onnx__GraphProto *gp) {
  const veil_graph *g = x->g;
  x->val = ex_alloc(x, sizeof *x->val * (size_t)g->nnodes);
  if (!x->val)
    return veil_fail(VEIL_ERR_NOMEM, "onnx export");
  x->val[0] = (char *)"input";
  for (int i = 1; i < g->nnodes; i++)
    x->val[i] = i == g->output ? (char *)"output" : ex_str(x, "t%d_%s", i, g->nodes[i].name);
  for (int i = 1; i < g->nnodes && !x->oom; i++) {
    x->cur = &g->nodes[i];
    x->cur_index = i;
    VEIL_TRY(ex_op(x, x->val[i]));
    if (x->bad)
      return veil_fail(VEIL_ERR_INVALID_ARG, "onnx export: node %d '%s' (%s) lacks a constant tensor", i,
                       x->cur->name, veil_op_name(x->cur->op));
  }
  if (g->output == 0)
    ex_node(x, "Identity", "output", 1, "input");
  Onnx__ValueInfoProto **in = ex_alloc(x, sizeof *in), **out = ex_alloc(x, sizeof *out);
  Onnx__OperatorSetIdProto *ops = ex_alloc(x, sizeof *ops), **opsp = ex_alloc(x, sizeof *opsp);
  if (x->oom || !in || !out || !ops || !opsp)
    return veil_fail(VEIL_ERR_NOMEM, "onnx export: out of memory");
  in[0] = ex_value_info(x, "input", &g->nodes[0]);
  out[0] = ex_value_info(x, "output", &g->nodes[g->output]);
  if (!in[0] || !out[0])
    return veil_fail(VEIL_ERR_NOMEM, "onnx export: out of memory");
  onnx__operator_set_id_proto__init(ops);
  ops->domain = (char *)"";
  ops->has_version = true;
  ops->version = EX_OPSET;
  opsp[0] = ops;
  gp->name = (char *)(g->name[0] ? g->name : "veil");
  gp->n_node = x->nnodes;
  gp->node = x->nodes;
  gp->n_initializer = x->ninits;
  gp->initializer = x->inits;
  gp->n_input = gp->n_output = 1;
  gp->input = in;
  gp->output = out;
  m->has_ir_version = true;
  m->ir_version = EX_IR_VERSION;
  m->n_opset_import = 1;
  m->opset_import = opsp;
  m->producer_name = (char *)"veil";
  m->graph = gp;
  return VEIL_OK;
}

veil_status veil_onnx_save_buffer(const veil_graph *g, uint8_t **data, size_t *len) {
  *data = NULL;
  *len = 0;
  VEIL_TRY(ex_check(g));
  ex_ctx x = {.g = g};
  Onnx__ModelProto m;
  Onnx__GraphProto gp;
  onnx__model_proto__init(&m);
  onnx__graph_proto__init(&gp);
  veil_status st = ex_build(&x, &m, &gp);
  if (st == VEIL_OK) {
    *len = onnx__model_proto__get_packed_size(&m);
    *data = veil_malloc(*len);
    if (*data)
      onnx__model_proto__pack(&m, *data);
    else
      st = veil_fail(VEIL_ERR_NOMEM, "onnx export: %zu bytes", *len);
  }
  for (size_t i = 0; i < x.nptrs; i++)
    free(x.ptrs[i]);
  free(x.ptrs);
  free(x.nodes);
  free(x.inits);
  if (st != VEIL_OK)
    *len = 0;
  return st;
}

veil_status veil_onnx_save(const veil_graph *g, const char *path) {
  uint8_t *buf;
  size_t len;
  VEIL_TRY(veil_onnx_save_buffer(g, &buf, &len));
  veil_status st = veil_file_write_atomic(path, buf, len, 0644);
  veil_free(buf);
  return st;
}
