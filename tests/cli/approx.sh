#!/usr/bin/env bash
# veil approx: JSON fields, depth formula, error bounds; bad input exits non-zero with a reason.
set -u
veil=$1
fail() { echo "FAIL: $*" >&2; exit 1; }
field() { printf '%s' "$out" | grep -o "\"$1\":[^,}]*" | head -1 | cut -d: -f2; }

out=$("$veil" approx sigmoid --interval -8,8 --degrees 31 --points 4097 --json) || fail "sigmoid exited $?"
echo "$out"
[ "$(field function)" = '"sigmoid"' ] || fail function
[ "$(field depth)" = 6 ] || fail "depth $(field depth), want 5 + 1 (prescale by 1/8)"
printf '%s' "$out" | grep -q '"interval":\[-8,8\]' || fail interval
awk -v e="$(field max_err)" 'BEGIN { exit !(e > 0 && e < 1e-5) }' || fail "max_err $(field max_err)"

out=$("$veil" approx relu --degrees 7,7 --eps 0.1 --points 4097 --json) || fail "relu exited $?"
echo "$out"
[ "$(field depth)" = 7 ] || fail "relu depth $(field depth), want 3+3+1"
printf '%s' "$out" | grep -q '"degrees":\[7,7\]' || fail degrees
awk -v e="$(field max_err)" -v m="$(field mean_err)" 'BEGIN { exit !(e > 0 && e < 0.02 && m < e) }' || fail "relu err"

"$veil" approx relu --degrees 8,7 --json 2>/dev/null && fail "even degree accepted"
"$veil" approx softplus 2>/dev/null && fail "unknown function accepted"
"$veil" approx gelu --interval 3 2>/dev/null && fail "one-number interval accepted"
msg=$("$veil" approx relu --degrees 8,7 2>&1)
printf '%s' "$msg" | grep -q "degree 8" || fail "no reason given: $msg"
echo ok
