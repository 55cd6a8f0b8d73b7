#!/usr/bin/env bash
# veil predict --plain on PNG and .npy inputs (fixtures in tests/cli/data, made with Python from MNIST
# t10k images 0 and 1, labels 7 and 2). Reference logits for image 0 come from a NumPy transcription
# of the CryptoNets recipe in float64.
set -euo pipefail
veil="$1"
source "$(dirname "$0")/lib/expect.bash"
d=tests/cli/data
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ref="-38.8187 -43.2983 -68.621 -33.4617 -42.6548 -39.7578 -32.4653 47.1294 -51.934 -32.8011"

close_to_ref() { # "logits a b c ..." line vs $ref, relative 1e-4
  awk -v ref="$ref" '{ n = split(ref, r, " "); if (NF - 1 != n) exit 1;
    for (i = 1; i <= n; i++) { d = $(i + 1) - r[i]; if (d < 0) d = -d; if (d > 1e-4 * (1 + (r[i] < 0 ? -r[i] : r[i]))) exit 1 } }'
}

out=$("$veil" predict --plain models/cryptonets.onnx $d/mnist_t10k_0.png)
echo "$out"
grep -qx 'class 7' <<<"$out"
grep '^logits' <<<"$out" | close_to_ref

# The same image as preprocessed .npy, as raw-pixel .npy with --raw, and via --model.
for args in "models/cryptonets.onnx $d/mnist_t10k_0.npy" "--raw models/cryptonets.onnx $d/mnist_t10k_0_raw.npy" \
            "--model models/cryptonets.onnx $d/mnist_t10k_0.npy"; do
  out=$("$veil" predict --plain $args)
  grep -qx 'class 7' <<<"$out"
  grep '^logits' <<<"$out" | close_to_ref
done

out=$("$veil" predict --plain --json models/cryptonets.onnx $d/mnist_t10k_1.png)
echo "$out"
grep -Eq '^\{"class":2,"logits":\[[^]]*\]\}$' <<<"$out"
[ "$(grep -o ',' <<<"$out" | wc -l)" -eq 10 ]   # class + 10 logits

out=$("$veil" predict --plain --json models/cryptonets.onnx $d/mnist_t10k_01.npy)
echo "$out"
[ "$(wc -l <<<"$out")" -eq 2 ]
grep -q '^{"class":7,' <<<"$out"
grep -q '^{"class":2,' <<<"$out"

expect 2 "did you mean '--json'" "$veil" predict --plain --jsn models/cryptonets.onnx $d/mnist_t10k_0.png
expect 2 "choose a mode" "$veil" predict models/cryptonets.onnx $d/mnist_t10k_0.png
expect 2 "usage" "$veil" predict --plain models/cryptonets.onnx
expect 2 ".png or .npy" "$veil" predict --plain models/cryptonets.onnx README.md
expect 1 "$tmp/nope.png" "$veil" predict --plain models/cryptonets.onnx "$tmp/nope.png"
expect 1 "$tmp/nope.onnx" "$veil" predict --plain "$tmp/nope.onnx" $d/mnist_t10k_0.png
printf 'not a png' > "$tmp/bad.png"
expect 1 "bad.png" "$veil" predict --plain models/cryptonets.onnx "$tmp/bad.png"
# A wrongly shaped input is refused, not misread.
expect 1 "" "$veil" predict --plain models/cryptonets.onnx $d/mnist_t10k_0_raw.npy
echo "predict: ok"
