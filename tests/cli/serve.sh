#!/usr/bin/env bash
# veil serve + veil client end to end over loopback (127.0.0.1, ephemeral port), with the small
# insecure test parameters (--insecure-test-params): MNIST images encrypted by the client, classified
# by the server, decrypted by the client; the classes must equal the plaintext executor's (veil eval
# --plain / predict --plain, an independent float64 path). Also: 8 concurrent clients, bad requests
# answered with JSON 4xx while the server keeps serving, key sets surviving a restart.
set -euo pipefail
veil="$1"
tmp=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

mkdir "$tmp/models"
cp models/cryptonets.onnx models/cryptonets.prep "$tmp/models/"

start_server() { # start_server [PORT]: veil serve in the background (default: any free port); sets $pid and $url
  "$veil" serve --models "$tmp/models" --state "$tmp/state" --listen "127.0.0.1:${1:-0}" --insecure-test-params \
    --data-dir data --calib-count 32 --max-body-mb 1024 --max-keysets-per-client 16 --workers 2 --queue 16 \
    --access-log "$tmp/access.log" >"$tmp/serve.out" 2>"$tmp/serve.err" &
  pid=$!
  for _ in $(seq 1 600); do
    if grep -q "listening on" "$tmp/serve.out" 2>/dev/null; then break; fi
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    sleep 0.1
  done
  if grep -q "built without the HE executor" "$tmp/serve.err"; then
    echo "SKIPPED: this veil has no HE executor (veil/he.h); serve/client end to end not run"
    exit 0
  fi
  grep -q "listening on" "$tmp/serve.out" || { cat "$tmp/serve.err"; echo "server did not start"; exit 1; }
  url=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$tmp/serve.out")
  grep -q "INSECURE TEST PARAMETERS" "$tmp/serve.err"
}

stop_server() { kill -TERM "$pid"; wait "$pid" || true; pid=""; }

http() { # raw request over bash's /dev/tcp: http METHOD PATH [HEADER-LINES] [BODY-FILE]; prints status and body
  local port=${url##*:} hdrs="${3:-}" body="${4:-}"
  exec 3<>"/dev/tcp/127.0.0.1/$port"
  local len=0
  [ -n "$body" ] && len=$(stat -c %s "$body")
  printf '%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: %s\r\n%s\r\n' "$1" "$2" "$len" "$hdrs" >&3
  [ -n "$body" ] && cat "$body" >&3
  local resp
  resp=$(cat <&3 | tr -d '\r')
  exec 3<&-
  echo "$resp" | head -1 | cut -d' ' -f2
  echo "$resp" | sed '1,/^$/d'
}

announce_huge() { # a 1 TiB body announced by Content-Length is refused before it is sent
  exec 3<>"/dev/tcp/127.0.0.1/${url##*:}"
  printf 'POST /v1/keys?model=cryptonets HTTP/1.1\r\nHost: x\r\nContent-Length: 1099511627776\r\n\r\n' >&3
  local resp
  resp=$(cat <&3 | tr -d '\r')
  exec 3<&-
  echo "$resp" | head -1 | cut -d' ' -f2
  echo "$resp" | sed '1,/^$/d'
}

expect_json_error() { # expect_json_error STATUS OUTPUT-OF-http
  local status=$1 out=$2
  [ "$(head -1 <<<"$out")" = "$status" ] || { echo "expected $status, got: $out"; exit 1; }
  grep -q '"error":{"code":"' <<<"$out" || { echo "no JSON error: $out"; exit 1; }
}

expect_json_4xx() { # expect_json_4xx OUTPUT-OF-http: any 4xx status with a JSON error body
  local out=$1
  [[ "$(head -1 <<<"$out")" =~ ^4[0-9][0-9]$ ]] || { echo "expected a 4xx, got: $out"; exit 1; }
  grep -q '"error":{"code":"' <<<"$out" || { echo "no JSON error: $out"; exit 1; }
  if grep -q "$tmp" <<<"$out"; then echo "error leaks a server path: $out"; exit 1; fi
  echo "wrong parameters refused: $(head -1 <<<"$out") $(tail -1 <<<"$out" | cut -c1-160)"
}

start_server
out=$(http GET /v1/health)
grep -q '"warning":"INSECURE TEST PARAMETERS' <<<"$out"
http GET /v1/models/cryptonets | grep -q '"insecure_test_only":true'

# One client: 16 test images; classes must be the plaintext executor's.
n=16
he=$("$veil" client --server "$url" --model cryptonets --keys "$tmp/keys0" --dataset mnist --data-dir data/mnist \
  --count $n --json 2>"$tmp/client.err")
echo "$he"
grep -q "INSECURE TEST PARAMETERS" "$tmp/client.err"
plain=$("$veil" eval --plain models/cryptonets.onnx --dataset mnist --data-dir data/mnist --count $n --json)
he_acc=$(sed -n 's/.*"accuracy":\([0-9.e+-]*\).*/\1/p' <<<"$he")
plain_acc=$(sed -n 's/.*"accuracy":\([0-9.e+-]*\).*/\1/p' <<<"$plain")
awk -v a="$he_acc" -v b="$plain_acc" 'BEGIN { exit (a == b) ? 0 : 1 }'
for i in 1; do
  want=$("$veil" predict --plain models/cryptonets.onnx tests/cli/data/mnist_t10k_$i.png | sed -n 's/^class //p')
  got=$("$veil" client --server "$url" --model cryptonets --keys "$tmp/keys0" --input tests/cli/data/mnist_t10k_$i.png \
    --json 2>/dev/null)
  grep -q "\"classes\":\[$want\]" <<<"$got"
done
# the evaluation keys were uploaded once (first use), then reused
[ "$(grep -c '"POST /v1/keys" 201' "$tmp/access.log")" = 1 ]
[ "$(stat -c %a "$tmp/keys0/secret.key")" = 600 ]

# 8 concurrent clients, each with its own keys.
pids=()
for c in $(seq 1 8); do
  "$veil" client --server "$url" --model cryptonets --keys "$tmp/keys$c" --dataset mnist --data-dir data/mnist \
    --count 4 --json >"$tmp/c$c.json" 2>"$tmp/c$c.err" &
  pids+=($!)
done
plain4=$("$veil" eval --plain models/cryptonets.onnx --dataset mnist --data-dir data/mnist --count 4 --json)
acc4=$(sed -n 's/.*"accuracy":\([0-9.e+-]*\).*/\1/p' <<<"$plain4")
for c in $(seq 1 8); do
  wait "${pids[$((c - 1))]}" || { cat "$tmp/c$c.err"; exit 1; }
  got=$(sed -n 's/.*"accuracy":\([0-9.e+-]*\).*/\1/p' "$tmp/c$c.json")
  awk -v a="$got" -v b="$acc4" 'BEGIN { exit (a == b) ? 0 : 1 }'
done

# Bad requests: each a JSON 4xx, and the server keeps serving.
head -c 1000 /dev/urandom >"$tmp/garbage"
expect_json_error 400 "$(http POST '/v1/keys?model=cryptonets' '' "$tmp/garbage")"
head -c $(($(stat -c %s "$tmp/keys0/eval.keys") / 2)) "$tmp/keys0/eval.keys" >"$tmp/truncated.keys"
expect_json_error 400 "$(http POST '/v1/keys?model=cryptonets' '' "$tmp/truncated.keys")"
expect_json_error 413 "$(announce_huge)"
expect_json_error 404 "$(http GET /v1/models/nosuch)"
read -r id token < <(awk '{print $2, $3}' "$tmp/keys0/keyset-cryptonets")
expect_json_error 401 "$(http POST "/v1/models/cryptonets/infer?key_set=$id" '' "$tmp/garbage")"
expect_json_error 403 "$(http POST "/v1/models/cryptonets/infer?key_set=$id" "Authorization: Bearer ${token/a/b}x"$'\r\n' "$tmp/garbage")"
expect_json_error 400 "$(http POST "/v1/models/cryptonets/infer?key_set=$id" "Authorization: Bearer $token"$'\r\n' "$tmp/garbage")"
# Wrong parameters: keys and a ciphertext made for the same model under another ring (N=2^11).
"$veil" keygen --model models/cryptonets.onnx --out "$tmp/other" --test-insecure-logn 11 >/dev/null 2>&1
"$veil" encrypt --keys "$tmp/other" --dataset mnist --data-dir data/mnist --count 2 --out "$tmp/other.ct" >/dev/null 2>&1
expect_json_4xx "$(http POST '/v1/keys?model=cryptonets' '' "$tmp/other/eval.keys")"
expect_json_4xx "$(http POST "/v1/models/cryptonets/infer?key_set=$id" "Authorization: Bearer $token"$'\r\n' "$tmp/other.ct")"
http GET /v1/metrics | grep -q '^veil_errors_total{class="4xx"} [1-9]'

# Restart on the same port: the key set uploaded before still works, without a new upload.
port=${url##*:}
stop_server
start_server "$port"
"$veil" client --server "$url" --model cryptonets --keys "$tmp/keys0" --dataset mnist --data-dir data/mnist \
  --count 4 --json >"$tmp/after.json" 2>/dev/null
got=$(sed -n 's/.*"accuracy":\([0-9.e+-]*\).*/\1/p' "$tmp/after.json")
awk -v a="$got" -v b="$acc4" 'BEGIN { exit (a == b) ? 0 : 1 }'
[ "$(grep -c '"POST /v1/keys" 201' "$tmp/access.log")" = 9 ] # keys0 once + 8 clients, none after the restart
echo "serve: ok"
