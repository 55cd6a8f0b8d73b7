/**
 * @file nn.h
 * @brief Tensors and the model graph IR (layer nn in ../shared/DESIGN.md). Nothing here knows ONNX
 *        or any HE scheme: importers build a ::veil_graph, passes rewrite it, executors run it.
 *
 * Conventions: tensors are NCHW, float32 storage; reference math is float64. A graph is a list of
 * nodes in topological order; node 0..n-1, each with the indices of its input nodes. The graph's
 * batch dimension is left symbolic: shapes stored in nodes are per-image (C,H,W or F), without N.
 *
 * Typical use (graphs come from veil/model.h or veil/onnx.h):
 * @code
 *   VEIL_TRY(veil_graph_optimize(&g, NULL));             // fold BN / input normalization, fuse squares
 *   veil_graph_info info;
 *   VEIL_TRY(veil_graph_analyze(&g, &info));             // params, depth, encrypted modes
 *   VEIL_TRY(veil_graph_print(&g, &info, stdout));
 *   veil_tensor y;
 *   VEIL_TRY(veil_graph_run(&g, &x, &y));                // float64 reference: x [N,C,H,W] -> y [N,10]
 * @endcode
 *
 * Passes store folded constants as float32 (the tensor type), so a fold whose factors are not exact
 * in float32 (gamma/sqrt(var+eps) in general) changes outputs by float32 rounding of the folded
 * weights (about 2^-24 relative per weight), not by float64 rounding.
 */
#ifndef VEIL_NN_H
#define VEIL_NN_H

#include "veil/util.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VEIL_TENSOR_MAX_DIMS 6

/** A dense float32 tensor, row-major (C order). Owns @c data. "Empty" means data == NULL (ndim 0). */
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
 * its index in @p index, and makes it g->output (set g->output afterwards for another output). A node
 * without a name is called "<op><index>". Does not infer shapes; call veil_graph_infer_shapes() afterwards.
 * @return VEIL_OK; VEIL_ERR_INVALID_ARG (op out of range); VEIL_ERR_FORMAT (input count out of 0..8 or
 *         an input that is not an earlier node; the node's tensors then stay with the caller); VEIL_ERR_NOMEM.
 */
VEIL_WUR veil_status veil_graph_add(veil_graph *g, veil_node *node, int *index);
/**
 * Sets every node's output shape from the input node's (which the builder sets: INPUT nodes carry
 * their per-image shape in @c ndim / @c shape). Checks every attribute and constant tensor against
 * the shapes it meets. Per-op rules (shapes per image, no batch dim; "channel" is dim 0):
 * - CONV2D: input (C,H,W); weight [Cout][C/groups][kh][kw]; Cout % groups == 0; bias empty or [Cout];
 *   out (Cout, (H+pt+pb-dh*(kh-1)-1)/sh+1, likewise W).
 * - DENSE: input of any shape, flattened to F; weight [out][F]; bias empty or [out]; out (out).
 * - BATCHNORM: gamma (weight), beta (bias), mean, var all [C]; eps >= 0; out = input shape.
 * - AFFINE: scale (weight) and shift (bias) each empty (1 / 0), 1 element (scalar), C elements
 *   (per channel) or as many as the input per image (element-wise).
 * - ADD, MUL: two inputs of the same shape. CONCAT: 1..8 inputs equal except in dim 0.
 * - AVGPOOL / MAXPOOL: input (C,H,W); out (C, (H+pt+pb-kh)/sh+1, ...); padding below the kernel size.
 * - GLOBALAVGPOOL: input (C,H,W); out (C) or (C,1,1) with keep_dims.
 * - FLATTEN: out (numel). RESHAPE: out attrs.reshape.shape; one entry may be -1 (inferred).
 * - PAD / SLICE: attribute entry d applies to input dim d (C,H,W for 3-D input, F for 1-D).
 *   SLICE: negative start/end count from the end, then clamp to [0, dim]; step >= 1; non-empty result.
 * - SOFTMAX: over dim 0 (per pixel for 3-D input). Other unary ops keep the shape.
 * @return VEIL_OK; VEIL_ERR_FORMAT with a detail naming the node and op, e.g.
 *         "node 'conv3' (conv2d): weight has 3 input channels, input has 5"; VEIL_ERR_UNSUPPORTED
 *         for a graph without a single INPUT at node 0.
 */
VEIL_WUR veil_status veil_graph_infer_shapes(veil_graph *g);

/** As veil_graph_infer_shapes() for node @p i alone (nodes before it must have shapes). */
VEIL_WUR veil_status veil_graph_infer_node(veil_graph *g, int i);

/** Number of values per image in node @p i's output (product of its shape). */
int64_t veil_graph_node_numel(const veil_graph *g, int i);

/** Deep copy of a graph. */
VEIL_WUR veil_status veil_graph_clone(veil_graph *dst, const veil_graph *src);

/** @return the index of the node called @p name, or -1. */
int veil_graph_find(const veil_graph *g, const char *name);

/* ---- float64 reference executor ---------------------------------------------------------------- */

/**
 * Runs the graph in float64 on a batch: the plaintext ground truth for encrypted runs.
 * @param[in]  g      graph with shapes inferred
 * @param[in]  input  [N, per-image input shape...] float32, N >= 1 (a tensor without the batch dim,
 *                    i.e. exactly the per-image shape, is taken as N = 1)
 * @param[out] output initialized here as [N, per-image output shape...] float32; free with
 *                    veil_tensor_free(). Left empty on failure.
 * @return VEIL_OK; VEIL_ERR_MISMATCH (input shape differs from the graph's); VEIL_ERR_FORMAT (graph
 *         without shapes); VEIL_ERR_NOMEM.
 */
VEIL_WUR veil_status veil_graph_run(const veil_graph *g, const veil_tensor *input, veil_tensor *output);

/**
 * As veil_graph_run() on float64 data without conversions: @p input holds @p n_images images
 * back to back, @p output (caller-allocated) receives n_images * veil_graph_node_numel(g, g->output).
 */
VEIL_WUR veil_status veil_graph_run_f64(const veil_graph *g, const double *input, int64_t n_images,
                                        double *output);

/**
 * Called once per node in topological order with that node's output values: @p values holds
 * @p n_images blocks of @p count_per_image doubles (image-major). Valid only during the call.
 */
typedef void (*veil_graph_visit_fn)(void *ctx, int node, const double *values, int64_t count_per_image,
                                    int64_t n_images);

/** As veil_graph_run() but reports every node's values (node 0 = the input) to @p visit. */
VEIL_WUR veil_status veil_graph_run_trace(const veil_graph *g, const veil_tensor *input,
                                          veil_graph_visit_fn visit, void *ctx);

/* ---- passes (each keeps the graph's function; all re-infer shapes) ------------------------------- */

/**
 * Folds BATCHNORM into a preceding CONV2D or DENSE that feeds only it; any other BATCHNORM becomes
 * the equivalent AFFINE (per-channel scale gamma/sqrt(var+eps), shift beta - mean*scale).
 * @param[out] nfolded number of BATCHNORM nodes removed or rewritten (may be NULL)
 */
VEIL_WUR veil_status veil_graph_fold_batchnorm(veil_graph *g, int *nfolded);

/**
 * Folds AFFINE nodes where the result is exact: into the preceding CONV2D/DENSE (per-channel or scalar
 * constants), into a following DENSE (also through FLATTEN/RESHAPE), into a following CONV2D (scale
 * always; a non-zero shift only when that conv has no padding, since padded borders would see the
 * shift), merges chains of AFFINE, and drops AFFINE nodes with scale 1 and shift 0. Folding only
 * happens through nodes that have a single consumer. Nodes that cannot be folded exactly are kept.
 */
VEIL_WUR veil_status veil_graph_fold_affine(veil_graph *g, int *nfolded);

/**
 * Rewrites MUL(x, x) as SQUARE(x), and ADD of two terms that are each x, SQUARE(x) or a scalar
 * AFFINE of one of those (sharing the same x) as one POLY of degree <= 2.
 */
VEIL_WUR veil_status veil_graph_fuse_square(veil_graph *g, int *nfused);

/** Removes IDENTITY nodes (consumers read the identity's input instead). */
VEIL_WUR veil_status veil_graph_remove_identity(veil_graph *g, int *nremoved);

/**
 * Runs every pass above to a fixed point (identity removal, BN folding, square fusion, affine
 * folding), then re-infers shapes.
 * @param[out] nchanged total number of rewrites (may be NULL)
 */
VEIL_WUR veil_status veil_graph_optimize(veil_graph *g, int *nchanged);

/**
 * Removes the nodes flagged in @p dead (array of g->nnodes): every use of a dead node i is redirected
 * to @p replace[i] (an earlier node, itself possibly dead and redirected further), then the node array
 * is compacted and every input index and g->output remapped. A dead node may not be node 0.
 */
VEIL_WUR veil_status veil_graph_remove_nodes(veil_graph *g, const bool *dead, const int *replace);

/* ---- analysis ---------------------------------------------------------------------------------- */

/** Encrypted execution modes a graph supports (bit flags). */
enum {
  VEIL_MODE_BATCH = 1,        /**< pure HE, batch packing: linear layers + square / poly only */
  VEIL_MODE_CLIENT_AIDED = 2, /**< ReLU, CLIP, MAXPOOL evaluated by the client between rounds */
};

typedef struct veil_node_info {
  int64_t params;     /**< weights + biases (+ BN statistics, AFFINE constants) */
  int depth;          /**< multiplicative levels this node consumes */
  int depth_total;    /**< levels consumed since the input or the last client round, at this output */
  bool client;        /**< needs a client round (RELU, CLIP, MAXPOOL) */
} veil_node_info;

typedef struct veil_graph_info {
  int nnodes;
  veil_node_info *nodes; /**< one per node */
  int64_t params;        /**< total */
  int depth;             /**< max depth_total over nodes: levels a ciphertext needs between rounds */
  int client_rounds;     /**< max number of client rounds along any path */
  unsigned modes;        /**< VEIL_MODE_* bits; 0 if no encrypted mode fits */
  bool softmax_dropped;  /**< the output is a SOFTMAX, left to the client (not evaluated under HE) */
  char why_not_batch[160];   /**< reason batch mode is not supported ("" if it is) */
} veil_graph_info;

/**
 * Analyses a graph with shapes inferred: parameters, depths, supported modes. Depth per op: CONV2D,
 * DENSE, AVGPOOL, GLOBALAVGPOOL, BATCHNORM 1 (ciphertext x plaintext); AFFINE 1 if a scale is not 1,
 * else 0; SQUARE and MUL 1; POLY of degree d ceil(log2(d+1)); RELU/CLIP/MAXPOOL 0 and reset the
 * running depth (client round); layout ops 0. A SOFTMAX is only allowed as the output (applied by the
 * client). @p info is initialized here; free with veil_graph_info_free().
 * @return VEIL_OK; VEIL_ERR_FORMAT (graph without shapes); VEIL_ERR_NOMEM.
 */
VEIL_WUR veil_status veil_graph_analyze(const veil_graph *g, veil_graph_info *info);
void veil_graph_info_free(veil_graph_info *info);

/** Mode names joined by ", " ("batch, client-aided"), or "none". Returns @p buf. */
const char *veil_graph_modes_str(unsigned modes, char *buf, size_t len);

/**
 * Ranges over calibration data: for every node i, @p lo[i] / @p hi[i] get the min / max of the values
 * entering it (its first input's output; for node 0 the input itself). The ones that matter for
 * polynomial approximation are the activation nodes (RELU, CLIP, MAXPOOL, SQUARE, POLY).
 * @param[in] calib [N, per-image input shape...] as for veil_graph_run()
 * @param[out] lo, hi arrays of g->nnodes doubles
 */
VEIL_WUR veil_status veil_graph_ranges(const veil_graph *g, const veil_tensor *calib, double *lo, double *hi);

/**
 * Prints the human table used by `veil inspect`: one row per node (index, name, op, inputs, output
 * shape, params, depth, running depth) then totals and supported modes. @p info may be NULL (computed).
 */
VEIL_WUR veil_status veil_graph_print(const veil_graph *g, const veil_graph_info *info, FILE *out);

/** As veil_graph_print() as one JSON object on one line: {"name", "params", "depth", "modes", "layers":[...]}. */
VEIL_WUR veil_status veil_graph_print_json(const veil_graph *g, const veil_graph_info *info, FILE *out);

#ifdef __cplusplus
}
#endif
#endif
