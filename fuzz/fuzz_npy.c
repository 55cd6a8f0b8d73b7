/* libFuzzer target: .npy parsing of arbitrary bytes; whatever loads must save and reload identically.
 * Build and run (see tests/onnx/README.md): mkdir -p fuzz/corpus-work && cmake --preset fuzz && cmake --build --preset fuzz -j2 &&
 *                build-fuzz/fuzz/fuzz_npy -max_total_time=60 -rss_limit_mb=2048 fuzz/corpus-work tests/onnx/data */
#include <string.h>

#include "veil/npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  veil_tensor t, u;
  if (veil_npy_load_buffer(data, size, &t) != VEIL_OK)
    return 0;
  uint8_t *buf;
  size_t len;
  if (veil_npy_save_buffer(&t, &buf, &len) == VEIL_OK) {
    if (veil_npy_load_buffer(buf, len, &u) != VEIL_OK || u.ndim != t.ndim ||
        memcmp(u.data, t.data, (size_t)veil_tensor_numel(&t) * sizeof(float)) != 0)
      __builtin_trap();
    veil_tensor_free(&u);
    veil_free(buf);
  }
  veil_tensor_free(&t);
  return 0;
}
