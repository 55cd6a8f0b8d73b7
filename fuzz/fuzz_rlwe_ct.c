/* libFuzzer target for veil_rlwe_ct_load. */
#include "fuzz_rlwe.h"

VEIL_FUZZ_LOADER(veil_rlwe_ct, veil_rlwe_ct_load, veil_rlwe_ct_free)
