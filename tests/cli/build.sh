#!/usr/bin/env bash
# veil build cryptonets: rebuilding from the staged weights reproduces models/cryptonets.onnx and its
# sidecar byte for byte. Skipped (passes) when ../shared/data is not present.
set -euo pipefail
veil="$1"
source "$(dirname "$0")/lib/expect.bash"
w=""
for root in "${VEIL_SHARED_DATA:-}" ../shared/data ../../shared/data; do
  [ -n "$root" ] && [ -f "$root/models/cryptonets_mnist_weights.txt" ] && { w="$root/models/cryptonets_mnist_weights.txt"; break; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
expect 1 "$tmp/none.txt" "$veil" build cryptonets --weights "$tmp/none.txt" --out "$tmp/x.onnx"
expect 2 "unknown network" "$veil" build lenet --weights "$tmp/none.txt" --out "$tmp/x.onnx"
expect 2 "required" "$veil" build cryptonets --out "$tmp/x.onnx"
expect 2 "did you mean '--weights'" "$veil" build cryptonets --weight "$tmp/none.txt"
if [ -z "$w" ]; then echo "build: skip (shared weights not found)"; exit 0; fi
"$veil" build cryptonets --weights "$w" --out "$tmp/cn.onnx"
cmp "$tmp/cn.onnx" models/cryptonets.onnx
cmp "$tmp/cn.prep" models/cryptonets.prep
out=$("$veil" eval --plain "$tmp/cn.onnx" --count 100 --json)
echo "$out"
grep -q '"count":100' <<<"$out"
echo "build: ok"
