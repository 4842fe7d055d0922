"""The Helm chart (deploy/helm/adlik-serving) and the KServe resources (deploy/kserve),
checked offline with the tools the ecosystem uses:

- `helm lint`, and `helm template` with several value sets piped to `kubeconform -strict`
  against the Kubernetes JSON schemas of PyPI's kubernetes-validate;
- what the schemas cannot see: probes on the health endpoints, a grace period longer than
  the drain, Service, PDB, HPA and ServiceMonitor pointing at what the chart makes, values
  the chart must refuse;
- the KServe ServingRuntime and InferenceService field by field against the model classes
  of the `kserve` SDK (and the Kubernetes client's, which they nest), so that a misspelt
  or misplaced field fails, and built with them, so that a missing required one fails.

`ADLIK_SETUP_DEPLOY=1 scripts/setup.sh` installs the tools (scripts/test.sh does); without
them these tests are skipped and say which is missing.
"""

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time

import pytest
import yaml

import support

CHART = os.path.join(support.ROOT, "deploy", "helm", "adlik-serving")
KSERVE_DIR = os.path.join(support.ROOT, "deploy", "kserve")
ADAPTER_RULES = os.path.join(support.ROOT, "deploy", "prometheus-adapter", "rules.yaml")
GO_BIN = os.path.join(os.environ.get("ADLIK_DEPS", os.path.expanduser("~/.cache/adlik")), "go-bin")
KUBERNETES_VERSION = "1.37.0"
SETUP_HINT = "install it with ADLIK_SETUP_DEPLOY=1 scripts/setup.sh"


def tool(name):
    path = os.path.join(GO_BIN, name)
    if os.access(path, os.X_OK):
        return path
    found = shutil.which(name)
    if not found:
        pytest.skip(f"{name} is not installed ({GO_BIN} or PATH); {SETUP_HINT}")
    return found


@pytest.fixture(scope="module")
def helm():
    return tool("helm")


@pytest.fixture(scope="module")
def kubeconform():
    return tool("kubeconform")


@pytest.fixture(scope="module")
def schema_location(tmp_path_factory):
    """kubernetes-validate's strict schemas, made readable by kubeconform: their $id is a
    URL (https://kubernetes.io/api/...) against which their $refs would be fetched, so the
    copy drops it and refers to _definitions.json beside each file."""
    kv = pytest.importorskip("kubernetes_validate", reason=f"kubernetes-validate is not installed; {SETUP_HINT}")
    src = os.path.join(os.path.dirname(kv.__file__), "kubernetes-json-schema", f"v{KUBERNETES_VERSION}-local-strict")
    assert os.path.isfile(os.path.join(src, "deployment-apps-v1.json")), f"no schemas in {src}"
    dst = tmp_path_factory.mktemp("kubernetes-json-schema")
    for name in os.listdir(src):
        with open(os.path.join(src, name)) as f:
            text = f.read()
        target = '"#' if name == "_definitions.json" else '"_definitions.json#'
        schema = json.loads(text.replace('"/api/_definitions.json#', target))
        schema.pop("$id", None)
        with open(dst / name, "w") as f:
            json.dump(schema, f)
    return str(dst / "{{ .ResourceKind }}{{ .KindSuffix }}.json")


def run(cmd, stdin=None):
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=120)


SERVICE_MONITOR_API = ["--api-versions", "monitoring.coreos.com/v1/ServiceMonitor"]

# name -> (helm template arguments, the kinds rendered)
VALUE_SETS = {
    "defaults": ([], ["Deployment", "PodDisruptionBudget", "Service"]),
    "configmap-cpu-hpa": (
        ["--set", "modelRepository.source=configMap", "--set", "modelRepository.configMap.name=models",
         "--set", "modelRepository.configMap.items[0].key=simple.onnx",
         "--set", "modelRepository.configMap.items[0].path=simple/1/model.onnx",
         "--set", "autoscaling.enabled=true", "--set", "autoscaling.metric=cpu"],
        ["Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Service"]),
    "init-container-queue-time-hpa-servicemonitor": (
        ["--set", "modelRepository.source=initContainer", "--set", "autoscaling.enabled=true",
         "--set", "autoscaling.metric=queueTime", "--set", "serviceMonitor.enabled=true", *SERVICE_MONITOR_API],
        ["Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Service", "ServiceMonitor"]),
    "explicit-inference-rate-hpa": (
        ["--set", "server.modelControlMode=explicit", "--set", "server.loadModels={simple,classifier}",
         "--set", "autoscaling.enabled=true", "--set", "autoscaling.metric=inferenceRate",
         "--set", "podDisruptionBudget.enabled=false", "--set", "preStopSleepSeconds=0"],
        ["Deployment", "HorizontalPodAutoscaler", "Service"]),
}


def template(helm, *args):
    r = run([helm, "template", "adlik", CHART, *args])
    assert r.returncode == 0, r.stderr
    return r.stdout


def objects(rendered):
    return {d["kind"]: d for d in yaml.safe_load_all(rendered) if d}


def test_helm_lint(helm):
    for name, (args, _) in VALUE_SETS.items():
        if "--api-versions" in args:
            continue  # helm lint cannot be told which APIs the cluster has
        r = run([helm, "lint", "--strict", CHART, *args])
        assert r.returncode == 0, f"{name}:\n{r.stdout}\n{r.stderr}"


@pytest.mark.parametrize("name", VALUE_SETS)
def test_rendered_chart_is_valid_kubernetes(helm, kubeconform, schema_location, name):
    args, kinds = VALUE_SETS[name]
    rendered = template(helm, *args)
    assert sorted(objects(rendered)) == kinds
    # The ServiceMonitor is a custom resource with no schema here; test_chart_wiring checks it.
    r = run([kubeconform, "-strict", "-summary", "-output", "json", "-kubernetes-version", KUBERNETES_VERSION,
             "-schema-location", schema_location, "-skip", "ServiceMonitor"], stdin=rendered)
    assert r.returncode == 0, f"{r.stdout}\n{r.stderr}"
    summary = json.loads(r.stdout)["summary"]
    checked = [k for k in kinds if k != "ServiceMonitor"]
    assert summary["valid"] == len(checked) and summary["invalid"] == 0 and summary["errors"] == 0, r.stdout


def test_kubeconform_rejects_what_the_schemas_forbid(kubeconform, schema_location):
    # The same check fails on a misspelt field: the validation above can fail.
    bad = ("apiVersion: v1\nkind: Service\nmetadata: {name: x}\n"
           "spec: {ports: [{port: 80, targetPort: http, protocl: TCP}]}\n")
    r = run([kubeconform, "-strict", "-kubernetes-version", KUBERNETES_VERSION, "-schema-location", schema_location],
            stdin=bad)
    assert r.returncode != 0 and "protocl" in r.stdout, r.stdout


def flag(args, name):
    values = [a.split("=", 1)[1] for a in args if a.startswith(f"--{name}=")]
    assert len(values) == 1, (name, args)
    return values[0]


def test_chart_wiring(helm):
    args, _ = VALUE_SETS["init-container-queue-time-hpa-servicemonitor"]
    o = objects(template(helm, *args))
    deployment, service, hpa, pdb, monitor = (o[k] for k in (
        "Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "ServiceMonitor"))
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/v2/health/live"
    assert container["startupProbe"]["httpGet"]["path"] == "/v2/health/live"
    assert container["readinessProbe"]["httpGet"]["path"] == "/v2/health/ready"
    drain = int(flag(container["args"], "drain_timeout_seconds"))
    pre_stop = container["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert pod["terminationGracePeriodSeconds"] > drain + pre_stop
    assert flag(container["args"], "model_base_path") == "/models"
    assert pod["initContainers"][0]["volumeMounts"][0]["mountPath"] == "/models"

    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert {"http", "grpc", "metrics"} <= ports.keys()
    assert ports["http"] == int(flag(container["args"], "http_port"))
    assert ports["grpc"] == int(flag(container["args"], "grpc_port"))
    assert ports["metrics"] == int(flag(container["args"], "metrics_port"))
    assert sorted(p["targetPort"] for p in service["spec"]["ports"]) == ["grpc", "http", "metrics"]

    labels = deployment["spec"]["template"]["metadata"]["labels"]
    for selector in (service["spec"]["selector"], pdb["spec"]["selector"]["matchLabels"],
                     deployment["spec"]["selector"]["matchLabels"]):
        assert selector.items() <= labels.items()
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    assert monitor["spec"]["endpoints"][0]["port"] in ports
    assert monitor["spec"]["endpoints"][0]["path"] == "/metrics"

    assert hpa["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    with open(ADAPTER_RULES) as f:
        published = {r["name"]["as"] for r in yaml.safe_load(f)["rules"]["custom"]}
    assert hpa["spec"]["metrics"][0]["pods"]["metric"]["name"] in published
    args, _ = VALUE_SETS["explicit-inference-rate-hpa"]
    o = objects(template(helm, *args))
    assert o["HorizontalPodAutoscaler"]["spec"]["metrics"][0]["pods"]["metric"]["name"] in published
    (container,) = o["Deployment"]["spec"]["template"]["spec"]["containers"]
    assert flag(container["args"], "load_model") == "simple,classifier"
    assert "replicas" not in o["Deployment"]["spec"]  # the HPA owns it


@pytest.mark.parametrize("args, message", [
    (["--set", "terminationGracePeriodSeconds=30"], "terminationGracePeriodSeconds (30) must exceed"),
    (["--set", "modelRepository.source=s3"], "modelRepository.source: 's3' is not pvc, configMap or initContainer"),
    (["--set", "autoscaling.enabled=true", "--set", "autoscaling.metric=memory"],
     "autoscaling.metric: 'memory' is not queueTime, inferenceRate or cpu"),
    (["--set", "server.modelControlMode=none"], "server.modelControlMode: 'none' is not poll or explicit"),
    (["--set", "serviceMonitor.enabled=true"], "serviceMonitor.enabled needs the Prometheus Operator"),
])
def test_chart_refuses_bad_values(helm, args, message):
    r = run([helm, "template", "adlik", CHART, *args])
    assert r.returncode != 0 and message in r.stderr, r.stderr


# ---------------------------------------------------------------------------------------
# KServe


KSERVE_CHECK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kserve_check.py")


def kserve_check(sdk_class, text):
    if importlib.util.find_spec("kserve") is None:
        pytest.skip(f"the kserve SDK is not installed; {SETUP_HINT}")
    return run([sys.executable, KSERVE_CHECK, sdk_class], stdin=text)


def load_kserve(name, api_version, kind, sdk_class):
    with open(os.path.join(KSERVE_DIR, name)) as f:
        text = f.read()
    r = kserve_check(sdk_class, text)
    assert r.returncode == 0, f"{name}: {r.stderr}"
    doc = yaml.safe_load(text)
    assert doc["apiVersion"] == api_version and doc["kind"] == kind, doc
    return doc


@pytest.mark.parametrize("text, message", [
    ("spec: {predictor: {model: {storageUrl: s3://x}}}", "invalid: .spec.predictor.model: V1beta1ModelSpec has no field storageUrl"),
    ("spec: {predictor: {minReplicas: '2'}}", "invalid: .spec.predictor.minReplicas: expected int, got '2'"),
    ("spec: {}", "invalid: .spec: V1beta1InferenceServiceSpec: Invalid value for `predictor`, must not be `None`"),
])
def test_kserve_check_refuses(text, message):
    r = kserve_check("V1beta1InferenceService", text)
    assert r.returncode == 1 and message in r.stderr, r.stderr


def test_kserve_servingruntime_and_inferenceservice():
    runtime = load_kserve("servingruntime.yaml", "serving.kserve.io/v1alpha1", "ServingRuntime",
                          "V1alpha1ServingRuntime")
    isvc = load_kserve("inferenceservice.yaml", "serving.kserve.io/v1beta1", "InferenceService",
                       "V1beta1InferenceService")
    spec = runtime["spec"]
    formats = {f["name"] for f in spec["supportedModelFormats"]}
    assert {"v2", "grpc-v2"} <= set(spec["protocolVersions"])
    assert "onnx" in formats
    (container,) = spec["containers"]
    assert container["name"] == "kserve-container"
    args = container["args"]
    assert flag(args, "model_base_path") == "/mnt/models"  # where the storage initializer writes
    # KServe routes HTTP to 8080 and gRPC to 9000.
    assert [p["containerPort"] for p in container["ports"]] == [int(flag(args, "http_port"))] == [8080]
    assert int(flag(args, "grpc_port")) == 9000
    assert container["readinessProbe"]["httpGet"]["path"] == "/v2/health/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/v2/health/live"

    predictor = isvc["spec"]["predictor"]
    model = predictor["model"]
    assert model["runtime"] == runtime["metadata"]["name"]
    assert model["modelFormat"]["name"] in formats
    assert model["protocolVersion"] in spec["protocolVersions"]
    assert model["storageUri"]
    assert predictor["terminationGracePeriodSeconds"] > int(flag(args, "drain_timeout_seconds"))


# ---------------------------------------------------------------------------------------
# The arguments the manifests give adlik_serving are ones it takes.


def serve_with(start_server, example_repo, args):
    """Starts the real server with `args` (its repository and ports replaced by the test's)
    and checks it becomes ready and answers."""
    replaced = ("--model_base_path=", "--http_port=", "--grpc_port=", "--metrics_port=")
    kept = [a for a in args if not a.startswith(replaced)]
    (metrics_port,) = support.free_ports(1)
    if any(a.startswith("--metrics_port=") for a in args):
        kept.append(f"--metrics_port={metrics_port}")
    srv = start_server(example_repo, *kept)
    r = support.http_request(srv.http_url, "GET", "/v2/health/ready")
    for _ in range(100):
        if r.status == 200:
            break
        time.sleep(0.1)
        r = support.http_request(srv.http_url, "GET", "/v2/health/ready")
    assert r.status == 200, (r, srv.log_tail())
    support.check_simple(srv.grpc_url, "grpc")
    if f"--metrics_port={metrics_port}" in kept:
        r = support.http_request(f"127.0.0.1:{metrics_port}", "GET", "/metrics")
        assert r.status == 200 and b"adlik_inference_request_success" in r.body, r
    return srv


def test_the_server_takes_the_charts_arguments(helm, start_server, example_repo):
    for rendered in (template(helm), template(helm, "--set", "server.modelControlMode=explicit",
                                               "--set", "server.loadModels={simple}")):
        (container,) = objects(rendered)["Deployment"]["spec"]["template"]["spec"]["containers"]
        srv = serve_with(start_server, example_repo, container["args"])
        assert srv.stop() == 0, srv.log_tail()


def test_the_server_takes_the_servingruntimes_arguments(start_server, example_repo):
    with open(os.path.join(KSERVE_DIR, "servingruntime.yaml")) as f:
        (container,) = yaml.safe_load(f)["spec"]["containers"]
    srv = serve_with(start_server, example_repo, container["args"])
    assert srv.stop() == 0, srv.log_tail()
