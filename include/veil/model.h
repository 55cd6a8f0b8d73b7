/**
 * @file model.h
 * @brief A Keras-like C API to build a ::veil_graph layer by layer (layer nn). Every call appends one
 *        node after the current node, copies the weights it is given, infers the new node's shape at
 *        once and returns a status; a failing call adds nothing, so the model stays usable.
 *
 * Weights are float arrays in the layouts of nn.h: conv [Cout][Cin/groups][kh][kw], dense [out][in]
 * (in = the flattened input size); biases may be NULL (no bias).
 *
 * Worked example, a CryptoNets-like MNIST network (input 1x28x28):
 * @code
 *   veil_model m;
 *   VEIL_TRY(veil_model_init(&m, "cryptonets", 1, 28, 28));
 *   VEIL_TRY(veil_model_pad(&m, 1, 1, 0));                   // 1x29x29 (1 row/column before, 0 after)
 *   VEIL_TRY(veil_model_conv2d(&m, 5, 5, 5, 2, 0, w1, b1));  // 5 maps 5x5 stride 2 -> 5x13x13
 *   VEIL_TRY(veil_model_square(&m));
 *   VEIL_TRY(veil_model_flatten(&m));                        // 845
 *   VEIL_TRY(veil_model_dense(&m, 100, w2, b2));             // w2 [100][845]
 *   VEIL_TRY(veil_model_square(&m));
 *   VEIL_TRY(veil_model_dense(&m, 10, w3, b3));              // w3 [10][100]
 *   veil_graph g;
 *   veil_model_take(&m, &g);  // m is now empty; g is the caller's (veil_graph_free)
 *   veil_model_free(&m);
 * @endcode
 * A residual block: remember a node with veil_model_last(), build the branch, then
 * veil_model_add(&m, veil_model_last(&m), saved). veil_model_select() moves the current node back to
 * an earlier one to start a second branch (a projection shortcut).
 */
#ifndef VEIL_MODEL_H
#define VEIL_MODEL_H

#include "veil/nn.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A model under construction: a graph plus the current node new layers attach to. */
typedef struct veil_model {
  veil_graph graph;
  int last; /**< current node (where the next layer attaches) */
} veil_model;

/** Full 2-D convolution options for veil_model_conv2d_ex(). */
typedef struct veil_conv2d_opts {
  int cout, kh, kw;
  int stride[2];    /**< >= 1 (0 is read as 1) */
  int pad[4];       /**< top, left, bottom, right, >= 0 */
  int dilation[2];  /**< >= 1 (0 is read as 1) */
  int groups;       /**< >= 1 (0 is read as 1); groups == Cin == cout is depthwise */
} veil_conv2d_opts;

/** Pooling options (AVGPOOL, MAXPOOL). */
typedef struct veil_pool_opts {
  int kernel[2], stride[2] /* 0 = kernel */, pad[4];
  int count_include_pad; /**< AVGPOOL: divide by the full kernel area even at padded borders */
} veil_pool_opts;

/**
 * Starts a model whose images are C x H x W (all >= 1); node 0 is the INPUT.
 * @return VEIL_OK; VEIL_ERR_INVALID_ARG (a size < 1 or NULL); VEIL_ERR_NOMEM.
 */
VEIL_WUR veil_status veil_model_init(veil_model *m, const char *name, int c, int h, int w);
/** Starts a model whose inputs are vectors of @p features values. */
VEIL_WUR veil_status veil_model_init_1d(veil_model *m, const char *name, int features);
/** Frees the model (and its graph unless taken); NULL is a no-op. */
void veil_model_free(veil_model *m);

/** Moves the graph (with shapes inferred, output = current node) into @p g; @p m is left empty. */
void veil_model_take(veil_model *m, veil_graph *g);
/** The graph built so far (its output is the current node). */
const veil_graph *veil_model_graph(const veil_model *m);
/** Index of the current node. */
int veil_model_last(const veil_model *m);
/** Makes earlier node @p node the current one. @return VEIL_ERR_INVALID_ARG if out of range. */
VEIL_WUR veil_status veil_model_select(veil_model *m, int node);
/** Renames the current node (names default to "<op><index>"). */
VEIL_WUR veil_status veil_model_name(veil_model *m, const char *name);

/** Square convolution, stride and symmetric padding; weight [cout][Cin][k][k], bias NULL or [cout]. */
VEIL_WUR veil_status veil_model_conv2d(veil_model *m, int cout, int kh, int kw, int stride, int pad,
                                       const float *weight, const float *bias);
/** Convolution with every option; weight [cout][Cin/groups][kh][kw]. */
VEIL_WUR veil_status veil_model_conv2d_ex(veil_model *m, const veil_conv2d_opts *o, const float *weight,
                                          const float *bias);
/** Fully connected layer on the flattened input; weight [out][in], bias NULL or [out]. */
VEIL_WUR veil_status veil_model_dense(veil_model *m, int out, const float *weight, const float *bias);
/** Batch normalization over channels (C = dim 0 of the current shape); arrays of C floats. */
VEIL_WUR veil_status veil_model_batchnorm(veil_model *m, const float *gamma, const float *beta,
                                          const float *mean, const float *var, double eps);
/**
 * x * scale + shift with @p n constants each: n == 1 (scalar), C (per channel) or the per-image size
 * (element-wise). Either array may be NULL (scale 1, shift 0).
 */
VEIL_WUR veil_status veil_model_affine(veil_model *m, int64_t n, const float *scale, const float *shift);
VEIL_WUR veil_status veil_model_relu(veil_model *m);
VEIL_WUR veil_status veil_model_clip(veil_model *m, double lo, double hi);
VEIL_WUR veil_status veil_model_square(veil_model *m);
/** sum_{i <= degree} coeffs[i] x^i, degree 1..63. */
VEIL_WUR veil_status veil_model_poly(veil_model *m, int degree, const double *coeffs);
/** Square pooling window k, stride s, symmetric padding p (count_include_pad on). */
VEIL_WUR veil_status veil_model_avgpool(veil_model *m, int k, int s, int p);
VEIL_WUR veil_status veil_model_maxpool(veil_model *m, int k, int s, int p);
/** Pooling with every option (op VEIL_OP_AVGPOOL or VEIL_OP_MAXPOOL). */
VEIL_WUR veil_status veil_model_pool_ex(veil_model *m, veil_op op, const veil_pool_opts *o);
VEIL_WUR veil_status veil_model_globalavgpool(veil_model *m, int keep_dims);
VEIL_WUR veil_status veil_model_flatten(veil_model *m);
/** Reshape to @p ndim (1..4) dims; one may be -1. */
VEIL_WUR veil_status veil_model_reshape(veil_model *m, int ndim, const int64_t *shape);
/** Zero padding of H and W: @p top/@p left rows/columns before, @p bottom_right after. */
VEIL_WUR veil_status veil_model_pad(veil_model *m, int top_left, int bottom_right, double value);
/** Constant padding of each of C, H, W (before[3], after[3]). */
VEIL_WUR veil_status veil_model_pad_ex(veil_model *m, const int64_t before[3], const int64_t after[3],
                                       double value);
/** Strided slice of C, H, W: start[3], end[3] (exclusive), step[3]. */
VEIL_WUR veil_status veil_model_slice(veil_model *m, const int64_t start[3], const int64_t end[3],
                                      const int64_t step[3]);
/** Element-wise sum of nodes @p a and @p b (residual); the sum becomes the current node. */
VEIL_WUR veil_status veil_model_add(veil_model *m, int a, int b);
/** Element-wise product of nodes @p a and @p b. */
VEIL_WUR veil_status veil_model_mul(veil_model *m, int a, int b);
/** Channel concatenation of @p n (1..8) nodes. */
VEIL_WUR veil_status veil_model_concat(veil_model *m, int n, const int *nodes);
VEIL_WUR veil_status veil_model_softmax(veil_model *m);
VEIL_WUR veil_status veil_model_identity(veil_model *m);

#ifdef __cplusplus
}
#endif
#endif
