/* Internal helpers shared by the encoder's source files. */
#ifndef VEIL_CKKS_ENCODER_IMPL_H
#define VEIL_CKKS_ENCODER_IMPL_H

#include "veil/ckks_encoder.h"

/* Checks ring degree, slot count (power of two in [1, N/2]) and scale (> 0, finite). */
VEIL_WUR veil_status veil__ckks_check_slots(const veil_ckks_encoder *enc, const veil_ring *r,
                                            size_t slots, double scale);

#endif
