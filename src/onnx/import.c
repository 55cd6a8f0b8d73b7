/* ONNX import: model checks, value table, attribute access, graph input/output, node dispatch. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "onnx/onnx-impl.h"

static const char *ox_node_name(const Onnx__NodeProto *n) {
  if (n->name && n->name[0])
    return n->name;
  return n->n_output > 0 && n->output[0] ? n->output[0] : "?";
}

veil_status veil__ox_err(veil__ox_ctx *c, veil_status st, const char *fmt, ...) {
  char msg[384];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (!c->cur)
    return veil_fail(st, "onnx: %s", msg);
  return veil_fail(st, "node '%s' (%s): %s", ox_node_name(c->cur), c->cur->op_type, msg);
}

const veil__ox_value *veil__ox_find(const veil__ox_ctx *c, const char *name) {
  for (int i = c->nvals - 1; i >= 0; i--)
    if (strcmp(c->vals[i].name, name) == 0)
      return &c->vals[i];
  return NULL;
}

int veil__ox_uses(const veil__ox_ctx *c, const char *name) {
  int uses = veil__ox_is_graph_output(c, name);
  for (size_t i = 0; i < c->graph->n_node; i++)
    for (size_t j = 0; j < c->graph->node[i]->n_input; j++)
      uses += strcmp(c->graph->node[i]->input[j], name) == 0;
  return uses;
}

bool veil__ox_is_graph_output(const veil__ox_ctx *c, const char *name) {
  for (size_t i = 0; i < c->graph->n_output; i++)
    if (c->graph->output[i]->name && strcmp(c->graph->output[i]->name, name) == 0)
      return true;
  return false;
}

bool veil__ox_has_input(const Onnx__NodeProto *n, size_t i) {
  return i < n->n_input && n->input[i][0] != 0;
}

veil_status veil__ox_in(veil__ox_ctx *c, size_t i, const veil__ox_value **v) {
  if (!veil__ox_has_input(c->cur, i))
    return veil__ox_err(c, VEIL_ERR_FORMAT, "required input %zu is missing", i);
  *v = veil__ox_find(c, c->cur->input[i]);
  if (!*v)
    return veil__ox_err(c, VEIL_ERR_FORMAT, "input %zu '%s' is not defined (no initializer or earlier node)",
                        i, c->cur->input[i]);
  return VEIL_OK;
}

veil_status veil__ox_in_const(veil__ox_ctx *c, size_t i, const veil__ox_const **k) {
  const veil__ox_value *v;
  VEIL_TRY(veil__ox_in(c, i, &v));
  if (!v->is_const)
    return veil__ox_err(c, VEIL_ERR_UNSUPPORTED, "input %zu '%s' must be a constant (initializer)", i,
                        c->cur->input[i]);
  *k = &v->c;
  return VEIL_OK;
}

veil_status veil__ox_in_node(veil__ox_ctx *c, size_t i, int *node) {
  const veil__ox_value *v;
  VEIL_TRY(veil__ox_in(c, i, &v));
  if (v->is_const)
    return veil__ox_err(c, VEIL_ERR_UNSUPPORTED,
                        "input %zu '%s' is a constant; veil needs it computed from the graph input", i,
                        c->cur->input[i]);
  *node = v->node;
  return VEIL_OK;
}

static veil_status ox_push(veil__ox_ctx *c, const char *name, veil__ox_value *v) {
  if (c->nvals == c->capvals) {
    int cap = c->capvals ? 2 * c->capvals : 64;
    veil__ox_value *nv = realloc(c->vals, (size_t)cap * sizeof *nv);
    if (!nv)
      return veil_fail(VEIL_ERR_NOMEM, "onnx: value table of %d entries", cap);
    c->vals = nv;
    c->capvals = cap;
  }
  v->name = name;
  c->vals[c->nvals++] = *v;
  return VEIL_OK;
}

static veil_status ox_check_out(veil__ox_ctx *c, size_t out) {
  if (out >= c->cur->n_output || !c->cur->output[out][0])
    return veil__ox_err(c, VEIL_ERR_FORMAT, "output %zu is missing", out);
  if (veil__ox_find(c, c->cur->output[out]))
    return veil__ox_err(c, VEIL_ERR_FORMAT, "output '%s' is defined twice", c->cur->output[out]);
  return VEIL_OK;
}

veil_status veil__ox_set_const(veil__ox_ctx *c, size_t out, veil__ox_const *k) {
  veil_status st = ox_check_out(c, out);
  veil__ox_value v = {.is_const = true, .c = *k, .node = -1};
  if (st == VEIL_OK)
    st = ox_push(c, c->cur->output[out], &v);
  if (st != VEIL_OK)
    veil__ox_const_free(k);
  *k = (veil__ox_const){0};
  return st;
}

veil_status veil__ox_set_node(veil__ox_ctx *c, size_t out, int node) {
  VEIL_TRY(ox_check_out(c, out));
  veil__ox_value v = {.is_const = false, .node = node};
  return ox_push(c, c->cur->output[out], &v);
}

static void ox_node_free(veil_node *n) {
  veil_tensor_free(&n->weight);
  veil_tensor_free(&n->bias);
  veil_tensor_free(&n->mean);
  veil_tensor_free(&n->var);
}

veil_status veil__ox_emit(veil__ox_ctx *c, veil_node *node, int *index) {
  snprintf(node->name, sizeof node->name, "%s", ox_node_name(c->cur));
  int idx;
  veil_status st = veil_graph_add(c->g, node, &idx);
  if (st != VEIL_OK) {
    ox_node_free(node);
    return veil__ox_err(c, st, "%s", veil_error_detail());
  }
  c->g->output = idx;
  st = veil_graph_infer_node(c->g, idx);
  if (st != VEIL_OK) {
    char d[256];
    snprintf(d, sizeof d, "%s", veil_error_detail());
    return veil__ox_err(c, st, "%s", d);
  }
  if (index)
    *index = idx;
  return veil__ox_set_node(c, 0, idx);
}

/* ---- attributes ---- */

const Onnx__AttributeProto *veil__ox_attr(const Onnx__NodeProto *n, const char *name) {
  for (size_t i = 0; i < n->n_attribute; i++)
    if (n->attribute[i]->name && strcmp(n->attribute[i]->name, name) == 0)
      return n->attribute[i];
  return NULL;
}

static veil_status ox_attr_typed(veil__ox_ctx *c, const char *name, int type,
                                 const Onnx__AttributeProto **a) {
  *a = veil__ox_attr(c->cur, name);
  if (*a && (*a)->has_type && (int)(*a)->type != type)
    return veil__ox_err(c, VEIL_ERR_FORMAT, "attribute %s has type %d, expected %d", name, (int)(*a)->type,
                        type);
  return VEIL_OK;
}

veil_status veil__ox_attr_int(veil__ox_ctx *c, const char *name, int64_t def, int64_t *out) {
  const Onnx__AttributeProto *a;
  VEIL_TRY(ox_attr_typed(c, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT, &a));
  *out = a ? a->i : def;
  return VEIL_OK;
}

veil_status veil__ox_attr_float(veil__ox_ctx *c, const char *name, double def, double *out) {
  const Onnx__AttributeProto *a;
  VEIL_TRY(ox_attr_typed(c, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT, &a));
  *out = a ? a->f : def;
  return VEIL_OK;
}

veil_status veil__ox_attr_str(veil__ox_ctx *c, const char *name, const char *def, char *out, size_t cap) {
  const Onnx__AttributeProto *a;
  VEIL_TRY(ox_attr_typed(c, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING, &a));
  if (!a) {
    snprintf(out, cap, "%s", def);
    return VEIL_OK;
  }
  size_t n = a->s.len < cap - 1 ? a->s.len : cap - 1;
  if (n)
    memcpy(out, a->s.data, n);
  out[n] = 0;
  return VEIL_OK;
}

veil_status veil__ox_attr_ints(veil__ox_ctx *c, const char *name, int want, const int64_t *def,
                               int64_t *out, int *count) {
  const Onnx__AttributeProto *a;
  VEIL_TRY(ox_attr_typed(c, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS, &a));
  int max = want < 0 ? -want : want;
  if (!a) {
    if (def)
      for (int i = 0; i < max; i++)
        out[i] = def[i];
    if (count)
      *count = def ? max : 0;
    return VEIL_OK;
  }
  if ((want >= 0 && a->n_ints != (size_t)want) || a->n_ints > (size_t)max)
    return veil__ox_err(c, VEIL_ERR_UNSUPPORTED, "attribute %s has %zu values, expected %s%d", name,
                        a->n_ints, want < 0 ? "at most " : "", max);
  memcpy(out, a->ints, a->n_ints * sizeof *out);
  if (count)
    *count = (int)a->n_ints;
  return VEIL_OK;
}

/* ---- model, graph input and output ---- */

static veil_status ox_opset(veil__ox_ctx *c, const Onnx__ModelProto *m) {
  c->opset = -1;
  for (size_t i = 0; i < m->n_opset_import; i++) {
    const char *d = m->opset_import[i]->domain;
    if (!d || !d[0] || strcmp(d, "ai.onnx") == 0)
      c->opset = m->opset_import[i]->version;
  }
  if (c->opset < 0)
    return veil_fail(VEIL_ERR_FORMAT, "onnx: model imports no opset of the default domain");
  if (c->opset < VEIL__OX_OPSET_MIN || c->opset > VEIL__OX_OPSET_MAX)
    return veil_fail(VEIL_ERR_UNSUPPORTED, "onnx: opset %lld is not supported (%d to %d)",
                     (long long)c->opset, VEIL__OX_OPSET_MIN, VEIL__OX_OPSET_MAX);
  return VEIL_OK;
}

static veil_status ox_initializers(veil__ox_ctx *c) {
  for (size_t i = 0; i < c->graph->n_initializer; i++) {
    const Onnx__TensorProto *t = c->graph->initializer[i];
    if (!t->name || !t->name[0])
      return veil_fail(VEIL_ERR_FORMAT, "onnx: initializer %zu has no name", i);
    veil__ox_value v = {.is_const = true, .node = -1};
    VEIL_TRY(veil__ox_const_from_proto(t, &v.c, t->name));
    veil_status st = ox_push(c, t->name, &v);
    if (st != VEIL_OK) {
      veil__ox_const_free(&v.c);
      return st;
    }
  }
  if (c->graph->n_sparse_initializer)
    return veil_fail(VEIL_ERR_UNSUPPORTED, "onnx: sparse initializers are not supported");
  return VEIL_OK;
}

static veil_status ox_input_shape(veil__ox_ctx *c, const Onnx__ValueInfoProto *in, veil_node *node) {
  const Onnx__TypeProto *tp = in->type;
  if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type)
    return veil_fail(VEIL_ERR_UNSUPPORTED, "onnx: graph input '%s' is not a tensor", in->name);
  if (tp->tensor_type->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
    return veil_fail(VEIL_ERR_UNSUPPORTED, "onnx: graph input '%s' has element type %d (only float)",
                     in->name, (int)tp->tensor_type->elem_type);
  const Onnx__TensorShapeProto *sh = tp->tensor_type->shape;
  if (!sh || sh->n_dim < 2 || sh->n_dim > 5)
    return veil_fail(VEIL_ERR_UNSUPPORTED, "onnx: graph input '%s' needs a static shape [N, ...] of rank 2 to 5",
                     in->name);
  c->batch = 1;
  if (sh->dim[0]->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE && sh->dim[0]->dim_value > 0)
    c->batch = sh->dim[0]->dim_value;
  node->ndim = (int)sh->n_dim - 1;
  for (size_t i = 1; i < sh->n_dim; i++) {
    const Onnx__TensorShapeProto__Dimension *d = sh->dim[i];
    if (d->value_case != ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE || d->dim_value <= 0 ||
        d->dim_value > (1 << 24))
      return veil_fail(VEIL_ERR_UNSUPPORTED, "onnx: graph input '%s': dimension %zu is not a static size",
                       in->name, i);
    node->shape[i - 1] = d->dim_value;
  }
  return VEIL_OK;
}

static bool ox_is_initializer(const veil__ox_ctx *c, const char *name) {
  for (size_t i = 0; i < c->graph->n_initializer; i++)
    if (strcmp(c->graph->initializer[i]->name, name) == 0)
      return true;
  return false;
}

static veil_status ox_graph_input(veil__ox_ctx *c) {
  const Onnx__ValueInfoProto *in = NULL;
  for (size_t i = 0; i < c->graph->n_input; i++) {
    const Onnx__ValueInfoProto *v = c->graph->input[i];
    if (!v->name || ox_is_initializer(c, v->name))
      continue;
    if (in)
      return veil_fail(VEIL_ERR_UNSUPPORTED, "onnx: graph has more than one input ('%s', '%s')", in->name,
                       v->name);
    in = v;
  }
  if (!in)
    return veil_fail(VEIL_ERR_FORMAT, "onnx: graph has no input");
  veil_node node = {.op = VEIL_OP_INPUT};
  VEIL_TRY(ox_input_shape(c, in, &node));
  snprintf(node.name, sizeof node.name, "%s", in->name);
  int idx;
  VEIL_TRY(veil_graph_add(c->g, &node, &idx));
  VEIL_TRY(veil_graph_infer_node(c->g, idx));
  veil__ox_value v = {.is_const = false, .node = idx};
  return ox_push(c, in->name, &v);
}

static veil_status ox_graph_output(veil__ox_ctx *c) {
  if (c->graph->n_output != 1)
    return veil_fail(VEIL_ERR_UNSUPPORTED, "onnx: graph has %zu outputs (veil supports exactly one)",
                     c->graph->n_output);
  const char *name = c->graph->output[0]->name;
  const veil__ox_value *v = name ? veil__ox_find(c, name) : NULL;
  if (!v)
    return veil_fail(VEIL_ERR_FORMAT, "onnx: graph output '%s' is not produced by any node", name ? name : "");
  if (v->is_const)
    return veil_fail(VEIL_ERR_UNSUPPORTED, "onnx: graph output '%s' is a constant", name);
  c->g->output = v->node;
  return veil_graph_infer_shapes(c->g);
}

static veil_status ox_node(veil__ox_ctx *c, const Onnx__NodeProto *n) {
  c->cur = n;
  if (!n->op_type)
    return veil__ox_err(c, VEIL_ERR_FORMAT, "node has no op type");
  if (n->domain && n->domain[0] && strcmp(n->domain, "ai.onnx") != 0)
    return veil__ox_err(c, VEIL_ERR_UNSUPPORTED, "domain '%s' is not supported", n->domain);
  for (size_t i = 0; i < n->n_output; i++)
    if (!n->output[i])
      return veil__ox_err(c, VEIL_ERR_FORMAT, "output %zu has no name", i);
  if (strcmp(n->op_type, "Constant") == 0)
    return veil__ox_op_constant(c);
  if (strcmp(n->op_type, "Shape") == 0)
    return veil__ox_op_shape(c);
  bool done = false;
  VEIL_TRY(veil__ox_fold(c, &done));
  if (done)
    return VEIL_OK;
  veil__ox_handler h = veil__ox_handler_find(n->op_type);
  if (!h)
    return veil__ox_err(c, VEIL_ERR_UNSUPPORTED, "op type %s is not supported", n->op_type);
  return h(c);
}

static veil_status ox_import(veil__ox_ctx *c, const Onnx__ModelProto *m) {
  VEIL_TRY(ox_opset(c, m));
  if (!m->graph)
    return veil_fail(VEIL_ERR_FORMAT, "onnx: model has no graph");
  c->graph = m->graph;
  for (size_t i = 0; i < c->graph->n_node; i++)
    for (size_t j = 0; j < c->graph->node[i]->n_input; j++)
      if (!c->graph->node[i]->input[j])
        return veil_fail(VEIL_ERR_FORMAT, "onnx: node %zu has an unnamed input", i);
  VEIL_TRY(ox_initializers(c));
  VEIL_TRY(ox_graph_input(c));
  for (size_t i = 0; i < c->graph->n_node; i++)
    VEIL_TRY(ox_node(c, c->graph->node[i]));
  c->cur = NULL;
  return ox_graph_output(c);
}

veil_status veil_onnx_load_buffer(const uint8_t *data, size_t len, veil_graph *g) {
  veil_graph_init(g);
  Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, len, data);
  if (!m)
    return veil_fail(VEIL_ERR_FORMAT, "onnx: malformed protobuf (not an ONNX ModelProto)");
  veil__ox_ctx c = {.g = g, .batch = 1};
  veil_status st = ox_import(&c, m);
  for (int i = 0; i < c.nvals; i++)
    if (c.vals[i].is_const)
      veil__ox_const_free(&c.vals[i].c);
  free(c.vals);
  onnx__model_proto__free_unpacked(m, NULL);
  if (st != VEIL_OK) {
    veil_graph_free(g);
    veil_graph_init(g);
  }
  return st;
}

veil_status veil_onnx_load(const char *path, veil_graph *g) {
  veil_graph_init(g);
  uint8_t *buf = NULL;
  size_t len = 0;
  VEIL_TRY(veil_file_read(path, VEIL_ONNX_MAX_BYTES, &buf, &len));
  veil_status st = veil_onnx_load_buffer(buf, len, g);
  veil_free(buf);
  return st;
}
