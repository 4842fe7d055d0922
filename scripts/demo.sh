#!/usr/bin/env bash
# Sets up, builds, then: makes the example repository, starts adlik_serving on
# it, classifies an image-shaped input with tritonclient over HTTP and sends
# `simple` a request over gRPC, prints the answers, and stops the server.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
repo="${ADLIK_DEMO_REPO:-build/example_models}"
python3 examples/make_example_models.py "$repo" >/dev/null
python3 examples/demo_client.py --repo "$repo"
