/** @file tensor.c @brief Dense float32 tensors. */
#include <string.h>

#include "nn/nn-impl.h"

int64_t veil__shape_numel(int ndim, const int64_t *shape) {
  int64_t n = 1;
  for (int i = 0; i < ndim; i++) n *= shape[i];
  return n;
}

int64_t veil_tensor_numel(const veil_tensor *t) { return veil__shape_numel(t->ndim, t->shape); }

veil_status veil_tensor_init(veil_tensor *t, int ndim, const int64_t *shape) {
  memset(t, 0, sizeof *t);
  if (ndim < 0 || ndim > VEIL_TENSOR_MAX_DIMS)
    return veil_fail(VEIL_ERR_INVALID_ARG, "tensor: %d dims (0..%d allowed)", ndim, VEIL_TENSOR_MAX_DIMS);
  int64_t n = 1;
  for (int i = 0; i < ndim; i++) {
    if (shape[i] < 1 || shape[i] > ((int64_t)1 << 40) / n)
      return veil_fail(VEIL_ERR_INVALID_ARG, "tensor: dim %d is %lld (must be >= 1, total < 2^40)", i,
                       (long long)shape[i]);
    n *= shape[i];
  }
  t->data = veil_calloc((size_t)n, sizeof(float));
  if (!t->data) return veil_fail(VEIL_ERR_NOMEM, "tensor of %lld floats", (long long)n);
  t->ndim = ndim;
  memcpy(t->shape, shape, (size_t)ndim * sizeof *shape);
  return VEIL_OK;
}

void veil_tensor_free(veil_tensor *t) {
  if (!t) return;
  veil_free(t->data);
  memset(t, 0, sizeof *t);
}

veil_status veil_tensor_clone(veil_tensor *dst, const veil_tensor *src) {
  if (!src->data) {
    memset(dst, 0, sizeof *dst);
    return VEIL_OK;
  }
  return veil__tensor_make(dst, src->ndim, src->shape, src->data);
}

veil_status veil__tensor_make(veil_tensor *t, int ndim, const int64_t *shape, const float *src) {
  VEIL_TRY(veil_tensor_init(t, ndim, shape));
  if (src) memcpy(t->data, src, (size_t)veil_tensor_numel(t) * sizeof(float));
  return VEIL_OK;
}

veil_status veil__tensor_from(veil_tensor *t, int64_t n, const float *src) {
  return veil__tensor_make(t, 1, &n, src);
}
