/** @file graph.c @brief Graph container: nodes, names, node removal with index remapping. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "nn/nn-impl.h"

static const char *const op_names[VEIL_OP_COUNT] = {
    [VEIL_OP_INPUT] = "input",         [VEIL_OP_CONV2D] = "conv2d",       [VEIL_OP_DENSE] = "dense",
    [VEIL_OP_BATCHNORM] = "batchnorm", [VEIL_OP_AFFINE] = "affine",       [VEIL_OP_ADD] = "add",
    [VEIL_OP_MUL] = "mul",             [VEIL_OP_RELU] = "relu",           [VEIL_OP_CLIP] = "clip",
    [VEIL_OP_SQUARE] = "square",       [VEIL_OP_POLY] = "poly",           [VEIL_OP_AVGPOOL] = "avgpool",
    [VEIL_OP_GLOBALAVGPOOL] = "globalavgpool", [VEIL_OP_MAXPOOL] = "maxpool",
    [VEIL_OP_FLATTEN] = "flatten",     [VEIL_OP_RESHAPE] = "reshape",     [VEIL_OP_PAD] = "pad",
    [VEIL_OP_SLICE] = "slice",         [VEIL_OP_CONCAT] = "concat",       [VEIL_OP_SOFTMAX] = "softmax",
    [VEIL_OP_IDENTITY] = "identity",
};

const char *veil_op_name(veil_op op) {
  return (unsigned)op < VEIL_OP_COUNT ? op_names[op] : "unknown";
}

veil_status veil__node_failv(veil_status st, const veil_node *n, const char *fmt, va_list ap) {
  char msg[400];
  vsnprintf(msg, sizeof msg, fmt, ap);
  return veil_fail(st, "node '%s' (%s): %s", n->name, veil_op_name(n->op), msg);
}

veil_status veil__node_fail(const veil_node *n, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  veil_status st = veil__node_failv(VEIL_ERR_FORMAT, n, fmt, ap);
  va_end(ap);
  return st;
}

void veil_graph_init(veil_graph *g) { memset(g, 0, sizeof *g); }

static void node_free(veil_node *n) {
  veil_tensor_free(&n->weight);
  veil_tensor_free(&n->bias);
  veil_tensor_free(&n->mean);
  veil_tensor_free(&n->var);
}

void veil_graph_free(veil_graph *g) {
  if (!g) return;
  for (int i = 0; i < g->nnodes; i++) node_free(&g->nodes[i]);
  veil_free(g->nodes);
  memset(g, 0, sizeof *g);
}

static veil_status graph_reserve(veil_graph *g, int need) {
  if (need <= g->cap) return VEIL_OK;
  if (need > (1 << 20)) return veil_fail(VEIL_ERR_LIMIT, "graph: more than 2^20 nodes");
  int cap = g->cap ? g->cap * 2 : 16;
  while (cap < need) cap *= 2;
  veil_node *nodes = veil_calloc((size_t)cap, sizeof *nodes);
  if (!nodes) return veil_fail(VEIL_ERR_NOMEM, "graph: %d nodes", cap);
  if (g->nnodes) memcpy(nodes, g->nodes, (size_t)g->nnodes * sizeof *nodes);
  veil_free(g->nodes);
  g->nodes = nodes;
  g->cap = cap;
  return VEIL_OK;
}

veil_status veil_graph_add(veil_graph *g, veil_node *node, int *index) {
  int i = g->nnodes;
  node->name[sizeof node->name - 1] = 0;
  if ((unsigned)node->op >= VEIL_OP_COUNT)
    return veil_fail(VEIL_ERR_INVALID_ARG, "node '%s': op %d out of range", node->name, (int)node->op);
  if (node->ninputs < 0 || node->ninputs > VEIL_NODE_MAX_INPUTS)
    return veil__node_fail(node, "%d inputs (0..%d allowed)", node->ninputs, VEIL_NODE_MAX_INPUTS);
  for (int k = 0; k < node->ninputs; k++)
    if (node->inputs[k] < 0 || node->inputs[k] >= i)
      return veil__node_fail(node, "input %d is node %d, not an earlier node (0..%d)", k, node->inputs[k], i - 1);
  VEIL_TRY(graph_reserve(g, i + 1));
  g->nodes[i] = *node;
  if (!g->nodes[i].name[0]) snprintf(g->nodes[i].name, sizeof node->name, "%s%d", veil_op_name(node->op), i);
  node->weight = node->bias = node->mean = node->var = (veil_tensor){0};
  g->nnodes = i + 1;
  g->output = i;
  if (index) *index = i;
  return VEIL_OK;
}

veil_status veil_graph_clone(veil_graph *dst, const veil_graph *src) {
  veil_graph_init(dst);
  VEIL_TRY(graph_reserve(dst, src->nnodes ? src->nnodes : 1));
  memcpy(dst->name, src->name, sizeof dst->name);
  for (int i = 0; i < src->nnodes; i++) {
    veil_node *d = &dst->nodes[i];
    const veil_node *s = &src->nodes[i];
    *d = *s;
    d->weight = d->bias = d->mean = d->var = (veil_tensor){0};
    dst->nnodes = i + 1;
    veil_status st = veil_tensor_clone(&d->weight, &s->weight);
    if (!st) st = veil_tensor_clone(&d->bias, &s->bias);
    if (!st) st = veil_tensor_clone(&d->mean, &s->mean);
    if (!st) st = veil_tensor_clone(&d->var, &s->var);
    if (st) {
      veil_graph_free(dst);
      return st;
    }
  }
  dst->output = src->output;
  return VEIL_OK;
}

int veil_graph_find(const veil_graph *g, const char *name) {
  for (int i = 0; i < g->nnodes; i++)
    if (strcmp(g->nodes[i].name, name) == 0) return i;
  return -1;
}

int64_t veil_graph_node_numel(const veil_graph *g, int i) {
  const veil_node *n = &g->nodes[i];
  return veil__shape_numel(n->ndim, n->shape);
}

int64_t veil__node_channels(const veil_graph *g, int i) {
  return g->nodes[i].ndim ? g->nodes[i].shape[0] : 1;
}

void veil__graph_uses(const veil_graph *g, int *uses) {
  memset(uses, 0, (size_t)g->nnodes * sizeof *uses);
  for (int i = 0; i < g->nnodes; i++)
    for (int k = 0; k < g->nodes[i].ninputs; k++) uses[g->nodes[i].inputs[k]]++;
  if (g->nnodes) uses[g->output]++;
}

/* Follows replacements of dead nodes to a live one. */
static int resolve(const bool *dead, const int *replace, int i) {
  while (dead[i]) i = replace[i];
  return i;
}

veil_status veil_graph_remove_nodes(veil_graph *g, const bool *dead, const int *replace) {
  if (g->nnodes && dead[0]) return veil_fail(VEIL_ERR_INVALID_ARG, "graph: the input node cannot be removed");
  for (int i = 0; i < g->nnodes; i++)
    if (dead[i] && (replace[i] < 0 || replace[i] >= i))
      return veil_fail(VEIL_ERR_INVALID_ARG, "graph: removed node %d ('%s') is replaced by %d, not an earlier node",
                       i, g->nodes[i].name, replace[i]);
  int *map = veil_calloc((size_t)g->nnodes + 1, sizeof *map);
  if (!map) return veil_fail(VEIL_ERR_NOMEM, "graph: remap table");
  int n = 0;
  for (int i = 0; i < g->nnodes; i++) {
    veil_node *nd = &g->nodes[i];
    if (dead[i]) {
      node_free(nd);
      continue;
    }
    for (int k = 0; k < nd->ninputs; k++) nd->inputs[k] = map[resolve(dead, replace, nd->inputs[k])];
    map[i] = n;
    if (n != i) g->nodes[n] = *nd;
    n++;
  }
  g->output = map[resolve(dead, replace, g->output)];
  g->nnodes = n;
  veil_free(map);
  return VEIL_OK;
}
