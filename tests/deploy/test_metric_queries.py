"""The Grafana dashboard (deploy/grafana/adlik-serving.json) and the prometheus-adapter
rules (deploy/prometheus-adapter/rules.yaml) ask Prometheus only for what adlik_serving
exports: every metric name in their PromQL (panel queries, template variables, adapter
series and metrics queries) is a sample name of a live server's GET /metrics, after
traffic that makes every series exist; and every family the server exports has a panel."""

import json
import os
import re

import yaml

import support

DASHBOARD = os.path.join(support.ROOT, "deploy", "grafana", "adlik-serving.json")
ADAPTER_RULES = os.path.join(support.ROOT, "deploy", "prometheus-adapter", "rules.yaml")

# PromQL words that are neither functions (followed by "(") nor metric names.
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or",
            "unless", "offset", "inf", "nan"}


def metric_names(expr):
    """The metric names a PromQL expression (or a Grafana label_values() query) reads."""
    m = re.fullmatch(r"\s*label_values\((.*),\s*[a-zA-Z_]\w*\s*\)\s*", expr, re.S)
    if m:
        expr = m.group(1)
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # strings: label values, regexes
    expr = re.sub(r"\{[^}]*\}", "", expr)  # label matchers
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # range selectors
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    expr = re.sub(r"(?<![\w:])\d+(\.\d+)?([eE][+-]?\d+)?(ms|[smhdwy])?\b", "", expr)  # numbers, durations
    names = set()
    for tok in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", expr):
        if expr[tok.end():].lstrip().startswith("("):
            continue  # a function or an aggregation
        if tok.group(0) not in KEYWORDS:
            names.add(tok.group(0))
    return names


def metric_queries():
    with open(DASHBOARD) as f:
        dash = json.load(f)
    queries = []
    for panel in dash["panels"]:
        for target in panel.get("targets", []):
            queries.append((panel["title"], target["expr"]))
    for var in dash["templating"]["list"]:
        if var["type"] == "query":
            query = var["query"]
            queries.append((f"variable {var['name']}", query["query"] if isinstance(query, dict) else query))
    with open(ADAPTER_RULES) as f:
        rules = yaml.safe_load(f)["rules"]["custom"]
    for rule in rules:
        for key in ("seriesQuery", "metricsQuery"):
            queries.append((f"adapter rule {rule['name']['as']} {key}", rule[key]))
    return queries


def exported_metrics(text):
    """Sample names and family names of a Prometheus text exposition, as written (a
    parser such as prometheus_client's renames counters' samples to NAME_total, which a
    Prometheus server scraping the text does not)."""
    samples = set()
    families = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            families.add(line.split()[2])
        elif line and not line.startswith("#"):
            samples.add(re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0))
    return samples, families


def test_the_extractor_finds_metric_names_and_only_them():
    expr = ('histogram_quantile(0.99, sum by (model, le) (rate(a_bucket{model=~"$model"}[$__rate_interval])))'
            ' / on (model) group_left count without (version) (b) + 1e3 * c_total offset 5m')
    assert metric_names(expr) == {"a_bucket", "b", "c_total"}
    assert metric_names('label_values(x_count{instance=~"$instance"}, model)') == {"x_count"}


def test_every_metric_queried_is_exported(start_server, example_repo):
    queries = metric_queries()
    assert len(queries) >= 10, queries
    srv = start_server(example_repo)
    for batch in (1, 3, 8):
        for protocol in support.PROTOCOLS:
            support.check_simple(srv.http_url if protocol != "grpc" else srv.grpc_url, protocol, batch=batch)
    r = support.http_request(srv.http_url, "GET", "/metrics")
    assert r.status == 200, r
    text = r.body.decode()
    exported, families = exported_metrics(text)
    assert "adlik_inference_batch_size_bucket" in exported, text[:2000]

    used = set()  # by the dashboard
    missing = []
    for where, expr in queries:
        names = metric_names(expr)
        assert names, f"{where}: no metric name in {expr!r}"
        if not where.startswith("adapter rule"):
            used |= names
        missing += [f"{where}: {n}" for n in sorted(names - exported)]
    assert not missing, f"the dashboard or the adapter rules read metrics /metrics does not export: {missing}; exported: {sorted(exported)}"
    # Every family the server exports has a panel.
    unused = {f for f in families if not any(u == f or u.startswith(f + "_") for u in used)}
    assert not unused, f"exported but on no panel: {sorted(unused)}"
