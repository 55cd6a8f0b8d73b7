#!/usr/bin/env bash
# veil inspect on the shipped CryptoNets: layers, parameter count, depth, modes.
set -euo pipefail
veil="$1"
source "$(dirname "$0")/lib/expect.bash"
out=$("$veil" inspect models/cryptonets.onnx)
echo "$out"
# 5*25+5 + 845*100+100 + 100*10+10 = 85740 parameters, counted by hand.
grep -q '85740' <<<"$out"
grep -qi 'conv' <<<"$out"
grep -qi 'batch' <<<"$out"
out=$("$veil" inspect --json --model models/cryptonets.onnx)
echo "$out"
[ "$(wc -l <<<"$out")" -eq 1 ]
grep -q '"params":85740' <<<"$out"
grep -q '"layers":\[' <<<"$out"
expect 1 /nonexistent/model.onnx "$veil" inspect /nonexistent/model.onnx
expect 2 "did you mean '--json'" "$veil" inspect --jsn models/cryptonets.onnx
expect 2 "missing the model" "$veil" inspect
echo "inspect: ok"
