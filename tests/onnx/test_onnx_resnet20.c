/* The shared pretrained ResNet-20 (../shared/data/models/resnet20_cifar10.onnx, exported by
 * torch.onnx.export with BN folded) must import unchanged and reproduce PyTorch's logits on CIFAR-10
 * test images (tools/gen_resnet20_ref.py computes them from the original .th checkpoint). Skipped, with
 * a message, when ../shared is not beside the checkout. */
#include <unistd.h>

#include "vtest.h"
#include "veil/npy.h"
#include "veil/onnx.h"

static const char *model_path(void) {
  static char buf[4096];
  const char *env = getenv("VEIL_SHARED_DIR");
  const char *cands[] = {env ? env : "", "../shared", "../../shared"};
  for (size_t i = 0; i < sizeof cands / sizeof cands[0]; i++) {
    if (!cands[i][0])
      continue;
    if (cands[i][0] == '/')
      snprintf(buf, sizeof buf, "%s/data/models/resnet20_cifar10.onnx", cands[i]);
    else
      snprintf(buf, sizeof buf, "%s/%s/data/models/resnet20_cifar10.onnx", vt_src(""), cands[i]);
    if (access(buf, R_OK) == 0)
      return buf;
  }
  return NULL;
}

static double max_diff(const veil_tensor *a, const veil_tensor *b) {
  if (veil_tensor_numel(a) != veil_tensor_numel(b))
    return INFINITY;
  double m = 0;
  for (int64_t i = 0; i < veil_tensor_numel(a); i++)
    m = fmax(m, fabs((double)a->data[i] - (double)b->data[i]));
  return m;
}

static int argmax_matches(const veil_tensor *logits, const veil_tensor *labels) {
  int64_t n = logits->shape[0], k = logits->shape[1], ok = 0;
  for (int64_t i = 0; i < n; i++) {
    int64_t best = 0;
    for (int64_t j = 1; j < k; j++)
      best = logits->data[i * k + j] > logits->data[i * k + best] ? j : best;
    ok += best == (int64_t)labels->data[i];
  }
  return (int)ok;
}

static void check_run(const veil_graph *g, const veil_tensor *in, const veil_tensor *ref,
                      const veil_tensor *labels, const char *what) {
  veil_tensor out;
  VT_OK(veil_graph_run(g, in, &out));
  double d = max_diff(&out, ref);
  int ok = argmax_matches(&out, labels);
  fprintf(stderr, "  %s: max|logit - pytorch| = %.3g over %lld images, %d correct\n", what, d,
          (long long)in->shape[0], ok);
  VT_CHECK(out.ndim == 2 && out.shape[1] == 10);
  VT_CHECK_MSG(d <= 1e-4, "max diff %g", d);
  VT_CHECK(ok == argmax_matches(ref, labels));
  veil_tensor_free(&out);
}

static void test_resnet20(void) {
  const char *path = model_path();
  if (!path) {
    fprintf(stderr, "  SKIP: resnet20_cifar10.onnx not found (set VEIL_SHARED_DIR or place ../shared "
                    "beside the checkout)\n");
    return;
  }
  veil_graph g;
  veil_tensor in = {0}, ref = {0}, labels = {0};
  VT_OK(veil_onnx_load(path, &g));
  VT_OK(veil_npy_load(vt_src("tests/onnx/data/resnet20.in.npy"), &in));
  VT_OK(veil_npy_load(vt_src("tests/onnx/data/resnet20.logits.npy"), &ref));
  VT_OK(veil_npy_load(vt_src("tests/onnx/data/resnet20.labels.npy"), &labels));
  int count[VEIL_OP_COUNT] = {0};
  for (int i = 0; i < g.nnodes; i++)
    count[g.nodes[i].op]++;
  /* the op census of the export, from ../shared/data/README.md */
  VT_CHECK(count[VEIL_OP_CONV2D] == 19 && count[VEIL_OP_RELU] == 19 && count[VEIL_OP_ADD] == 9);
  VT_CHECK(count[VEIL_OP_PAD] == 2 && count[VEIL_OP_DENSE] == 1 && count[VEIL_OP_GLOBALAVGPOOL] == 1);
  VT_CHECK(count[VEIL_OP_SLICE] == 2 || count[VEIL_OP_SLICE] == 4);
  check_run(&g, &in, &ref, &labels, "imported");
  VT_OK(veil_graph_optimize(&g, NULL));
  check_run(&g, &in, &ref, &labels, "optimized");
  veil_graph_free(&g);
  veil_tensor_free(&in);
  veil_tensor_free(&ref);
  veil_tensor_free(&labels);
}

int main(void) {
  VT_RUN(test_resnet20);
  VT_DONE();
}
