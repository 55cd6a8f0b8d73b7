/* ONNX import conformance: every model in tests/onnx/data/manifest.txt (written by
 * tools/gen_onnx_tests.py with PyTorch) is imported and run with the float64 executor, before and after
 * veil_graph_optimize(), and compared with PyTorch's output; models veil must refuse have to fail with
 * a detail naming the node and its op type. */
#include "vtest.h"
#include "veil/npy.h"
#include "veil/onnx.h"

#define TOL 1e-4

static char data_dir[4096];

static const char *data_path(const char *name, const char *ext) {
  static char buf[8192];
  snprintf(buf, sizeof buf, "%s/%s%s", data_dir, name, ext);
  return buf;
}

static double max_abs_diff(const veil_tensor *a, const veil_tensor *b) {
  if (veil_tensor_numel(a) != veil_tensor_numel(b) || a->ndim != b->ndim)
    return INFINITY;
  double m = 0;
  for (int64_t i = 0; i < veil_tensor_numel(a); i++) {
    double d = fabs((double)a->data[i] - (double)b->data[i]);
    m = d > m || d != d ? d : m;
  }
  return m;
}

/* Runs @p g on @p in and returns max |out - ref|. */
static double run_diff(const veil_graph *g, const veil_tensor *in, const veil_tensor *ref) {
  veil_tensor out;
  if (veil_graph_run(g, in, &out) != VEIL_OK) {
    fprintf(stderr, "  run failed: %s\n", veil_error_detail());
    return INFINITY;
  }
  double d = max_abs_diff(&out, ref);
  veil_tensor_free(&out);
  return d;
}

static int check_ok(const char *name) {
  veil_graph g;
  veil_tensor in = {0}, ref = {0};
  int bad = 0;
  veil_status st = veil_onnx_load(data_path(name, ".onnx"), &g);
  if (st == VEIL_OK)
    st = veil_npy_load(data_path(name, ".in.npy"), &in);
  if (st == VEIL_OK)
    st = veil_npy_load(data_path(name, ".out.npy"), &ref);
  if (st != VEIL_OK) {
    fprintf(stderr, "  %s: %s: %s\n", name, veil_status_str(st), veil_error_detail());
    bad = 1;
  } else {
    double d0 = run_diff(&g, &in, &ref);
    int changed = 0;
    st = veil_graph_optimize(&g, &changed);
    double d1 = st == VEIL_OK ? run_diff(&g, &in, &ref) : INFINITY;
    fprintf(stderr, "  %-28s %3d nodes  max|diff| %.3g, optimized (%d rewrites) %.3g\n", name, g.nnodes, d0,
            changed, d1);
    bad = !(d0 <= TOL) || !(d1 <= TOL);
  }
  veil_graph_free(&g);
  veil_tensor_free(&in);
  veil_tensor_free(&ref);
  return bad;
}

static int check_error(const char *name, const char *op, const char *msg) {
  veil_graph g;
  veil_status st = veil_onnx_load(data_path(name, ".onnx"), &g);
  const char *detail = veil_error_detail();
  char want_op[96];
  snprintf(want_op, sizeof want_op, "(%s)", op);
  int bad = st == VEIL_OK || !strstr(detail, "node '") || !strstr(detail, want_op) || !strstr(detail, msg);
  fprintf(stderr, "  %-28s -> %s: %s%s\n", name, veil_status_str(st), detail, bad ? "  [UNEXPECTED]" : "");
  veil_graph_free(&g);
  return bad || g.nnodes != 0;
}

static void test_manifest(void) {
  snprintf(data_dir, sizeof data_dir, "%s", vt_src("tests/onnx/data"));
  FILE *f = fopen(data_path("manifest", ".txt"), "r");
  VT_REQUIRE(f);
  char line[1024];
  int nok = 0, nerr = 0, failed = 0;
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = 0;
    char name[128], kind[16], op[64];
    int off = 0;
    if (line[0] == '#' || sscanf(line, "%127s %15s%n", name, kind, &off) != 2)
      continue;
    if (strcmp(kind, "ok") == 0) {
      nok++;
      failed += check_ok(name);
    } else {
      int off2 = 0;
      VT_REQUIRE(sscanf(line + off, " %63s %n", op, &off2) == 1);
      nerr++;
      failed += check_error(name, op, line + off + off2);
    }
  }
  fclose(f);
  fprintf(stderr, "  %d supported models, %d refused models, %d failures\n", nok, nerr, failed);
  VT_CHECK(nok >= 40);
  VT_CHECK(nerr >= 5);
  VT_CHECK_MSG(failed == 0, "%d conformance cases failed", failed);
}

int main(void) {
  VT_RUN(test_manifest);
  VT_DONE();
}
