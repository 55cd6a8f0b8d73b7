/* Malformed ONNX bytes: truncations and random corruptions of real models must give an error status
 * (or a valid graph), never a crash or leak (ASan), and leave the graph empty on failure. */
#include "vtest.h"
#include "veil/onnx.h"

static uint64_t rng = 12345;

static uint32_t next_u32(void) {
  rng = rng * 6364136223846793005ull + 1442695040888963407ull;
  return (uint32_t)(rng >> 33);
}

static int try_load(const uint8_t *p, size_t n) {
  veil_graph g;
  veil_status st = veil_onnx_load_buffer(p, n, &g);
  int ok = st == VEIL_OK;
  if (!ok && (g.nnodes != 0 || !veil_error_detail()[0]))
    ok = -1; /* failure must leave an empty graph and a detail */
  veil_graph_free(&g);
  return ok;
}

static void test_garbage(void) {
  veil_graph g;
  VT_CHECK(veil_onnx_load_buffer((const uint8_t *)"\xff\xff\xff\xff garbage", 13, &g) == VEIL_ERR_FORMAT);
  VT_CHECK(strstr(veil_error_detail(), "malformed protobuf") != NULL);
  VT_CHECK(veil_onnx_load_buffer((const uint8_t *)"", 0, &g) == VEIL_ERR_FORMAT); /* empty ModelProto */
  VT_CHECK(strstr(veil_error_detail(), "opset") != NULL);
  VT_CHECK(veil_onnx_load("/nonexistent/model.onnx", &g) == VEIL_ERR_IO);
  VT_CHECK(g.nnodes == 0);
}

static void test_truncations_and_flips(void) {
  const char *models[] = {"tests/onnx/data/small_cnn_nofold.onnx", "tests/onnx/data/resblock_nofold_opset11.onnx"};
  for (size_t m = 0; m < 2; m++) {
    uint8_t *buf;
    size_t len;
    VT_OK(veil_file_read(vt_src(models[m]), 1 << 24, &buf, &len));
    VT_REQUIRE(try_load(buf, len) == 1);
    int loaded = 0, bad = 0;
    for (size_t cut = 0; cut < len; cut += 1 + cut / 64) {
      int r = try_load(buf, cut);
      loaded += r == 1;
      bad += r < 0;
    }
    uint8_t *copy = malloc(len);
    for (int trial = 0; trial < 800; trial++) {
      memcpy(copy, buf, len);
      for (int k = 0; k < 1 + trial % 4; k++)
        copy[next_u32() % len] = (uint8_t)next_u32();
      int r = try_load(copy, len);
      loaded += r == 1;
      bad += r < 0;
    }
    fprintf(stderr, "  %s: %d corrupted inputs still loaded, %d bad failures\n", models[m], loaded, bad);
    VT_CHECK(bad == 0);
    free(copy);
    veil_free(buf);
  }
}

int main(void) {
  VT_RUN(test_garbage);
  VT_RUN(test_truncations_and_flips);
  VT_DONE();
}
