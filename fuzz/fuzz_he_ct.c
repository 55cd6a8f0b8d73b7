/* libFuzzer target for veil_he_tensor_load_checked (encrypted tensor files); see fuzz_he.h. */
#include "fuzz_he.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_he *f = fuzz_he_get();
  fuzz_he_file(f, 2, data, size);
  veil_he_tensor t;
  uint8_t model[32] = {0};
  veil_status st = veil_he_tensor_load_checked(f->path, &f->sv.ctx, f->sv.key_id, model, &t);
  if (!st) veil_he_tensor_free(&t);
  fuzz_he_verdict(st);
  return 0;
}
