/**
 * @file nn.h
 * @brief Tensors and the model graph IR (layer nn in ../shared/DESIGN.md). Nothing here knows ONNX
 *        or any HE scheme: importers build a ::veil_graph, passes rewrite it, executors run it.
 *
 * Conventions: tensors are NCHW, float32 storage; reference math is float64. A graph is a list of
 * nodes in topological order; node 0..n-1, each with the indices of its input nodes. The graph's
 * batch dimension is left symbolic: shapes stored in nodes are per-image (C,H,W or F), without N.
 */
#ifndef VEIL_NN_H
#define VEIL_NN_H

#include "veil/util.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VEIL_TENSOR_MAX_DIMS 6

/** A dense float32 tensor, row-major (C order). Owns @c data. */
typedef struct veil_tensor {
  int ndim;
  int64_t shape[VEIL_TENSOR_MAX_DIMS];
  float *data;
} veil_tensor;

/** Allocates a zero-filled tensor of the given shape. */
VEIL_WUR veil_status veil_tensor_init(veil_tensor *t, int ndim, const int64_t *shape);
/** Frees the data; NULL or an empty tensor is a no-op. */
void veil_tensor_free(veil_tensor *t);
/** Number of elements (1 for ndim 0). */
int64_t veil_tensor_numel(const veil_tensor *t);
/** Deep copy. */
VEIL_WUR veil_status veil_tensor_clone(veil_tensor *dst, const veil_tensor *src);

/** Node operations. Element-wise ops by constants are VEIL_OP_AFFINE; two-tensor ops take 2 inputs. */
typedef enum veil_op {
  VEIL_OP_INPUT,          /**< the graph input (one per graph) */
  VEIL_OP_CONV2D,         /**< weight [Cout][Cin/groups][kh][kw], optional bias [Cout] */
  VEIL_OP_DENSE,          /**< weight [out][in] on the flattened input, optional bias [out] */
  VEIL_OP_BATCHNORM,      /**< per-channel: (x - mean) / sqrt(var + eps) * gamma + beta */
  VEIL_OP_AFFINE,         /**< x * scale + shift, constants broadcast per channel or scalar */
  VEIL_OP_ADD,            /**< x + y, same shape (residual) */
  VEIL_OP_MUL,            /**< x * y element-wise, same shape */
  VEIL_OP_RELU,
  VEIL_OP_CLIP,           /**< clamp to [lo, hi] (ReLU6 is CLIP 0..6) */
  VEIL_OP_SQUARE,
  VEIL_OP_POLY,           /**< sum_i coeffs[i] x^i (power basis) */
  VEIL_OP_AVGPOOL,
  VEIL_OP_GLOBALAVGPOOL,  /**< mean over H, W: output (C) or (C,1,1) per keep_dims */
  VEIL_OP_MAXPOOL,
  VEIL_OP_FLATTEN,        /**< to (C*H*W) */
  VEIL_OP_RESHAPE,        /**< to attrs.reshape.shape (per image) */
  VEIL_OP_PAD,            /**< constant padding of C, H, W */
  VEIL_OP_SLICE,          /**< strided slice of C, H, W */
  VEIL_OP_CONCAT,         /**< along the channel axis, n inputs */
  VEIL_OP_SOFTMAX,        /**< last layer only */
  VEIL_OP_IDENTITY,       /**< Identity / Dropout at inference */
  VEIL_OP_COUNT
} veil_op;

/** @return the op's name ("conv2d", "dense", ...). */
const char *veil_op_name(veil_op op);

#define VEIL_NODE_MAX_INPUTS 8

typedef struct veil_node {
  char name[64];
  veil_op op;
  int ninputs;
  int inputs[VEIL_NODE_MAX_INPUTS]; /**< indices of earlier nodes */
  int ndim;                         /**< output shape per image (no batch dim), set by shape inference */
  int64_t shape[4];
  veil_tensor weight;               /**< CONV2D, DENSE; AFFINE scale; BATCHNORM gamma */
  veil_tensor bias;                 /**< CONV2D, DENSE (may be empty); AFFINE shift; BATCHNORM beta */
  veil_tensor mean, var;            /**< BATCHNORM */
  union {
    struct { int stride[2], pad[4] /* top, left, bottom, right */, dilation[2], groups; } conv;
    struct { double eps; } bn;
    struct { double lo, hi; } clip;
    struct { int degree; double coeffs[64]; } poly;
    struct { int kernel[2], stride[2], pad[4]; int count_include_pad; } pool;
    struct { int keep_dims; } gap;
    struct { int ndim; int64_t shape[4]; } reshape;
    struct { int64_t before[3], after[3]; double value; } pad;  /**< C, H, W */
    struct { int64_t start[3], end[3], step[3]; } slice;        /**< C, H, W; end exclusive */
  } attrs;
} veil_node;

/** A model graph. Nodes are in topological order; @c output is the result node. */
typedef struct veil_graph {
  int nnodes, cap;
  veil_node *nodes;
  int output;
  char name[64];
} veil_graph;

void veil_graph_init(veil_graph *g);
void veil_graph_free(veil_graph *g);
/**
 * Appends a node (its tensors are moved into the graph: the caller's copies are emptied) and returns
 * its index in @p index. Does not infer shapes; call veil_graph_infer_shapes() afterwards.
 */
VEIL_WUR veil_status veil_graph_add(veil_graph *g, veil_node *node, int *index);
/** Sets every node's output shape from the input's; errors name the node. */
VEIL_WUR veil_status veil_graph_infer_shapes(veil_graph *g);

#ifdef __cplusplus
}
#endif
#endif
