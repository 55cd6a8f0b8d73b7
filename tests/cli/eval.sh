#!/usr/bin/env bash
# veil eval --plain: the shipped CryptoNets on the shipped MNIST test set, plus usage and file errors.
set -euo pipefail
veil="$1"
source "$(dirname "$0")/lib/expect.bash"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Accuracy on the first 200 images (the float network gets 98.96% on all 10000).
out=$("$veil" eval --plain models/cryptonets.onnx --dataset mnist --count 200 --json)
echo "$out"
acc=$(sed -n 's/.*"accuracy":\([0-9.eE+-]*\).*/\1/p' <<<"$out")
grep -q '"count":200' <<<"$out"
grep -q '"seconds":' <<<"$out"
awk -v a="$acc" 'BEGIN { exit !(a >= 0.95 && a <= 1) }'

# --model instead of the positional argument; the sidecar's dataset (mnist) is the default.
out=$("$veil" eval --plain --model models/cryptonets.onnx --count 50)
echo "$out"
grep -Eq '^accuracy: [0-9]+/50 = [0-9.]+% on mnist' <<<"$out"
grep -q 'preprocessing: .*cryptonets.prep' <<<"$out"

# --data-dir pointing at the dataset directory, and at one without MNIST.
"$veil" eval --plain models/cryptonets.onnx --dataset mnist --data-dir data/mnist --count 10 --json >/dev/null
expect 1 "not found" "$veil" eval --plain models/cryptonets.onnx --dataset mnist --data-dir "$tmp" --count 10

# Usage errors exit 2 with a hint; missing files exit 1 naming the file.
expect 2 "did you mean '--dataset'" "$veil" eval --plain models/cryptonets.onnx --datset mnist
expect 2 "Run 'veil eval --help'" "$veil" eval --plain models/cryptonets.onnx --bogus
expect 2 "not available yet" "$veil" eval --encrypted models/cryptonets.onnx --dataset mnist
expect 2 "choose a mode" "$veil" eval models/cryptonets.onnx --dataset mnist
expect 2 "unknown dataset" "$veil" eval --plain models/cryptonets.onnx --dataset imagenet
expect 2 "count" "$veil" eval --plain models/cryptonets.onnx --dataset mnist --count 0
expect 2 "mean" "$veil" eval --plain models/cryptonets.onnx --dataset mnist --mean 1,x
expect 1 "$tmp/missing.onnx" "$veil" eval --plain "$tmp/missing.onnx" --dataset mnist
expect 1 "$tmp/none.prep" "$veil" eval --plain models/cryptonets.onnx --dataset mnist --prep "$tmp/none.prep"
echo "eval: ok"
