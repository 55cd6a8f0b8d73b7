/* libFuzzer target for veil_rlwe_params_load: any input loads (and then re-saves to the same bytes)
 * or fails with FORMAT, MISMATCH or INSECURE. */
#include <stdlib.h>
#include <string.h>

#include "veil/rlwe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  veil_rlwe_paramset s;
  veil_status st = veil_rlwe_params_load(data, size, &s);
  if (st == VEIL_OK) {
    veil_wbuf w;
    veil_wbuf_init(&w);
    veil_rlwe_params_save(&s, &w);
    if (w.failed || w.len != size || memcmp(w.data, data, size) != 0)
      abort(); /* the format is canonical: what loads re-saves identically */
    veil_wbuf_free(&w);
  } else if (st != VEIL_ERR_FORMAT && st != VEIL_ERR_MISMATCH && st != VEIL_ERR_INSECURE) {
    abort();
  }
  return 0;
}
