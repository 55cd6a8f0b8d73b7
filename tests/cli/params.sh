#!/usr/bin/env bash
# veil params: a feasible request prints valid JSON fields; an impossible one exits 1 with a reason.
set -u
veil=$1
fail() { echo "FAIL: $*" >&2; exit 1; }

out=$("$veil" params --depth 5 --scale-bits 40 --slots 4096 --json) || fail "params exited $?"
echo "$out"
field() { printf '%s' "$out" | grep -o "\"$1\":[^,}]*" | head -1 | cut -d: -f2 | tr -d '"'; }
logn=$(field logn)
[ -n "$logn" ] || fail "no logn"
# Depth 5 at 2^40: 60 + 5*40 = 260 bits of Q, over the 218-bit bound of N=2^13, so N=2^14.
[ "$logn" = 14 ] || fail "logn $logn, expected 14"
[ "$(field slots)" = 4096 ] || fail "slots"
[ "$(field security)" = 128 ] || fail "security"
bound=$(field bound)
[ "$bound" = 438 ] || fail "bound $bound, expected 438 (128-bit, N=2^14)"
logqp=$(field log_qp)
awk -v a="$logqp" -v b="$bound" 'BEGIN { exit !(a > 260 && a <= b) }' || fail "log_qp $logqp"
printf '%s' "$out" | grep -q '"q_bits":\[60,4[01],40,4[01],40,4[01]\]' || fail "q_bits"
printf '%s' "$out" | grep -q '"p_bits":\[60' || fail "p_bits"
printf '%s' "$out" | grep -q '"bound_text":"438 at 128-bit for N=2^14"' || fail "bound_text"
for k in dnum pk_mb pk_seeded_mb rlk_mb rlk_seeded_mb galois_mb galois_seeded_mb fingerprint; do
  [ -n "$(field $k)" ] || fail "missing $k"
done
# The public key is 2 polys x 6 limbs x 2^14 x 8 bytes = 1.5 MiB; seeded about half.
[ "$(field pk_mb)" = 1.5 ] || fail "pk_mb $(field pk_mb)"
awk -v a="$(field rlk_seeded_mb)" -v b="$(field rlk_mb)" 'BEGIN { exit !(a > b / 2 && a < b / 2 + 0.001) }' ||
  fail "seeded rlk not half"

# Text output names the bound.
"$veil" params --depth 5 --scale-bits 40 --slots 4096 | grep -q "438 at 128-bit for N=2^14" || fail "text"

# Impossible: 63 x 55 + 60 > 3523 even at N=2^17.
err=$("$veil" params --depth 63 --scale-bits 55 2>&1 >/dev/null)
rc=$?
[ $rc = 1 ] || fail "impossible request exited $rc"
echo "$err"
echo "$err" | grep -q "3523" || fail "message does not name the bound: $err"
# Out-of-range scale: exit 1 with the reason.
err=$("$veil" params --depth 3 --scale-bits 70 2>&1 >/dev/null)
[ $? = 1 ] || fail "bad scale accepted"
echo "$err" | grep -q "scale bits 70" || fail "scale message: $err"
echo "ok"
