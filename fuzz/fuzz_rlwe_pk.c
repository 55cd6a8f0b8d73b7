/* libFuzzer target for veil_rlwe_pk_load. */
#include "fuzz_rlwe.h"

VEIL_FUZZ_LOADER(veil_rlwe_pk, veil_rlwe_pk_load, veil_rlwe_pk_free)
