/* Ciphertext and plaintext containers. */
#include <string.h>

#include "rlwe-impl.h"

static veil_status check_level(const veil_rlwe_ctx *c, int level, const char *what) {
  if (level < 0 || level >= c->nq)
    return veil_fail(VEIL_ERR_INVALID_ARG, "%s level %d outside [0, %d]", what, level, c->nq - 1);
  return VEIL_OK;
}

veil_status veil_rlwe_pt_init(const veil_rlwe_ctx *c, veil_rlwe_pt *pt, int level) {
  *pt = (veil_rlwe_pt){0};
  VEIL_TRY(check_level(c, level, "plaintext"));
  VEIL_TRY(veil__poly_alloc(c, &pt->m, level + 1));
  pt->level = level;
  pt->scale = 1.0;
  return VEIL_OK;
}

void veil_rlwe_pt_free(veil_rlwe_pt *pt) {
  if (!pt)
    return;
  veil_poly_free(&pt->m);
  *pt = (veil_rlwe_pt){0};
}

veil_status veil_rlwe_ct_init(const veil_rlwe_ctx *c, veil_rlwe_ct *ct, int size, int level) {
  *ct = (veil_rlwe_ct){0};
  return veil_rlwe_ct_reshape(c, ct, size, level);
}

veil_status veil_rlwe_ct_reshape(const veil_rlwe_ctx *c, veil_rlwe_ct *ct, int size, int level) {
  if (size < 2 || size > 3)
    return veil_fail(VEIL_ERR_INVALID_ARG, "ciphertext with %d components (need 2 or 3)", size);
  VEIL_TRY(check_level(c, level, "ciphertext"));
  if (ct->cap < level + 1) { /* grow: drop all buffers */
    for (int i = 0; i < 3; i++)
      veil_poly_free(&ct->c[i]);
    ct->cap = level + 1;
  }
  for (int i = 0; i < size; i++)
    if (!ct->c[i].c)
      VEIL_TRY(veil__poly_alloc(c, &ct->c[i], ct->cap));
  for (int i = 0; i < 3; i++)
    if (ct->c[i].c)
      ct->c[i].nlimbs = level + 1;
  ct->size = size;
  ct->level = level;
  ct->seeded = false;
  return VEIL_OK;
}

void veil_rlwe_ct_free(veil_rlwe_ct *ct) {
  if (!ct)
    return;
  for (int i = 0; i < 3; i++)
    veil_poly_free(&ct->c[i]);
  *ct = (veil_rlwe_ct){0};
}

veil_status veil_rlwe_ct_copy(const veil_rlwe_ctx *c, veil_rlwe_ct *dst, const veil_rlwe_ct *src) {
  if (dst == src)
    return VEIL_OK;
  VEIL_TRY(veil_rlwe_ct_reshape(c, dst, src->size, src->level));
  size_t words = (size_t)(src->level + 1) * c->n;
  for (int i = 0; i < src->size; i++)
    memcpy(dst->c[i].c, src->c[i].c, words * sizeof(uint64_t));
  dst->scale = src->scale;
  dst->seeded = src->seeded;
  memcpy(dst->seed, src->seed, sizeof dst->seed);
  return VEIL_OK;
}
