/* Internal to the backend layer: the kernel tables each implementation provides. */
#ifndef VEIL_BACKEND_IMPL_H
#define VEIL_BACKEND_IMPL_H

#include "veil/backend.h"

extern const veil_kernels veil__kernels_ref;

void veil__ntt_fwd_ref(const veil_ntt_tables *t, uint64_t *a);
void veil__ntt_inv_ref(const veil_ntt_tables *t, uint64_t *a);

#endif
