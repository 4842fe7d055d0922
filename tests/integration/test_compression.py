"""HTTP content codings: request bodies in gzip or deflate (tritonclient's
request_compression_algorithm), responses in the coding Accept-Encoding prefers
(response_compression_algorithm), and the errors: a body that does not decode is 400
naming the coding, an unknown coding 415."""

import gzip
import json
import zlib

import numpy as np
import pytest
import tritonclient.http as httpclient

import support

ALGORITHMS = (None, "gzip", "deflate")


@pytest.mark.parametrize("binary", (False, True), ids=("json", "binary"))
@pytest.mark.parametrize("response", ALGORITHMS)
@pytest.mark.parametrize("request_algorithm", ALGORITHMS)
def test_tritonclient_both_directions(http_url, request_algorithm, response, binary):
    a, b = support.simple_inputs(2, seed=5)
    client = httpclient.InferenceServerClient(http_url)
    try:
        inputs = []
        for name, array in (("INPUT0", a), ("INPUT1", b)):
            i = httpclient.InferInput(name, list(array.shape), "INT32")
            i.set_data_from_numpy(array, binary_data=binary)
            inputs.append(i)
        outputs = [httpclient.InferRequestedOutput(n, binary_data=binary) for n in ("OUTPUT0", "OUTPUT1")]
        result = client.infer("simple", inputs, outputs=outputs,
                              request_compression_algorithm=request_algorithm,
                              response_compression_algorithm=response)
        np.testing.assert_array_equal(result.as_numpy("OUTPUT0"), a + b)
        np.testing.assert_array_equal(result.as_numpy("OUTPUT1"), a - b)
    finally:
        client.close()


def _infer_body():
    a, b = support.simple_inputs(1, seed=9)
    body = json.dumps({"inputs": [
        {"name": "INPUT0", "datatype": "INT32", "shape": [1, 16], "data": a.flatten().tolist()},
        {"name": "INPUT1", "datatype": "INT32", "shape": [1, 16], "data": b.flatten().tolist()},
    ]}).encode()
    return body, a + b


@pytest.mark.parametrize("coding,compress", [
    ("gzip", gzip.compress),
    ("deflate", zlib.compress),
    ("deflate", lambda d: zlib.compress(d)[2:-4]),  # a raw deflate stream
    ("identity", lambda d: d),
])
def test_request_codings_on_the_wire(http_url, coding, compress):
    body, want = _infer_body()
    r = support.http_request(http_url, "POST", "/v2/models/simple/infer", compress(body),
                             {"Content-Encoding": coding, "Content-Type": "application/json"})
    assert r.status == 200, r
    out = {o["name"]: o["data"] for o in r.json()["outputs"]}
    assert out["OUTPUT0"] == want.flatten().tolist()
    assert r.headers.get("Content-Encoding") is None, dict(r.headers)


@pytest.mark.parametrize("accept,coding,decompress", [
    ("gzip", "gzip", gzip.decompress),
    ("deflate", "deflate", zlib.decompress),
    ("br;q=1, deflate;q=0.5, gzip;q=0.2", "deflate", zlib.decompress),
])
def test_response_coding_follows_accept_encoding(http_url, accept, coding, decompress):
    body, want = _infer_body()
    r = support.http_request(http_url, "POST", "/v2/models/simple/infer", body, {"Accept-Encoding": accept})
    assert r.status == 200, r
    assert r.headers.get("Content-Encoding") == coding, dict(r.headers)
    assert int(r.headers["Content-Length"]) == len(r.body)
    doc = json.loads(decompress(r.body))
    out = {o["name"]: o["data"] for o in doc["outputs"]}
    assert out["OUTPUT0"] == want.flatten().tolist()
    # Error bodies and other routes are encoded the same way.
    r = support.http_request(http_url, "GET", "/v2/models/no_such_model", headers={"Accept-Encoding": accept})
    assert r.status == 404
    assert "no_such_model" in json.loads(decompress(r.body))["error"]


@pytest.mark.parametrize("coding,data", [
    ("gzip", b"this is not gzip data"),
    ("deflate", b"\x78\x9c this is not deflate data"),
    ("gzip", gzip.compress(b'{"inputs": []}')[:-6]),  # truncated
])
def test_body_that_does_not_decode_is_400(http_url, coding, data):
    r = support.http_request(http_url, "POST", "/v2/models/simple/infer", data, {"Content-Encoding": coding})
    assert r.status == 400, r
    message = r.error()
    assert coding in message, message
    support.check_simple(http_url)


@pytest.mark.parametrize("coding", ("br", "compress", "gzip, deflate"))
def test_unknown_coding_is_415(http_url, coding):
    body, _ = _infer_body()
    r = support.http_request(http_url, "POST", "/v2/models/simple/infer", body, {"Content-Encoding": coding})
    assert r.status == 415, r
    assert coding in r.error()
    support.check_simple(http_url)
