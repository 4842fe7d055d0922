#!/usr/bin/env bash
# Builds the adlik/adlik-serving OCI image without Docker, from the binaries already in
# build/bin: Debian bookworm (mmdebstrap, variant minbase) with only the packages that hold
# the binaries' shared libraries, a non-root user, and adlik_serving with its runtime
# plugins in /opt/adlik/bin; umoci writes it as an OCI image layout. The Dockerfile builds
# the same image with Docker (its runtime stage runs `scripts/build_image.sh --stage`).
#
#   scripts/build_image.sh                 the image, in build/image/oci (tags 0.1.0, latest)
#   scripts/build_image.sh --stage DIR     only the files: DIR/opt/adlik/bin and
#                                          DIR/packages.txt (the Debian packages needed)
#
#   BUILD_DIR  where the binaries are (default build)
#   RUNTIMES   runtime plugins to include (default "onnxruntime"; "onnxruntime libtorch"
#              adds LibTorch, whose Debian packages, libtorch1.13 and its dependencies,
#              add several hundred MB)
#   MIRROR     the Debian mirror (default: the first of this machine's apt sources)
#
# The image: two layers (Debian with the libraries; /opt/adlik), user adlik (10001:10001),
# entrypoint adlik_serving --model_base_path=/models --grpc_port=8500 --http_port=8501,
# ports 8500-8502. OCI's image config has no health check (Docker's HEALTHCHECK is Docker's
# own), so the check the Dockerfile gives is the label org.adlik.healthcheck; a Kubernetes
# Pod has its own probes (the chart's, on the same endpoint).
set -euo pipefail
cd "$(dirname "$0")/.."
build="${BUILD_DIR:-build}"
version=$(sed -n 's/.*ServerCore::Version() { return "\(.*\)"; }/\1/p' src/server/server_core.cc)
[ -n "$version" ] || { echo "build_image: no version in src/server/server_core.cc" >&2; exit 1; }

runtimes="${RUNTIMES:-onnxruntime}"

# stage DIR: the binaries into DIR/opt/adlik/bin, their libraries that no Debian package
# holds beside them, and the names of the packages that hold the others in DIR/packages.txt.
stage() {
  local dir=$1 bin="$1/opt/adlik/bin" files=() f lib path pkg
  mkdir -p "$bin"
  [ -x "$build/bin/adlik_serving" ] || { echo "build_image: no $build/bin/adlik_serving (run scripts/build.sh)" >&2; exit 1; }
  files=("$build/bin/adlik_serving")
  for r in $runtimes; do
    f="$build/bin/libadlik_runtime_$r.so"
    [ -f "$f" ] || { echo "build_image: no $f (runtime $r not built)" >&2; exit 1; }
    files+=("$f")
  done
  install -m 0755 "${files[@]}" "$bin/"
  : >"$dir/packages.txt.all"
  # ldd of each binary: a library under the build folder or outside any Debian package
  # (ONNX Runtime's) is copied; any other is named by its package.
  for f in "${files[@]}"; do
    while read -r lib path; do
      [ -n "$path" ] || continue
      if pkg=$(dpkg-query -S "$path" 2>/dev/null || dpkg-query -S "$(readlink -f "$path")" 2>/dev/null ||
        dpkg-query -S "${path#/usr}" 2>/dev/null || dpkg-query -S "/usr$path" 2>/dev/null); then
        echo "${pkg%%:*}" >>"$dir/packages.txt.all"
      else
        install -m 0644 "$(readlink -f "$path")" "$bin/$lib"
      fi
    done < <(ldd "$f" | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }')
  done
  sort -u "$dir/packages.txt.all" | grep -v -x -e libc6 -e libgcc-s1 -e libstdc++6 >"$dir/packages.txt" || true
  echo libstdc++6 >>"$dir/packages.txt"  # minbase has libc6 and libgcc-s1 already
  rm "$dir/packages.txt.all"
}

if [ "${1:-}" = "--stage" ]; then
  [ -n "${2:-}" ] || { echo "usage: scripts/build_image.sh --stage DIR" >&2; exit 2; }
  stage "$2"
  exit 0
fi

for tool in mmdebstrap umoci; do
  command -v "$tool" >/dev/null || { echo "build_image: no $tool (ADLIK_SETUP_DEPLOY=1 scripts/setup.sh)" >&2; exit 1; }
done
# The first Debian mirror of this machine's apt sources (one-line or deb822).
mirror="${MIRROR:-$( (cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null || true) |
  awk '/^deb / { print ($2 ~ /^\[/ ? $3 : $2); exit } /^URIs:/ { print $2; exit }')}"
[ -n "$mirror" ] || { echo "build_image: no Debian mirror in /etc/apt/sources.list(.d); set MIRROR" >&2; exit 1; }

out="$build/image"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
stage "$work/stage"
packages=$(paste -sd, "$work/stage/packages.txt")
echo "build_image: Debian bookworm from $mirror with $packages"
mmdebstrap --quiet --variant=minbase --include="$packages" \
  --customize-hook='chroot "$1" groupadd --gid 10001 adlik' \
  --customize-hook='chroot "$1" useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin adlik' \
  --customize-hook='mkdir -p "$1/models"' \
  --customize-hook='rm -rf "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/* "$1"/usr/share/doc/* "$1"/usr/share/man/*' \
  bookworm "$work/base.tar" "deb $mirror bookworm main"
tar -C "$work/stage" --owner=0 --group=0 --numeric-owner --sort=name -cf "$work/app.tar" opt

rm -rf "$out/oci"
mkdir -p "$out"
layout="$out/oci"
umoci init --layout "$layout"
umoci new --image "$layout:$version"
umoci raw add-layer --image "$layout:$version" "$work/base.tar"
umoci raw add-layer --image "$layout:$version" "$work/app.tar"
umoci config --image "$layout:$version" \
  --author="adlik" \
  --config.user=10001:10001 \
  --config.workingdir=/ \
  --config.env=PATH=/opt/adlik/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --config.entrypoint=/opt/adlik/bin/adlik_serving \
  --config.cmd=--model_base_path=/models --config.cmd=--grpc_port=8500 --config.cmd=--http_port=8501 \
  --config.exposedports=8500/tcp --config.exposedports=8501/tcp --config.exposedports=8502/tcp \
  --config.volume=/models \
  --config.label=org.opencontainers.image.title=adlik-serving \
  --config.label=org.opencontainers.image.version="$version" \
  --config.label=org.adlik.healthcheck='GET http://127.0.0.1:8501/v2/health/ready answers 200 (the Dockerfile: HEALTHCHECK with bash /dev/tcp)' \
  --manifest.annotation=org.opencontainers.image.version="$version" \
  --history.created_by="scripts/build_image.sh"
umoci tag --image "$layout:$version" latest
umoci gc --layout "$layout"

# Sizes: the compressed layers as stored, and the root file system unpacked.
layers=$(python3 - "$layout" "$version" <<'EOF'
import json, os, sys
layout, tag = sys.argv[1], sys.argv[2]
blob = lambda d: os.path.join(layout, "blobs", *d.split(":"))
index = json.load(open(os.path.join(layout, "index.json")))
m = next(m for m in index["manifests"] if m["annotations"]["org.opencontainers.image.ref.name"] == tag)
manifest = json.load(open(blob(m["digest"])))
sizes = [l["size"] for l in manifest["layers"]]
print(" + ".join(f"{s / 2**20:.1f}" for s in sizes), f"= {sum(sizes) / 2**20:.1f} MiB compressed")
EOF
)
unpacked=$(( $(tar -tvf "$work/base.tar" | awk '{ s += $3 } END { print s }') + $(du -sb "$work/stage/opt" | cut -f1) ))
echo "build_image: $layout:$version (and :latest): layers $layers, $((unpacked / 1048576)) MiB unpacked"
