"""The OCI image (scripts/build_image.sh, the Dockerfile's twin): its config says what the
Dockerfile says (non-root user, entrypoint and default arguments, ports, the health check
as a label) and is the image the Helm chart and the KServe ServingRuntime name; and it runs: unpacked by umoci, run by runc with the host's network and
an example model repository mounted at /models, it becomes ready and answers an inference
from outside over loopback, as user 10001, on a read-only root file system.

The image in build/image/oci is reused when it is newer than build/bin/adlik_serving, else
built (about 2 minutes; mmdebstrap fetches Debian packages from this machine's mirror).
Needs umoci and runc (ADLIK_SETUP_DEPLOY=1 scripts/setup.sh) and root (runc, and
umoci unpack keeping the files' owners)."""

import json
import os
import re
import shutil
import subprocess
import time

import pytest
import yaml

import support

LAYOUT = os.path.join(support.ROOT, "build", "image", "oci")
BINARY = os.path.join(support.ROOT, "build", "bin", "adlik_serving")
VERSION = "0.1.0"

pytestmark = [
    pytest.mark.skipif(not (shutil.which("umoci") and shutil.which("runc") and shutil.which("mmdebstrap")),
                       reason="no umoci, runc or mmdebstrap (ADLIK_SETUP_DEPLOY=1 scripts/setup.sh installs them)"),
    pytest.mark.skipif(os.geteuid() != 0, reason="runc and umoci unpack run as root here"),
]


def blob(digest):
    algorithm, value = digest.split(":")
    with open(os.path.join(LAYOUT, "blobs", algorithm, value)) as f:
        return json.load(f)


@pytest.fixture(scope="module")
def image():
    index_path = os.path.join(LAYOUT, "index.json")
    if not os.path.exists(index_path) or os.path.getmtime(index_path) < os.path.getmtime(BINARY):
        subprocess.run([os.path.join(support.ROOT, "scripts", "build_image.sh")], check=True, timeout=900)
    with open(index_path) as f:
        index = json.load(f)
    refs = {m["annotations"]["org.opencontainers.image.ref.name"]: m for m in index["manifests"]}
    assert {VERSION, "latest"} <= set(refs), refs
    manifest = blob(refs[VERSION]["digest"])
    return manifest, blob(manifest["config"]["digest"])


def test_image_config(image):
    manifest, config = image
    assert len(manifest["layers"]) == 2, manifest  # Debian with the libraries; /opt/adlik
    c = config["config"]
    assert c["User"] == "10001:10001", c
    assert c["Entrypoint"] == ["/opt/adlik/bin/adlik_serving"], c
    assert c["Cmd"] == ["--model_base_path=/models", "--grpc_port=8500", "--http_port=8501"], c
    assert set(c["ExposedPorts"]) == {"8500/tcp", "8501/tcp", "8502/tcp"}, c
    assert "/v2/health/ready" in c["Labels"]["org.adlik.healthcheck"], c
    assert c["Labels"]["org.opencontainers.image.version"] == VERSION
    # The chart and the KServe ServingRuntime run this image, as its user.
    chart_dir = os.path.join(support.ROOT, "deploy", "helm", "adlik-serving")
    with open(os.path.join(chart_dir, "Chart.yaml")) as f:
        assert yaml.safe_load(f)["appVersion"] == VERSION
    with open(os.path.join(chart_dir, "values.yaml")) as f:
        values = yaml.safe_load(f)
    assert values["image"]["repository"] == "adlik/adlik-serving", values["image"]
    assert values["podSecurityContext"]["runAsUser"] == 10001, values["podSecurityContext"]
    with open(os.path.join(support.ROOT, "deploy", "kserve", "servingruntime.yaml")) as f:
        runtime = yaml.safe_load(f)
    assert [c["image"] for c in runtime["spec"]["containers"]] == [f"adlik/adlik-serving:{VERSION}"], runtime
    # The Dockerfile says the same.
    with open(os.path.join(support.ROOT, "Dockerfile")) as f:
        dockerfile = f.read()
    assert 'ENTRYPOINT ["/opt/adlik/bin/adlik_serving"]' in dockerfile
    assert 'CMD ["--model_base_path=/models", "--grpc_port=8500", "--http_port=8501"]' in dockerfile
    assert "USER 10001:10001" in dockerfile and "/v2/health/ready" in dockerfile


def test_image_runs_under_runc(image, example_repo, tmp_path):
    bundle = tmp_path / "bundle"
    subprocess.run(["umoci", "unpack", "--image", f"{LAYOUT}:{VERSION}", str(bundle)],
                   check=True, capture_output=True, timeout=300)
    # The repository, readable by the image's user (pytest's folders are the owner's alone).
    models = tmp_path / "models"
    shutil.copytree(example_repo, models)
    for root, dirs, files in os.walk(models):
        os.chmod(root, 0o755)
        for name in files:
            os.chmod(os.path.join(root, name), 0o644)
    spec_path = bundle / "config.json"
    spec = json.loads(spec_path.read_text())
    http_port, grpc_port = support.free_ports(2)
    process = spec["process"]
    process["terminal"] = False
    # The image's own arguments, on free ports of the host's network.
    process["args"] += [f"--http_port={http_port}", f"--grpc_port={grpc_port}"]
    spec["linux"]["namespaces"] = [n for n in spec["linux"]["namespaces"] if n["type"] != "network"]
    spec["root"]["readonly"] = True
    spec["mounts"] = [m for m in spec["mounts"] if m["destination"] != "/models"] + [
        {"destination": "/models", "type": "bind", "source": str(models), "options": ["rbind", "ro"]}
    ]
    spec_path.write_text(json.dumps(spec))

    state = tmp_path / "runc"
    container = f"adlik-image-test-{os.getpid()}"
    runc = ["runc", "--root", str(state)]
    log_path = tmp_path / "container.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([*runc, "run", "--bundle", str(bundle), container],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    url = f"127.0.0.1:{http_port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, f"the container exited ({proc.returncode}):\n{log_path.read_text()}"
            try:
                if support.http_request(url, "GET", "/v2/health/ready", timeout=2).status == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"not ready after 60 s:\n{log_path.read_text()}"
            time.sleep(0.2)
        for protocol in support.PROTOCOLS:
            support.check_simple(f"127.0.0.1:{grpc_port}" if protocol == "grpc" else url, protocol, batch=3)
        pid = json.loads(subprocess.run([*runc, "state", container], check=True, capture_output=True).stdout)["pid"]
        with open(f"/proc/{pid}/status") as f:
            uids = next(line.split()[1:] for line in f if line.startswith("Uid:"))
        assert set(uids) == {"10001"}, uids
        assert os.readlink(f"/proc/{pid}/exe").endswith("/opt/adlik/bin/adlik_serving")
        # The Dockerfile's HEALTHCHECK command works in the image (on this test's port).
        with open(os.path.join(support.ROOT, "Dockerfile")) as f:
            check = json.loads(re.search(r"^HEALTHCHECK .*\\\n\s*CMD (\[.*\])$", f.read(), re.M).group(1))
        check[-1] = check[-1].replace("/8501", f"/{http_port}")
        r = subprocess.run([*runc, "exec", "--user", "10001:10001", container, *check], capture_output=True, timeout=30)
        assert r.returncode == 0, (check, r)
        # SIGTERM drains and exits 0, as in a Pod.
        subprocess.run([*runc, "kill", container, "TERM"], check=True, timeout=30)
        assert proc.wait(timeout=60) == 0, log_path.read_text()
        assert "listening on" in log_path.read_text()
    finally:
        if proc.poll() is None:
            subprocess.run([*runc, "kill", container, "KILL"], timeout=30)
            proc.wait(timeout=30)
        subprocess.run([*runc, "delete", "--force", container], capture_output=True, timeout=30)
