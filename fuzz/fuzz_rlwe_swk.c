/* libFuzzer target for veil_rlwe_swk_load. */
#include "fuzz_rlwe.h"

VEIL_FUZZ_LOADER(veil_rlwe_swk, veil_rlwe_swk_load, veil_rlwe_swk_free)
