#!/usr/bin/env bash
# Encrypted inference split through files: keygen, encrypt, infer (secret key absent from the server's
# directory), decrypt; results against plaintext `veil predict`; refusals (ReLU model, other keys).
# Uses a small insecure ring (--test-insecure-logn, tests only) to stay fast under ASan.
set -euo pipefail
veil=$1
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib/expect.bash"
data="$here/../onnx/data"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

model="$data/square_mul.onnx"
expect 0 "complex packing: off" "$veil" keygen --model "$model" --out "$T/keys" --input "$data/square_mul.in.npy" --test-insecure-logn 10
[ "$(stat -c %a "$T/keys/secret.key")" = 600 ] || { echo "secret.key is not mode 0600"; exit 1; }
expect 0 "encrypted" "$veil" encrypt --keys "$T/keys" --input "$data/square_mul.in.npy" --out "$T/in.ct"

mkdir "$T/server"
cp "$T/keys/eval.keys" "$T/server/"
(cd "$T/server" && expect 0 "server-side" "$veil" infer --model "$model" --eval-keys eval.keys --in "$T/in.ct" --out out.ct)
[ ! -e "$T/server/secret.key" ] && [ "$(ls "$T/server")" = "$(printf 'eval.keys\nout.ct')" ] || { echo "server dir has more than eval.keys/out.ct"; exit 1; }

"$veil" decrypt --keys "$T/keys" --in "$T/server/out.ct" --json > "$T/he.json"
"$veil" predict --plain --json "$model" "$data/square_mul.in.npy" > "$T/plain.json"
# every logit within 1e-3 of the float64 plaintext run
paste <(grep -o '"logits":\[\[.*' "$T/he.json" | tr -c '0-9eE.+-' '\n' | grep -E '[0-9]') \
      <(grep -o '"logits":\[[^]]*' "$T/plain.json" | tr -c '0-9eE.+-' '\n' | grep -E '[0-9]') > "$T/pairs"
[ "$(wc -l < "$T/pairs")" -gt 100 ] || { echo "too few logits compared"; exit 1; }
awk '{ d = $1 - $2; if (d < 0) d = -d; if (d > 1e-3) { print "logit differs: " $0; bad = 1 } } END { exit bad }' "$T/pairs"

# refusals: keys of another session, a ReLU model
expect 0 "wrote" "$veil" keygen --model "$model" --out "$T/keys2" --input "$data/square_mul.in.npy" --test-insecure-logn 10
expect 1 "other keys" "$veil" decrypt --keys "$T/keys2" --in "$T/server/out.ct"
expect 1 "other keys" "$veil" infer --model "$model" --eval-keys "$T/keys2/eval.keys" --in "$T/in.ct" --out "$T/x.ct"
expect 0 "wrote" "$veil" keygen --model "$model" --out "$T/keys3" --input "$data/square_mul.in.npy" --test-insecure-logn 11
expect 1 "other parameters" "$veil" decrypt --keys "$T/keys3" --in "$T/server/out.ct"
expect 1 "client-aided mode (--mode client-aided)" "$veil" keygen --model "$data/relu.onnx" --out "$T/k4" --input "$data/relu.in.npy"
echo "encrypted CLI: ok"
