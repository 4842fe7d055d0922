"""Python stubs of the Adlik and TensorFlow Serving APIs, generated with grpcio-tools from
the server's own .proto files (src/frontends/adlik/proto, src/frontends/tfserving/proto),
once per process, into a temporary folder put on sys.path. The modules import as the
official ones do (adlik_serving.apis.predict_pb2, tensorflow_serving.apis.predict_pb2,
tensorflow.core.framework.tensor_pb2)."""

import functools
import glob
import importlib
import os
import sys
import tempfile

from grpc_tools import protoc

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TFS_PROTOS = os.path.join(ROOT, "src", "frontends", "tfserving", "proto")
ADLIK_PROTOS = os.path.join(ROOT, "src", "frontends", "adlik", "proto")


@functools.lru_cache(maxsize=None)
def _generate():
    out = tempfile.mkdtemp(prefix="adlik_v1_stubs_")
    protos = glob.glob(os.path.join(TFS_PROTOS, "**", "*.proto"), recursive=True)
    protos += glob.glob(os.path.join(ADLIK_PROTOS, "**", "*.proto"), recursive=True)
    well_known = os.path.join(os.path.dirname(protoc.__file__), "_proto")
    args = ["protoc", f"-I{TFS_PROTOS}", f"-I{ADLIK_PROTOS}", f"-I{well_known}", f"--python_out={out}",
            f"--grpc_python_out={out}"] + protos
    if protoc.main(args) != 0:
        raise RuntimeError("grpc_tools.protoc failed on the server's protos")
    sys.path.insert(0, out)
    return out


def load(module):
    """Imports a generated module, e.g. load('adlik_serving.apis.predict_pb2')."""
    _generate()
    return importlib.import_module(module)
