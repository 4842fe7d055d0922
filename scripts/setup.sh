#!/usr/bin/env bash
# Installs everything the build, the demo and the tests need. Idempotent: on a
# machine that already has everything it only checks, in a few seconds.
#
#   ADLIK_DEPS   where downloaded dependencies are cached (default ~/.cache/adlik)
set -euo pipefail

deps="${ADLIK_DEPS:-$HOME/.cache/adlik}"
ort_version=1.29.0
ort_npm=com.github.asus4.onnxruntime@0.4.9

apt_packages=(
  cmake ninja-build pkg-config g++ clang-format
  libgrpc++-dev libabsl-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  rapidjson-dev libboost-dev libgtest-dev libgmock-dev
  prometheus-cpp-dev libzip-dev libonnx-dev libonnx-testdata
)
python_packages=('tritonclient[all]' numpy onnx pytest)

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# ONNX Runtime: the official Linux x64 build rides in an npm package. `npm pack`
# only downloads the tarball; nothing runs at install time.
ort_dir="$deps/onnxruntime-$ort_version"
if [ ! -f "$ort_dir/lib/libonnxruntime.so" ] || [ ! -f "$ort_dir/include/onnxruntime_c_api.h" ]; then
  echo "setup: fetching ONNX Runtime $ort_version ($ort_npm)"
  mkdir -p "$deps"
  tarball=$(cd "$deps" && npm pack --silent "$ort_npm" | tail -n 1)
  tmp=$(mktemp -d)
  tar -xzf "$deps/$tarball" -C "$tmp"
  rm -rf "$ort_dir" && mkdir -p "$ort_dir/lib" "$ort_dir/include"
  cp "$tmp"/package/Plugins/Linux/x64/*.so "$ort_dir/lib/"
  headers=$(find "$tmp/package/Plugins" -path '*ios-arm64_x86_64-simulator*' -name onnxruntime_c_api.h -printf '%h\n' | head -n 1)
  cp "$headers"/*.h "$ort_dir/include/"
  rm -rf "$tmp" "${deps:?}/$tarball"
fi

if ! python3 -c 'import tritonclient.http, tritonclient.grpc, numpy, onnx, pytest' 2>/dev/null; then
  echo "setup: installing Python packages: ${python_packages[*]}"
  python3 -m pip install -q --disable-pip-version-check "${python_packages[@]}"
fi
echo "setup: ready (ONNX Runtime in $ort_dir)"
