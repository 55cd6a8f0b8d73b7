/* libFuzzer target for veil_rlwe_pt_load. */
#include "fuzz_rlwe.h"

VEIL_FUZZ_LOADER(veil_rlwe_pt, veil_rlwe_pt_load, veil_rlwe_pt_free)
