# adlik/adlik-serving: adlik_serving with its runtime plugins on Debian bookworm-slim.
#
#   docker build -t adlik/adlik-serving:0.1.0 .
#   docker build --build-arg WITH_LIBTORCH=1 -t adlik/adlik-serving:0.1.0-libtorch .
#   docker run -p 8500:8500 -p 8501:8501 -v /srv/models:/models:ro adlik/adlik-serving:0.1.0
#
# Runtimes: ONNX Runtime always; LibTorch with WITH_LIBTORCH=1 (Debian's LibTorch 1.13,
# CPU; libtorch1.13 and its dependencies add several hundred MB). scripts/build_image.sh
# builds the same image without Docker (mmdebstrap and umoci) from binaries built on the
# host; both take the files and the Debian packages the runtime stage needs from
# `scripts/build_image.sh --stage`.

# ---- build: the server and the runtime plugins ------------------------------------------
FROM debian:bookworm AS build
ARG WITH_LIBTORCH=0
WORKDIR /src
COPY . .
# setup.sh installs the build's Debian packages and ONNX Runtime (from npm, unpacked only);
# the Python packages of the tests are not needed here.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends npm ca-certificates \
 && ADLIK_SETUP_PYTHON=0 ADLIK_WITH_LIBTORCH="$WITH_LIBTORCH" ADLIK_DEPS=/deps scripts/setup.sh
RUN torch=$([ "$WITH_LIBTORCH" = 1 ] && echo ON || echo OFF) \
 && cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DADLIK_DEPS=/deps \
      -DADLIK_WITH_LIBTORCH="$torch" \
 && ninja -C build adlik_serving adlik_runtime_onnxruntime \
      $([ "$WITH_LIBTORCH" = 1 ] && echo adlik_runtime_libtorch) \
 && RUNTIMES="onnxruntime$([ "$WITH_LIBTORCH" = 1 ] && echo ' libtorch')" \
      scripts/build_image.sh --stage /stage

# ---- runtime: bookworm-slim, the shared libraries' packages, the binaries ---------------
FROM debian:bookworm-slim
COPY --from=build /stage/packages.txt /tmp/packages.txt
RUN apt-get update \
 && xargs -a /tmp/packages.txt env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y --no-install-recommends \
 && rm -rf /var/lib/apt/lists/* /tmp/packages.txt \
 && groupadd --gid 10001 adlik \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin adlik \
 && mkdir /models
COPY --from=build /stage/opt/adlik /opt/adlik
ENV PATH=/opt/adlik/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
LABEL org.opencontainers.image.title=adlik-serving org.opencontainers.image.version=0.1.0
USER 10001:10001
EXPOSE 8500 8501 8502
VOLUME /models
# Ready: GET /v2/health/ready answers 200 (on the default HTTP port; the image has bash,
# not curl).
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8501 && printf 'GET /v2/health/ready HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["/opt/adlik/bin/adlik_serving"]
CMD ["--model_base_path=/models", "--grpc_port=8500", "--http_port=8501"]
