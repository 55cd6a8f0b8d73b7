#!/usr/bin/env bash
# veil eval --plain on the staged ResNet-20 and CIFAR-10 images (../shared/data; skipped when absent):
# the shipped sidecar models/resnet20_cifar10.prep is found by the model's name, and the same
# normalization given as flags gives the same result. Reference: 915/1000 with PyTorch (shared README).
set -euo pipefail
veil="$1"
source "$(dirname "$0")/lib/expect.bash"
root=""
for r in "${VEIL_SHARED_DATA:-}" ../shared/data ../../shared/data; do
  [ -n "$r" ] && [ -f "$r/models/resnet20_cifar10.onnx" ] && [ -d "$r/cifar10" ] && { root=$r; break; }
done
if [ -z "$root" ]; then echo "eval_cifar: skip (shared data not found)"; exit 0; fi
m="$root/models/resnet20_cifar10.onnx"
a=$("$veil" eval --plain "$m" --dataset cifar10 --data-dir "$root/cifar10" --count 8 --json)
echo "$a"
grep -q '"count":8' <<<"$a"
correct=$(sed -n 's/.*"correct":\([0-9]*\).*/\1/p' <<<"$a")
[ "$correct" -ge 6 ]
b=$("$veil" eval --plain "$m" --dataset cifar10 --data-dir "$root/cifar10" --count 8 --json --prep /dev/null \
      --scale 1/255 --mean 0.485,0.456,0.406 --std 0.229,0.224,0.225)
echo "$b"
[ "$(sed 's/"seconds":[^,}]*//' <<<"$a")" = "$(sed 's/"seconds":[^,}]*//' <<<"$b")" ]
# VEIL_DATA_DIR holds one directory per dataset.
VEIL_DATA_DIR="$root" "$veil" eval --plain "$m" --dataset cifar10 --count 2 --json | grep -q '"count":2'
expect 1 "test_batch" "$veil" eval --plain "$m" --dataset cifar10 --data-dir data/mnist --count 2
echo "eval_cifar: ok"
