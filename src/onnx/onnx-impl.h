/* Internal interfaces of the ONNX importer (import.c: context, values, attributes; const.c: constant
 * tensors and the folding of shape subgraphs; ops.c: ops mapped onto veil nodes). */
#ifndef VEIL_ONNX_IMPL_H
#define VEIL_ONNX_IMPL_H

#include "onnx.pb-c.h"
#include "veil/onnx.h"

#define VEIL__OX_MAX_RANK 8
#define VEIL__OX_MAX_NUMEL ((int64_t)1 << 28)
#define VEIL__OX_OPSET_MIN 9
#define VEIL__OX_OPSET_MAX 17

/** A constant tensor known at import time (initializer, Constant, or folded). Values as double;
 *  integer tensors (shapes, indices) keep exact values up to 2^53 and saturate beyond. */
typedef struct veil__ox_const {
  int rank;
  int64_t dims[VEIL__OX_MAX_RANK];
  int64_t numel;
  bool isint;
  double *v;
} veil__ox_const;

/** A named ONNX value: a constant, or the output of a veil node (ONNX rank = 1 + node ndim). */
typedef struct veil__ox_value {
  const char *name; /* borrowed from the model proto */
  bool is_const;
  veil__ox_const c;
  int node;
} veil__ox_value;

typedef struct veil__ox_ctx {
  const Onnx__GraphProto *graph;
  int64_t opset;
  int64_t batch; /* the input's batch size if static, else 1 (used to fold Shape) */
  veil_graph *g;
  veil__ox_value *vals;
  int nvals, capvals;
  const Onnx__NodeProto *cur;
} veil__ox_ctx;

/* ---- import.c ---- */
veil_status veil__ox_err(veil__ox_ctx *c, veil_status st, const char *fmt, ...) VEIL_PRINTF(3, 4);
const veil__ox_value *veil__ox_find(const veil__ox_ctx *c, const char *name);
int veil__ox_uses(const veil__ox_ctx *c, const char *name);
bool veil__ox_is_graph_output(const veil__ox_ctx *c, const char *name);
bool veil__ox_has_input(const Onnx__NodeProto *n, size_t i);
VEIL_WUR veil_status veil__ox_in(veil__ox_ctx *c, size_t i, const veil__ox_value **v);
VEIL_WUR veil_status veil__ox_in_const(veil__ox_ctx *c, size_t i, const veil__ox_const **k);
VEIL_WUR veil_status veil__ox_in_node(veil__ox_ctx *c, size_t i, int *node);
VEIL_WUR veil_status veil__ox_set_const(veil__ox_ctx *c, size_t out, veil__ox_const *k);
VEIL_WUR veil_status veil__ox_set_node(veil__ox_ctx *c, size_t out, int node);
/* Adds a node named after the current ONNX node, infers shapes, sets output 0 to it. */
VEIL_WUR veil_status veil__ox_emit(veil__ox_ctx *c, veil_node *node, int *index);
const Onnx__AttributeProto *veil__ox_attr(const Onnx__NodeProto *n, const char *name);
VEIL_WUR veil_status veil__ox_attr_int(veil__ox_ctx *c, const char *name, int64_t def, int64_t *out);
VEIL_WUR veil_status veil__ox_attr_float(veil__ox_ctx *c, const char *name, double def, double *out);
VEIL_WUR veil_status veil__ox_attr_str(veil__ox_ctx *c, const char *name, const char *def, char *out,
                                       size_t cap);
/* Reads an INTS attribute of exactly @p want entries (or up to @p want if want < 0: -max), or @p def. */
VEIL_WUR veil_status veil__ox_attr_ints(veil__ox_ctx *c, const char *name, int want, const int64_t *def,
                                        int64_t *out, int *count);

/* ---- const.c ---- */
VEIL_WUR veil_status veil__ox_const_alloc(veil__ox_const *k, int rank, const int64_t *dims, bool isint);
void veil__ox_const_free(veil__ox_const *k);
VEIL_WUR veil_status veil__ox_const_from_proto(const Onnx__TensorProto *t, veil__ox_const *k,
                                               const char *what);
int64_t veil__ox_const_int(const veil__ox_const *k, int64_t i);
/* Folds the current node when all its inputs are constants; *done tells whether it did. */
VEIL_WUR veil_status veil__ox_fold(veil__ox_ctx *c, bool *done);
VEIL_WUR veil_status veil__ox_op_constant(veil__ox_ctx *c);
VEIL_WUR veil_status veil__ox_op_shape(veil__ox_ctx *c);

/* ---- ops.c ---- */
/* Reads Slice's starts/ends/axes/steps (attributes in opset 9, inputs after) for a tensor of @p rank
 * with @p dims: per axis, start, end (unclamped) and step (default 0, INT64_MAX, 1). */
VEIL_WUR veil_status veil__ox_slice_params(veil__ox_ctx *c, int rank, const int64_t *dims, int64_t *start,
                                           int64_t *end, int64_t *step);
typedef veil_status (*veil__ox_handler)(veil__ox_ctx *c);
/* @return the handler of @p op_type mapping onto veil nodes, or NULL. */
veil__ox_handler veil__ox_handler_find(const char *op_type);

#endif
