/**
 * @file onnx.h
 * @brief ONNX import and export (layer onnx in ../shared/DESIGN.md): the only part of veil that knows
 *        ONNX. Import maps a model's nodes onto the ::veil_graph IR of nn.h; export writes any veil
 *        graph as a standard ONNX model (opset 13) that other tools can read.
 *
 * Import supports opsets 9 to 17, the float models that torch.onnx.export writes with default
 * settings: Conv, Gemm, MatMul(+Add), BatchNormalization, Add/Sub/Mul/Div (by a constant or of two
 * tensors), Pow with exponent 2, Relu, Clip, AveragePool, GlobalAveragePool, ReduceMean over H,W,
 * MaxPool, Flatten, Reshape, Pad, Slice, Concat, Softmax, Identity, Dropout, Constant, and the
 * Shape/Gather/Unsqueeze/Concat chains that compute constant shapes (folded at import).
 * Anything else is refused with VEIL_ERR_UNSUPPORTED and a detail naming the node, its op type and
 * the attribute or input that stopped the import, for example
 * "node 'Conv_3' (Conv): attribute auto_pad=SAME_UPPER is not supported".
 *
 * @code
 *   veil_graph g;
 *   if (veil_onnx_load("resnet20.onnx", &g) != VEIL_OK) fprintf(stderr, "%s\n", veil_error_detail());
 *   ...
 *   veil_graph_free(&g);
 * @endcode
 */
#ifndef VEIL_ONNX_H
#define VEIL_ONNX_H

#include "veil/nn.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Largest model file veil_onnx_load() reads (bytes). */
#define VEIL_ONNX_MAX_BYTES ((size_t)1 << 30)

/**
 * Imports an ONNX model file into a new graph with shapes inferred.
 * @param[in]  path model file (at most VEIL_ONNX_MAX_BYTES)
 * @param[out] g    initialized here (the caller must not pass a graph holding nodes); on success the
 *                  caller frees it with veil_graph_free(); on failure it is left empty (freeing is a no-op)
 * @return VEIL_OK; VEIL_ERR_IO (file unreadable), VEIL_ERR_FORMAT (malformed protobuf, missing
 *         initializer, inconsistent dims), VEIL_ERR_UNSUPPORTED (op, attribute or shape veil cannot map),
 *         VEIL_ERR_NOMEM.
 */
VEIL_WUR veil_status veil_onnx_load(const char *path, veil_graph *g);

/** As veil_onnx_load() from a serialized ModelProto in memory (@p data need not stay alive). */
VEIL_WUR veil_status veil_onnx_load_buffer(const uint8_t *data, size_t len, veil_graph *g);

/**
 * Writes @p g as an ONNX model (IR 7, opset 13) using standard ops only: CONV2D -> Conv, DENSE ->
 * Flatten+Gemm, BATCHNORM -> BatchNormalization, AFFINE -> Mul+Add with initializers, SQUARE ->
 * Mul(x,x), POLY -> Mul/Add chain (Horner), CLIP -> Clip, and so on. Input "input" [N,...], output
 * "output" [N,...], with a symbolic batch dimension "N".
 * @param[in] g    graph with shapes inferred (veil_graph_infer_shapes())
 * @param[in] path file written atomically
 * @return VEIL_OK; VEIL_ERR_INVALID_ARG (graph without shapes or an inconsistent node), VEIL_ERR_IO,
 *         VEIL_ERR_NOMEM.
 */
VEIL_WUR veil_status veil_onnx_save(const veil_graph *g, const char *path);

/** As veil_onnx_save() into a veil_malloc'd buffer (@p *data, @p *len; free with veil_free()). */
VEIL_WUR veil_status veil_onnx_save_buffer(const veil_graph *g, uint8_t **data, size_t *len);

#ifdef __cplusplus
}
#endif
#endif
