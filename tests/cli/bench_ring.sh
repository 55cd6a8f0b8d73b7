#!/usr/bin/env bash
# `veil bench ring`: JSON lines with the documented keys; bad targets and options fail cleanly.
set -u
veil="$1"
fail=0
check() { if ! eval "$1"; then echo "FAIL: $2"; fail=1; fi; }

out=$("$veil" bench ring --json --logn 10 --qbits 30 --limbs 2 --reps 3)
check '[ "$(printf "%s\n" "$out" | wc -l)" -eq 3 ]' "three ops, one line each"
for key in op logn qbits limbs threads ns kernel; do
  check 'printf "%s\n" "$out" | grep -q "\"$key\":"' "key $key present"
done
check 'printf "%s\n" "$out" | grep -q "\"op\":\"ntt_fwd\""' "ntt_fwd reported"
check 'printf "%s\n" "$out" | grep -q "\"limbs\":2"' "limbs echoed"
ref=$(VEIL_FORCE_REF=1 "$veil" bench ring --json --logn 10 --qbits 30 --reps 1)
check 'printf "%s\n" "$ref" | grep -q "\"kernel\":\"ref\""' "VEIL_FORCE_REF=1 benchmarks ref"
"$veil" bench ring --kernel scalar --logn 10 --qbits 30 --reps 1 | grep -q scalar || { echo "FAIL: --kernel scalar"; fail=1; }
"$veil" bench nosuch >/dev/null 2>&1; check '[ $? -eq 2 ]' "unknown target exits 2"
"$veil" bench ring --logn 40 >/dev/null 2>&1; check '[ $? -eq 2 ]' "bad --logn exits 2"
"$veil" bench ring --kernel bogus >/dev/null 2>&1; check '[ $? -eq 2 ]' "bad --kernel exits 2"
exit $fail
