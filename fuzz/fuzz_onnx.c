/* libFuzzer target: ONNX import of arbitrary bytes, then export and re-import of whatever loads.
 * Build and run (see tests/onnx/README.md): mkdir -p fuzz/corpus-work && cmake --preset fuzz && cmake --build --preset fuzz -j2 &&
 *                build-fuzz/fuzz/fuzz_onnx -max_total_time=60 -rss_limit_mb=2048 fuzz/corpus-work tests/onnx/data */
#include "veil/onnx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  veil_graph g;
  if (veil_onnx_load_buffer(data, size, &g) == VEIL_OK) {
    uint8_t *buf;
    size_t len;
    if (veil_onnx_save_buffer(&g, &buf, &len) == VEIL_OK) {
      veil_graph h;
      if (veil_onnx_load_buffer(buf, len, &h) != VEIL_OK)
        __builtin_trap(); /* what veil writes, veil must read */
      veil_graph_free(&h);
      veil_free(buf);
    }
  }
  veil_graph_free(&g);
  return 0;
}
