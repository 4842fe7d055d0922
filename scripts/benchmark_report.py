#!/usr/bin/env python3
"""Reproduces the seed's two benchmark tables on this machine and writes docs/benchmarks.md.

    python3 scripts/benchmark_report.py

For each of the seed's models (ResNet-50, YOLOv5s, BERT-base; random weights, made offline
by scripts/make_benchmark_models.py) it runs adlik_bench twice: latency at batch 1 and
throughput at the seed's batch sizes (120 for ResNet-50 and BERT, 30 for YOLOv5s), each
time measuring the bare runtime in-process and the model served by adlik_serving over gRPC
and HTTP in the same run, and reports served/bare ratios. The example models `simple` and
`classifier` get a batch-1 row too. It writes:

    docs/benchmarks.md    the tables, the settings, the seed's i20 figures as reference
    docs/benchmarks.svg   served/bare ratios, plotted
    docs/benchmarks.json  every adlik_bench result, as produced

Iteration counts are the seed's method scaled to a 2-core CPU (the seed ran 1200 at
batch 1 on an accelerator); the flags below change them, and the report states what ran.
A benchmark, not a test: nothing here asserts a figure.
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
DEFAULT_MODELS_DIR = os.path.join(os.path.expanduser("~"), ".cache", "adlik", "bench_models")
BERT_RANGES = "--range=input_ids:0:30521,attention_mask:1:1,token_type_ids:0:1"

# The seed's models and settings: (name, title, large batch, extra adlik_bench flags).
MODELS = [
    ("resnet50", "ResNet-50", 120, []),
    ("yolov5s", "YOLOv5s", 30, []),
    ("bert", "BERT-base (seq 384)", 120, [BERT_RANGES]),
]
EXAMPLES = [("simple", "simple (example)"), ("classifier", "classifier (example)")]

# Iterations that fit a 2-core CPU in about a quarter of an hour: (iterations, warm-up,
# rounds) per model and mode.
LATENCY_PLAN = {"resnet50": (200, 10, 4), "yolov5s": (100, 10, 4), "bert": (40, 10, 4)}
# At large batch the first, untimed request of each protocol (the output check) is the
# warm-up.
THROUGHPUT_PLAN = {"resnet50": (3, 0, 3), "yolov5s": (4, 0, 2), "bert": (2, 0, 2)}
EXAMPLE_PLAN = (1000, 10, 4)

# The seed's Enflame i20 figures (seed-summary-en.md): batch-1 latency (ms), and at large
# batch: Adlik batch latency (ms), Adlik fps, topsexec fps.
SEED_LATENCY = {"resnet50": 4.86533, "yolov5s": 10.3394, "bert": 154.33, "resnet50_pruned": 3.3735}
SEED_THROUGHPUT = {
    "resnet50": (101.704, 1179.894596, 1162.58),
    "yolov5s": (134.559, 222.950527, 514.543),
    "bert": (1233.919, 97.251825, 86.0),
    "resnet50_pruned": (68.6933, 1746.895258, 1659.88),
}


def run(cmd, **kw):
    print("+ " + " ".join(cmd), flush=True)
    return subprocess.run(cmd, check=True, **kw)


def bench(args, model, repo, batch, plan, extra, out_dir, tag):
    iterations, warmup, rounds = plan
    out_json = os.path.join(out_dir, f"{model}_{tag}.json")
    cmd = [
        args.bench,
        f"--model_base_path={repo}",
        f"--model={model}",
        f"--batch_size={batch}",
        f"--iterations={iterations}",
        f"--warmup={warmup}",
        f"--rounds={rounds}",
        f"--json={out_json}",
        f"--server_log={os.path.join(out_dir, f'{model}_{tag}.server.log')}",
        *extra,
    ]
    if args.server:
        cmd.insert(1, f"--server={args.server}")
    try:
        run(cmd)
    except subprocess.CalledProcessError:
        # Once more: on a shared machine a server can be stopped from outside mid-run.
        print("benchmark_report: that run failed; running it again", flush=True)
        run(cmd)
    with open(out_json) as f:
        doc = json.load(f)
    doc["command"] = "adlik_bench " + " ".join(c for c in cmd[1:] if not c.startswith(("--json=", "--server_log=")))
    return doc


def by_protocol(doc):
    return {r["protocol"]: r for r in doc["results"]}


def load_average():
    try:
        return os.getloadavg()
    except OSError:
        return (0.0, 0.0, 0.0)


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def git_revision():
    try:
        return subprocess.run(
            ["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


# ---------------------------------------------------------------------------------------
# The plot: served/bare ratios per model, latency (batch 1) and throughput (large batch).

COLORS = {"grpc": "#3b6fb6", "http": "#e08a2c", "seed": "#9a9a9a"}


def svg_plot(latency_rows, throughput_rows):
    """latency_rows/throughput_rows: [(title, {series: ratio})]. Returns SVG text."""
    width, height = 1000, 430
    panel_w, top, bottom = 420, 70, 330
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        '<rect width="100%" height="100%" fill="white"/>',
        f'<text x="{width / 2}" y="24" text-anchor="middle" font-size="16">'
        "adlik_serving vs the bare runtime on this machine (served / bare)</text>",
    ]

    def panel(x0, title, rows, series, note):
        values = [v for _, r in rows for v in r.values() if v is not None]
        vmax = max([1.0] + values) * 1.15
        scale = (bottom - top) / vmax
        parts.append(f'<text x="{x0 + panel_w / 2}" y="{top - 24}" text-anchor="middle" font-size="14">{title}</text>')
        parts.append(f'<text x="{x0 + panel_w / 2}" y="{top - 8}" text-anchor="middle" fill="#555">{note}</text>')
        parts.append(f'<line x1="{x0}" y1="{bottom}" x2="{x0 + panel_w}" y2="{bottom}" stroke="black"/>')
        parts.append(f'<line x1="{x0}" y1="{top}" x2="{x0}" y2="{bottom}" stroke="black"/>')
        for tick in range(0, int(vmax) + 1):
            y = bottom - tick * scale
            parts.append(f'<line x1="{x0 - 4}" y1="{y:.1f}" x2="{x0}" y2="{y:.1f}" stroke="black"/>')
            parts.append(f'<text x="{x0 - 7}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>')
        y1 = bottom - scale
        parts.append(
            f'<line x1="{x0}" y1="{y1:.1f}" x2="{x0 + panel_w}" y2="{y1:.1f}" stroke="#c00" stroke-dasharray="5,4"/>'
        )
        group_w = panel_w / max(1, len(rows))
        bar_w = min(36, (group_w - 20) / len(series))
        for g, (name, r) in enumerate(rows):
            gx = x0 + g * group_w + (group_w - bar_w * len(series)) / 2
            for s, key in enumerate(series):
                v = r.get(key)
                if v is None:
                    continue
                h = v * scale
                x = gx + s * bar_w
                parts.append(
                    f'<rect x="{x:.1f}" y="{bottom - h:.1f}" width="{bar_w - 3:.1f}" height="{h:.1f}" '
                    f'fill="{COLORS[key]}"/>'
                )
                parts.append(
                    f'<text x="{x + (bar_w - 3) / 2:.1f}" y="{bottom - h - 4:.1f}" text-anchor="middle" '
                    f'font-size="10">{v:.2f}</text>'
                )
            parts.append(
                f'<text x="{x0 + g * group_w + group_w / 2:.1f}" y="{bottom + 18}" text-anchor="middle">{name}</text>'
            )

    panel(60, "Latency, batch 1", latency_rows, ["grpc", "http"], "mean latency ratio: lower is better")
    panel(560, "Throughput, large batch", throughput_rows, ["grpc", "http", "seed"], "throughput ratio: higher is better")
    legend = [("grpc", "gRPC (this machine)"), ("http", "HTTP, binary tensors (this machine)"),
              ("seed", "seed: Adlik / topsexec on the i20 (reference, not our result)")]
    parts.append(f'<line x1="60" y1="{height - 64}" x2="84" y2="{height - 64}" stroke="#c00" stroke-dasharray="5,4"/>')
    parts.append(f'<text x="89" y="{height - 60}">ratio 1: as fast as the bare runtime</text>')
    x = 60
    for key, label in legend:
        parts.append(f'<rect x="{x}" y="{height - 40}" width="12" height="12" fill="{COLORS[key]}"/>')
        parts.append(f'<text x="{x + 17}" y="{height - 30}">{label}</text>')
        x += 17 + 7.2 * len(label) + 24
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


# ---------------------------------------------------------------------------------------
# The Markdown report.


def fmt(v, digits=2):
    return "-" if v is None else f"{v:.{digits}f}"


def markdown(ctx):
    lat, thr, ex = ctx["latency"], ctx["throughput"], ctx["examples"]
    lines = [
        "# Benchmarks: served vs bare runtime",
        "",
        "The seed judged the system by two tables: batch-1 latency and large-batch throughput,",
        "served by Adlik and compared with the vendor's bare tool `topsexec`. This page",
        "reproduces both on this project's CPU machine with `adlik_bench`, which measures in",
        "one run the **bare runtime** (the ONNX Runtime plugin called in-process with the",
        "server's threads, instance count and batch: our `topsexec`) and the model **served**",
        "by an `adlik_serving` it starts, over **gRPC** and **HTTP** (binary tensors).",
        "",
        "Absolute times on a shared 2-core machine are noise; the ratio columns are the result.",
        "latency ratio = served mean / bare mean (1.00 = no cost); throughput ratio = served",
        "inferences/s / bare inferences/s (the seed's \"serving efficiency\"; 1.00 = no cost).",
        "",
        "## How it was produced",
        "",
        "```",
        ctx["command"],
        "```",
        "",
        f"- Date: {ctx['date']}; revision {ctx['revision']} (binaries built {ctx['built']}); {ctx['cpu']}, {ctx['cores']} cores;",
        f"  load average {ctx['load_before']} before the run and {ctx['load_after']} after; run time {ctx['minutes']:.1f} min.",
        "- Models: random weights, the published architectures, exported to ONNX fp32 by",
        "  `/usr/bin/python3 scripts/make_benchmark_models.py` (ResNet-50 from torchvision,",
        "  YOLOv5s v6 at 640x640 with in-graph box decoding, BERT-base 12 layers / hidden 768 /",
        "  sequence 384 with a SQuAD span head). Sizes match the seed's files (97 MiB, 28 MiB,",
        "  415 MiB). Random weights do the same compute as trained ones.",
        "- Inputs: seeded random, several sets rotated (so no cache sees the same bytes twice in",
        "  a row); BERT gets valid token ids, a full attention mask and 0/1 token types.",
        "- Each protocol's outputs for input set 0 are compared with the bare runtime's",
        "  (column *outputs*); at large batch that untimed first request is the warm-up.",
        "- `--rounds`: the timed requests are split into rounds that go through bare, gRPC and",
        "  HTTP in turn (warm-up before the first round only), so that load from other work on",
        "  the shared machine falls on all three alike.",
        "- Iterations are the seed's method scaled to a 2-core CPU (the seed ran 1200 at batch 1",
        "  on an accelerator); each row's exact command is in `docs/benchmarks.json`.",
        "",
        "## Latency, batch 1",
        "",
        "Ratios of the mean (the seed's figure) and, in brackets, of the median, which a burst",
        "of load from other work on the machine moves less.",
        "",
        "| model | iterations (warm-up) | bare mean ms | gRPC mean ms | HTTP mean ms | bare p50 / p99 ms | gRPC p50 / p99 ms | HTTP p50 / p99 ms | gRPC / bare | HTTP / bare | outputs | seed i20 Adlik ms (reference) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for model, title, doc in lat + ex:
        p = by_protocol(doc)
        b, g, h = p.get("bare"), p.get("grpc"), p.get("http")
        same = "same" if all(r.get("outputs_match") for r in (g, h) if r) else "DIFFER"
        lines.append(
            f"| {title} | {doc['iterations']} ({doc['warmup']}) | {fmt(b['mean_ms'], 3)} | {fmt(g['mean_ms'], 3)} | "
            f"{fmt(h['mean_ms'], 3)} | {fmt(b['p50_ms'], 3)} / {fmt(b['p99_ms'], 3)} | "
            f"{fmt(g['p50_ms'], 3)} / {fmt(g['p99_ms'], 3)} | "
            f"{fmt(h['p50_ms'], 3)} / {fmt(h['p99_ms'], 3)} | **{fmt(g['latency_ratio'])}** ({fmt(g['p50_ms'] / b['p50_ms'])}) | "
            f"**{fmt(h['latency_ratio'])}** ({fmt(h['p50_ms'] / b['p50_ms'])}) | {same} | "
            f"{fmt(SEED_LATENCY.get(model), 3) if model in SEED_LATENCY else '-'} |"
        )
    lines += [
        "",
        "## Throughput, large batch (single instance)",
        "",
        "| model | batch | iterations (warm-up) | bare infer/s | gRPC infer/s | HTTP infer/s | bare batch ms | gRPC / bare | HTTP / bare | outputs | seed i20: Adlik fps / topsexec fps = ratio (reference) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for model, title, doc in thr:
        p = by_protocol(doc)
        b, g, h = p.get("bare"), p.get("grpc"), p.get("http")
        same = "same" if all(r.get("outputs_match") for r in (g, h) if r) else "DIFFER"
        _, fps, tops = SEED_THROUGHPUT[model]
        lines.append(
            f"| {title} | {doc['batch_size']} | {doc['iterations']} ({doc['warmup']}) | {fmt(b['throughput'])} | "
            f"{fmt(g['throughput'])} | {fmt(h['throughput'])} | {fmt(b['mean_ms'], 1)} | **{fmt(g['throughput_ratio'], 3)}** | "
            f"**{fmt(h['throughput_ratio'], 3)}** | {same} | {fps:.1f} / {tops:.1f} = {fps / tops:.3f} |"
        )
    lines += [
        "",
        "The seed's pruned ResNet-50 (i20: 3.37 ms at batch 1; 1746.9 / 1659.9 fps = 1.052) is",
        "not reproduced: its pruned weights were Enflame's and no registry package carries them.",
        "",
        "![served / bare ratios](benchmarks.svg)",
        "",
        "## Reading the figures",
        "",
    ]
    lines += ctx["reading"]
    lines += [
        "",
        "## The seed's figures (reference, not our result)",
        "",
        "Measured by the seed on an Enflame i20 accelerator through TopsInference, with",
        "`topsexec` as the bare tool; a different device, engine and machine, so only the",
        "ratios are comparable in kind:",
        "",
        "| model | batch-1 latency ms | batch | batch latency ms | Adlik fps | topsexec fps |",
        "|---|---|---|---|---|---|",
    ]
    for model, title in (("resnet50", "ResNet-50"), ("resnet50_pruned", "pruned ResNet-50"), ("yolov5s", "YOLOv5s"), ("bert", "BERT")):
        bl, fps, tops = SEED_THROUGHPUT[model]
        batch = 30 if model == "yolov5s" else 120
        lines.append(f"| {title} | {SEED_LATENCY[model]} | {batch} | {bl} | {fps} | {tops} |")
    lines += [
        "",
        "## Running it",
        "",
        "```",
        "ADLIK_SETUP_BENCH=1 scripts/setup.sh            # python3-torch, python3-torchvision (Debian)",
        "/usr/bin/python3 scripts/make_benchmark_models.py  # ~/.cache/adlik/bench_models, ~570 MB, once",
        "scripts/build.sh",
        "python3 scripts/benchmark_report.py              # this page, ~15-20 min on 2 cores",
        "scripts/bench_examples.sh                        # simple and classifier only, ~1 min",
        "scripts/perf_analyzer.sh                         # Triton's perf_analyzer on simple, classifier",
        "```",
        "",
        "One model by hand, for instance ResNet-50 at batch 1 as the seed measured it:",
        "",
        "```",
        "build/bin/adlik_bench --model_base_path=$HOME/.cache/adlik/bench_models --model=resnet50 \\",
        "    --batch_size=1 --iterations=1200 --warmup=10 --json=resnet50.json --csv=resnet50.csv",
        "```",
        "",
        "`adlik_bench --help` lists every flag: `--protocol=bare,grpc,http` picks what is",
        "measured, `--concurrency` the requests in flight, `--grpc_url`/`--http_url` measure a",
        "server that is already running (Triton too), `--shape`/`--range` shape the inputs.",
        "",
    ]
    lines += ctx["perf_analyzer"]
    lines += [""] + ctx.get("shared_memory", [])
    return "\n".join(lines) + "\n"


def shared_memory_section(args):
    """Runs scripts/bench_shared_memory.py (YOLOv5s at batch 30 served over system shared
    memory through perf_analyzer, against the bare runtime, in one run) and renders its
    table, or why it could not run."""
    lines = [
        "## Served over system shared memory",
        "",
        "With the system shared-memory extension the client's tensors never cross the socket:",
        "the server reads the inputs in place from the client's region and the outputs land in",
        "the client's region (written there by the runtime when it allocates its outputs",
        "through the server; ONNX Runtime hands over its own buffer, which the server copies",
        "into the region once). `scripts/bench_shared_memory.py` measures, in each round, the",
        "bare runtime (adlik_bench's bare target) and then the model served by one adlik_serving",
        "through Triton's perf_analyzer with `--shared-memory=system`, over gRPC and HTTP",
        "(perf_analyzer writes its inputs into the region once, as a client that produces them",
        "there would; the bare target gets its inputs in memory). Throughput in inferences/s",
        "(images/s); the `all` row is over every round.",
        "",
    ]
    if args.no_shared_memory:
        return lines + ["(Not run in this report: --no-shared-memory.)"]
    cmd = [sys.executable, os.path.join(ROOT, "scripts", "bench_shared_memory.py"), "--model=yolov5s", "--batch=30", "--rounds=1", "--iterations=3",
           f"--models={args.models_dir}", f"--build={os.path.dirname(os.path.dirname(os.path.abspath(args.bench)))}"]
    print("+ " + " ".join(cmd), flush=True)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    if r.returncode != 0:
        return lines + ["It did not run in this report:", "", "```", *(r.stdout + r.stderr).strip().splitlines()[-15:], "```"]
    return lines + [
        f"`python3 scripts/bench_shared_memory.py --model=yolov5s --batch=30 --rounds=1 --iterations=3` "
        f"({datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}, "
        f"revision {git_revision()}, load average {' '.join(f'{x:.2f}' for x in load_average())} after):",
        "",
        *r.stdout.strip().splitlines(),
    ]


def perf_analyzer_section(args):
    """Runs scripts/perf_analyzer.sh (simple and classifier, gRPC and HTTP) and renders its
    outcome: perf_analyzer's summary lines, or why it could not run."""
    lines = [
        "## perf_analyzer",
        "",
        "Triton's standard benchmark client drives `adlik_serving` unchanged over gRPC and HTTP",
        "(it reads the model configuration and statistics extensions, which the server",
        "implements). PyPI's `perf-analyzer` 2.60.0 ships only a `manylinux_2_38` wheel: its",
        "binary needs glibc 2.38 and GLIBCXX_3.4.32 (GCC 13), and Debian bookworm has glibc 2.36",
        "and GCC 12, so `pip install perf-analyzer` here falls back to an empty 0.1.0",
        "placeholder. `ADLIK_SETUP_BENCH=1 scripts/setup.sh` therefore unpacks the wheel and",
        "Debian trixie's libc6, libstdc++6 and libgcc-s1 into `~/.cache/adlik/`, and",
        "`scripts/perf_analyzer.sh` runs the binary through trixie's dynamic loader (nothing",
        "installed system-wide). On a system with glibc >= 2.38 it is just:",
        "",
        "```",
        "pip install perf-analyzer",
        "perf_analyzer -m simple -i grpc -u 127.0.0.1:8500 --concurrency-range 1:2",
        "perf_analyzer -m simple -i http -u 127.0.0.1:8501 --concurrency-range 1:2",
        "perf_analyzer -m classifier -i grpc -u 127.0.0.1:8500 -b 8 --concurrency-range 1:2",
        "perf_analyzer -m classifier -i http -u 127.0.0.1:8501 -b 8 --concurrency-range 1:2",
        "```",
        "",
    ]
    if args.no_perf_analyzer:
        return lines + ["(Not run in this report: --no-perf-analyzer.)"]
    env = dict(os.environ, BUILD_DIR=os.path.dirname(os.path.dirname(os.path.abspath(args.bench))))
    env.setdefault("PA_ARGS", "--measurement-interval 2000 --concurrency-range 1:2 --max-trials 4")
    cmd = [os.path.join(ROOT, "scripts", "perf_analyzer.sh")]
    print("+ " + " ".join(cmd), flush=True)
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
    sys.stdout.write(r.stdout[-4000:])
    summary = [
        line.strip()
        for line in r.stdout.splitlines()
        if line.startswith(("== perf_analyzer", "Perf Analyzer Version", "Concurrency: ", "Failed to obtain stable"))
    ]
    if not any(line.startswith("Concurrency: ") for line in summary):
        return lines + [
            "It did not run in this report:",
            "",
            "```",
            *(r.stdout + r.stderr).strip().splitlines()[-15:],
            "```",
        ]
    return lines + [
        "Its summary in this report's run (`scripts/perf_analyzer.sh`, "
        f"PA_ARGS=`{env['PA_ARGS']}`; throughput in inferences/s, latency in microseconds;",
        "\"Failed to obtain stable measurement\" is perf_analyzer declining to report a window",
        "whose figures moved by more than 50 %, which happens on this shared machine):",
        "",
        "```",
        *summary,
        "```",
    ]


def reading(lat, thr):
    """Plain-language notes computed from the figures."""
    notes = []
    for model, title, doc in lat:
        p = by_protocol(doc)
        g, h, b = p["grpc"], p["http"], p["bare"]
        if g["mean_ms"] >= b["mean_ms"] and h["mean_ms"] >= b["mean_ms"]:
            notes.append(
                f"- {title}, batch 1: serving adds {g['mean_ms'] - b['mean_ms']:.2f} ms over gRPC and "
                f"{h['mean_ms'] - b['mean_ms']:.2f} ms over HTTP to a {b['mean_ms']:.2f} ms inference."
            )
        else:
            notes.append(
                f"- {title}, batch 1: the served runs came out faster than the bare runtime (median "
                f"{g['p50_ms']:.1f} ms gRPC, {h['p50_ms']:.1f} ms HTTP, {b['p50_ms']:.1f} ms bare), here and in "
                "earlier runs on this machine. The cause is not established: the bare runtime runs in "
                "adlik_bench's own process, the served one in the server's, with the same engine, threads "
                "and inputs; treat the difference as what a process costs or gains, not as a serving gain."
            )
    for model, title, doc in thr:
        p = by_protocol(doc)
        req = doc.get("request_mb")
        notes.append(
            f"- {title}, batch {doc['batch_size']}: gRPC keeps {100 * p['grpc']['throughput_ratio']:.1f} % and "
            f"HTTP {100 * p['http']['throughput_ratio']:.1f} % of the bare runtime's throughput"
            + (f" (each request carries {req:.0f} MB of input)." if req else ".")
        )
    notes += [
        "- The HTTP cost grows with the tensor bytes (YOLOv5s: 4.9 MB in and 8.6 MB out per",
        "  image, 147 MB in and 257 MB out per batch of 30); gRPC carries the same bytes as raw",
        "  contents.",
        "- On two cores the client, the server's protocol threads and the runtime share the",
        "  same CPUs, so every byte copied or parsed is taken from the inference: costs that",
        "  are small next to a ResNet-50 inference dominate the microsecond `simple` model.",
    ]
    return notes


def request_mb(model, batch):
    per_item = {"resnet50": 3 * 224 * 224 * 4, "yolov5s": 3 * 640 * 640 * 4, "bert": 3 * 384 * 8}
    return per_item[model] * batch / 1e6


def render_only(args):
    """Rewrites the page from an earlier run's benchmarks.json (after a change to this
    script's layout); the figures and the command stay those of that run."""
    with open(args.from_json) as f:
        saved = json.load(f)
    titles = {m: t for m, t, *_ in MODELS} | dict(EXAMPLES)
    examples = {m for m, _ in EXAMPLES}
    lat = [(d["model"], titles[d["model"]], d) for d in saved["latency"] if d["model"] not in examples]
    ex = [(d["model"], titles[d["model"]], d) for d in saved["latency"] if d["model"] in examples]
    thr = [(d["model"], titles[d["model"]], d) for d in saved["throughput"]]
    ctx = dict(saved["context"], latency=lat, throughput=thr, examples=ex, reading=reading(lat, thr))
    if args.rerun_perf_analyzer:
        ctx["perf_analyzer"] = perf_analyzer_section(args)
    if args.rerun_shared_memory:
        ctx["shared_memory"] = shared_memory_section(args)
    write_outputs(args, ctx, saved["command"])
    return 0


def write_outputs(args, ctx, command):
    os.makedirs(args.docs, exist_ok=True)
    with open(os.path.join(args.docs, "benchmarks.md"), "w") as f:
        f.write(markdown(ctx))
    lat, thr, ex = ctx["latency"], ctx["throughput"], ctx["examples"]
    # The seed's models only: the example models' ratios (tens) would flatten the scale.
    lat_rows = [(title, {k: by_protocol(d)[k]["latency_ratio"] for k in ("grpc", "http")}) for _, title, d in lat]
    thr_rows = []
    for model, title, d in thr:
        _, fps, tops = SEED_THROUGHPUT[model]
        thr_rows.append((title, {**{k: by_protocol(d)[k]["throughput_ratio"] for k in ("grpc", "http")}, "seed": fps / tops}))
    with open(os.path.join(args.docs, "benchmarks.svg"), "w") as f:
        f.write(svg_plot([(t.split(" (")[0], r) for t, r in lat_rows], [(t.split(" (")[0], r) for t, r in thr_rows]))
    context = {k: v for k, v in ctx.items() if k not in ("latency", "throughput", "examples", "reading")}
    with open(os.path.join(args.docs, "benchmarks.json"), "w") as f:
        json.dump(
            {"command": command, "context": context, "latency": [d for *_, d in lat + ex], "throughput": [d for *_, d in thr]},
            f,
            indent=1,
        )
        f.write("\n")


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bench", default=os.path.join(ROOT, "build", "bin", "adlik_bench"))
    parser.add_argument("--models-dir", default=DEFAULT_MODELS_DIR)
    parser.add_argument("--models", default="resnet50,yolov5s,bert", help="comma-separated subset")
    parser.add_argument("--no-examples", action="store_true", help="skip the simple/classifier rows")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every iteration count (>= 1 each)")
    parser.add_argument("--docs", default=os.path.join(ROOT, "docs"), help="where benchmarks.md/.svg/.json go")
    parser.add_argument("--work-dir", default=None, help="keep per-run JSON and server logs here")
    parser.add_argument("--no-perf-analyzer", action="store_true", help="skip scripts/perf_analyzer.sh")
    parser.add_argument("--from-json", help="render the page from a benchmarks.json of an earlier run, running nothing")
    parser.add_argument(
        "--rerun-perf-analyzer", action="store_true", help="with --from-json: run the perf_analyzer section again"
    )
    parser.add_argument("--no-shared-memory", action="store_true", help="skip scripts/bench_shared_memory.py")
    parser.add_argument(
        "--rerun-shared-memory", action="store_true", help="with --from-json: run the shared-memory section again"
    )
    args = parser.parse_args(argv)
    if not os.access(args.bench, os.X_OK):
        sys.exit(f"benchmark_report: {args.bench} not found; build first (scripts/build.sh)")
    wanted = [m for m in args.models.split(",") if m]
    unknown = set(wanted) - {m for m, *_ in MODELS}
    if unknown:
        sys.exit(f"benchmark_report: unknown models {sorted(unknown)}")

    def scaled(plan):
        it, warm, rounds = plan
        it = max(1, round(it * args.scale))
        return it, warm, min(rounds, it)

    args.server = None
    if args.from_json:
        return render_only(args)
    # The models: made once, cached outside the repository.
    run(["/usr/bin/python3", os.path.join(ROOT, "scripts", "make_benchmark_models.py"), "--out", args.models_dir, *wanted])
    work = args.work_dir or tempfile.mkdtemp(prefix="adlik_bench_report_")
    os.makedirs(work, exist_ok=True)
    # The server adlik_bench starts runs through a link of another name, so that a broad
    # `pkill adlik_serving` by other work on a shared machine does not stop it mid-run.
    args.server = os.path.join(work, "served_under_bench")
    if os.path.lexists(args.server):
        os.remove(args.server)
    os.symlink(os.path.join(os.path.dirname(os.path.abspath(args.bench)), "adlik_serving"), args.server)
    start, load_before = time.monotonic(), load_average()

    lat, thr, ex = [], [], []
    for model, title, batch, extra in MODELS:
        if model not in wanted:
            continue
        lat.append((model, title, bench(args, model, args.models_dir, 1, scaled(LATENCY_PLAN[model]), extra, work, "latency")))
        doc = bench(args, model, args.models_dir, batch, scaled(THROUGHPUT_PLAN[model]), extra, work, "throughput")
        doc["request_mb"] = request_mb(model, batch)
        thr.append((model, title, doc))
    if not args.no_examples:
        example_repo = os.path.join(work, "example_models")
        run([sys.executable, os.path.join(ROOT, "examples", "make_example_models.py"), example_repo], stdout=subprocess.DEVNULL)
        for model, title in EXAMPLES:
            ex.append((model, title, bench(args, model, example_repo, 1, scaled(EXAMPLE_PLAN), [], work, "latency")))

    load_after = load_average()
    command = "python3 scripts/benchmark_report.py" + "".join(f" {a}" for a in argv)
    ctx = {
        "latency": lat,
        "throughput": thr,
        "examples": ex,
        "command": command,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "revision": git_revision(),
        "built": datetime.datetime.fromtimestamp(os.path.getmtime(args.bench), datetime.timezone.utc).strftime(
            "%Y-%m-%d %H:%M UTC"
        ),
        "cpu": cpu_name(),
        "cores": os.cpu_count(),
        "load_before": " ".join(f"{x:.2f}" for x in load_before),
        "load_after": " ".join(f"{x:.2f}" for x in load_after),
        "minutes": (time.monotonic() - start) / 60,
        "reading": reading(lat, thr),
        "perf_analyzer": perf_analyzer_section(args),
        "shared_memory": shared_memory_section(args),
    }
    write_outputs(args, ctx, command)

    print("\nserved/bare                latency gRPC  latency HTTP  throughput gRPC  throughput HTTP")
    for model, title, d in lat + ex:
        p = by_protocol(d)
        print(f"  {model:<12} batch 1     {p['grpc']['latency_ratio']:>8.2f}  {p['http']['latency_ratio']:>12.2f}")
    for model, title, d in thr:
        p = by_protocol(d)
        print(
            f"  {model:<12} batch {d['batch_size']:<5} {p['grpc']['latency_ratio']:>8.2f}  {p['http']['latency_ratio']:>12.2f}"
            f"  {p['grpc']['throughput_ratio']:>15.3f}  {p['http']['throughput_ratio']:>15.3f}"
        )
    print(f"\nwrote {os.path.join(args.docs, 'benchmarks.md')} (+ .svg, .json); per-run files in {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
