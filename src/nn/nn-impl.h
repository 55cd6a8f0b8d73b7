/** @file nn-impl.h @brief Internals shared by the nn layer's sources. */
#ifndef VEIL_NN_IMPL_H
#define VEIL_NN_IMPL_H

#include "veil/nn.h"

/** Fails with VEIL_ERR_FORMAT and a detail "node 'NAME' (OP): ...". */
veil_status veil__node_fail(const veil_node *n, const char *fmt, ...) VEIL_PRINTF(2, 3);
/** As veil__node_fail with another status code. */
veil_status veil__node_failv(veil_status st, const veil_node *n, const char *fmt, va_list ap);

/** Initializes @p t as a 1-D tensor of @p n floats copied from @p src (or zeros if src NULL). */
VEIL_WUR veil_status veil__tensor_from(veil_tensor *t, int64_t n, const float *src);
/** Initializes @p t with @p ndim dims copied from @p src (NULL: zeros). */
VEIL_WUR veil_status veil__tensor_make(veil_tensor *t, int ndim, const int64_t *shape, const float *src);
/** Number of elements of a tensor, 0 for an empty one (data == NULL). */
static inline int64_t veil__tensor_count(const veil_tensor *t) {
  return t->data ? veil_tensor_numel(t) : 0;
}

/** Number of channels of node @p i's output (dim 0) and the values per channel. */
int64_t veil__node_channels(const veil_graph *g, int i);

/** Per-image numel of a shape. */
int64_t veil__shape_numel(int ndim, const int64_t *shape);

/** Number of consumers of each node (the graph output counts as one); @p uses has g->nnodes entries. */
void veil__graph_uses(const veil_graph *g, int *uses);

/**
 * The value of a broadcast constant at element @p e (0 <= e < numel) of an image of @p numel values
 * with @p per_ch values per channel: empty -> @p dflt, 1 element -> scalar, numel elements ->
 * element-wise, else per channel.
 */
static inline double veil__bcast(const veil_tensor *t, double dflt, int64_t numel, int64_t per_ch, int64_t e) {
  if (!t->data) return dflt;
  int64_t n = veil_tensor_numel(t);
  if (n == 1) return t->data[0];
  return n == numel ? t->data[e] : t->data[e / per_ch];
}

#endif
