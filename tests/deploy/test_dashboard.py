"""GET /dashboard: the page is served (without a token: it carries no data), is off with
--dashboard=false, and in headless Chromium it asks for the token, lists the models with
their states, shows numbers that move with the traffic sent, and loads and unloads a model
through the repository API. ADLIK_DASHBOARD_SCREENSHOT=PATH also saves a screenshot there
(docs/images/dashboard.png is one)."""

import json
import os
import sys
import threading

import numpy as np
import pytest

import support

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from headless_chromium import Browser, chromium  # noqa: E402

TOKEN = "dashboard-token-0123456789abcdef"


def infer_body(batch, seed):
    a, b = support.simple_inputs(batch, seed)
    return {
        "inputs": [
            {"name": "INPUT0", "shape": list(a.shape), "datatype": "INT32", "data": a.flatten().tolist()},
            {"name": "INPUT1", "shape": list(b.shape), "datatype": "INT32", "data": b.flatten().tolist()},
        ]
    }


def test_page_is_served_without_a_token_and_off_on_request(start_server, example_repo, tmp_path):
    tokens = tmp_path / "tokens.txt"
    tokens.write_text(f"{TOKEN} infer,metadata,admin,metrics\n")
    srv = start_server(example_repo, f"--auth_token_file={tokens}")
    r = support.http_request(srv.http_url, "GET", "/dashboard")
    assert r.status == 200, r
    assert r.headers["Content-Type"].startswith("text/html"), r.headers
    assert "connect-src 'self'" in r.headers["Content-Security-Policy"], r.headers
    page = r.body.decode()
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>"), page[-200:]
    # Nothing from elsewhere: no external script, style or font.
    assert "http://" not in page and "https://" not in page and "src=" not in page
    # The data it polls still needs the token.
    assert support.http_request(srv.http_url, "GET", "/v2/models/stats").status == 401
    assert support.http_request(srv.http_url, "POST", "/dashboard").status == 401  # not the page's route

    off = start_server(example_repo, "--dashboard=false")
    r = support.http_request(off.http_url, "GET", "/dashboard")
    assert r.status == 404 and "no route for GET /dashboard" in r.error(), r


@pytest.mark.skipif(chromium() is None, reason="no chromium (ADLIK_SETUP_DEPLOY=1 scripts/setup.sh installs it)")
def test_dashboard_in_a_browser(start_server, example_repo, tmp_path):
    pytest.importorskip("websocket", reason="websocket-client (ADLIK_SETUP_DEPLOY=1 scripts/setup.sh installs it)")
    tokens = tmp_path / "tokens.txt"
    tokens.write_text(f"{TOKEN} infer,metadata,admin,metrics\n")
    srv = start_server(
        example_repo,
        f"--auth_token_file={tokens}",
        "--model_control_mode=explicit",
        "--load_model=simple",
        "--load_model=classifier",
    )
    auth = {"Authorization": f"Bearer {TOKEN}"}
    stop = threading.Event()
    sent = {"ok": 0}
    errors = []

    def traffic(seed):
        while not stop.is_set():
            r = support.http_request(srv.http_url, "POST", "/v2/models/simple/infer", infer_body(1 + seed % 4, seed), auth)
            if r.status == 200:
                sent["ok"] += 1
            elif r.status != 503:  # unloaded for a moment below
                errors.append(r)
                return

    profile = tmp_path / "profile"
    profile.mkdir()
    browser = Browser(profile)
    threads = []
    try:
        browser.navigate(f"http://{srv.http_url}/dashboard?poll=250")
        # Without a token the page says what it needs.
        status = browser.wait_for(
            "document.getElementById('status').className === 'error' && document.getElementById('status').textContent",
            what="the page to report that it needs a token",
        )
        assert "token" in status and "401" in status, status

        browser.evaluate(
            f"document.getElementById('token').value = {json.dumps(TOKEN)};"
            "document.querySelector('#auth button').click()"
        )
        cell = "(m, f) => document.querySelector(`tr[data-model='${m}'] [data-field='${f}']`)?.textContent"
        browser.evaluate(f"window.cell = {cell}")
        browser.wait_for("cell('simple', 'state') === 'READY' && cell('classifier', 'state') === 'READY'",
                         what="simple and classifier READY on the page")
        # Explicit mode lists the models not loaded, too.
        names = browser.evaluate("[...document.querySelectorAll('#models tr')].map(r => r.dataset.model)")
        assert {"simple", "classifier", "simple_string"} <= set(names), names
        assert browser.evaluate("cell('simple', 'success')") == "0"

        threads = [threading.Thread(target=traffic, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        # The numbers move: requests counted, a rate, latency and queue percentiles, batches.
        browser.wait_for("Number(cell('simple', 'success')) >= 200", what="200 requests counted on the page")
        browser.wait_for("Number(cell('simple', 'rate')) > 0 && /s$/.test(cell('simple', 'p50'))"
                         " && /s$/.test(cell('simple', 'p99')) && /s$/.test(cell('simple', 'queue_p50'))"
                         " && Number(cell('simple', 'batch')) >= 1",
                         what="rate, percentiles and batch size on the page")
        first = browser.evaluate("Number(cell('simple', 'success'))")
        browser.wait_for(f"Number(cell('simple', 'success')) > {first}", what="the request count to grow")
        # Each model version has its four charts, drawn.
        drawn = browser.evaluate(
            "[...document.querySelectorAll(\"[data-key='simple/1'] canvas\")].map(c => {"
            " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
            " let n = 0; for (let i = 3; i < d.length; i += 4) n += d[i] > 0; return n; })"
        )
        assert len(drawn) == 4 and all(n > 0 for n in drawn), drawn
        shot = os.environ.get("ADLIK_DASHBOARD_SCREENSHOT") or str(tmp_path / "dashboard.png")
        browser.evaluate("new Promise(r => setTimeout(r, 3000))")  # a few seconds of history on the charts
        browser.screenshot(shot)
        with open(shot, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"

        # Unload and load through the page's buttons (the admin token is the one it holds).
        browser.evaluate("document.querySelector(\"button[data-action='unload'][data-name='classifier']\").click()")
        browser.wait_for("cell('classifier', 'state') === 'UNAVAILABLE'", what="classifier unloaded on the page")
        index = support.http_request(srv.http_url, "POST", "/v2/repository/index", {}, auth).json()
        assert not any(e["name"] == "classifier" and e.get("state") == "READY" for e in index), index
        browser.evaluate("document.querySelector(\"button[data-action='load'][data-name='classifier']\").click()")
        browser.wait_for("cell('classifier', 'state') === 'READY'", what="classifier loaded again on the page")
        # A model the repository has but that was not loaded.
        browser.evaluate("document.querySelector(\"button[data-action='load'][data-name='simple_string']\").click()")
        browser.wait_for("cell('simple_string', 'state') === 'READY'", what="simple_string loaded from the page")
    finally:
        stop.set()
        for t in threads:
            t.join()
        browser.close()
    assert not errors, errors[:3]
    assert sent["ok"] >= 200
