/* The 128-bit bootstrapping parameter set (dense ternary secret; see docs/bootstrapping.md). */
#include "veil/bootstrap.h"

veil_status veil_boot_params_128(int logn, veil_ckks_params_lit *ck, veil_boot_lit *bl) {
  if (logn < 12 || logn > 16)
    return veil_fail(VEIL_ERR_INVALID_ARG, "bootstrap parameters: logn %d outside 12..16", logn);
  veil_boot_lit_default(bl, logn - 1);
  bl->k = 512;           /* dense ternary: sigma(I) = sqrt(h / 12) ~ 60 at N = 2^16; K > 8.4 sigma */
  bl->double_angle = 7;  /* exp(2 pi i K x / 128): degree 55 interpolates cos and sin to 2^-47 */
  bl->cos_degree = 55;
  bl->log_msg_ratio = 6;
  *ck = (veil_ckks_params_lit){.logn = logn, .log_scale = 40, .np = 4, .dnum = 8, .security = 128,
                               .insecure_test_only = logn < 16};
  ck->q_bits[ck->nq++] = 60;                                         /* q_0 */
  for (int i = 0; i < 9 + bl->stc_levels; i++)                        /* user levels + SlotToCoeff */
    ck->q_bits[ck->nq++] = 40;
  int mod = veil_boot_depth(bl) - bl->cts_levels - bl->stc_levels;  /* EvalMod, then CoeffToSlot */
  for (int i = 0; i < mod + bl->cts_levels; i++) /* 60 bits: EvalMod multiplies their noise by 2 pi K */
    ck->q_bits[ck->nq++] = 60;
  for (int i = 0; i < ck->np; i++)
    ck->p_bits[i] = 60;
  return VEIL_OK;
}
