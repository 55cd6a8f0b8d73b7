/* libFuzzer target for veil_rlwe_gks_load. */
#include "fuzz_rlwe.h"

VEIL_FUZZ_LOADER(veil_rlwe_gks, veil_rlwe_gks_load, veil_rlwe_gks_free)
