/* libFuzzer target for veil_rlwe_sk_load. */
#include "fuzz_rlwe.h"

VEIL_FUZZ_LOADER(veil_rlwe_sk, veil_rlwe_sk_load, veil_rlwe_sk_free)
