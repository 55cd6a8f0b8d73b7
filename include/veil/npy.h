/**
 * @file npy.h
 * @brief NumPy .npy files (format versions 1.0, 2.0 and 3.0) to and from ::veil_tensor: the exchange
 *        format of reference inputs and outputs (PyTorch-produced test vectors, datasets).
 *
 * Loading accepts little-endian float32 ('<f4'), float64 ('<f8') and int64 ('<i8') arrays in C order
 * with up to VEIL_TENSOR_MAX_DIMS dimensions, converting to float32. Saving writes '<f4', version 1.0.
 */
#ifndef VEIL_NPY_H
#define VEIL_NPY_H

#include "veil/nn.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Largest .npy file veil_npy_load() reads (bytes). */
#define VEIL_NPY_MAX_BYTES ((size_t)1 << 31)

/**
 * Reads a .npy file into a new tensor.
 * @param[in]  path file to read
 * @param[out] t    initialized here; on failure left empty (veil_tensor_free() is a no-op)
 * @return VEIL_OK; VEIL_ERR_IO; VEIL_ERR_FORMAT (bad magic, malformed header, data size not matching
 *         the shape); VEIL_ERR_UNSUPPORTED (fortran_order, big-endian or another dtype, too many dims);
 *         VEIL_ERR_NOMEM.
 */
VEIL_WUR veil_status veil_npy_load(const char *path, veil_tensor *t);

/** As veil_npy_load() from the bytes of a .npy file in memory. */
VEIL_WUR veil_status veil_npy_load_buffer(const uint8_t *data, size_t len, veil_tensor *t);

/**
 * Writes @p t as a float32 C-order .npy file (version 1.0), atomically.
 * @return VEIL_OK; VEIL_ERR_INVALID_ARG (no data or bad ndim); VEIL_ERR_IO; VEIL_ERR_NOMEM.
 */
VEIL_WUR veil_status veil_npy_save(const char *path, const veil_tensor *t);

/** As veil_npy_save() into a veil_malloc'd buffer (@p *data, @p *len; free with veil_free()). */
VEIL_WUR veil_status veil_npy_save_buffer(const veil_tensor *t, uint8_t **data, size_t *len);

#ifdef __cplusplus
}
#endif
#endif
