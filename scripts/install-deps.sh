#!/usr/bin/env bash
# Installs the Debian packages veil builds against. Idempotent: installs only what is missing, and says so.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config clang
  libsodium-dev libgmp-dev libmpfr-dev zlib1g-dev libpng-dev
  libprotobuf-c-dev protobuf-c-compiler libonnx-dev
  libmicrohttpd-dev libcurl4-openssl-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all build dependencies present"
  exit 0
fi

echo "install-deps: installing missing Debian packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "install-deps: done"
