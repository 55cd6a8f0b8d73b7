/* libFuzzer target for veil_he_client_load and veil_he_server_load (secret.key, eval.keys); the mode
 * byte's parity after the template choice picks the loader. See fuzz_he.h. */
#include "fuzz_he.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_he *f = fuzz_he_get();
  int which = size && (data[0] / 3) % 2;
  fuzz_he_file(f, which, data, size);
  veil_ckks_params_lit lit;
  int nbase;
  uint8_t model[32];
  veil_status st;
  if (which) {
    veil_he_server sv;
    if (!(st = veil_he_server_load(f->path, &lit, &nbase, model, &sv))) veil_he_server_free(&sv);
  } else {
    veil_he_client cl;
    if (!(st = veil_he_client_load(f->path, &lit, &nbase, model, &cl))) veil_he_client_free(&cl);
  }
  fuzz_he_verdict(st);
  return 0;
}
