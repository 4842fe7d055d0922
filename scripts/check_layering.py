#!/usr/bin/env python3
"""Checks the include graph of the server's layers (run by ctest as layering_test).

Above the server core (the front ends, the metrics, the adlik_serving binary) a file may
reach, directly or through the headers it includes, only the core's API, the KServe
layer, base/ and the SDK's value types: never the lifecycle, the scheduler, the runtime
host, the repository, the runtime SDK (adlik/runtime.h) or the core's own internals.
The protocol layers (src/frontends/kserve, adlik, tfserving) reach no transport, no
authentication and no metrics; the Adlik and TensorFlow Serving ones use of the KServe layer
only its JSON parsing and tensor codecs.
The C++ client library (clients/) shares the KServe layer's codecs with the server and
nothing else of it: not the core either, nor the front ends' transports.

The tools beside the server (adlik_bench, adlik_compiler) run runtimes through the
runtime host alone: they never reach the lifecycle, the scheduler, the server core or the
front ends, nor a runtime's own sources.

Usage: check_layering.py [REPO_ROOT]; exits 1 and lists each violation with the chain of
includes that leads to it.
"""

import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)

# Files above the core (relative to the repository root).
ABOVE_CORE = ("src/frontends/", "src/metrics/", "tools/adlik_serving/")

# What nothing above the core may reach.
FORBIDDEN = (
    "lifecycle/",
    "scheduler/",
    "runtime_host/",
    "repository/",
    "adlik/runtime.h",
    "server/request_validator.h",
    "server/classification.h",
    "server/tracer.h",
    "server/otel_trace_exporter.h",
)

# The protocol layers without a transport (KServe, Adlik, TensorFlow Serving): besides
# FORBIDDEN, never the transports (HTTP, gRPC servers), authentication or metrics, which
# sit above them; the Adlik and TensorFlow Serving layers not the KServe layer's protocol
# either (they share only its JSON parsing and tensor codecs).
PROTOCOLS = ("src/frontends/kserve/", "src/frontends/adlik/", "src/frontends/tfserving/")
TRANSPORTS = ("frontends/http/", "frontends/auth/", "metrics/", "frontends/grpc/grpc_server.h",
              "frontends/grpc/grpc_call.h", "frontends/grpc/grpc_stream.h",
              "frontends/grpc/grpc_infer_request.h", "frontends/grpc/adlik_grpc_service.h",
              "frontends/grpc/tfserving_grpc_service.h")
PROTOCOL_FORBIDDEN = FORBIDDEN + TRANSPORTS
V1_FORBIDDEN = PROTOCOL_FORBIDDEN + ("frontends/kserve/kserve_protocol.h", "frontends/kserve/kserve_render.h",
                                     "frontends/kserve/kserve_json.h")

# The client library, and what it may not reach besides FORBIDDEN.
CLIENTS = ("clients/",)
CLIENT_FORBIDDEN = FORBIDDEN + ("server/", "frontends/http/", "frontends/auth/", "metrics/")

# The tools that run runtimes in-process, and what they may not reach.
TOOLS = ("tools/bench/", "compiler/")
TOOLS_FORBIDDEN = ("lifecycle/", "scheduler/", "server/", "frontends/", "runtimes/", "adlik/runtime.h")


def resolve(root, name, including_dir):
    for base in (including_dir, os.path.join(root, "src"), os.path.join(root, "include"),
                 os.path.join(root, "tools"), os.path.join(root, "compiler"), root):
        path = os.path.join(base, name)
        if os.path.isfile(path):
            return path
    return None  # generated (protobuf) or a system header


def includes(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return INCLUDE.findall(f.read())


def violations(root, start, forbidden=FORBIDDEN):
    """(include chain, forbidden header) for every forbidden header `start` reaches."""
    found = []
    seen = set()
    stack = [(start, [os.path.relpath(start, root)])]
    while stack:
        path, chain = stack.pop()
        for name in includes(path):
            if name.startswith(forbidden):
                found.append((chain, name))
                continue
            target = resolve(root, name, os.path.dirname(path))
            if target is None or target in seen:
                continue
            seen.add(target)
            stack.append((target, chain + [name]))
    return found


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
    checked = 0
    failures = []
    for tops, forbidden in (
        (ABOVE_CORE, FORBIDDEN),
        (PROTOCOLS[:1], PROTOCOL_FORBIDDEN),
        (PROTOCOLS[1:], V1_FORBIDDEN),
        (CLIENTS, CLIENT_FORBIDDEN),
        (TOOLS, TOOLS_FORBIDDEN),
    ):
        for top in tops:
            for dirpath, _, files in os.walk(os.path.join(root, top)):
                for f in sorted(files):
                    if not f.endswith((".h", ".cc")):
                        continue
                    checked += 1
                    for chain, name in violations(root, os.path.join(dirpath, f), forbidden):
                        failures.append(" -> ".join(chain + [name]))
    if checked == 0:
        print("no files checked: wrong root?", root)
        return 1
    for f in failures:
        print("layering violation:", f)
    print(f"{checked} files above the core, in the client and in the tools checked, {len(failures)} violations")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
