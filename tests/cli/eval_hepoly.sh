#!/usr/bin/env bash
# veil on the shipped HE-friendly MNIST model (models/mnist_hepoly.onnx, trained by
# tools/train/train_mnist_hepoly.py). References were computed with PyTorch from the ONNX weights
# (not by veil): 498/500 correct on the first 500 t10k images (9930/10000 on all), and the logits of
# t10k image 0 below (printed with %.6f).
set -euo pipefail
veil="$1"

# The sidecar models/mnist_hepoly.prep (scale 1/256, pad 0 0 1 1, dataset mnist) is found beside the model.
out=$("$veil" eval --plain models/mnist_hepoly.onnx --count 500 --json)
echo "$out"
grep -q '"count":500' <<<"$out"
grep -q '"correct":498' <<<"$out"

# Logits of image 0 (a 7) against PyTorch, |diff| <= 1e-4.
ref="-6.308945 -2.678841 -2.682853 0.082507 -4.544551 -6.374421 -14.403784 14.686710 -3.426775 3.823681"
got=$("$veil" predict --plain --json models/mnist_hepoly.onnx tests/cli/data/mnist_t10k_0.png)
echo "$got"
grep -q '"class":7' <<<"$got"
vals=$(sed -n 's/.*"logits":\[\([^]]*\)\].*/\1/p' <<<"$got" | tr ',' ' ')
awk -v a="$vals" -v b="$ref" 'BEGIN {
  n = split(a, x, " "); m = split(b, y, " ");
  if (n != 10 || m != 10) { print "expected 10 logits, got " n; exit 1 }
  for (i = 1; i <= n; i++) { d = x[i] - y[i]; if (d < 0) d = -d;
    if (d > 1e-4) { print "logit " i - 1 ": " x[i] " vs PyTorch " y[i]; exit 1 } }
}'

# The graph is Conv -> square -> Flatten -> Gemm -> square -> Gemm: multiplicative depth 5.
ins=$("$veil" inspect models/mnist_hepoly.onnx)
echo "$ins"
grep -q 'multiplicative depth: 5' <<<"$ins"
[ "$(grep -c ' square ' <<<"$ins")" -eq 2 ]
echo "eval_hepoly: ok"
