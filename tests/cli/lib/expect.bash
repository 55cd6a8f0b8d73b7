# Sourced by tests/cli/*.sh (not a test itself).
# expect RC PATTERN COMMAND...: runs COMMAND, requires exit status RC and PATTERN (grep) in its output.
expect() {
  local want=$1 pat=$2; shift 2
  set +e; local e; e=$("$@" 2>&1); local rc=$?; set -e
  echo "$e"
  [ "$rc" -eq "$want" ] || { echo "expected exit $want, got $rc: $*"; exit 1; }
  grep -q -- "$pat" <<<"$e" || { echo "expected '$pat' in the output of: $*"; exit 1; }
}
