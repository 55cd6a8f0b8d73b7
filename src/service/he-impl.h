/* The service's view of the HE executor (veil/he.h, branch infer): the public part of a plan that a
 * client needs (parameters, packing, sizes, preprocessing) and its serialization. */
#ifndef VEIL_SERVICE_HE_IMPL_H
#define VEIL_SERVICE_HE_IMPL_H

#include "veil/he.h"

/** Writes the public plan: parameters, packing, keys needed, sizes, model fingerprint, prep text. */
void veil__plan_public_save(const veil_he_plan *p, const char *prep_text, veil_wbuf *w);
/**
 * Reads a public plan into @p p (a plan without steps: enough for keygen, encrypt and decrypt) and
 * the prep text (veil_malloc'd, NUL-terminated). Errors: FORMAT, INVALID_ARG/INSECURE (parameters).
 */
VEIL_WUR veil_status veil__plan_public_load(const void *data, size_t len, veil_he_plan *p, char **prep_text);

#endif
