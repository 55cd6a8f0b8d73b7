#!/usr/bin/env bash
# Regenerates docs/approx-tables/*.json with `veil approx` (make approx-tables). Each file holds one
# JSON object per configuration: degrees, depth, interval, measured max/mean error (65537 points),
# the gap eps for sign/relu, and the Chebyshev coefficients of every stage.
set -euo pipefail
veil=${1:-build/bin/veil}
out=${2:-docs/approx-tables}
mkdir -p "$out"
gen() { # file function interval degrees [extra options]
  local file=$1 fn=$2 iv=$3; shift 3
  for d in $1; do
    "$veil" approx "$fn" --interval "$iv" --degrees "$d" "${@:2}" --coeffs --json
  done >>"$out/$file.tmp"
}
for f in relu sign sigmoid gelu silu; do rm -f "$out/$f.json.tmp"; done
gen relu.json relu -1,1 "15,15,27 7,15,27 15,27 7,7,7,7"
gen sign.json sign -1,1 "15,15,27 7,15,27" --eps 0.0009765625
gen sigmoid.json sigmoid -8,8 "7 15 31 63"
gen gelu.json gelu -8,8 "7 15 31 63"
gen silu.json silu -8,8 "7 15 31 63"
for f in relu sign sigmoid gelu silu; do mv "$out/$f.json.tmp" "$out/$f.json"; done
echo "wrote $(ls "$out"/*.json | wc -l) tables to $out"
